"""Deep research: a cited, checked literature review from one question, as a persisted job.

    from medbridge.research import ResearchRequest
    runner = Services.from_settings(settings).research_runner
    job = runner.submit(ResearchRequest.create("CSF biomarkers in MCI", settings).params())
    job = runner.run(job.id)                 # or runner.start(job.id) in a background thread
    review = review_of(job)                  # Review: draft sections, references, verification figures
"""

from medbridge.research.deliver import to_html_fragment, to_markdown, write_review
from medbridge.research.models import Review
from medbridge.research.pipeline import (
    JOB_KIND,
    STAGES,
    ResearchError,
    ResearchPipeline,
    ResearchRequest,
    output_path,
    research_runner,
    review_of,
)

__all__ = [
    "JOB_KIND",
    "STAGES",
    "ResearchError",
    "ResearchPipeline",
    "ResearchRequest",
    "Review",
    "output_path",
    "research_runner",
    "review_of",
    "to_html_fragment",
    "to_markdown",
    "write_review",
]
