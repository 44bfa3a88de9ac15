"""Document translation benchmark: pages per minute, layout fidelity, target-language share, QA problems per page.

Builds real-looking documents from real PubMed abstracts (a two-column paper with a table, figure and formula; a
Word report with header, footer, table and footnote; a slide deck), translates them to Chinese with the
configured model (default settings; ``--model PATH`` for a GGUF file, ``--terms-only`` for the glossary mode),
prints the measures as JSON and saves a before/after picture of the paper to docs/images/.

    .venv/bin/python benchmarks/documents.py [--model PATH] [--terms-only] [--image docs/images/documents-before-after.png]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import pymupdf

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "documents"))

import doc_samples  # noqa: E402

from medbridge.documents.fidelity import measure_pdf  # noqa: E402
from medbridge.documents.intake import DocumentLimits  # noqa: E402
from medbridge.documents.languages import target_share  # noqa: E402
from medbridge.documents.pipeline import DocumentTask, translate_document  # noqa: E402
from medbridge.documents.segments import translated_runs  # noqa: E402
from medbridge.services import Services  # noqa: E402
from medbridge.settings import load_settings  # noqa: E402
from medbridge.translate.qa import QAContext, source_language_share  # noqa: E402


def before_after_png(original: Path, translated: Path, out: Path, dpi: int = 80) -> None:
    """The paper's first page and its translation side by side, as one PNG."""
    with pymupdf.open(original) as before, pymupdf.open(translated) as after, pymupdf.open() as sheet:
        rect = before[0].rect
        page = sheet.new_page(width=rect.width * 2 + 20, height=rect.height)
        page.show_pdf_page(pymupdf.Rect(0, 0, rect.width, rect.height), before, 0)
        page.show_pdf_page(pymupdf.Rect(rect.width + 20, 0, rect.width * 2 + 20, rect.height), after, 0)
        page.draw_line((rect.width + 10, 0), (rect.width + 10, rect.height), color=(0.6, 0.6, 0.6))
        out.parent.mkdir(parents=True, exist_ok=True)
        page.get_pixmap(dpi=dpi).save(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="GGUF file for the local backend (default: the configured model)")
    parser.add_argument("--terms-only", action="store_true", help="measure the glossary-only mode (no model)")
    parser.add_argument("--target", default="zh")
    parser.add_argument("--image", type=Path, default=REPO / "docs" / "images" / "documents-before-after.png")
    parser.add_argument("--home", type=Path, help="MEDBRIDGE_HOME to use; its translation cache makes a rerun fast "
                                                  "(pages/minute then measures layout work, see model_calls)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="medbridge-docbench-"))
    llm = {"backend": "none"} if args.terms_only else ({"backend": "local", "model_path": str(args.model)} if args.model else {})
    settings = load_settings(home=args.home or work / "home", **({"llm": llm} if llm else {}))
    services = Services.from_settings(settings)
    translator = services.document_translator
    limits = DocumentLimits.from_settings(settings.documents)

    records = doc_samples.abstracts(2)
    samples = {
        "paper.pdf": lambda p: doc_samples.build_paper_pdf(p, records),
        "report.docx": lambda p: doc_samples.build_report_docx(p, records),
        "deck.pptx": lambda p: doc_samples.build_deck_pptx(p, records),
    }
    results = {}
    total_pages, total_seconds = 0, 0.0
    for name, build in samples.items():
        source = work / name
        build(source)
        out = work / f"{source.stem}.{args.target}{source.suffix}"
        calls_before = getattr(translator, "calls", 0)
        started = time.perf_counter()
        result = translate_document(DocumentTask(source, args.target, out), translator, limits)
        seconds = time.perf_counter() - started
        doc = result.document
        placed = [b for b in doc.blocks() if b.translation is not None]
        targets = ["".join(r.text for r in translated_runs(b.runs, b.translation)) for b in placed]
        text = " ".join(targets)
        left_in_source = source_language_share([b.text for b in placed], targets, QAContext.create("en", args.target, services.terminology))
        entry = {
            "parts": result.parts,
            "segments": result.segments,
            "seconds": round(seconds, 1),
            "model_calls": getattr(translator, "calls", 0) - calls_before,
            # Letters in the target script: kept abbreviations (CSF, Abeta42) count against it, so careful human
            # Chinese translations of abstracts score 0.71-0.85 here.
            "target_script_letter_share": round(target_share(text, args.target), 3),
            # Text not left in the source language (abbreviations, symbols, units kept by convention are fine).
            "target_language_share": round(1 - left_in_source, 3),
            "qa_problems": sum(result.qa.values()),
            "qa_problems_per_part": round(sum(result.qa.values()) / max(result.parts, 1), 2),
            "qa_by_check": result.qa,
            "flagged": result.flagged,
            "skipped": result.skipped,
        }
        if name.endswith(".pdf"):
            report = measure_pdf(source, out, doc)
            entry["fidelity"] = {
                "pages_unchanged": report.pages_original == report.pages_translated,
                "images_identical": report.images_identical,
                "drawings_identical": report.drawings_identical,
                "lines_placed": report.lines_placed,
                "lines_outside_box": report.lines_outside_box,
                "overlapping_lines": report.overlapping_lines,
                "target_share_on_page": round(report.target_share, 3),
            }
            before_after_png(source, out, args.image)
            total_pages += result.parts
            total_seconds += seconds
        results[name] = entry
    summary = {
        "translator": "terms-only" if args.terms_only else str(args.model or settings.llm.model_path or "default model"),
        "pdf_pages_per_minute": round(total_pages / (total_seconds / 60), 2) if total_seconds else None,
        "documents": results,
        "image": str(args.image),
    }
    print(json.dumps(summary, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
