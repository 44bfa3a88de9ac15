"""Ingestion into the real stores (SQLite and PostgreSQL), in one process and with parse
workers: deletes, newer versions, idempotence, and every kind of bad input."""

from __future__ import annotations

import gzip
import re
from collections import Counter

import pytest

from medbridge.corpus.ingest import IngestError, ingest_paths
from medbridge.corpus.pubmed import PubmedParseError, iter_pubmed
from medbridge.store.sqlite import SQLiteStore

ONE_RECORD = "pubmed-29768149.xml"


@pytest.fixture
def settings(backend_settings):
    """Every ingest test runs on SQLite and on PostgreSQL."""
    return backend_settings


def test_alzheimer_folder_gives_3690_unique_records(store, alzheimer_dir):
    report = ingest_paths(store, [alzheimer_dir])
    assert len(report.files) == 37 and not report.failures
    stats = store.stats()
    assert (stats.records, stats.with_abstract, stats.files, stats.deleted) == (3690, 3579, 37, 0)


def test_reingesting_is_a_noop(store, fixtures_dir):
    first = ingest_paths(store, [fixtures_dir])
    seq = store.last_change()
    again = ingest_paths(store, [fixtures_dir])
    assert {f.status for f in again.files} == {"unchanged"}
    assert store.last_change() == seq and first.records > 0


def test_delete_citations_remove_records(store, fixtures_dir):
    ingest_paths(store, [fixtures_dir / "pubmed26n1334.xml.gz"])
    deleted = [i.pmid for i in iter_pubmed(fixtures_dir / "pubmed26n1335.xml.gz") if not hasattr(i, "title")]
    present_before = set(store.get_records(deleted))
    report = ingest_paths(store, [fixtures_dir / "pubmed26n1335.xml.gz"])
    assert report.deletes == len(deleted) == 6
    assert store.get_records(deleted) == {}
    assert store.stats().deleted == 6
    changes = [c for c in store.changes_since(0) if c.op == "delete"]
    assert {c.pmid for c in changes} == set(deleted)
    assert present_before <= set(deleted)


def test_2016_format_with_its_delete(store, fixtures_dir):
    report = ingest_paths(store, [fixtures_dir / "medline16n0902.xml.gz"])
    assert report.records == 604 and report.deletes == 1
    assert store.get_record(17942999).title.startswith("Neuroplasticity in the processing of pitch")


def _versioned_copy(src, dst, version: int, title: str):
    text = src.read_text(encoding="utf-8")
    text = re.sub(r'<PMID Version="\d+">29768149</PMID>', f'<PMID Version="{version}">29768149</PMID>', text, count=1)
    text = re.sub(r"<ArticleTitle>.*?</ArticleTitle>", f"<ArticleTitle>{title}</ArticleTitle>", text, count=1, flags=re.S)
    dst.write_text(text, encoding="utf-8")


def test_newer_version_replaces_older_and_not_the_reverse(store, fixtures_dir, tmp_path):
    ingest_paths(store, [fixtures_dir / ONE_RECORD])
    _versioned_copy(fixtures_dir / ONE_RECORD, tmp_path / "v2.xml", 2, "Version two")
    _versioned_copy(fixtures_dir / ONE_RECORD, tmp_path / "v1b.xml", 1, "Stale version one")
    ingest_paths(store, [tmp_path / "v2.xml"])
    assert store.get_record(29768149).title == "Version two" and store.get_record(29768149).version == 2
    ingest_paths(store, [tmp_path / "v1b.xml"])
    assert store.get_record(29768149).title == "Version two"


def test_a_later_update_of_the_same_version_replaces(store, fixtures_dir, tmp_path):
    ingest_paths(store, [fixtures_dir / ONE_RECORD])
    _versioned_copy(fixtures_dir / ONE_RECORD, tmp_path / "update.xml", 1, "Corrected title")
    ingest_paths(store, [tmp_path / "update.xml"])
    assert store.get_record(29768149).title == "Corrected title"


@pytest.fixture
def bad_files(tmp_path, fixtures_dir):
    good_gz = (fixtures_dir / "pubmed26n1334.xml.gz").read_bytes()
    good_xml = gzip.decompress(good_gz)
    files = {
        "malformed.xml": good_xml[: len(good_xml) // 2] + b"<<<oops",
        "truncated.xml.gz": good_gz[: len(good_gz) // 2],
        "not_pubmed.xml": b'<?xml version="1.0"?><html><body><p>hello</p></body></html>',
        "wrong_encoding.xml": '<?xml version="1.0" encoding="UTF-8"?><PubmedArticleSet><PubmedArticle><MedlineCitation>'
                              '<PMID Version="1">1</PMID><Article><ArticleTitle>Ros\u00e9n</ArticleTitle></Article>'
                              '</MedlineCitation></PubmedArticle></PubmedArticleSet>'.encode("latin-1"),
        "empty.xml": b"",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return tmp_path


@pytest.mark.parametrize("name, reason", [
    ("malformed.xml", "malformed XML"),
    ("truncated.xml.gz", "truncated or corrupt gzip"),
    ("not_pubmed.xml", "not PubMed XML"),
    ("wrong_encoding.xml", "encoding"),
    ("empty.xml", "empty"),
    ("missing.xml", "no such file"),
])
def test_bad_input_is_named_and_leaves_nothing(store, bad_files, name, reason):
    with pytest.raises(IngestError) as caught:
        ingest_paths(store, [bad_files / name])
    message = str(caught.value)
    assert name in message and reason in message
    assert "\n" not in message
    assert store.stats().records == 0 and store.stats().files == 0 and store.last_change() == 0


def test_malformed_file_reports_line_and_last_good_pmid(bad_files):
    with pytest.raises(PubmedParseError) as caught:
        list(iter_pubmed(bad_files / "malformed.xml"))
    assert caught.value.line and caught.value.pmid


def test_half_bad_file_commits_nothing(store, bad_files):
    # The malformed file holds good records before the damage: none may be kept.
    assert len(list(iter_pubmed_until_error(bad_files / "malformed.xml"))) > 0
    with pytest.raises(IngestError):
        ingest_paths(store, [bad_files / "malformed.xml"])
    assert store.stats().records == 0


def iter_pubmed_until_error(path):
    try:
        yield from iter_pubmed(path)
    except PubmedParseError:
        return


def test_keep_going_continues_and_reports(store, bad_files, fixtures_dir):
    paths = [bad_files / "malformed.xml", fixtures_dir / ONE_RECORD, bad_files / "missing.xml"]
    report = ingest_paths(store, paths, keep_going=True)
    assert [f.status for f in report.files] == ["failed", "ingested", "failed"]
    assert store.stats().records == 1 and store.stats().files == 1


def _contents(store):
    """Records, and the change feed as a multiset (PostgreSQL numbers a batch's puts by PMID, not file order)."""
    return store.get_records(store.all_pmids()), Counter((c.pmid, c.op) for c in store.changes_since(0, limit=100_000))


def test_parallel_parsing_stores_the_same_as_one_process(store, alzheimer_dir, fixtures_dir, tmp_path):
    paths = [*sorted(alzheimer_dir.glob("*.xml.gz"))[:6], fixtures_dir / "pubmed26n1334.xml.gz",
             fixtures_dir / "pubmed26n1335.xml.gz"]
    reference = SQLiteStore(tmp_path / "one-process.db")
    ingest_paths(reference, paths, workers=1)
    report = ingest_paths(store, paths, workers=2)
    assert len(report.files) == 8 and not report.failures and report.deletes == 6 and report.records > 600
    assert _contents(store) == _contents(reference)
    again = ingest_paths(store, paths, workers=2)
    assert {f.status for f in again.files} == {"unchanged"}


def test_parallel_parsing_names_bad_files_like_one_process(store, bad_files, fixtures_dir):
    paths = [bad_files / "malformed.xml", fixtures_dir / ONE_RECORD, bad_files / "missing.xml", bad_files / "truncated.xml.gz"]
    one = ingest_paths(SQLiteStore(bad_files / "one-process.db"), paths, keep_going=True, workers=1)
    parallel = ingest_paths(store, paths, keep_going=True, workers=2)
    assert [(f.status, f.error) for f in parallel.files] == [(f.status, f.error) for f in one.files]
    assert [f.status for f in parallel.files] == ["failed", "ingested", "failed", "failed"]
    assert store.stats().records == 1 and store.stats().files == 1
    with pytest.raises(IngestError, match="malformed XML"):
        ingest_paths(store, paths, workers=2)


@pytest.mark.slow
def test_parsing_spread_over_a_ray_cluster_stores_the_same_as_one_process(ray_cluster, alzheimer_dir, fixtures_dir, bad_files, tmp_path):
    """Files parsed by tasks on the local cluster's two nodes (their bytes sent along), stored here in file
    order: the same records and change feed as one process, and bad files reported in the same words."""
    paths = [*sorted(alzheimer_dir.glob("*.xml.gz"))[:4], fixtures_dir / "pubmed26n1334.xml.gz", fixtures_dir / "pubmed26n1335.xml.gz"]
    reference = SQLiteStore(tmp_path / "one-process.db")
    ingest_paths(reference, paths)
    store = SQLiteStore(tmp_path / "cluster.db")
    report = ingest_paths(store, paths, cluster=ray_cluster.address)
    assert len(report.files) == 6 and not report.failures and report.records > 400
    assert _contents(store) == _contents(reference)

    bad = [bad_files / "malformed.xml", fixtures_dir / ONE_RECORD, bad_files / "truncated.xml.gz"]
    one = ingest_paths(SQLiteStore(tmp_path / "bad-one-process.db"), bad, keep_going=True)
    spread = ingest_paths(SQLiteStore(tmp_path / "bad-cluster.db"), bad, keep_going=True, cluster=ray_cluster.address)
    assert [f.status for f in spread.files] == ["failed", "ingested", "failed"]
    assert [(f.status, f.error) for f in spread.files] == [(f.status, f.error) for f in one.files]
