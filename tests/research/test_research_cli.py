"""``medbridge research`` through Typer's CliRunner on a copy of the sample corpus."""

from __future__ import annotations

import json

import docx
import pytest
import typer
from typer.testing import CliRunner

from medbridge.cli.common import CLIState, MedbridgeGroup
from medbridge.cli.research import register


@pytest.fixture
def app(research_settings):
    """The research commands on an app like the main one (the lead wires ``register`` into it)."""
    app = typer.Typer(cls=MedbridgeGroup, pretty_exceptions_enable=False)

    @app.callback()
    def main(ctx: typer.Context, quiet: bool = typer.Option(False, "--quiet", "-q")) -> None:
        ctx.obj = CLIState(quiet=quiet)

    register(app)
    return app


def test_research_writes_docx_and_prints_json(app, tmp_path):
    out = tmp_path / "review.docx"
    result = CliRunner().invoke(app, ["research", "CSF biomarkers for predicting Alzheimer's disease in MCI", "--max-sources", "5", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
    assert "References" in text and "PMID:" in text

    result = CliRunner().invoke(app, ["-q", "research", "阿尔茨海默病的睡眠障碍与认知下降", "--max-sources", "4", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["lang"] == "zh" and data["references"] and data["verification"]["final_supported_share"] == 1.0
    assert data["markdown"].startswith("# 阿尔茨海默病的睡眠障碍与认知下降")


def test_resume_and_errors(app, research_settings):
    from medbridge.research import ResearchRequest
    from medbridge.services import Services

    services = Services.from_settings(research_settings)
    store = services.store
    runner = services.research_runner
    job = runner.submit(ResearchRequest.create("sleep and cognitive decline in Alzheimer disease", research_settings, max_sources=3).params())
    runner.cancel(job.id)  # cancelled while queued: resume runs it from the start
    result = CliRunner().invoke(app, ["-q", "research", "--resume", job.id])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# sleep and cognitive decline in Alzheimer disease")
    assert store.get_job(job.id).state == "done"

    result = CliRunner().invoke(app, ["research", "x", "-o", "review.pdf"])
    assert result.exit_code == 1 and "choose an output ending in .md, .html or .docx" in result.output
    result = CliRunner().invoke(app, ["research"])
    assert result.exit_code == 1 and "--resume JOB_ID" in result.output
    result = CliRunner().invoke(app, ["research", "--resume", "nope"])
    assert result.exit_code == 1 and "no research job nope" in result.output
