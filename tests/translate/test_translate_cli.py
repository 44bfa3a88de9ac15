"""``medbridge translate``, ``qa`` and ``translate-corpus`` through Typer's runner. ``qa`` needs no model; the
others talk to the scripted OpenAI-compatible endpoint through the real openai backend."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from medbridge.cli import main as cli_main
from medbridge.cli.common import MedbridgeGroup
from medbridge.cli.translate import register
from medbridge.corpus.ingest import ingest_paths
from medbridge.services import Services
from medbridge.settings import load_settings
from medbridge.store import open_store
from medbridge.translate.records import record_texts

runner = CliRunner()


@pytest.fixture
def app() -> typer.Typer:
    """The translation commands on an app built like ``medbridge``'s (same group, same global options)."""
    app = typer.Typer(cls=MedbridgeGroup, pretty_exceptions_enable=False)
    app.callback()(cli_main.main)
    register(app)
    return app


@pytest.fixture
def openai_env(monkeypatch, endpoint):
    monkeypatch.setenv("MEDBRIDGE_LLM__BACKEND", "openai")
    monkeypatch.setenv("MEDBRIDGE_LLM__BASE_URL", endpoint.url)
    monkeypatch.setenv("MEDBRIDGE_LLM__MAX_RETRIES", "0")
    return endpoint


def test_qa_reports_problems_as_json_and_exits_1(app, settings, reference_pairs, tmp_path):
    pairs = [p for p in reference_pairs if p.pmid == "18755980"]
    source, target = tmp_path / "en.txt", tmp_path / "zh.txt"
    source.write_text("\n".join(p.en for p in pairs), encoding="utf-8")
    target.write_text("\n".join(p.zh.replace("18例", "81例") for p in pairs), encoding="utf-8")
    result = runner.invoke(app, ["qa", str(source), str(target), "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["source_lang"] == "en" and report["target_lang"] == "zh"
    numbers = [p for p in report["problems"] if p["check"] == "numbers"]
    assert {p["source_span"] or p["target_span"] for p in numbers} == {"18", "81"} and numbers[0]["segment"] == 1


def test_qa_of_a_clean_pair_exits_0(app, settings, tmp_path):
    source, target = tmp_path / "en.txt", tmp_path / "zh.txt"
    source.write_text("Eighteen patients were enrolled in 2008.", encoding="utf-8")
    target.write_text("2008年共纳入18名患者。", encoding="utf-8")
    result = runner.invoke(app, ["qa", str(source), str(target)])
    assert result.exit_code == 0, result.output
    assert "0 error(s)" in result.stderr


def test_qa_missing_file_and_bad_language_are_one_line_errors(app, settings, tmp_path):
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    missing = runner.invoke(app, ["qa", str(tmp_path / "a.txt"), str(tmp_path / "nope.txt")])
    # (Rich wraps long lines at the runner's 80 columns, so compare with whitespace folded.)
    assert missing.exit_code == 1 and "".join(missing.stderr.split()) == "".join(f"error: {tmp_path / 'nope.txt'}: no such file".split())
    bad = runner.invoke(app, ["translate", "hello", "--to", "klingon"])
    assert bad.exit_code == 1 and "unsupported language 'klingon'; supported:" in " ".join(bad.stderr.split())
    assert "Traceback" not in bad.output


def test_translate_text_and_file(app, settings, openai_env, tmp_path):
    openai_env.reply = lambda messages: "这是一段测试。"
    result = runner.invoke(app, ["translate", "This is a test.", "--to", "zh", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["target"] == "这是一段测试。" and data["source_lang"] == "en" and data["from_cache"] is False

    file = tmp_path / "in.txt"
    file.write_text("这是一段测试。", encoding="utf-8")
    openai_env.reply = lambda messages: "This is a test."
    result = runner.invoke(app, ["translate", str(file), "--to", "en"])
    assert result.exit_code == 0 and result.stdout.strip() == "This is a test."
    assert "Simplified Chinese text into English" in openai_env.requests[-1]["messages"][0]["content"]


def test_translate_corpus_translates_then_resumes_without_model_calls(app, settings, openai_env, fixtures_dir):
    store = open_store(settings)
    ingest_paths(store, [fixtures_dir / "pubmed-29768149.xml"])
    openai_env.reply = lambda messages: "\n".join(f"{i}. 译文" for i in range(1, 9)) if "\n2. " in messages[-1]["content"] else "译文"
    result = runner.invoke(app, ["translate-corpus", "--to", "zh", "--limit", "5"])
    assert result.exit_code == 0, result.output
    assert "1 record(s) translated" in result.stderr
    calls = len(openai_env.requests)
    assert calls >= 1
    [record] = [store.get_record(p) for p in store.all_pmids()]
    cli_settings = load_settings(home=settings.home)  # as the command saw them: with the endpoint from the environment
    translator = Services(cli_settings, store=store).translator
    assert all(translator.cached(record_texts(record, abstracts=False), source="en", target="zh", markup=True))

    again = runner.invoke(app, ["translate-corpus", "--to", "zh"])
    assert again.exit_code == 0 and "0 record(s) translated" in again.stderr
    assert len(openai_env.requests) == calls
    job = store.list_jobs("translate-corpus")[0]
    assert job.state == "done"


@pytest.mark.slow
def test_translate_corpus_on_a_ray_cluster_fills_this_stores_cache(app, settings, openai_env, fixtures_dir, ray_cluster):
    """Model workers on the cluster's two nodes translate chunks of records (the scripted endpoint stands in
    for the model each worker would load); their cache entries land in this process's store, so article
    pages find the translations and a second run has nothing left to do."""
    store = open_store(settings)
    ingest_paths(store, [fixtures_dir / "efetch_106_records.xml"])
    openai_env.reply = lambda messages: "\n".join(f"{i}. 译文" for i in range(1, 9)) if "\n2. " in messages[-1]["content"] else "译文"
    result = runner.invoke(app, ["translate-corpus", "--to", "zh", "--limit", "8", "--ray", ray_cluster.address])
    assert result.exit_code == 0, result.output
    assert "8 record(s) translated" in result.stderr
    calls = len(openai_env.requests)
    translator = Services(load_settings(home=settings.home), store=store).translator
    translated = [record for record in store.iter_records()
                  if all(translator.cached(record_texts(record, abstracts=False), source="en", target="zh", markup=True))]
    assert len(translated) == 8
    assert translator.lookup(record_texts(translated[0], abstracts=False), source="en", target="zh", markup=True)[0].target == "译文"

    again = runner.invoke(app, ["translate-corpus", "--to", "zh", "--limit", "8"])  # here, without the cluster
    assert again.exit_code == 0 and "8 record(s) translated" in again.stderr
    assert len(openai_env.requests) > calls  # the next 8: the first 8 were skipped as cached
    jobs = store.list_jobs("translate-corpus")
    assert [job.state for job in jobs] == ["done", "done"] and all(job.result["translated"] == 8 for job in jobs)
