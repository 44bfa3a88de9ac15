"""Bilingual record pages: cached translations beside the English, on-demand translation streamed as
server-sent events, model output sanitised — with the real small GGUF through the local backend."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from lxml import html
from selenium.webdriver.common.by import By

from medbridge.corpus.pubmed import sanitize_inline_markup
from medbridge.services import Services
from medbridge.store import open_store
from medbridge.translate.records import record_texts
from medbridge.web.app import create_app

TITLE_ONLY_PMID = 11460100  # a news item: title, no abstract — one short unit to translate


@pytest.fixture
def model_settings(sample_copy_settings, with_small_model):
    return with_small_model(sample_copy_settings)


def test_model_output_is_reduced_to_safe_markup():
    assert sanitize_inline_markup('氯胺酮 <i>in vivo</i> <script>x()</script><b onclick="y">粗</b>') == \
        "氯胺酮 <i>in vivo</i> x()<b>粗</b>"
    assert sanitize_inline_markup("P &lt; .001") == "P &lt; .001"


@pytest.mark.slow
def test_stream_translates_then_page_shows_cached_translation(model_settings):
    client = TestClient(create_app(model_settings))
    store = open_store(model_settings)
    assert not store.get_record(TITLE_ONLY_PMID).abstract
    page = html.fromstring(client.get(f"/records/{TITLE_ONLY_PMID}").text)
    assert page.xpath("string(//p[contains(@class,'translated-title')])") == ""
    assert page.xpath("//script[@src='/static/translation.js']")

    with client.stream("GET", f"/api/records/{TITLE_ONLY_PMID}/translation?to=zh") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [json.loads(line[len("data: "):]) for line in response.iter_lines() if line.startswith("data: ")]
    assert [e["type"] for e in events] == ["start", "unit", "done"]
    assert events[1]["index"] == 0 and events[1]["target"].strip()

    # Now cached: the page renders it beside the English without streaming again.
    page = html.fromstring(client.get(f"/records/{TITLE_ONLY_PMID}").text)
    assert page.xpath("string(//p[contains(@class,'translated-title')])").strip()
    assert not page.xpath("//script[@src='/static/translation.js']")
    translator = Services(model_settings, store=store).translator
    cached = translator.lookup(record_texts(store.get_record(TITLE_ONLY_PMID)), source="en", target="zh", markup=True)
    assert cached[0] is not None and cached[0].from_cache
    # Search results show the cached title translation beside the English.
    hits = client.get("/api/search", params={"q": "Referendum stalls Japanese nuclear power"}).json()["hits"]
    hit = next(h for h in hits if h["pmid"] == TITLE_ONLY_PMID)
    assert hit["title_zh"] and "<" not in hit["title_zh"]


def test_unsupported_language_and_unknown_record(sample_settings):
    client = TestClient(create_app(sample_settings))
    assert client.get("/api/records/1/translation?to=zh").status_code == 404
    response = client.get("/api/records/19622817/translation?to=xx")
    assert response.status_code == 400 and "zh" in response.json()["error"]


def test_page_without_a_model_still_shows_english(sample_settings):
    client = TestClient(create_app(sample_settings))
    page = html.fromstring(client.get("/records/19622817").text)
    assert "未配置翻译模型" in page.xpath("string(//span[@id='translation-status'])")
    assert not page.xpath("//script[@src='/static/translation.js']")
    assert page.xpath("string(//h1[@class='record-title'])").startswith("CSF biomarkers")
    assert len(page.xpath("//div[contains(@class,'abstract-section')]//div[@class='source']")) == 6


@pytest.mark.browser
def test_bilingual_columns_in_the_browser(browser, live_server, sample_settings):
    """Sections sit beside their English source; with no model configured the page says so."""
    record = open_store(sample_settings).get_record(19622817)
    browser.get(live_server + "/records/19622817?to=zh&lang=zh")
    sources = browser.find_elements(By.CSS_SELECTOR, ".abstract-section.bilingual .source")
    targets = browser.find_elements(By.CSS_SELECTOR, ".abstract-section.bilingual .target")
    assert len(sources) == len(targets) == len(record.abstract)
    assert sources[0].location["y"] == targets[0].location["y"]  # side by side, not stacked
    assert sources[0].location["x"] < targets[0].location["x"]
    assert "未配置翻译模型" in browser.find_element(By.ID, "translation-status").text
