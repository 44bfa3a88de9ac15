"""The JSON API and the search page through FastAPI's TestClient on the real sample."""

import pytest
from fastapi.testclient import TestClient

from medbridge.web.app import create_app

MATTSSON_2009 = 19622817


@pytest.fixture(scope="module")
def client(sample_settings, sample_engine):
    return TestClient(create_app(sample_settings))


def test_search_api_returns_interpretation_and_hits(client):
    response = client.get("/api/search", params={"q": "阿尔茨海默病的脑脊液生物标志物", "limit": 10})
    assert response.status_code == 200
    data = response.json()
    interpreted = data["interpreted"]
    assert interpreted["language"] == "zh"
    assert {"ui": "D000544", "name": "Alzheimer Disease"} in interpreted["mesh"]
    assert "Alzheimer Disease[mh]" in interpreted["searched_for"]
    assert len(data["hits"]) == 10 and MATTSSON_2009 in [h["pmid"] for h in data["hits"]]
    hit = data["hits"][0]
    assert set(hit) >= {"pmid", "title", "year", "journal", "score", "snippet", "highlights"}
    assert {"pt", "journal", "year", "la", "has_abstract"} <= set(data["facets"])


def test_search_api_filters_sort_and_paging(client):
    params = {"q": "amyloid beta", "year_from": 2005, "year_to": 2020, "type": "Review", "sort": "date", "limit": 5, "offset": 5}
    data = client.get("/api/search", params=params).json()
    assert data["offset"] == 5 and len(data["hits"]) == 5
    years = [h["year"] for h in data["hits"]]
    assert years == sorted(years, reverse=True) and all(2005 <= y <= 2020 for y in years)
    assert data["interpreted"]["filters"]["publication_types"] == ["Review"]


def test_search_api_syntax_error_is_400_with_position(client):
    response = client.get("/api/search", params={"q": "tau AND (amyloid"})
    assert response.status_code == 400
    assert response.json()["position"] == 8 and "never closed" in response.json()["error"]


def test_similar_api(client):
    data = client.get(f"/api/records/{MATTSSON_2009}/similar", params={"limit": 5}).json()
    assert data["pmid"] == MATTSSON_2009 and len(data["similar"]) == 5
    assert client.get("/api/records/1/similar").status_code == 404


def test_search_page_shows_interpretation_facets_and_links(client):
    page = client.get("/search", params={"q": "阿尔茨海默病的脑脊液生物标志物"})
    assert page.status_code == 200
    assert "Alzheimer Disease[mh]" in page.text
    assert f'href="/records/{MATTSSON_2009}"' in page.text
    assert 'data-facet="type"' in page.text and "<mark>" in page.text
    error = client.get("/search", params={"q": "tau[xyz]", "lang": "en"})
    assert error.status_code == 400 and "unknown field tag [xyz]" in error.text


def test_similar_partial_renders_on_the_record_page(client):
    page = client.get(f"/records/{MATTSSON_2009}", params={"lang": "en"})
    assert page.status_code == 200
    similar = page.text[page.text.index('class="similar-articles"'):]
    assert similar.count('class="hit"') == 8 and "Similar articles" in similar and "/records/" in similar
