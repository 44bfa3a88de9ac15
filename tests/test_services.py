"""The composition root: parts built once, on first use, from the settings; handed to the CLI and the web app."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from medbridge.cli.main import app as cli_app
from medbridge.documents.terms_only import TermsOnlyTranslator
from medbridge.research.pipeline import ResearchPipeline
from medbridge.services import Services
from medbridge.settings import load_settings
from medbridge.translate import Translator
from medbridge.web.app import create_app


def test_parts_are_built_on_first_use_and_then_shared(settings):
    endpoint = settings.llm.model_copy(update={"backend": "openai", "base_url": "http://127.0.0.1:9/v1"})
    services = Services.from_settings(settings.model_copy(update={"llm": endpoint}))
    assert not settings.sqlite_path.exists()  # nothing opened yet
    store = services.store
    assert settings.sqlite_path.exists() and services.store is store

    seen: list[Translator] = []
    threads = [threading.Thread(target=lambda: seen.append(services.translator)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 8 and all(t is seen[0] for t in seen)  # one translator however many threads ask
    assert seen[0].store is store and seen[0].llm is services.llm


def test_without_a_model_documents_use_terms_and_reviews_stay_extractive(settings):
    services = Services.from_settings(settings.model_copy(update={"llm": settings.llm.model_copy(update={"backend": "none"})}))
    assert not services.has_llm
    assert isinstance(services.document_translator, TermsOnlyTranslator)
    pipeline = ResearchPipeline.from_services(services)
    assert pipeline.llm is None and pipeline.translator is None
    assert services.search_engine.rewriter is None


def test_every_part_uses_the_one_terminology_the_services_built(settings):
    services = Services.from_settings(settings.model_copy(update={"llm": settings.llm.model_copy(update={"backend": "none"})}))
    terms = services.terminology
    assert services.terminology is terms
    assert services.translator.terminology is terms and services.document_translator.terminology is terms
    assert services.search_engine.index.terms is terms
    assert ResearchPipeline.from_services(services).terms is terms


def test_with_an_endpoint_every_feature_shares_one_model(tmp_path):
    settings = load_settings(home=tmp_path, llm={"backend": "openai", "base_url": "http://127.0.0.1:9/v1"},
                             search={"llm_rewrite": True})
    services = Services.from_settings(settings)
    assert services.has_llm and services.llm.model_id.startswith("openai:")
    assert services.document_translator is services.translator
    assert services.search_engine.rewriter is services.llm
    pipeline = ResearchPipeline.from_services(services)
    assert pipeline.llm is services.llm and pipeline.translator is services.translator
    assert pipeline.judge is services.llm  # an endpoint is trusted to judge entailment


def test_the_web_app_serves_from_the_services_it_was_given(sample_services):
    app = create_app(sample_services)
    assert app.state.services is sample_services
    health = TestClient(app).get("/healthz").json()
    assert health == {"status": "ok", "records": sample_services.store.stats().records}


def test_help_reads_no_settings_but_a_command_does(tmp_path, monkeypatch):
    broken = tmp_path / "config.toml"
    broken.write_text("[llm\nbackend = 'none'\n", encoding="utf-8")
    monkeypatch.setenv("MEDBRIDGE_CONFIG", str(broken))
    monkeypatch.setenv("MEDBRIDGE_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    help_text = runner.invoke(cli_app, ["--help"])
    assert help_text.exit_code == 0 and "search" in help_text.output
    stats = runner.invoke(cli_app, ["stats"])
    assert stats.exit_code == 1 and "config.toml: not valid TOML" in " ".join(stats.output.split())
