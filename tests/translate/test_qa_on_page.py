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
