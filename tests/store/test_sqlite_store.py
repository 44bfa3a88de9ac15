from __future__ import annotations

import sqlite3
import threading

import pytest

from medbridge.corpus.models import Record
from medbridge.errors import NotFoundError
from medbridge.store.sqlite import MIGRATIONS, SQLiteStore


def test_schema_is_versioned_and_wal(settings):
    store = SQLiteStore(settings.sqlite_path)
    assert store.schema_version == len(MIGRATIONS)
    mode = sqlite3.connect(settings.sqlite_path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    # Re-opening does not re-run migrations.
    assert SQLiteStore(settings.sqlite_path).schema_version == len(MIGRATIONS)


def test_record_round_trip_and_atomic_file(store):
    record = Record(pmid=42, title="T", title_markup="T")
    with store.ingesting_file("a.xml", "abc") as writer:
        writer.put(record)
    assert writer.written == 1 and store.get_record(42) == record
    with pytest.raises(RuntimeError):
        with store.ingesting_file("b.xml", "def") as writer:
            writer.put(Record(pmid=43, title="U"))
            raise RuntimeError("parser failed")
    assert store.get_record(43) is None and not store.file_ingested("b.xml", "def")


def test_cache_namespaces(store):
    store.cache_put("translation", "k", "v1")
    store.cache_put("translation", "k", "v2")
    store.cache_put("other", "k", "x")
    assert store.cache_get("translation", "k") == "v2"
    assert store.cache_get_many("translation", ["k", "missing"]) == {"k": "v2"}


def test_jobs_lifecycle(store):
    job = store.create_job("translate-doc", {"path": "a.pdf"})
    assert job.state == "queued"
    job = store.update_job(job.id, state="running", progress_done=3, progress_total=10, checkpoint={"done": [0, 1, 2]})
    assert (job.state, job.progress_done, job.checkpoint) == ("running", 3, {"done": [0, 1, 2]})
    assert [j.id for j in store.list_jobs("translate-doc")] == [job.id]
    with pytest.raises(NotFoundError):
        store.update_job("nope", state="done")
    with pytest.raises(ValueError):
        store.update_job(job.id, bogus=1)


def test_concurrent_readers_and_writer(store):
    with store.ingesting_file("seed.xml", "0") as writer:
        for pmid in range(1, 101):
            writer.put(Record(pmid=pmid, title=f"t{pmid}"))
    errors = []

    def read():
        try:
            for _ in range(50):
                assert store.stats().records >= 100
        except Exception as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for i in range(20):
        store.cache_put("n", str(i), "v")
    for thread in threads:
        thread.join()
    assert not errors
