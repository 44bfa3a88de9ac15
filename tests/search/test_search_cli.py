"""``medbridge search / similar / index`` through Typer's runner."""

import json

from typer.testing import CliRunner

from medbridge.cli.main import app

runner = CliRunner()
MATTSSON_2009 = 19622817


def test_search_json(sample_copy_settings):
    result = runner.invoke(app, ["search", "CSF biomarkers mild cognitive impairment", "--limit", "5", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["hits"][0]["pmid"] == MATTSSON_2009
    assert data["interpreted"]["searched_for"].startswith('("cerebrospinal fluid biomarker"')
    assert all(set(h) >= {"pmid", "title", "year", "journal", "score", "snippet"} for h in data["hits"])


def test_search_filters_and_text_output(sample_copy_settings):
    result = runner.invoke(app, ["search", "tau", "--year-from", "2018", "--year-to", "2019", "--type", "Review", "--json"])
    data = json.loads(result.stdout)
    assert data["hits"] and all(2018 <= h["year"] <= 2019 for h in data["hits"])
    text = runner.invoke(app, ["search", "帕金森病", "--limit", "3"])
    assert text.exit_code == 0 and "searched for:" in text.stdout and "PMID" in text.stdout


def test_search_syntax_error_is_one_clear_message(sample_copy_settings):
    result = runner.invoke(app, ["search", "tau AND (amyloid"])
    assert result.exit_code == 1
    # a first search may print the index's progress first (the store's sample is indexed on first use)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: query syntax error at position 9: this '(' is never closed"]
    assert "Traceback" not in result.output


def test_similar_json(sample_copy_settings):
    result = runner.invoke(app, ["similar", str(MATTSSON_2009), "--json", "--limit", "4"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["similar"]) == 4
    assert runner.invoke(app, ["similar", "1"]).exit_code == 1


def test_index_reports_progress_and_is_idempotent(sample_copy_settings):
    first = runner.invoke(app, ["index", "--no-embed"])
    assert first.exit_code == 0, first.output
    assert "records searchable" in first.stderr
    again = runner.invoke(app, ["index", "--rebuild", "--no-embed"])
    assert again.exit_code == 0 and "3,690 indexed" in again.stderr
