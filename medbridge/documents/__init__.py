"""Document translation: PDF, DOCX and PPTX back in the same layout, in another language.

    from medbridge.documents import DocumentTask, translate_document
    result = translate_document(DocumentTask(Path("paper.pdf"), "zh", Path("paper.zh.pdf")), translator, limits)

Stages (pipeline.PIPELINE) work on one IR (ir.Document); format adapters live in pdf.py, docx.py, pptx.py;
jobs.DocumentJobs runs translations as persisted, cancellable, resumable jobs for the CLI and the web.

Names are imported on first use: a web process that only takes uploads (intake) and reports jobs never loads
PyMuPDF, whose import alone starts its layout models (over a second and ~100 MB per process).
"""

from importlib import import_module

_HOMES = {
    "DocumentError": "errors", "JobCancelled": "errors",
    "FidelityReport": "fidelity", "measure_pdf": "fidelity",
    "DocumentLimits": "intake", "check_file": "intake",
    "DocumentJobs": "jobs",
    "PIPELINE": "pipeline", "DocumentResult": "pipeline", "DocumentTask": "pipeline", "translate_document": "pipeline",
    "TermsOnlyTranslator": "terms_only",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
