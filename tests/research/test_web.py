"""The research page and JSON API over HTTP, and in the real headless Chromium."""

from __future__ import annotations

import threading
import time

import pytest
from fastapi.testclient import TestClient
from lxml import html
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from medbridge.web.app import create_app
from medbridge.web.routes import research


def research_app(settings):
    """The app with the research router (create_app may already include it once the lead wires it)."""
    app = create_app(settings)
    if not any(getattr(route, "path", "") == "/api/research" for route in app.routes):
        app.include_router(research.router)
    return app


def wait_done(client, job_id: str, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = client.get(f"/api/research/{job_id}").json()
        if data["state"] not in ("queued", "running"):
            return data
        time.sleep(0.3)
    pytest.fail(f"research job {job_id} did not finish")


def test_api_create_poll_and_read(research_settings):
    client = TestClient(research_app(research_settings))
    response = client.post("/api/research", json={"question": "CSF biomarkers for predicting Alzheimer's disease in MCI", "max_sources": 5})
    assert response.status_code == 201
    job = wait_done(client, response.json()["id"])
    assert job["state"] == "done", job["message"]
    assert job["review"]["references"] and job["supported_share"] is not None
    page = html.fromstring(client.get(f"/research/{job['id']}").text)
    links = page.xpath("//article[@class='review']//a[@class='cite']/@href")
    assert links and all(link.startswith("/records/") for link in links)
    assert page.xpath("//ol[@class='references']/li")
    docx_response = client.get(job["files"]["docx"])
    assert docx_response.status_code == 200 and docx_response.content[:2] == b"PK"
    assert client.get("/api/research/nope").status_code == 404
    assert client.post("/api/research", json={"question": "sleep", "lang": "fr"}).json() == {"error": "language must be zh or en, not 'fr'"}


@pytest.fixture
def research_server(research_settings):
    import socket

    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(research_app(research_settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            pytest.fail("web app did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.browser
def test_ask_watch_and_follow_a_citation(browser, research_server):
    browser.get(research_server + "/research")
    browser.find_element(By.ID, "question").send_keys("阿尔茨海默病的睡眠障碍与认知下降")
    browser.find_element(By.ID, "max-sources").clear()
    browser.find_element(By.ID, "max-sources").send_keys("5")
    browser.find_element(By.ID, "submit").click()
    WebDriverWait(browser, 30).until(lambda d: "/research/" in d.current_url)  # the POST redirects to the job page
    WebDriverWait(browser, 240).until(lambda d: d.find_elements(By.CSS_SELECTOR, "article.review"))
    article = browser.find_element(By.CSS_SELECTOR, "article.review")
    assert article.find_element(By.TAG_NAME, "h2").text == "背景"
    references = article.find_elements(By.CSS_SELECTOR, "ol.references li")
    assert references and "PMID:" in references[0].text
    assert browser.find_element(By.ID, "download-docx").is_displayed()
    citation = article.find_element(By.CSS_SELECTOR, "a.cite")
    pmid = citation.get_attribute("data-pmid")
    citation.click()
    assert browser.current_url.endswith(f"/records/{pmid}")
    assert browser.find_element(By.CSS_SELECTOR, "h1.record-title").text
