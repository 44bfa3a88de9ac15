"""``medbridge sync`` against a loopback copy of NLM's pubmed/ folder (Apache listings, .md5 files, byte ranges)
holding real PubMed files: order and deletions, resuming, checksums, HTTP faults, disk space, file:// mirrors."""

from __future__ import annotations

import gzip
import json
import shutil

import pytest
from typer.testing import CliRunner

from medbridge.cli.main import app
from medbridge.corpus.pubmed import iter_pubmed
from medbridge.store import open_store
from pubmed_servers import FakeNLMMirror, load_articles, one_line_error, pubmed_xml, renumbered, write_md5

runner = CliRunner()
DELETED_IN_1335 = 41618748  # one of the PMIDs the real update file pubmed26n1335 deletes


@pytest.fixture
def mirror_root(tmp_path, alzheimer_dir, fixtures_dir):
    """baseline/ 1332–1334 and updatefiles/ 1335 with their .md5 files, plus names a listing may hold that are no
    PubMed files. 1332 and 1333 are real Alzheimer records; 1332 also holds a real record renumbered to a PMID
    that the real update file 1335 deletes, so the deletion only sticks if files go in order."""
    root = tmp_path / "mirror"
    baseline, updates = root / "baseline", root / "updatefiles"
    baseline.mkdir(parents=True)
    updates.mkdir()
    first = load_articles([alzheimer_dir / "pubmed_0_to_99.xml.gz"])
    first[0] = renumbered(first[0], DELETED_IN_1335)
    (baseline / "pubmed26n1332.xml.gz").write_bytes(gzip.compress(pubmed_xml(first)))
    shutil.copy(alzheimer_dir / "pubmed_100_to_199.xml.gz", baseline / "pubmed26n1333.xml.gz")
    shutil.copy(fixtures_dir / "pubmed26n1334.xml.gz", baseline / "pubmed26n1334.xml.gz")
    shutil.copy(fixtures_dir / "pubmed26n1335.xml.gz", updates / "pubmed26n1335.xml.gz")
    for path in [*baseline.glob("*.xml.gz"), *updates.glob("*.xml.gz")]:
        write_md5(path)
    (baseline / "README.txt").write_text("PubMed baseline\n")
    (baseline / "pubmed26n1334.xml.gz.bak").write_bytes(b"junk")
    (baseline / "pubmed26n1399.xml").write_text("<PubmedArticleSet/>")
    (baseline / "stats.html").write_text("<html></html>")
    (baseline / "old").mkdir()
    (updates / "pubmed26n1335.xml.gz.md5.tmp").write_text("x")
    return root


@pytest.fixture
def nlm(mirror_root):
    with FakeNLMMirror(mirror_root) as server:
        yield server


@pytest.fixture
def sync_env(settings, nlm, monkeypatch):
    for key, value in {"MIRROR_URL": nlm.base_url, "BACKOFF_S": "0.01", "MAX_RETRIES": "3"}.items():
        monkeypatch.setenv(f"MEDBRIDGE_PUBMED__{key}", value)
    return settings


def _sync(*args: str) -> dict:
    result = runner.invoke(app, ["sync", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _pmids(path) -> set[int]:
    return {r.pmid for r in iter_pubmed(path) if hasattr(r, "title")}


def _data_gets(nlm) -> list[str]:
    return [r.path.rsplit("/", 1)[-1] for r in nlm.requests if r.method == "GET" and r.path.endswith(".xml.gz")]


def test_sync_ingests_in_order_with_deletions_and_a_rerun_fetches_only_new_files(sync_env, nlm, mirror_root, alzheimer_dir):
    report = _sync()
    assert report["ingested"] == ["pubmed26n1332.xml.gz", "pubmed26n1333.xml.gz", "pubmed26n1334.xml.gz", "pubmed26n1335.xml.gz"]
    assert report["ignored_names"] == 5 and report["redownloaded"] == [] and report["waiting"] is None
    store = open_store(sync_env)
    expected = set().union(*(_pmids(p) for p in sorted(mirror_root.glob("*/*.xml.gz")))) - {
        41456105, 41557076, 41616784, 41618748, 41618749, 41618779}
    assert set(store.all_pmids()) == expected
    assert store.get_record(DELETED_IN_1335) is None and store.stats().deleted == 6
    # Only PubMed files and their checksums were asked for; each data file once, whole; nothing left on disk.
    asked = {r.path.rsplit("/", 1)[-1] for r in nlm.requests if not r.path.endswith("/")}
    assert all(name.startswith("pubmed26n13") and name.endswith((".xml.gz", ".xml.gz.md5")) for name in asked)
    assert sorted(_data_gets(nlm)) == report["ingested"]
    for name in report["ingested"]:
        folder = "updatefiles" if name.endswith("1335.xml.gz") else "baseline"
        assert nlm.bytes_sent(name) == (mirror_root / folder / name).stat().st_size
    assert not [p for p in sync_env.downloads_dir.rglob("*") if p.is_file()]

    # A re-run (the daily cron) lists the folders and downloads nothing.
    before = len(nlm.requests)
    assert _sync()["ingested"] == []
    assert all(r.path.endswith("/") for r in nlm.requests[before:])

    # NLM publishes the next update file: only it is fetched.
    new = mirror_root / "updatefiles" / "pubmed26n1336.xml.gz"
    shutil.copy(alzheimer_dir / "pubmed_200_to_299.xml.gz", new)
    write_md5(new)
    before = len(nlm.requests)
    assert _sync("--updates")["ingested"] == ["pubmed26n1336.xml.gz"]
    assert [r.path.rsplit("/", 1)[-1] for r in nlm.requests[before:] if r.method == "GET" and not r.path.endswith("/")] == [
        "pubmed26n1336.xml.gz.md5", "pubmed26n1336.xml.gz"]
    assert _pmids(new) <= set(store.all_pmids())


def test_a_dropped_connection_is_resumed_with_a_range_request(sync_env, nlm, mirror_root):
    name = "pubmed26n1333.xml.gz"
    size = (mirror_root / "baseline" / name).stat().st_size
    nlm.faults.drop_after[name] = 100_000
    assert name in _sync("--baseline")["ingested"]
    gets = nlm.gets(name)
    assert [(g.range, g.status) for g in gets] == [(None, 200), ("bytes=100000-", 206)]
    assert nlm.bytes_sent(name) == size  # not a byte downloaded twice


def test_a_run_killed_mid_download_continues_from_its_partial_file(sync_env, nlm, mirror_root):
    name = "pubmed26n1332.xml.gz"
    data = (mirror_root / "baseline" / name).read_bytes()
    partial = sync_env.downloads_dir / "pubmed" / "baseline" / (name + ".part")
    partial.parent.mkdir(parents=True)
    partial.write_bytes(data[:50_000])
    # And a file a killed run had downloaded and verified but not ingested yet: used as it is.
    done = sync_env.downloads_dir / "pubmed" / "baseline" / "pubmed26n1333.xml.gz"
    shutil.copy(mirror_root / "baseline" / "pubmed26n1333.xml.gz", done)
    report = _sync("--baseline")
    assert report["ingested"] == ["pubmed26n1332.xml.gz", "pubmed26n1333.xml.gz", "pubmed26n1334.xml.gz"]
    assert [(g.range, g.status) for g in nlm.gets(name)] == [("bytes=50000-", 206)]
    assert nlm.bytes_sent(name) == len(data) - 50_000
    assert nlm.gets("pubmed26n1333.xml.gz") == []
    assert report["downloaded_bytes"] == len(data) - 50_000 + (mirror_root / "baseline" / "pubmed26n1334.xml.gz").stat().st_size


def test_bytes_that_fail_their_md5_are_downloaded_once_more(sync_env, nlm):
    nlm.faults.corrupt_once.add("pubmed26n1334.xml.gz")
    report = _sync("--baseline")
    assert report["redownloaded"] == ["pubmed26n1334.xml.gz"] and "pubmed26n1334.xml.gz" in report["ingested"]
    assert [g.status for g in nlm.gets("pubmed26n1334.xml.gz")] == [200, 200]


def test_a_file_whose_md5_never_matches_is_reported_and_never_ingested(sync_env, nlm, mirror_root):
    write_md5(mirror_root / "baseline" / "pubmed26n1333.xml.gz", digest="0" * 32)
    line = one_line_error(runner.invoke(app, ["sync"]))
    assert line.startswith("error: pubmed26n1333.xml.gz: MD5 mismatch after downloading it twice (expected 00000000")
    assert line.endswith("not ingested")
    store = open_store(sync_env)
    assert [f.name for f in store.ingested_files()] == ["pubmed26n1332.xml.gz"]  # stopped in order, 1334/1335 wait
    assert not _pmids(mirror_root / "baseline" / "pubmed26n1333.xml.gz") & set(store.all_pmids())
    assert len(nlm.gets("pubmed26n1333.xml.gz")) == 2
    assert not list((sync_env.downloads_dir / "pubmed" / "baseline").iterdir())


def test_a_truncated_file_rolls_back_and_is_not_downloaded_again(sync_env, nlm, mirror_root):
    """NLM published a cut-off file with a checksum of its cut-off bytes: the parse fails near the end, and none of
    the records read before that stay in the store."""
    path = mirror_root / "baseline" / "pubmed26n1333.xml.gz"
    path.write_bytes(path.read_bytes()[: path.stat().st_size * 3 // 4])
    write_md5(path)
    line = one_line_error(runner.invoke(app, ["sync", "--baseline"]))
    assert line.startswith("error: pubmed26n1333.xml.gz: truncated or corrupt gzip") and "nothing of it was ingested" in line
    store = open_store(sync_env)
    assert [f.name for f in store.ingested_files()] == ["pubmed26n1332.xml.gz"]
    records_before = store.stats().records
    assert records_before == len(_pmids(mirror_root / "baseline" / "pubmed26n1332.xml.gz"))
    runner.invoke(app, ["sync", "--baseline"])
    assert len(nlm.gets("pubmed26n1333.xml.gz")) == 1  # complete and verified: kept, not fetched again
    assert store.stats().records == records_before


@pytest.mark.parametrize("statuses", [[429], [500], [503], [429, 500, 503]])
def test_http_errors_are_retried(sync_env, nlm, statuses):
    nlm.faults.statuses["pubmed26n1334.xml.gz"] = list(statuses)
    nlm.faults.statuses["baseline"] = [503]  # the listing too
    assert "pubmed26n1334.xml.gz" in _sync("--baseline")["ingested"]
    asked = [(r.method, r.status) for r in nlm.requests if r.path.endswith("/pubmed26n1334.xml.gz")]
    assert asked == [("HEAD", s) for s in statuses] + [("HEAD", 200), ("GET", 200)]
    assert [r.status for r in nlm.requests if r.path.endswith("/baseline/")][:2] == [503, 200]


def test_a_mirror_that_keeps_failing_is_one_clear_line(sync_env, nlm):
    nlm.faults.statuses["pubmed26n1332.xml.gz"] = [503] * 10
    line = one_line_error(runner.invoke(app, ["sync"]))
    assert line == (f"error: HEAD {nlm.base_url}baseline/pubmed26n1332.xml.gz: HTTP 503 Service Unavailable"
                    " (gave up after 4 attempts)")


def test_disk_space_is_checked_before_downloading(sync_env, nlm, mirror_root, monkeypatch):
    monkeypatch.setenv("MEDBRIDGE_PUBMED__DOWNLOAD_LIMIT_MB", "0.1")
    line = one_line_error(runner.invoke(app, ["sync"]))
    size = (mirror_root / "baseline" / "pubmed26n1332.xml.gz").stat().st_size
    assert line == (f"error: not enough disk space to download pubmed26n1332.xml.gz: {size / 1e6:,.1f} MB needed, "
                    "0.1 MB left under pubmed.download_limit_mb = 0.1")
    assert _data_gets(nlm) == [] and open_store(sync_env).stats().records == 0
    monkeypatch.setenv("MEDBRIDGE_PUBMED__DOWNLOAD_LIMIT_MB", "1")  # room for one file at a time
    assert len(_sync()["ingested"]) == 4


def test_max_files_and_a_missing_checksum(sync_env, nlm, mirror_root):
    assert _sync("--max-files", "1")["ingested"] == ["pubmed26n1332.xml.gz"]
    (mirror_root / "baseline" / "pubmed26n1334.xml.gz.md5").unlink()  # NLM still uploading
    result = runner.invoke(app, ["sync"])
    assert result.exit_code == 0, result.output
    assert "pubmed26n1334.xml.gz has no .md5 on the mirror yet; stopped before it" in " ".join(result.stderr.split())
    assert [f.name for f in open_store(sync_env).ingested_files()] == ["pubmed26n1332.xml.gz", "pubmed26n1333.xml.gz"]


def test_a_file_mirror_is_verified_and_ingested_in_place(settings, mirror_root):
    report = _sync("--mirror", mirror_root.as_uri())
    assert len(report["ingested"]) == 4 and report["downloaded_bytes"] == 0
    assert not settings.downloads_dir.exists() or not [p for p in settings.downloads_dir.rglob("*") if p.is_file()]

    fresh = settings.home.parent / "other-home"
    write_md5(mirror_root / "baseline" / "pubmed26n1332.xml.gz", digest="f" * 32)
    result = runner.invoke(app, ["sync", "--mirror", mirror_root.as_uri()], env={"MEDBRIDGE_HOME": str(fresh)})
    assert "MD5 mismatch on the mirror" in one_line_error(result)


def test_a_mirror_that_is_not_there_is_one_clear_line(settings, tmp_path):
    assert "has no baseline/ folder" in one_line_error(runner.invoke(app, ["sync", "--mirror", (tmp_path / "none").as_uri()]))
    assert "give an http(s):// URL" in one_line_error(runner.invoke(app, ["sync", "--mirror", "ftp://example.org/pubmed/"]))


def test_the_web_api_syncs_as_a_job_and_an_index_job_follows(sync_env, nlm, mirror_root):
    """A department's way in: the sync runs as a job (not in the request), then an index job brings the new records
    into search; a search made meanwhile never applies the backlog itself."""
    import time

    from fastapi.testclient import TestClient

    from medbridge.web.app import create_app

    settings = sync_env.model_copy(update={
        "llm": sync_env.llm.model_copy(update={"backend": "none"}),
        "ingest": sync_env.ingest.model_copy(update={"sample_on_first_run": False}),
        "pubmed": sync_env.pubmed.model_copy(update={"mirror_url": nlm.base_url, "backoff_s": 0.01, "max_retries": 3}),
        "search": sync_env.search.model_copy(update={"dense": False})})  # embedding 300 records on CPU is minutes
    client = TestClient(create_app(settings))
    assert client.post("/api/sync", json={"max_files": 0}).status_code == 422
    started = client.post("/api/sync", json={"baseline": True, "updates": True})
    assert started.status_code == 201, started.text

    def finished(path: str) -> dict:
        deadline = time.monotonic() + 180
        while (job := client.get(path).json())["state"] in ("queued", "running"):
            assert time.monotonic() < deadline, job
            time.sleep(0.2)
        return job

    sync_job = finished(f"/api/sync/{started.json()['id']}")
    assert sync_job["state"] == "done", sync_job["message"]
    assert len(sync_job["result"]["ingested"]) == 4
    assert sync_job["done"] == sync_job["total"] == 4
    stored = open_store(settings).stats().records
    index_jobs = client.get("/api/index").json()
    assert len(index_jobs) == 1  # queued by the sync; searches meanwhile hand the backlog to it, not a second job
    index_job = finished(f"/api/index/{index_jobs[0]['id']}")
    assert index_job["state"] == "done" and index_job["result"]["indexed"] == stored, index_job
    hits = client.get("/api/search", params={"q": "Alzheimer disease"}).json()
    assert hits["total"] > 0 and DELETED_IN_1335 not in {h["pmid"] for h in hits["hits"]}
    assert len(client.get("/api/index").json()) == 1  # nothing left behind: no new index job
