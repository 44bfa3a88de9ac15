"""Layout fidelity of a translated PDF against its original, measured from the two files and the pipeline's IR:
page count, images and vector drawings byte-identical, translated text inside its original box, no
overlapping lines, and how much of the translated text is in the target language."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pymupdf

from medbridge.documents.ir import Document
from medbridge.documents.languages import target_share

TOLERANCE = 1.5  # points a glyph box may poke out of its block (ascenders, italic overhang)


@dataclass(slots=True)
class FidelityReport:
    pages_original: int
    pages_translated: int
    images_identical: bool
    drawings_identical: bool           # OCR pages excluded: there the scan's words are covered on purpose
    lines_placed: int                  # output lines belonging to translated blocks
    lines_outside_box: int             # of those, lines reaching outside their block's original box
    overlapping_lines: int             # pairs of output lines that overlap each other
    target_share: float                # share of letters of the translated blocks in the target script
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _image_digests(page: pymupdf.Page) -> list[str]:
    doc = page.parent
    return sorted(hashlib.sha256(doc.extract_image(img[0])["image"]).hexdigest() for img in page.get_images(full=True))


def _drawing_signature(page: pymupdf.Page) -> list[tuple]:
    return sorted(
        (tuple(round(v, 2) for v in d["rect"]), str(d.get("fill")), str(d.get("color")), len(d["items"]))
        for d in page.get_drawings()
    )


def _lines(page: pymupdf.Page) -> list[tuple[pymupdf.Rect, str]]:
    """Each line's ink box: from the baseline up 0.8 em and down 0.2 em. The boxes MuPDF reports follow the
    font's own ascender/descender, which for CJK fallback fonts reach far past the glyphs."""
    lines = []
    for block in page.get_text("dict")["blocks"]:
        for line in block.get("lines", []):
            text = "".join(span["text"] for span in line["spans"]).strip()
            if not text or tuple(round(v, 3) for v in line["dir"]) != (1.0, 0.0):
                continue
            rect = pymupdf.Rect()
            for span in line["spans"]:
                if span["text"].strip():
                    baseline, size = span["origin"][1], span["size"]
                    rect |= pymupdf.Rect(span["bbox"][0], baseline - 0.8 * size, span["bbox"][2], baseline + 0.2 * size)
            lines.append((rect, text))
    return lines


def measure_pdf(original: Path, translated: Path, document: Document) -> FidelityReport:
    problems: list[str] = []
    with pymupdf.open(original) as before, pymupdf.open(translated) as after:
        images = all(_image_digests(before[i]) == _image_digests(after[i]) for i in range(min(len(before), len(after))))
        ocr = set(document.ocr_parts)
        drawings = all(
            _drawing_signature(before[i]) == _drawing_signature(after[i])
            for i in range(min(len(before), len(after)))
            if i not in ocr
        )
        placed = outside = overlaps = 0
        translated_text: list[str] = []
        for part in document.parts:
            if part.index >= len(after):
                break
            boxes = [pymupdf.Rect(b.bbox) for b in part.blocks if b.translation is not None and b.bbox is not None]
            lines = _lines(after[part.index])
            for rect, text in lines:
                center = pymupdf.Point((rect.x0 + rect.x1) / 2, (rect.y0 + rect.y1) / 2)
                home = next((box for box in boxes if center in box), None)
                if home is None:
                    continue
                placed += 1
                translated_text.append(text)
                if not (home + (-TOLERANCE, -TOLERANCE, TOLERANCE, TOLERANCE)).contains(rect):
                    outside += 1
            for i, (first, _) in enumerate(lines):
                for second, _ in lines[i + 1 :]:
                    common = first & second
                    if not common.is_empty and common.width > TOLERANCE and common.height > TOLERANCE:
                        overlaps += 1
        report = FidelityReport(
            pages_original=len(before),
            pages_translated=len(after),
            images_identical=images,
            drawings_identical=drawings,
            lines_placed=placed,
            lines_outside_box=outside,
            overlapping_lines=overlaps,
            target_share=target_share(" ".join(translated_text), document.target_lang),
        )
    if report.pages_original != report.pages_translated:
        problems.append(f"page count changed: {report.pages_original} → {report.pages_translated}")
    if not images:
        problems.append("images differ")
    if not drawings:
        problems.append("vector drawings differ")
    if outside:
        problems.append(f"{outside} line(s) outside their box")
    if overlaps:
        problems.append(f"{overlaps} overlapping line pair(s)")
    report.problems = problems
    return report
