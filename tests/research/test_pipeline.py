"""Whole research jobs on the sample corpus without a model: review, references, files, progress, cancel, resume."""

from __future__ import annotations

import re

import docx
import pytest

from medbridge.errors import NotFoundError
from medbridge.research import ResearchError, ResearchRequest, research_runner, review_of
from medbridge.research.citations import parse_marker
from medbridge.research.pipeline import OUTPUT_FILES

CSF_QUESTION = "What is the evidence on CSF biomarkers for predicting Alzheimer's disease in MCI?"
SLEEP_QUESTION = "阿尔茨海默病的睡眠障碍与认知下降"


def run(services, question, **options):
    settings = services.settings
    runner = research_runner(services)
    stages: list[tuple[str, int, int]] = []
    job = runner.submit(ResearchRequest.create(question, settings, **options).params())
    job = runner.run(job.id, listener=lambda j: stages.append((j.stage, j.progress_done, j.progress_total)))
    return runner, job, stages


def test_english_review_cites_checked_corpus_records(research_services, research_store, research_settings):
    runner, job, stages = run(research_services, CSF_QUESTION, max_sources=8)
    assert job.state == "done", job.message
    assert [s for s in dict.fromkeys(stage for stage, _, _ in stages)] == ["planning", "searching", "reading", "writing", "checking", "delivering"]
    assert ("reading", 8, 8) in stages
    review = review_of(job)
    assert review.lang == "en" and review.sources == 8
    findings = [s for s in review.draft.sentences() if s.kind == "finding"]
    assert len(findings) >= 8 and all(s.citations and s.supported for s in findings)
    numbers = review.number_of()
    in_corpus = research_store.get_records(numbers)
    assert set(in_corpus) == set(numbers)  # every reference is a record of the corpus
    assert [r.number for r in review.references] == list(range(1, len(review.references) + 1))
    assert all(f"PMID: {r.pmid}." in r.text for r in review.references)
    assert review.verification.final_supported_share == 1.0
    headings = [s.key for s in review.draft.sections]
    assert headings[:2] == ["background", "findings"] and headings[-2:] == ["disagreements", "gaps"] and "theme" in headings

    folder = research_settings.jobs_dir / job.id
    markdown = (folder / OUTPUT_FILES["md"]).read_text(encoding="utf-8")
    cited_numbers = {n for n in parse_marker(markdown.split("## References")[0])}
    assert cited_numbers == set(range(1, len(review.references) + 1))
    assert "## References" in markdown and f"PMID: {review.references[0].pmid}" in markdown
    document = docx.Document(str(folder / OUTPUT_FILES["docx"]))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "References" in text and all(ref.text in text for ref in review.references)
    page = (folder / OUTPUT_FILES["html"]).read_text(encoding="utf-8")
    assert f'href="https://pubmed.ncbi.nlm.nih.gov/{review.references[0].pmid}/"' in page
    csv_text = (folder / OUTPUT_FILES["csv"]).read_text(encoding="utf-8")
    assert csv_text.startswith("ref,pmid,title") and len(csv_text.splitlines()) >= 9


def test_chinese_review_without_a_model_frames_quotes_in_chinese(research_services, research_store, research_settings):
    _, job, stages = run(research_services, SLEEP_QUESTION, max_sources=6)
    assert job.state == "done", job.message
    assert "translating" in {s for s, _, _ in stages}
    review = review_of(job)
    assert review.lang == "zh"
    assert [s.heading for s in review.draft.sections if s.key != "theme"][:2] == ["背景", "按主题归纳的研究发现"]
    finding = next(s for s in review.draft.sections[2].paragraphs[1].sentences if s.kind == "finding")
    assert re.search(r"（\d{4}）报告：“", finding.text) and finding.source_text in finding.text
    markdown = job.result["review"]["markdown"]
    assert "## 参考文献" in markdown and "## 关于本综述" in markdown


def test_cancel_then_resume_continues_from_the_checkpoint(research_services, research_store, research_settings):
    runner = research_runner(research_services)
    job = runner.submit(ResearchRequest.create(CSF_QUESTION, research_settings, max_sources=6).params())

    def cancel_while_reading(current):
        if current.stage == "reading" and current.progress_done == 3:
            runner.cancel(current.id)

    job = runner.run(job.id, listener=cancel_while_reading)
    assert job.state == "cancelled"
    checkpoint = research_store.get_job(job.id).checkpoint
    assert {"plan", "sources"} <= set(checkpoint) and "verified" not in checkpoint
    stages: list[str] = []
    job = runner.resume(job.id, listener=lambda j: stages.append(j.stage))
    assert job.state == "done", job.message
    assert "planning" not in stages and "searching" not in stages  # finished stages are not redone
    assert len(review_of(job).references) >= 4


def test_bad_requests_are_one_line_errors(research_services, research_settings):
    with pytest.raises(ResearchError, match="empty"):
        ResearchRequest.create("   ", research_settings)
    with pytest.raises(ResearchError, match="zh or en"):
        ResearchRequest.create("sleep", research_settings, lang="fr")
    with pytest.raises(NotFoundError):
        research_runner(research_services).get("nope")
    _, job, _ = run(research_services, "xyzzyq plughwort")
    assert job.state == "failed" and job.message.startswith("no record with an abstract")
