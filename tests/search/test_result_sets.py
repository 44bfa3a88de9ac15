"""The result set is what the query shown matches: counts, facets and related records on the real sample.

Membership is checked record by record with the benchmark's plain-Python concept check (not the index that
chose the records), so a count that includes vector neighbours or records lacking a concept fails here."""

import importlib.util
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from medbridge.cli.main import app as cli_app
from medbridge.search import SearchOptions
from medbridge.search.understand import Filters
from medbridge.web.app import create_app

REPO = Path(__file__).resolve().parents[2]
KETAMINE_RECORDS = {34233180, 51460}  # the only sample records naming ketamine (text or MeSH)


@pytest.fixture(scope="module")
def quality():
    """benchmarks/search_quality.py, for its independent concept check and facet agreement."""
    spec = importlib.util.spec_from_file_location("search_quality", REPO / "benchmarks" / "search_quality.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def check(quality, sample_engine):
    return quality.ConceptCheck(sample_engine.index.terms)


def members(sample_engine, sample_store, check, query: str) -> set[int]:
    """Every sample record that contains all required concepts of ``query`` (no index involved)."""
    required = sample_engine.search(query, SearchOptions(limit=1)).interpretation.required_concepts
    return {r.pmid for r in sample_store.iter_records() if all(check.contains(r, c) for c in required)}


@pytest.mark.parametrize("query", ["阿尔茨海默病的脑脊液生物标志物", "metformin cognition", "氯胺酮为什么起效快"])
def test_total_is_the_set_the_query_matches(sample_engine, sample_store, check, query):
    expected = members(sample_engine, sample_store, check, query)
    result = sample_engine.search(query, SearchOptions(limit=1000))
    assert result.total == len(expected) == len(result.hits)
    assert {h.pmid for h in result.hits} == expected
    assert all(not h.missing for h in result.hits)


def test_many_matches_fill_pages_without_related_records(sample_engine):
    result = sample_engine.search("阿尔茨海默病的脑脊液生物标志物", SearchOptions(limit=20))
    assert 40 < result.total < 200 and len(result.hits) == 20 and not result.few
    assert result.relaxed == [] and result.absent == []


def test_one_concept_named_by_few_records_is_said_honestly_with_related_records_apart(sample_engine):
    result = sample_engine.search("氯胺酮为什么起效快", SearchOptions(limit=20))
    assert result.total == 2 and {h.pmid for h in result.hits} == KETAMINE_RECORDS
    assert [c.source for c in result.interpretation.required_concepts] == ["氯胺酮"]
    assert len(result.relaxed) == 18 and not {h.pmid for h in result.relaxed} & KETAMINE_RECORDS
    assert all(h.missing == ("氯胺酮",) for h in result.relaxed)
    assert result.facets["year"] and sum(c for _, c in result.facets["has_abstract"]) == 2


def test_a_concept_missing_from_the_corpus_is_reported_for_fetching(sample_engine):
    result = sample_engine.search("利妥昔单抗", SearchOptions(limit=20))
    assert result.total == 0 and result.hits == []
    assert [c.source for c in result.absent] == ["利妥昔单抗"]
    data = result.to_dict()
    assert data["absent"][0]["fetch"] == 'medbridge fetch "Rituximab"'


def test_gibberish_finds_nothing_not_neighbours(sample_engine):
    result = sample_engine.search("qwzxv plorkt", SearchOptions(limit=20))
    assert result.total == 0 and result.hits == [] and result.relaxed == []


def test_aspect_words_rank_without_restricting(sample_engine):
    result = sample_engine.search("why does ketamine act fast", SearchOptions(limit=20))
    assert [c.en for c in result.interpretation.ranking_concepts] == ["act", "fast"]
    assert "fast" not in result.interpretation.pubmed_query and result.total == 2


@pytest.mark.parametrize("query", ["阿尔茨海默病的脑脊液生物标志物", "tau protein pathology", "近五年的综述", "Alzheimer Disease[mh] AND 2010:2015[dp]"])
def test_every_facet_count_is_the_total_after_choosing_it(quality, sample_engine, query):
    agree, tried = quality.facet_agreement(sample_engine, query)
    assert tried > 10 and agree == tried


def test_facets_count_every_year_and_type(sample_engine):
    result = sample_engine.search("amyloid", SearchOptions(limit=1))
    years = [int(y) for y, _ in result.facets["year"]]
    assert sum(c for _, c in result.facets["year"]) == result.total  # every record has one year
    assert min(years) < 1990 and len(years) > 30
    assert "Journal Article" in dict(result.facets["pt"])


def test_best_match_puts_comments_and_letters_after_research(sample_engine, sample_store):
    """Letters and comments score well on BM25 (short, on topic) yet come after the research records."""
    result = sample_engine.search("lecanemab", SearchOptions(limit=100))
    types = [sample_store.get_record(h.pmid).article_types for h in result.hits]
    tiers = [int(bool({"Comment", "Letter", "Editorial", "Published Erratum"} & set(t))) for t in types]
    assert 0 in tiers and 1 in tiers and tiers == sorted(tiers)
    asked = sample_engine.search("lecanemab", SearchOptions(limit=100, filters=Filters(publication_types=("Letter", "Comment"))))
    assert asked.total and asked.hits


def test_json_api_has_total_relaxed_and_fetch(sample_settings, sample_engine):
    client = TestClient(create_app(sample_settings))
    data = client.get("/api/search", params={"q": "氯胺酮为什么起效快"}).json()
    assert data["total"] == 2 and len(data["hits"]) == 2 and len(data["relaxed"]) == 18
    assert all(h["missing"] == ["氯胺酮"] for h in data["relaxed"])
    assert data["fetch"].startswith('medbridge fetch "Ketamine[mh] OR')
    empty = client.get("/api/search", params={"q": "tau", "year_from": "", "year_to": "", "has_abstract": ""})
    assert empty.status_code == 200 and empty.json()["total"] > 100
    bad = client.get("/api/search", params={"q": "tau", "year_from": "abc"})
    assert bad.status_code == 400 and bad.json()["invalid"] == [{"value": "abc"}]


def test_cli_says_how_many_records_mention_the_concept(sample_copy_settings):
    runner = CliRunner()
    text = runner.invoke(cli_app, ["search", "氯胺酮为什么起效快"])
    assert text.exit_code == 0, text.output
    assert "Only 2 record(s) in the local corpus mention “氯胺酮”" in text.stdout
    assert "Related records (not containing every search term)" in text.stdout and "lacks: 氯胺酮" in text.stdout
    data = json.loads(runner.invoke(cli_app, ["search", "利妥昔单抗", "--json"]).stdout)
    assert data["total"] == 0 and data["absent"][0]["concept"] == "利妥昔单抗"
    missing = runner.invoke(cli_app, ["search", "利妥昔单抗"])
    assert 'medbridge fetch "Rituximab"' in missing.stdout
