"""The model path, mechanics only, with the real 0.5B GGUF: sub-question facets, connective sentences, checks."""

from __future__ import annotations

import pytest

from medbridge.research import ResearchPipeline, ResearchRequest, research_runner, review_of
from medbridge.services import Services

@pytest.mark.slow
def test_review_with_the_small_model(sample_copy_settings, with_small_model):
    settings = with_small_model(sample_copy_settings)
    services = Services.from_settings(settings)
    pipeline = ResearchPipeline.from_services(services)
    assert pipeline.llm is not None and pipeline.judge is None  # the local model is not trusted as a judge
    runner = research_runner(services, pipeline)
    job = runner.submit(ResearchRequest.create("CSF biomarkers for predicting Alzheimer's disease in MCI", settings, max_sources=6).params())
    job = runner.run(job.id)
    assert job.state == "done", job.message
    review = review_of(job)
    assert review.model == pipeline.llm.model_id
    assert review.plan.facets[0].origin == "question"
    findings = [s for s in review.draft.sentences() if s.kind == "finding"]
    assert findings and all(s.supported and s.citations for s in findings)
    for sentence in findings:  # whatever the model wrote survived only if the cited records support it
        if sentence.origin == "llm":
            assert all(p in review.number_of() for p in sentence.citations)
    services.close()
