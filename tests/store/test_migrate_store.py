"""`medbridge migrate-store --to DSN`: an SQLite store copied whole into PostgreSQL, resumable, refusing
targets that would mix two stores."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from medbridge.cli.main import app
from medbridge.corpus.ingest import ingest_paths
from medbridge.errors import StoreError
from medbridge.settings import load_settings
from medbridge.store import open_store
from medbridge.store.migrate import migrate_sqlite_to_postgresql
from medbridge.store.postgresql import PostgreSQLStore

runner = CliRunner()


@pytest.fixture
def sqlite_settings(tmp_path, monkeypatch, alzheimer_dir, fixtures_dir):
    """An SQLite store in use: records, deletions, translations in the cache, a job."""
    home = tmp_path / "home"
    monkeypatch.setenv("MEDBRIDGE_HOME", str(home))
    settings = load_settings(home=home)
    store = open_store(settings)
    ingest_paths(store, [*sorted(alzheimer_dir.glob("*.xml.gz"))[:5], fixtures_dir / "pubmed26n1334.xml.gz",
                         fixtures_dir / "pubmed26n1335.xml.gz"])
    store.cache_put("translation", "zh:abc", "阿尔茨海默病")
    store.cache_put("index", "last_seq", "42")
    store.save_conversation("c1", {"turns": [{"question": "阿尔茨海默病的脑脊液生物标志物"}]})
    store.stage_citations("occ.csv", "s", "occ", [(3, 10), (4, 10)], lines_done=2)  # an unfinished import
    job = store.create_job("translate-doc", {"path": "a.pdf"})
    store.update_job(job.id, state="done", result={"pages": 3})
    store.add_user("alice", "$argon2id$stored-hash", True)
    store.add_token("t1", "alice", "sha256-of-secret", "ci")
    store.add_audit("cli:root", "user.add", "alice", "admin")
    store.create_job("research", {"question": "tau"}, owner="alice")
    store.save_conversation("c2", {"turns": []}, owner="alice")
    store.close()
    return settings


def _everything(store):
    pmids = store.all_pmids()
    return {
        "stats": store.stats(),
        "records": store.get_records(pmids),
        "changes": store.changes_since(0, limit=100_000),
        "files": store.ingested_files(),
        "cache": store.cache_get_many("translation", ["zh:abc"]) | store.cache_get_many("index", ["last_seq"]),
        "jobs": sorted(store.list_jobs(), key=lambda job: job.id),  # created in the same second: order by id
        "conversation": store.get_conversation("c1"),
        "cited": {pmid: store.cited(pmid) for pmid in pmids},
        "citation import": store.citation_import("occ.csv"),
        "users": store.list_users(),
        "tokens": store.list_tokens(),
        "token user": store.token_user("sha256-of-secret"),
        "audit": store.audit_log(),
        "conversation owners": [store.conversation_owner("c1"), store.conversation_owner("c2")],
    }


def test_migrate_store_copies_everything(sqlite_settings, postgres_cluster, fixtures_dir):
    dsn = postgres_cluster.create_database()
    result = runner.invoke(app, ["migrate-store", "--to", dsn])
    assert result.exit_code == 0, result.output
    assert "records" in result.stderr and "store.backend" in result.stderr
    source, target = open_store(sqlite_settings), PostgreSQLStore(dsn)
    assert _everything(target) == _everything(source)
    # The copy is a working store: a known file is unchanged, a new one continues the change feed.
    assert ingest_paths(target, [fixtures_dir / "pubmed26n1334.xml.gz"]).files[0].status == "unchanged"
    before = target.last_change()
    ingest_paths(target, [fixtures_dir / "pubmed-29768149.xml"])
    assert [c.seq for c in target.changes_since(before)] == [before + 1]
    target.add_audit("cli:root", "user.remove", "alice")  # the audit log continues after the copied entries
    assert [e.seq for e in target.audit_log()] == [2, 1]
    # A second run finds the copy complete and changes nothing.
    again = runner.invoke(app, ["migrate-store", "--to", dsn])
    assert again.exit_code == 0, again.output
    target.close()


def test_an_interrupted_copy_resumes(sqlite_settings, postgres_cluster):
    dsn = postgres_cluster.create_database()
    seen: list[tuple[str, int]] = []

    def interrupt_after_two_record_batches(table: str, done: int, total: int) -> None:
        seen.append((table, done))
        if table == "records" and done >= 400:
            raise KeyboardInterrupt  # Ctrl-C

    with pytest.raises(KeyboardInterrupt):
        migrate_sqlite_to_postgresql(sqlite_settings.sqlite_path, dsn, batch_size=200,
                                     on_progress=interrupt_after_two_record_batches)
    target = PostgreSQLStore(dsn)
    assert target.stats().records == 400
    resumed: list[tuple[str, int]] = []
    counts = migrate_sqlite_to_postgresql(sqlite_settings.sqlite_path, dsn, batch_size=200,
                                          on_progress=lambda table, done, total: resumed.append((table, done)))
    assert ("records", 400) in resumed and ("records", 0) not in resumed  # continued, not restarted
    source = open_store(sqlite_settings)
    assert counts["records"] == source.stats().records
    assert _everything(target) == _everything(source)
    target.close()


def test_refuses_a_target_that_holds_another_store(sqlite_settings, postgres_cluster, fixtures_dir):
    dsn = postgres_cluster.create_database()
    other = PostgreSQLStore(dsn)
    ingest_paths(other, [fixtures_dir / "pubmed-29768149.xml"])
    result = runner.invoke(app, ["migrate-store", "--to", dsn])
    assert result.exit_code == 1
    message = " ".join(result.stderr.split())  # Rich wraps long lines at the terminal's width
    assert message.startswith("error: PostgreSQL at ") and "already holds a store (1 records, 1 files)" in message
    assert other.stats().records == 1
    other.close()


def test_refuses_to_resume_from_a_source_that_changed(sqlite_settings, postgres_cluster, fixtures_dir):
    dsn = postgres_cluster.create_database()

    def interrupt(table: str, done: int, total: int) -> None:
        if table == "records" and done:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        migrate_sqlite_to_postgresql(sqlite_settings.sqlite_path, dsn, batch_size=100, on_progress=interrupt)
    ingest_paths(open_store(sqlite_settings), [fixtures_dir / "pubmed-29768149.xml"])
    with pytest.raises(StoreError, match="copy into an empty database"):
        migrate_sqlite_to_postgresql(sqlite_settings.sqlite_path, dsn)
