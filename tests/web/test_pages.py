"""Pages and JSON over HTTP with the real app on the sample corpus."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from lxml import html

from medbridge.web.app import create_app


@pytest.fixture(scope="module")
def client(sample_settings):
    return TestClient(create_app(sample_settings))


def test_home_has_search_box_and_counts(client):
    page = html.fromstring(client.get("/").text)
    assert page.xpath("//form[@action='/search']//input[@name='q']")
    assert "3,690" in page.get_element_by_id("corpus-stats").text_content()


def test_record_page_shows_every_field(client):
    response = client.get("/records/19622817")
    assert response.status_code == 200
    page = html.fromstring(response.text)
    assert page.xpath("string(//h1[@class='record-title'])").startswith("CSF biomarkers and incipient Alzheimer")
    labels = [e.text_content() for e in page.xpath("//div[@class='source']/h3[@class='section-label']")]
    assert labels[0] == "CONTEXT" and labels[-1] == "CONCLUSIONS"
    authors = [e.text_content() for e in page.xpath("//li[@class='author']")]
    assert authors[0] == "Niklas Mattsson1" and len(authors) == 29
    assert "Sahlgrenska" in page.xpath("string(//details[@class='affiliations'])")
    majors = [e.text_content() for e in page.xpath("//li[contains(@class,'mesh-term') and contains(@class,'major')]")]
    assert "*Alzheimer Disease/*cerebrospinal fluid/*diagnosis" in majors
    assert page.xpath("//a[@class='doi-link']/@href") == ["https://doi.org/10.1001/jama.2009.1064"]
    assert page.xpath("//a[@class='pubmed-link']/@href") == ["https://pubmed.ncbi.nlm.nih.gov/19622817/"]
    assert {a.get("href").split("=")[-1] for a in page.xpath("//section[@class='export']//a")} == {"ris", "bibtex", "medline"}


def test_record_markup_rendered_and_text_escaped(client):
    page = client.get("/records/29113975").text
    assert "<i>C9orf72</i>" in page
    # "P < .001" in the abstract must arrive escaped, never as a tag
    assert "P &lt; .001" in client.get("/records/19622817").text


def test_pmc_link_and_references_in_corpus(client):
    page = html.fromstring(client.get("/records/19260027").text)
    assert page.xpath("//a[@class='pmc-link']/@href") == ["https://www.ncbi.nlm.nih.gov/pmc/articles/PMC2763631/"]


def test_export_download(client):
    response = client.get("/records/19622817/export?format=medline")
    assert response.status_code == 200 and response.text.startswith("PMID- 19622817")
    assert 'filename="pmid19622817.nbib"' in response.headers["content-disposition"]
    assert client.get("/records/19622817/export?format=doc").status_code == 422


def test_unknown_pmid_page_and_api(client):
    response = client.get("/records/1")
    assert response.status_code == 404 and "本地文献库中没有 PMID 1" in response.text
    assert "PMID 1 is not in the local corpus" in client.get("/records/1?lang=en").text
    assert client.get("/api/records/1").json() == {"error": "PMID 1 is not in the corpus"}
    assert client.get("/api/records/19622817").json()["doi"] == "10.1001/jama.2009.1064"


def test_english_ui(client):
    assert "Search" in client.get("/?lang=en").text
    assert "Search" in client.get("/").text  # the choice is remembered in a cookie
    assert "文献检索" in client.get("/?lang=zh").text
