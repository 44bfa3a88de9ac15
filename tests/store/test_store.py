"""The Store contract on every backend (SQLite and a real PostgreSQL cluster), and each backend's own duties."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from medbridge.corpus.models import Record
from medbridge.errors import NotFoundError
from medbridge.store import postgresql, sqlite


def test_schema_is_versioned(settings, store):
    module = sqlite if settings.store.backend == "sqlite" else postgresql
    assert store.schema_version == len(module.MIGRATIONS)
    # Re-opening does not re-run migrations.
    again = type(store)(settings.sqlite_path if settings.store.backend == "sqlite" else settings.store.dsn)
    assert again.schema_version == len(module.MIGRATIONS)
    again.close()


def test_sqlite_is_wal(tmp_path):
    sqlite.SQLiteStore(tmp_path / "s.db")
    assert sqlite3.connect(tmp_path / "s.db").execute("PRAGMA journal_mode").fetchone()[0] == "wal"


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
    assert [f.name for f in store.ingested_files()] == ["a.xml"]


def test_change_feed_and_listing(store):
    with store.ingesting_file("a.xml", "1") as writer:
        for pmid in (5, 3, 9):
            writer.put(Record(pmid=pmid, title=f"t{pmid}"))
        writer.delete(3)
    changes = store.changes_since(0)
    assert [(c.pmid, c.op) for c in changes][-1] == (3, "delete") and len(changes) == 4
    assert store.changes_since(changes[1].seq) == changes[2:] and store.last_change() == changes[-1].seq
    assert store.all_pmids() == [5, 9] and [r.pmid for r in store.iter_records(batch_size=1)] == [5, 9]
    assert list(store.get_records([9, 4, 5])) == [9, 5]
    assert store.stats().deleted == 1 and store.stats().records == 2


def test_cache_namespaces(store):
    store.cache_put("translation", "k", "v1")
    store.cache_put("translation", "k", "v2")
    store.cache_put("other", "k", "x")
    assert store.cache_get("translation", "k") == "v2"
    assert store.cache_get_many("translation", ["k", "missing"]) == {"k": "v2"}


def test_jobs_lifecycle(store):
    job = store.create_job("translate-doc", {"path": "a.pdf"})
    assert job.state == "queued" and job.params == {"path": "a.pdf"} and job.created_at
    job = store.update_job(job.id, state="running", progress_done=3, progress_total=10, checkpoint={"done": [0, 1, 2]})
    assert (job.state, job.progress_done, job.checkpoint) == ("running", 3, {"done": [0, 1, 2]})
    later = store.create_job("translate-doc", {"path": "b.pdf"})
    assert [j.id for j in store.list_jobs("translate-doc")] == [later.id, job.id]
    assert store.list_jobs("other") == []
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


def test_conversations_and_citation_graph(store):
    store.save_conversation("c1", {"turns": [{"question": "氯胺酮为什么起效快"}]})
    store.save_conversation("c1", {"turns": [{"question": "氯胺酮为什么起效快"}, {"question": "近五年"}]})
    assert len(store.get_conversation("c1")["turns"]) == 2 and store.get_conversation("nope") is None

    with store.ingesting_file("a.xml", "1") as writer:
        writer.put(Record(pmid=1, references=[10, 11]))
        writer.put(Record(pmid=2, references=[10]))
    assert store.cited_by_counts([10, 11, 12]) == {10: 2, 11: 1}
    assert store.citing(10) == [1, 2] and store.cited(1) == [10, 11]
    with store.ingesting_file("b.xml", "2") as writer:
        writer.put(Record(pmid=1, version=2, references=[12]))  # a new version's list replaces the old one
        writer.delete(2)
    assert store.cited(1) == [12] and store.citing(10) == []

    store.stage_citations("occ.csv", "s", "occ", [(3, 10), (4, 10)], lines_done=2)
    store.stage_citations("occ.csv", "s", "occ", [(4, 10), (5, 11)], lines_done=4)
    assert (store.citation_import("occ.csv").state, store.citation_import("occ.csv").lines_done) == ("staging", 4)
    assert store.cited_by_counts([10]) == {}  # nothing counts before the import is finished
    assert store.finish_citation_import("occ.csv") == 3
    assert store.cited_by_counts([10, 11]) == {10: 2, 11: 1} and store.citation_import("occ.csv").state == "done"
    store.stage_citations("other.csv", "t", "occ", [(6, 10)], lines_done=1)
    store.discard_citation_import("other.csv")
    assert store.citation_import("other.csv") is None and store.cited_by_counts([10]) == {10: 2}


def test_job_claims_and_leases(store):
    """Of two claims one wins; only the holder renews the lease; an expired lease can be claimed again."""
    job = store.create_job("research", {})
    done = store.create_job("research", {})
    store.update_job(done.id, state="done")
    assert [j.id for j in store.list_jobs(states=("queued", "running"))] == [job.id]
    claimed = store.claim_job(job.id, "worker-a", 60)
    assert claimed.state == "running" and claimed.worker == "worker-a"
    assert store.claim_job(job.id, "worker-b", 60) is None and store.claim_job(done.id, "worker-b", 0) is None
    assert store.heartbeat_job(job.id, "worker-a") and not store.heartbeat_job(job.id, "worker-b")
    assert store.claim_job(job.id, "worker-b", 0).worker == "worker-b"  # worker-a's lease expired
    assert not store.heartbeat_job(job.id, "worker-a")


def test_cache_claims_are_exclusive_until_released_or_stale(store):
    assert store.cache_claim("translating", "1:zh", "a", 300)
    assert not store.cache_claim("translating", "1:zh", "b", 300)  # a holds it
    assert store.cache_claim("translating", "2:zh", "b", 300)      # another key
    store.cache_release("translating", "1:zh", "b")                 # not b's: kept
    assert not store.cache_claim("translating", "1:zh", "b", 300)
    assert store.cache_claim("translating", "1:zh", "b", 0)         # a's claim is stale
    store.cache_release("translating", "1:zh", "b")
    assert store.cache_claim("translating", "1:zh", "c", 300)
