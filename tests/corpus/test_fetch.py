"""``medbridge fetch`` against a loopback E-utilities server serving the real Alzheimer records: history-server
paging, NCBI's rate limits, the 9,999-record cap split by publication dates, resuming, and every fault NCBI
answers with."""

from __future__ import annotations

import dataclasses
import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import httpx
import pytest
from typer.testing import CliRunner

from medbridge.cli.main import app
from medbridge.corpus.eutils import EutilsClient, Fetcher
from medbridge.corpus.ingest import ingest_paths
from medbridge.corpus.pubmed import iter_pubmed
from medbridge.corpus.remote import RemoteError
from medbridge.store import open_store
from pubmed_servers import FakeEutils, load_articles, one_line_error, pubmed_xml, with_copies

runner = CliRunner()
TERM = "cerebrospinal fluid"  # a few hundred of the 3,690 records: several batches, a few seconds at 3 requests/s
GOOD_KEY = "0123456789abcdef0123456789abcdef0123"


@pytest.fixture(scope="module")
def articles(alzheimer_dir):
    return load_articles(sorted(alzheimer_dir.glob("*.xml.gz")))


@pytest.fixture
def eutils(articles):
    with FakeEutils(articles, valid_keys={GOOD_KEY}) as server:
        yield server


@pytest.fixture
def fetch_env(settings, eutils, monkeypatch):
    """CLI settings pointing at the loopback server, with short backoffs; returns the settings for the library."""
    values = {"EUTILS_URL": eutils.base_url, "EFETCH_BATCH": "100", "BACKOFF_S": "0.01", "MAX_RETRIES": "3"}
    for key, value in values.items():
        monkeypatch.setenv(f"MEDBRIDGE_PUBMED__{key}", value)
    pubmed = settings.pubmed.model_copy(update={"eutils_url": eutils.base_url, "efetch_batch": 100, "backoff_s": 0.01, "max_retries": 3})
    return settings.model_copy(update={"pubmed": pubmed})


def test_the_fake_enforces_ncbi_rate_limit_and_keys(eutils):
    """The stand-in is strict where NCBI is: more than 3 requests within a second are refused, a bad key is a 400."""
    url = eutils.base_url + "esearch.fcgi"
    with httpx.Client() as client, ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(lambda _: client.get(url, params={"db": "pubmed", "term": "tau"}).status_code, range(6)))
        assert statuses.count(200) <= 3 and statuses.count(429) >= 3
        bad = client.get(url, params={"db": "pubmed", "term": "tau", "api_key": "nope"})
        assert bad.status_code == 400 and bad.json()["error"] == "API key invalid"


def test_fetch_a_topic_end_to_end(fetch_env, eutils, articles, tmp_path):
    expected = {a.pmid for a in eutils.matching(TERM, None, None)}
    assert 200 < len(expected) < 1000
    result = runner.invoke(app, ["fetch", TERM, "--email", "reader@example.org"])
    assert result.exit_code == 0, result.output
    assert f"{len(expected):,} record(s) matched: {len(expected):,} fetched" in result.stderr

    store = open_store(fetch_env)
    assert set(store.all_pmids()) == expected
    # What was stored is exactly what ingesting the same real records from a file gives.
    reference = tmp_path / "reference.xml"
    reference.write_bytes(pubmed_xml(a for a in articles if a.pmid in expected))
    for record in iter_pubmed(reference):
        assert store.get_record(record.pmid).to_dict() == record.to_dict()

    # NCBI's rules: identified requests, history server, batches by retstart, never over 3 requests/s.
    assert all(r.params.get("tool") == "medbridge" and r.params.get("email") == "reader@example.org" for r in eutils.requests)
    assert eutils.count("esearch.fcgi") == 1 and eutils.requests[0].params["usehistory"] == "y"
    fetches = [r for r in eutils.requests if r.endpoint == "efetch.fcgi"]
    assert [int(r.params["retstart"]) for r in fetches] == list(range(0, len(expected), 100))
    assert all(r.params["WebEnv"].startswith("MCID_") and r.params["query_key"] == "1" for r in fetches)
    assert eutils.count("efetch.fcgi", 429) == 0 and eutils.count("esearch.fcgi", 429) == 0

    # Fetching again asks only the search: everything is already stored.
    before = len(eutils.requests)
    again = runner.invoke(app, ["fetch", TERM, "--json"])
    assert again.exit_code == 0, again.output
    report = json.loads(again.stdout)
    assert report["fetched"] == 0 and report["already_stored"] == len(expected)
    assert [r.endpoint for r in eutils.requests[before:]] == ["esearch.fcgi"]


def test_an_interrupted_fetch_resumes_with_only_what_is_missing(fetch_env, eutils):
    expected = [a.pmid for a in eutils.matching(TERM, None, None)]
    # The third batch fails every attempt: NCBI keeps answering 503.
    eutils.faults.extend([("efetch.fcgi", "ok"), ("efetch.fcgi", "ok")] + [("efetch.fcgi", "503")] * 4)
    result = runner.invoke(app, ["fetch", TERM])
    line = one_line_error(result)
    assert line == (f"error: efetch records 201–{min(300, len(expected))} of a search: HTTP 503 Service Unavailable"
                    " (gave up after 4 attempts)")
    store = open_store(fetch_env)
    assert set(store.all_pmids()) == set(expected[:200])  # two whole batches, nothing of the third

    before = len(eutils.requests)
    result = runner.invoke(app, ["fetch", TERM])
    assert result.exit_code == 0, result.output
    starts = [int(r.params["retstart"]) for r in eutils.requests[before:] if r.endpoint == "efetch.fcgi"]
    assert starts == list(range(200, len(expected), 100))
    assert set(store.all_pmids()) == set(expected)


@pytest.mark.parametrize("fault", ["429", "500", "503", "drop", "html", "error"])
def test_transient_faults_are_retried(fetch_env, eutils, fault):
    store = open_store(fetch_env)
    with EutilsClient(fetch_env.pubmed) as client:
        eutils.faults.append(("efetch.fcgi", fault))
        report = Fetcher(store, client, fetch_env.downloads_dir).fetch_query("tau phosphorylation", max_records=80)
    assert report.fetched == 80 and len(store.all_pmids()) == 80
    fetches = [r for r in eutils.requests if r.endpoint == "efetch.fcgi"]
    assert len(fetches) == 2 and fetches[0].params == fetches[1].params
    assert not list((fetch_env.downloads_dir / "efetch").iterdir())  # batch files do not pile up


@pytest.mark.parametrize(("fault", "says"), [
    ("error", "NCBI error: Unable to obtain query #1"),
    ("html", "an HTML page instead of XML (NCBI - WWW Error 502)"),
    ("drop", "connection failed (RemoteProtocolError"),
])
def test_a_persistent_bad_reply_is_one_clear_line_and_nothing_is_ingested(fetch_env, eutils, fault, says):
    eutils.faults.extend([("efetch.fcgi", fault)] * 4)
    line = one_line_error(runner.invoke(app, ["fetch", TERM]))
    assert says in line and "efetch records 1–100" in line
    assert open_store(fetch_env).stats().records == 0


def test_an_invalid_api_key_is_reported_at_once(fetch_env, eutils):
    line = one_line_error(runner.invoke(app, ["fetch", TERM, "--api-key", "not-a-key"]))
    assert line == ("error: esearch 'cerebrospinal fluid': NCBI refused the request (HTTP 400): API key invalid"
                    " — check --api-key or the pubmed.api_key setting")
    assert len(eutils.requests) == 1  # a refusal is not retried


def test_max_beyond_the_history_cap_is_split_by_publication_date(settings, articles):
    """11,070 records (the real ones and two renumbered copies): --max 10500 gets exactly the newest 10,500
    although PubMed's history server stops at 9,999."""
    many = with_copies(articles, 3)
    assert len(many) == 3 * 3_690
    with FakeEutils(many, valid_keys={GOOD_KEY}) as server:
        pubmed = settings.pubmed.model_copy(update={"eutils_url": server.base_url, "backoff_s": 0.01})
        store = open_store(settings)
        with EutilsClient(pubmed, api_key=GOOD_KEY) as client:
            report = Fetcher(store, client, settings.downloads_dir).fetch_query("all[sb]", max_records=10_500)
        newest = [a.pmid for a in server.matching("all[sb]", None, None)][:10_500]
        assert report.total == 10_500 and report.fetched == 10_500
        assert set(store.all_pmids()) == set(newest)
        searches = [r.params for r in server.requests if r.endpoint == "esearch.fcgi"]
        assert len(searches) > 2 and all(p.get("datetype") == "pdat" for p in searches[1:])
        assert all(int(r.params["retstart"]) + int(r.params["retmax"]) <= 9_999
                   for r in server.requests if r.endpoint == "efetch.fcgi" and "WebEnv" in r.params)
        assert all(r.params["api_key"] == GOOD_KEY for r in server.requests)
        assert server.count("efetch.fcgi", 429) == 0 and server.count("esearch.fcgi", 429) == 0


def test_since_keeps_to_records_published_from_that_date(fetch_env, eutils):
    result = runner.invoke(app, ["fetch", "amyloid", "--since", "2015-06", "--max", "150"])
    assert result.exit_code == 0, result.output
    store = open_store(fetch_env)
    records = store.get_records(store.all_pmids())
    assert len(records) == 150 and all(r.year >= 2015 for r in records.values())
    search = eutils.requests[0].params
    assert (search["datetype"], search["mindate"]) == ("pdat", "2015/06/01")


def test_a_pmid_list_fetches_only_what_is_missing(fetch_env, eutils, alzheimer_dir, tmp_path):
    store = open_store(fetch_env)
    ingest_paths(store, [alzheimer_dir / "pubmed_0_to_99.xml.gz"])
    have = store.all_pmids()[:5]
    wanted = [a.pmid for a in eutils.articles[-20:]]
    listing = tmp_path / "pmids.txt"
    listed = list(dict.fromkeys(have + wanted + [99999999]))
    listing.write_text("# my reading list\n" + "\n".join(map(str, listed)) + "\n\n")
    stored_before = set(store.all_pmids())
    missing = [p for p in listed if p not in stored_before]
    result = runner.invoke(app, ["fetch", "--pmids", str(listing), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"total": len(listed), "fetched": len(missing) - 1,
                                         "already_stored": len(listed) - len(missing), "not_returned": 1, "warnings": []}
    posted = [r for r in eutils.requests if r.endpoint == "efetch.fcgi"]
    assert len(posted) == 1 and posted[0].method == "POST"
    asked = set(map(int, posted[0].params["id"].split(",")))
    assert asked.isdisjoint(have) and 99999999 in asked
    assert set(wanted) <= set(store.all_pmids())

    listing.write_text("12345\nPMC1234\n")
    line = one_line_error(runner.invoke(app, ["fetch", "--pmids", str(listing)]))
    assert line == f"error: {listing}, line 2: not a PMID: 'PMC1234'"


def test_bad_arguments_are_one_clear_line(fetch_env):
    assert "give a QUERY or --pmids FILE" in one_line_error(runner.invoke(app, ["fetch"]))
    assert "not a date: '2020-13'" in one_line_error(runner.invoke(app, ["fetch", "tau", "--since", "2020-13"]))


def test_an_unreachable_server_is_one_clear_line(settings, monkeypatch):
    monkeypatch.setenv("MEDBRIDGE_PUBMED__EUTILS_URL", "http://127.0.0.1:9/entrez/eutils/")
    monkeypatch.setenv("MEDBRIDGE_PUBMED__MAX_RETRIES", "1")
    monkeypatch.setenv("MEDBRIDGE_PUBMED__BACKOFF_S", "0")
    line = one_line_error(runner.invoke(app, ["fetch", "tau"]))
    assert line.startswith("error: esearch 'tau': connection failed (ConnectError") and "gave up after 2 attempts" in line


def test_fetch_and_its_errors_raise_remote_error_in_the_library(fetch_env, eutils):
    eutils.faults.extend([("esearch.fcgi", "500")] * 4)
    with EutilsClient(fetch_env.pubmed) as client, pytest.raises(RemoteError, match="HTTP 500"):
        client.esearch("tau")


def test_the_web_api_fetches_as_a_background_job(fetch_env, eutils):
    from fastapi.testclient import TestClient

    from medbridge.web.app import create_app

    settings = fetch_env.model_copy(update={"llm": fetch_env.llm.model_copy(update={"backend": "none"})})
    client = TestClient(create_app(settings))
    # Two fetches at once share NCBI's per-site budget of 3 requests/s.
    started = [client.post("/api/fetch", json=body) for body in ({"query": TERM, "max": 150}, {"query": "tau", "max": 120})]
    assert [r.status_code for r in started] == [201, 201], started[0].text
    deadline = time.monotonic() + 180
    jobs = []
    for job_id in (r.json()["id"] for r in started):
        while (job := client.get(f"/api/fetch/{job_id}").json())["state"] in ("queued", "running"):
            assert time.monotonic() < deadline, job
            time.sleep(0.2)
        jobs.append(job)
    assert [(j["state"], j["result"]["total"], j["done"]) for j in jobs] == [("done", 150, 150), ("done", 120, 120)]
    newest = [a.pmid for a in eutils.matching(TERM, None, None)][:150] + [a.pmid for a in eutils.matching("tau", None, None)][:120]
    assert set(open_store(settings).all_pmids()) == set(newest)
    assert eutils.count("efetch.fcgi", 429) == 0 and eutils.count("esearch.fcgi", 429) == 0
    assert {j["id"] for j in client.get("/api/fetch").json()} == {j["id"] for j in jobs}
    assert client.get("/api/index").json(), "the fetched records are indexed by a job that follows the fetch"

    bad = client.post("/api/fetch", json={"query": TERM, "since": "last year"})
    assert bad.status_code == 400 and bad.json()["error"].startswith("not a date: 'last year'")
    assert client.post("/api/fetch", json={}).status_code == 422


def test_more_records_on_one_day_than_the_cap_is_said_plainly(settings, articles, monkeypatch):
    """Bisecting cannot split a single publication date. The cap is lowered to 50 on both sides (NCBI's is 9,999)
    so that 120 records dated the same day show it without 10,000 of them."""
    import medbridge.corpus.eutils as eutils_module
    import pubmed_servers

    monkeypatch.setattr(eutils_module, "HISTORY_CAP", 50)
    monkeypatch.setattr(pubmed_servers, "HISTORY_CAP", 50)
    same_day = [dataclasses.replace(a, pdat=date(2020, 3, 1)) for a in articles[:120]]
    with FakeEutils(same_day + articles[120:130], valid_keys={GOOD_KEY}) as server:
        pubmed = settings.pubmed.model_copy(update={"eutils_url": server.base_url, "backoff_s": 0.01})
        with EutilsClient(pubmed, api_key=GOOD_KEY) as client:
            report = Fetcher(open_store(settings), client, settings.downloads_dir).fetch_query("all[sb]")
    assert report.total == 130 and report.fetched == 60  # the 10 other records, 50 of the crowded day
    assert report.warnings == ["120 records share the publication date 2020-03-01: PubMed lets only 50 of them be "
                               "retrieved through esearch"]
