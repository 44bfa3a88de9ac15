"""The conversation JSON API, the /chat form flow, the record page's citation links and the CLI, on the sample."""

import json
import re

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from medbridge.cli.main import app
from medbridge.web.app import create_app


@pytest.fixture(scope="module")
def client(sample_settings, sample_engine):
    return TestClient(create_app(sample_settings))


def test_api_conversation_turns_and_reopen(client):
    created = client.post("/api/conversations", json={"text": "阿尔茨海默病的炎症"})
    assert created.status_code == 200
    data = created.json()
    conversation = data["conversation"]
    assert data["query"].startswith("(Alzheimer Disease[mh]")
    assert {"pmid", "title", "year", "publication_types", "cited_by", "recommendation"} <= set(data["hits"][0])
    follow = client.post(f"/api/conversations/{conversation}/messages", json={"text": "只要综述"}).json()
    assert follow["filters"]["publication_types"] == ["Review"]
    assert all("Review" in h["publication_types"] for h in follow["hits"])
    chip = client.post(f"/api/conversations/{conversation}/messages", json={"remove_chip": "type:Review"}).json()
    assert chip["filters"]["publication_types"] == []
    undone = client.post(f"/api/conversations/{conversation}/messages", json={"undo": True}).json()
    assert undone["filters"]["publication_types"] == ["Review"] and undone["can_undo"]
    reopened = client.get(f"/api/conversations/{conversation}").json()
    assert [t["text"] for t in reopened["turns"]][:2] == ["阿尔茨海默病的炎症", "只要综述"]
    assert reopened["query"] == undone["query"] and [h["pmid"] for h in reopened["hits"]] == [h["pmid"] for h in undone["hits"]]


def test_api_errors_are_json(client):
    assert client.get("/api/conversations/missing").status_code == 404
    created = client.post("/api/conversations", json={"text": "tau"}).json()
    bad = client.post(f"/api/conversations/{created['conversation']}/messages", json={"remove_chip": "sort"})
    assert bad.status_code == 400 and "no chip 'sort'" in bad.json()["error"]
    empty = client.post(f"/api/conversations/{created['conversation']}/messages", json={})
    assert empty.status_code == 400


def test_answer_without_a_model_says_so(client):
    created = client.post("/api/conversations", json={"text": "tau"}).json()
    with client.stream("GET", f"/api/conversations/{created['conversation']}/answer") as response:
        body = "".join(response.iter_text())
    assert json.loads(body.split("data: ", 1)[1]) == {"type": "unavailable"}


def test_chat_form_flow_and_share_url(client):
    response = client.post("/chat", data={"text": "阿尔茨海默病的脑脊液生物标志物"}, follow_redirects=False)
    assert response.status_code == 303
    url = response.headers["location"]
    page = client.get(url)
    assert "searched-for" in page.text and "推荐理由" in page.text and "被引" in page.text
    client.post(url, data={"text": "按被引次数排序"})
    shared = client.get(url + "?lang=en").text
    assert "Sorted by cited-by count" in shared and "Why recommended" in shared


def test_a_short_set_in_chat_is_told_honestly_with_related_records_and_the_fetch(client):
    """As on the search page: a concept few records name, and one the corpus lacks altogether."""
    few = client.post("/api/conversations", json={"text": "氯胺酮为什么起效快"}).json()
    assert few["total"] == 2 and len(few["hits"]) == 2
    assert len(few["relaxed"]) == 18 and all(h["missing"] == ["氯胺酮"] for h in few["relaxed"])
    assert not {h["pmid"] for h in few["relaxed"]} & {h["pmid"] for h in few["hits"]}
    page = client.get(f"/chat/{few['conversation']}?lang=zh").text
    assert "本地文献库中仅有 2 篇文献提到“氯胺酮”" in page and "相关文献（未包含全部检索词）" in page
    assert page.count('class="lacks"') == 18

    none = client.post("/api/conversations", json={"text": "利妥昔单抗"}).json()
    assert none["total"] == 0 and [a["concept"] for a in none["absent"]] == ["利妥昔单抗"]
    page = client.get(f"/chat/{none['conversation']}?lang=zh").text
    assert "本地文献库中没有关于“利妥昔单抗”的文献" in page and none["absent"][0]["fetch"] in page.replace("&#34;", '"')
    assert "没有结果。试试撤销或去掉一个条件。" not in page  # the honest line replaces the bare "no results"


def test_record_page_lists_references_and_cited_by_in_the_corpus(client, sample_store):
    cited = next(p for p, n in sample_store.cited_by_counts(sample_store.all_pmids()).items() if n >= 2)
    citing = [p for p in sample_store.citing(cited) if sample_store.get_record(p)]
    page = client.get(f"/records/{cited}?lang=zh").text
    assert f'<span class="cited-by-count">{len(sample_store.citing(cited))}</span>' in page
    assert f'href="/records/{citing[0]}"' in page
    record = sample_store.get_record(citing[0])
    page = client.get(f"/records/{citing[0]}?lang=zh").text
    assert f'href="/records/{cited}"' in page and f"{len(set(record.references))} 篇参考文献" in page


def test_cli_chat_json_prints_the_last_state(sample_settings, sample_engine, monkeypatch):
    monkeypatch.setenv("MEDBRIDGE_HOME", str(sample_settings.home))
    monkeypatch.setenv("MEDBRIDGE_LLM__BACKEND", "none")
    result = CliRunner().invoke(app, ["chat", "--json", "alzheimer disease csf biomarkers", "only reviews", "sort by citations"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= {"query", "filters", "concepts", "hits"}
    assert data["filters"]["publication_types"] == ["Review"] and data["sort"] == "cited_by"
    counts = [h["cited_by"] for h in data["hits"]]
    assert counts == sorted(counts, reverse=True)
    assert all(set(h) >= {"pmid", "title", "year", "publication_types", "cited_by"} for h in data["hits"])


def test_search_api_sorts_by_cited_by(client):
    data = client.get("/api/search", params={"q": "amyloid beta oligomers", "sort": "cited_by", "limit": 30}).json()
    counts = [h["cited_by"] for h in data["hits"]]
    assert counts == sorted(counts, reverse=True) and counts[0] > counts[-1]
    assert client.get("/api/search", params={"q": "tau", "sort": "citations"}).status_code == 400


def test_cli_chat_interactive(sample_settings, sample_engine, monkeypatch):
    monkeypatch.setenv("MEDBRIDGE_HOME", str(sample_settings.home))
    monkeypatch.setenv("MEDBRIDGE_LLM__BACKEND", "none")
    result = CliRunner().invoke(app, ["chat"], input="阿尔茨海默病的脑脊液生物标志物\n只要综述\n第1篇讲了什么\n撤销\nexit\n")
    assert result.exit_code == 0, result.output
    assert "添加：阿尔茨海默病 → Alzheimer Disease" in result.stdout and "筛选：综述" in result.stdout
    assert "第 1 篇（PMID" in result.stdout and "已撤销上一步" in result.stdout


@pytest.mark.slow
def test_cli_chat_answer_with_the_small_model(sample_settings, sample_engine, small_model_path, monkeypatch):
    monkeypatch.setenv("MEDBRIDGE_HOME", str(sample_settings.home))
    monkeypatch.setenv("MEDBRIDGE_LLM__BACKEND", "local")
    monkeypatch.setenv("MEDBRIDGE_LLM__MODEL_PATH", str(small_model_path))
    monkeypatch.setenv("MEDBRIDGE_LLM__N_CTX", "4096")
    result = CliRunner().invoke(app, ["chat", "CSF biomarkers for Alzheimer disease", "only reviews", "--answer"])
    assert result.exit_code == 0, result.output
    shown = [line for line in result.stdout.splitlines() if line.rstrip().endswith("]") and "[PMID " in line]
    hits = {int(p) for p in re.findall(r"PMID (\d+) ·", result.stdout)}
    for line in shown:  # every answer sentence shown cites records of this turn's results
        assert {int(p) for p in re.findall(r"\[PMID (\d+)\]", line)} <= hits
