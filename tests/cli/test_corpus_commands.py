"""The corpus commands through Typer's runner, and the real installed entry point once."""

from __future__ import annotations

import json
import subprocess
import sys

import rispy
from typer.testing import CliRunner

from medbridge.cli.main import app

runner = CliRunner()


def test_ingest_show_stats_export(settings, fixtures_dir, tmp_path):
    result = runner.invoke(app, ["ingest", str(fixtures_dir / "pubmed26n1334.xml.gz"), str(fixtures_dir / "pubmed26n1335.xml.gz")])
    assert result.exit_code == 0, result.output
    stats = json.loads(runner.invoke(app, ["stats", "--json"]).stdout)
    assert stats["files"] == 2 and stats["deleted"] == 6 and stats["records"] > 0
    pmid = next(iter(__import__("medbridge.store", fromlist=["open_store"]).open_store(settings).all_pmids()))
    shown = json.loads(runner.invoke(app, ["show", str(pmid), "--json"]).stdout)
    assert shown["pmid"] == pmid and "mesh" in shown and "authors" in shown
    out = tmp_path / "c.ris"
    result = runner.invoke(app, ["export", str(pmid), "--format", "ris", "-o", str(out)])
    assert result.exit_code == 0 and rispy.loads(out.read_text())[0]["accession_number"] == str(pmid)


def test_unknown_pmid_is_one_clear_line(settings):
    for args in (["show", "123"], ["export", "123", "456"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 1
        assert result.stderr.strip().startswith("error: PMID 123")
        assert "Traceback" not in result.output and len(result.stderr.strip().splitlines()) == 1


def test_ingest_keep_going_reports_failures_and_exits_nonzero(settings, fixtures_dir, tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text("<PubmedArticleSet><PubmedArticle>", encoding="utf-8")
    result = runner.invoke(app, ["ingest", "--keep-going", str(bad), str(fixtures_dir / "pubmed-29768149.xml")])
    assert result.exit_code == 1
    assert "bad.xml" in result.stderr and "1 file(s) ingested" in result.stderr
    without = runner.invoke(app, ["ingest", str(bad)])
    assert without.exit_code == 1 and "bad.xml" in without.stderr


def test_export_formats_on_stdout(settings, fixtures_dir):
    runner.invoke(app, ["ingest", str(fixtures_dir / "pubmed-29768149.xml")])
    for fmt, marker in (("bibtex", "@article{pmid29768149"), ("medline", "PMID- 29768149"), ("ris", "TY  - JOUR")):
        result = runner.invoke(app, ["export", "29768149", "--format", fmt])
        assert result.exit_code == 0 and marker in result.stdout


def test_python_dash_m_entry_point(settings):
    result = subprocess.run([sys.executable, "-m", "medbridge", "stats", "--json"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["records"] == 0
