"""PostgreSQL down at start, and lost in the middle of a multi-file ingest: one clear line, the file being
written rolls back, and a re-run after the server is back completes the work. Threads that come and go (a web
server's) do not use up the server's connections."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from pgcluster import PostgresCluster, free_port
from pubmed_files import repeated_file
from typer.testing import CliRunner

from medbridge.cli.main import app
from medbridge.corpus.ingest import file_sha256, ingest_paths
from medbridge.errors import StoreError
from medbridge.settings import load_settings
from medbridge.store import open_store


def test_postgresql_down_at_start_is_one_clear_line(tmp_path, monkeypatch):
    port = free_port()  # nothing listens there
    monkeypatch.setenv("MEDBRIDGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MEDBRIDGE_STORE__BACKEND", "postgresql")
    monkeypatch.setenv("MEDBRIDGE_STORE__DSN", f"postgresql://medbridge:secret@127.0.0.1:{port}/corpus")
    result = CliRunner().invoke(app, ["stats"])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: PostgreSQL at 127.0.0.1:{port}/corpus: Connection refused"
    assert "secret" not in result.output


def test_postgresql_backend_needs_a_dsn(tmp_path):
    settings = load_settings(home=tmp_path, store={"backend": "postgresql"})
    with pytest.raises(Exception, match="store.dsn"):
        open_store(settings)


@pytest.fixture
def own_cluster():
    """A cluster of this test's own: it is crashed on purpose."""
    cluster = PostgresCluster().init().start()
    yield cluster
    cluster.remove()


def _writing_transaction_open(dsn: str) -> bool:
    """Another session holds a transaction that has written (it has a transaction id) and not committed."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'medbridge'"
                            " AND backend_xid IS NOT NULL").fetchone()[0] > 0


def test_server_lost_mid_ingest_rolls_back_the_file_and_a_rerun_completes(own_cluster, alzheimer_dir, fixtures_dir, tmp_path):
    dsn = own_cluster.create_database()
    settings = load_settings(home=tmp_path / "home", store={"backend": "postgresql", "dsn": dsn})
    first, last = fixtures_dir / "pubmed26n1334.xml.gz", fixtures_dir / "pubmed-29768149.xml"
    big = repeated_file(sorted(alzheimer_dir.glob("*.xml.gz")), 1, tmp_path / "alzheimer_all.xml.gz")
    store = open_store(settings)
    first_sha = file_sha256(first)
    outcome: dict = {}

    def run():
        try:
            ingest_paths(store, [first, big, last], keep_going=True)
        except StoreError as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 120
    # Crash while the big file is half written: the first file committed, the big one's rows sent, not committed.
    while not (store.file_ingested(first.name, first_sha) and _writing_transaction_open(dsn)):
        assert thread.is_alive() and time.monotonic() < deadline, "the ingest ended before it could be interrupted"
        time.sleep(0.01)
    own_cluster.stop("immediate")
    thread.join(timeout=60)
    message = str(outcome["error"])
    assert message.startswith(f"PostgreSQL at 127.0.0.1:{own_cluster.port}/") and "\n" not in message

    own_cluster.start()  # crash recovery
    after_crash = store.stats()
    assert (after_crash.files, after_crash.records) == (1, 30)
    assert store.ingested_files()[0].name == first.name and store.last_change() == 30

    report = ingest_paths(store, [first, big, last])
    assert [f.status for f in report.files] == ["unchanged", "ingested", "ingested"]
    stats = store.stats()
    assert (stats.files, stats.records) == (3, 30 + 3690 + 1)
    assert len(store.changes_since(0, limit=100_000)) == stats.records
    store.close()


def _medbridge_connections(dsn: str, settle_below: int) -> int:
    """Server sessions of medbridge on this database, polled for up to 10 s until fewer than ``settle_below``
    (a server process outlives its closed connection by a moment)."""
    deadline = time.monotonic() + 10
    with psycopg.connect(dsn, autocommit=True) as conn:
        while True:
            count = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'medbridge'"
                                 " AND datname = current_database()").fetchone()[0]
            if count < settle_below or time.monotonic() > deadline:
                return count
            time.sleep(0.1)


def test_threads_that_come_and_go_leave_no_connections_open(postgres_cluster, fixtures_dir, tmp_path):
    """A web server's worker threads end and new ones start: the server's connection slots must not fill up."""
    dsn = postgres_cluster.create_database()
    store = open_store(load_settings(home=tmp_path / "home", store={"backend": "postgresql", "dsn": dsn, "pool_size": 4}))
    ingest_paths(store, [fixtures_dir / "pubmed-29768149.xml"])
    errors: list[BaseException] = []

    def read() -> None:
        try:
            assert store.get_record(29768149).pmid == 29768149
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    for _ in range(5):  # 5 waves of 30 threads, each a new thread: 150 threads in all
        wave = [threading.Thread(target=read) for _ in range(30)]
        for thread in wave:
            thread.start()
        for thread in wave:
            thread.join()
    assert not errors
    assert _medbridge_connections(dsn, settle_below=5) <= 4
    store.close()
    assert _medbridge_connections(dsn, settle_below=1) == 0
