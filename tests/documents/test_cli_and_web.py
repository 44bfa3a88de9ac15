"""The translate-doc command (CliRunner), the JSON API (TestClient) and the upload page in headless Chromium.

Both run with ``llm.backend = none``, i.e. in terms-only mode, so they need no model."""

from __future__ import annotations

import threading
import time

import pymupdf
import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from medbridge.cli.common import MedbridgeGroup
from medbridge.cli.documents import register


@pytest.fixture
def cli(monkeypatch, settings):
    monkeypatch.setenv("MEDBRIDGE_LLM__BACKEND", "none")
    app = typer.Typer(cls=MedbridgeGroup)

    @app.callback()
    def main() -> None:
        """medbridge (document commands only, as main.py composes them)."""

    register(app)
    return app


def test_cli_translates_with_glossary_and_dual(cli, sample_dir, tmp_path):
    out = tmp_path / "paper-zh.pdf"
    result = CliRunner().invoke(cli, ["translate-doc", str(sample_dir / "paper.pdf"), "--to", "zh", "-o", str(out),
                                      "--dual", "--glossary", str(sample_dir / "glossary.csv")])
    assert result.exit_code == 0, result.output
    assert out.is_file() and (tmp_path / "paper-zh.dual.pdf").is_file()
    with pymupdf.open(out) as doc:
        assert "健康对照" in doc[0].get_text()
    jobs = CliRunner().invoke(cli, ["doc-jobs", "--json"])
    assert '"state": "done"' in jobs.output


def test_cli_bad_input_is_one_line(cli, sample_dir, tmp_path):
    fake = tmp_path / "fake.pptx"
    fake.write_bytes((sample_dir / "paper.pdf").read_bytes())
    result = CliRunner().invoke(cli, ["translate-doc", str(fake), "--to", "zh"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == "error: fake.pptx: the name says PPTX but the content is PDF"
    result = CliRunner().invoke(cli, ["translate-doc", str(sample_dir / "paper.pdf"), "--to", "klingon"])
    assert result.exit_code == 1 and "unsupported language 'klingon'" in result.output


def test_cli_help_lists_options(cli):
    result = CliRunner().invoke(cli, ["translate-doc", "--help"])
    assert result.exit_code == 0
    for option in ("--to", "--output", "--dual", "--glossary", "--resume"):
        assert option in result.output


@pytest.fixture
def web_app(settings):
    """The real web app, in terms-only mode, with the documents router (mounted here until main.py does)."""
    from medbridge.web.app import create_app
    from medbridge.web.routes import documents

    app = create_app(settings.model_copy(update={"llm": settings.llm.model_copy(update={"backend": "none"})}))
    if not any(getattr(route, "path", "") == "/documents" for route in app.routes):
        app.include_router(documents.router)
    return app


def _wait_done(client, job_id):
    deadline = time.monotonic() + 60
    while True:
        job = client.get(f"/api/documents/jobs/{job_id}").json()
        if job["state"] in ("done", "failed", "cancelled"):
            return job
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_api_upload_progress_download(web_app, sample_dir):
    client = TestClient(web_app)
    with (sample_dir / "deck.pptx").open("rb") as handle:
        response = client.post("/api/documents/jobs", files={"file": ("deck.pptx", handle)}, data={"target": "zh", "dual": "true"})
    assert response.status_code == 201
    job = _wait_done(client, response.json()["id"])
    assert job["state"] == "done" and job["total"] == job["done"] > 0
    assert set(job["files"]) == {"mono", "dual"}
    download = client.get(job["files"]["mono"])
    assert download.status_code == 200 and download.content[:2] == b"PK"
    assert 'filename="deck.zh.pptx"' in download.headers["content-disposition"]
    assert any(j["id"] == job["id"] for j in client.get("/api/documents/jobs").json())


def test_api_refuses_bad_files_without_a_job_result(web_app, sample_dir):
    client = TestClient(web_app)
    response = client.post("/api/documents/jobs", files={"file": ("paper.docx", (sample_dir / "paper.pdf").read_bytes())},
                           data={"target": "zh"})
    assert response.status_code == 400
    assert response.json()["error"] == "paper.docx: the name says DOCX but the content is PDF"
    assert client.get("/api/documents/jobs/nope").status_code == 404


@pytest.fixture
def web_server(web_app):
    import socket

    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(web_app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "web app did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.browser
def test_upload_page_in_the_browser(web_server, browser, sample_dir):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    browser.get(f"{web_server}/documents?lang=zh")
    assert "文档翻译" in browser.find_element(By.TAG_NAME, "h1").text
    browser.find_element(By.ID, "file").send_keys(str(sample_dir / "paper.pdf"))
    Select(browser.find_element(By.ID, "target")).select_by_value("zh")
    browser.find_element(By.ID, "dual").click()
    browser.find_element(By.ID, "glossary").send_keys(str(sample_dir / "glossary.csv"))
    browser.find_element(By.ID, "submit").click()
    # The job page re-renders its state as the job moves on: an element found a moment ago may be replaced.
    WebDriverWait(browser, 60, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: d.find_element(By.ID, "job-state").get_attribute("data-state") == "done")
    assert browser.find_element(By.ID, "job-state").text == "已完成"
    mono = browser.find_element(By.ID, "download-mono")
    dual = browser.find_element(By.ID, "download-dual")
    assert mono.is_displayed() and dual.is_displayed()
    assert browser.find_element(By.ID, "job-count").text == "14/14"
    import httpx

    pdf = httpx.get(mono.get_attribute("href")).content
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        assert "健康对照" in doc[0].get_text()
    browser.get(f"{web_server}/documents")
    assert "paper.pdf" in browser.find_element(By.CSS_SELECTOR, "table.doc-jobs").text
