"""Document translation: PDF, DOCX and PPTX back in the same layout, in another language.

    from medbridge.documents import DocumentTask, translate_document
    result = translate_document(DocumentTask(Path("paper.pdf"), "zh", Path("paper.zh.pdf")), translator, limits)

Stages (pipeline.PIPELINE) work on one IR (ir.Document); format adapters live in pdf.py, docx.py, pptx.py;
jobs.DocumentJobs runs translations as persisted, cancellable, resumable jobs for the CLI and the web.
"""

from medbridge.documents.errors import DocumentError, JobCancelled
from medbridge.documents.fidelity import FidelityReport, measure_pdf
from medbridge.documents.intake import DocumentLimits, check_file
from medbridge.documents.jobs import DocumentJobs
from medbridge.documents.pipeline import PIPELINE, DocumentResult, DocumentTask, translate_document
from medbridge.progress import ProgressEvent
from medbridge.documents.terms_only import TermsOnlyTranslator

__all__ = [
    "PIPELINE",
    "DocumentError",
    "DocumentJobs",
    "DocumentLimits",
    "DocumentResult",
    "DocumentTask",
    "FidelityReport",
    "JobCancelled",
    "ProgressEvent",
    "TermsOnlyTranslator",
    "check_file",
    "measure_pdf",
    "translate_document",
]
