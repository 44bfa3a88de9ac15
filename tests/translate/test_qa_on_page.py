"""A translation that keeps failing QA reaches the reader marked: the bilingual record page marks the sentence at
fault and lists the finding in the UI language beside its English — here with a model (a scripted endpoint on
loopback) that reverses a comparison of the JAMA abstract the issue quotes, retried and still wrong."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from lxml import html

from medbridge.settings import load_settings
from medbridge.web.app import create_app

JAMA_PMID = 19622817


def test_reversed_direction_is_retried_then_marked_on_the_page(damaging_model, endpoint, sample_copy_settings):
    damaging_model(lambda answer: answer.replace("水平较高", "水平较低"))  # AD patients' P-tau and T-tau come out lower
    settings = load_settings(home=sample_copy_settings.home, llm={"backend": "openai", "base_url": endpoint.url, "model": "scripted"})
    client = TestClient(create_app(settings))

    with client.stream("GET", f"/api/records/{JAMA_PMID}/translation?to=zh") as response:
        events = [json.loads(line[len("data: "):]) for line in response.iter_lines() if line.startswith("data: ")]
    units = {e["index"]: e for e in events if e["type"] == "unit"}
    # (The reference model writes "LR" for "LRs" and "95% CI，…" for "95% CI, …": those are flagged as dropped spans.)
    reversed_ = [u for u in units.values() if any(p.startswith("方向可能被颠倒") for p in u["problems"])]
    assert len(reversed_) == 1 and reversed_[0]["flagged"]
    assert '<mark class="qa-fault">' in reversed_[0]["target"] and "水平较低" in reversed_[0]["target"]
    sent = [r["messages"][-1]["content"] for r in endpoint.requests]
    assert sum("P-tau" in s and "higher" in s for s in sent) == 2  # the sentence was retried once

    page = html.fromstring(client.get(f"/records/{JAMA_PMID}?lang=zh").text)
    marked = [m.text_content() for m in page.xpath("//mark[@class='qa-fault']")]
    assert any("水平较低" in m and "P-tau" in m for m in marked)
    findings = [li.text_content() for li in page.xpath("//div[@class='qa-flag']//li")]
    assert any(f.startswith("方向可能被颠倒") and "Patients who developed AD had lower median Abeta42" in f for f in findings)

    english = html.fromstring(client.get(f"/records/{JAMA_PMID}?lang=en").text)
    assert any(li.text_content().startswith("direction reversed?") for li in english.xpath("//div[@class='qa-flag']//li"))


def test_document_job_lists_its_findings_per_page(damaging_model, endpoint, reference_pairs, settings, monkeypatch, tmp_path):
    """A two-page PDF (made by PyMuPDF) whose second page the model reverses: the CLI prints the finding under
    page 2 in the reader's language with the sentence at fault, and the job page lists it under page 2."""
    import pymupdf
    import typer
    from typer.testing import CliRunner

    from medbridge.cli.common import MedbridgeGroup
    from medbridge.cli.documents import register

    damaging_model(lambda answer: answer.replace("水平较高", "水平较低"))
    jama = {p.label: p for p in reference_pairs if p.pmid == str(JAMA_PMID)}
    pdf = tmp_path / "jama.pdf"
    with pymupdf.open() as doc:
        for text in (jama["TITLE"].en, jama["RESULTS"].en):
            page = doc.new_page(width=842, height=595)
            assert page.insert_textbox(pymupdf.Rect(40, 40, 800, 560), text, fontsize=10) > 0
        doc.save(pdf)
    for key, value in {"BACKEND": "openai", "BASE_URL": endpoint.url, "MODEL": "scripted"}.items():
        monkeypatch.setenv(f"MEDBRIDGE_LLM__{key}", value)
    app = typer.Typer(cls=MedbridgeGroup)
    app.callback()(lambda: None)
    register(app)

    result = CliRunner().invoke(app, ["translate-doc", str(pdf), "--to", "zh", "--lang", "zh", "-o", str(tmp_path / "out.pdf")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    page_two = lines.index("第 2 页")
    assert "第 1 页" not in lines  # the title came through whole
    assert any("方向可能被颠倒" in line for line in lines[page_two:])
    assert any("»" in line and "水平较低" in line for line in lines[page_two:])  # the sentence, the fault marked
    assert any(line.strip().startswith("← Patients who developed AD had lower median Abeta42") for line in lines[page_two:])

    job_id = next(line.split()[1].rstrip(":") for line in lines if line.startswith("job "))
    client = TestClient(create_app(load_settings()))
    for lang, heading, finding in (("zh", "第 2 页", "方向可能被颠倒"), ("en", "Page 2", "direction reversed?")):
        page = html.fromstring(client.get(f"/documents/{job_id}?lang={lang}").text)
        headings = [h.text_content() for h in page.xpath("//section[@id='job-findings']/h3")]
        assert headings == [heading]
        items = [li.text_content() for li in page.xpath("//section[@id='job-findings']//li")]
        assert any(item.strip().startswith(finding) and "水平较低" in item for item in items)
    api = client.get(f"/api/documents/jobs/{job_id}").json()
    assert {f["part"] for f in api["findings"]} == {2} and api["findings_total"] == len(api["findings"])
