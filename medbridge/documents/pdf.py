"""PDF in and out with PyMuPDF: text blocks with positions and styles in, translations set into the same boxes out.

Only text is removed (redactions keep images and vector graphics); each translation is laid out with MuPDF's
HTML engine, which falls back to embedded fonts for CJK, Arabic, Devanagari, Thai, ... and is subset on save.
"""

from __future__ import annotations

import html
import os
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pymupdf

from medbridge.documents.errors import DocumentError
from medbridge.documents.intake import DocumentLimits
from medbridge.documents.ir import BBox, Block, Document, Part, Run
from medbridge.documents.ocr import PageOcr
from medbridge.documents.segments import translated_runs
from medbridge.text import is_cjk

# PyMuPDF span flags
_SUPERSCRIPT, _ITALIC, _SERIF, _BOLD = 1, 2, 4, 16
OCR_ZOOM = 2.0                 # render scanned pages at 144 dpi for OCR
SIZE_STEPS = (1.0, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.55, 0.5)
LINE_HEIGHTS = (1.2, 1.1, 1.0)
MIN_FONT_SIZE = 4.0
_SENTENCE_END = re.compile(r"[.!?:;。！？：；]\s*$")


def open_pdf(path: Path, limits: DocumentLimits) -> pymupdf.Document:
    try:
        doc = pymupdf.open(path, filetype="pdf")
    except (pymupdf.FileDataError, RuntimeError) as exc:
        raise DocumentError(f"{path.name}: damaged PDF ({exc})") from exc
    if doc.needs_pass:
        doc.close()
        raise DocumentError(f"{path.name}: the PDF is password-protected; remove the password and upload it again")
    if doc.page_count == 0:
        doc.close()
        raise DocumentError(f"{path.name}: the PDF has no pages")
    if doc.page_count > limits.max_pages:
        count = doc.page_count
        doc.close()
        raise DocumentError(f"{path.name}: {count} pages is over the {limits.max_pages}-page limit")
    return doc


class PdfAdapter:
    format = "pdf"

    def __init__(self, path: Path, limits: DocumentLimits, ocr: PageOcr | None = None):
        self.path = path
        self.limits = limits
        self.ocr = ocr or PageOcr()

    # -- Parse --------------------------------------------------------------------------------
    def parse(self, source_lang: str, target_lang: str) -> Document:
        document = Document(self.path, "pdf", source_lang, target_lang)
        with open_pdf(self.path, self.limits) as doc:
            for page in doc:
                part = Part(page.number, "page", f"page {page.number + 1}", page.rect.width, page.rect.height)
                part.blocks = self._page_blocks(page)
                if not part.blocks and page.get_images():
                    part.blocks = self._ocr_blocks(page)
                    part.ocr = bool(part.blocks)
                document.parts.append(part)
        if not any(part.blocks for part in document.parts):
            raise DocumentError(f"{self.path.name}: no text found, not even by OCR")
        return document

    def _page_blocks(self, page: pymupdf.Page) -> list[Block]:
        cells = [pymupdf.Rect(cell) for table in page.find_tables().tables for cell in table.cells if cell]
        cell_runs: dict[int, list[tuple[BBox, list[dict]]]] = {}
        blocks: list[Block] = []
        data = page.get_text("dict", flags=pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP)
        for raw in data["blocks"]:
            if raw.get("type") != 0:
                continue
            free_lines = []
            for line in raw["lines"]:
                if tuple(round(v, 3) for v in line["dir"]) != (1.0, 0.0):
                    continue  # rotated text (axis labels, margins) stays as it is
                box = pymupdf.Rect(line["bbox"])
                center = pymupdf.Point((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2)
                cell_index = next((i for i, cell in enumerate(cells) if center in cell), None)
                if cell_index is None:
                    free_lines.append(line)
                else:
                    cell_runs.setdefault(cell_index, []).append((tuple(line["bbox"]), line["spans"]))
            if free_lines:
                block = _block_from_lines(f"p{page.number}-b{raw['number']}", "paragraph", free_lines)
                if block.text.strip():
                    blocks.append(block)
        for index, lines in sorted(cell_runs.items()):
            cell = cells[index]
            block = _block_from_lines(f"p{page.number}-c{index}", "cell", [{"bbox": b, "spans": s} for b, s in lines])
            # the whole cell less a hair, so the translation may use the cell's width but never touches its rules
            block.bbox = tuple(cell + (1, 1, -1, -1))
            if block.text.strip():
                blocks.append(block)
        return blocks

    def _ocr_blocks(self, page: pymupdf.Page) -> list[Block]:
        pix = page.get_pixmap(matrix=pymupdf.Matrix(OCR_ZOOM, OCR_ZOOM), colorspace=pymupdf.csRGB, alpha=False)
        image = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.width, 3)
        blocks: list[Block] = []
        current: list[tuple[BBox, str]] = []
        for line in self.ocr.read(image):
            box = tuple(v / OCR_ZOOM for v in line.bbox)
            if current and not _same_paragraph(current[-1][0], box):
                blocks.append(_ocr_block(f"p{page.number}-o{len(blocks)}", current))
                current = []
            current.append((box, line.text))
        if current:
            blocks.append(_ocr_block(f"p{page.number}-o{len(blocks)}", current))
        return blocks

    # -- FindParagraphs: join blocks MuPDF split inside one paragraph -----------------------------
    def group_paragraphs(self, document: Document) -> None:
        for part in document.parts:
            merged: list[Block] = []
            for block in part.blocks:
                previous = merged[-1] if merged else None
                if previous is not None and _continues(previous, block, part.blocks):
                    joiner = "" if is_cjk(previous.text[-1:]) else " "
                    previous.runs.append(Run(joiner, *previous.runs[-1].style))
                    previous.runs.extend(block.runs)
                    previous.bbox = tuple(pymupdf.Rect(previous.bbox) | pymupdf.Rect(block.bbox))
                else:
                    merged.append(block)
            part.blocks = merged

    # -- Typeset: the largest size (then tightest leading) at which the translation fits its box --------
    def typeset(self, document: Document) -> None:
        for block in document.blocks():
            if block.translation is None or block.bbox is None:
                continue
            rect = pymupdf.Rect(block.bbox)
            start = block.size or 10.0
            block.fitted_size, block.line_height = MIN_FONT_SIZE, LINE_HEIGHTS[-1]
            content = html_runs(translated_runs(block.runs, block.translation))
            for step in SIZE_STEPS:
                size = max(MIN_FONT_SIZE, start * step)
                fitted = next((lh for lh in LINE_HEIGHTS if _fits(content, _css(block, size, lh), rect)), None)
                if fitted is not None:
                    block.fitted_size, block.line_height = size, fitted
                    break

    # -- Render ---------------------------------------------------------------------------------------
    def render(self, document: Document, out: Path, dual_out: Path | None = None) -> None:
        with open_pdf(self.path, self.limits) as doc:
            for part in document.parts:
                self._render_page(doc[part.index], part)
            doc.subset_fonts()
            _save_atomically(doc, out)
            if dual_out is not None:
                with open_pdf(self.path, self.limits) as original, _side_by_side(original, doc) as dual:
                    _save_atomically(dual, dual_out)

    def _render_page(self, page: pymupdf.Page, part: Part) -> None:
        placed = [block for block in part.blocks if block.translation is not None and block.bbox is not None]
        if not placed:
            return
        if part.ocr:
            # the words are pixels of the scan: cover them, the image itself stays in the file unchanged
            for block in placed:
                page.draw_rect(pymupdf.Rect(block.bbox), color=None, fill=(1, 1, 1), overlay=True)
        else:
            for block in placed:
                page.add_redact_annot(pymupdf.Rect(block.bbox), fill=False, cross_out=False)
            page.apply_redactions(
                images=pymupdf.PDF_REDACT_IMAGE_NONE,
                graphics=pymupdf.PDF_REDACT_LINE_ART_NONE,
                text=pymupdf.PDF_REDACT_TEXT_REMOVE,
            )
        for block in placed:
            content = html_runs(translated_runs(block.runs, block.translation or ""))
            css = _css(block, block.fitted_size or block.size or 10.0, block.line_height or 1.1)
            # scale_low=0 lets MuPDF shrink further when even the smallest step did not fit: never overflow
            page.insert_htmlbox(pymupdf.Rect(block.bbox), content, css=css, scale_low=0)


def _block_from_lines(block_id: str, kind: str, lines: list[dict]) -> Block:
    runs: list[Run] = []
    sizes: Counter[float] = Counter()
    colors: Counter[int] = Counter()
    serif: Counter[bool] = Counter()
    fonts: list[str] = []
    for line in lines:
        text_so_far = "".join(run.text for run in runs)
        if runs and text_so_far:
            if text_so_far.endswith("-") and not text_so_far.endswith(" -"):
                runs[-1].text = runs[-1].text[:-1]  # hyphenated word across a line break
            elif not is_cjk(text_so_far[-1]) and not text_so_far.endswith(" "):
                runs.append(Run(" ", *runs[-1].style))
        for span in line["spans"]:
            text = span.get("text", "")
            if not text:
                continue
            flags = span.get("flags", 0)
            font = span.get("font", "")
            run = Run(
                text,
                bold=bool(flags & _BOLD) or "bold" in font.lower(),
                italic=bool(flags & _ITALIC) or "italic" in font.lower() or "oblique" in font.lower(),
                superscript=bool(flags & _SUPERSCRIPT),
            )
            if runs and runs[-1].style == run.style:
                runs[-1].text += text
            else:
                runs.append(run)
            weight = len(text.strip())
            sizes[round(span.get("size", 0.0), 1)] += weight
            colors[span.get("color", 0)] += weight
            serif[bool(flags & _SERIF)] += weight
            if text.strip():
                fonts.append(font)
    rect = pymupdf.Rect(lines[0]["bbox"])
    for line in lines[1:]:
        rect |= pymupdf.Rect(line["bbox"])
    return Block(
        block_id,
        kind,  # type: ignore[arg-type]
        runs,
        bbox=tuple(rect),
        font=Counter(fonts).most_common(1)[0][0] if fonts else "",
        size=sizes.most_common(1)[0][0] if sizes else 0.0,
        color=colors.most_common(1)[0][0] if colors else 0,
        serif=serif.most_common(1)[0][0] if serif else False,
    )


def _same_paragraph(previous: BBox, box: BBox) -> bool:
    height = previous[3] - previous[1]
    return abs(box[0] - previous[0]) < 2 * height and 0 <= box[1] - previous[3] < 0.8 * height


def _ocr_block(block_id: str, lines: list[tuple[BBox, str]]) -> Block:
    rect = pymupdf.Rect()
    for box, _ in lines:
        rect |= pymupdf.Rect(box)
    text = ""
    for _, line_text in lines:
        text += ("" if not text or is_cjk(text[-1]) else " ") + line_text
    height = sum(box[3] - box[1] for box, _ in lines) / len(lines)
    return Block(block_id, "ocr", [Run(text)], bbox=tuple(rect), size=round(height * 0.8, 1))


def _continues(previous: Block, block: Block, neighbours: list[Block]) -> bool:
    """Same column, same size, close below, and the previous text stops mid-sentence."""
    if previous.kind != "paragraph" or block.kind != "paragraph" or previous.bbox is None or block.bbox is None:
        return False
    if abs(previous.size - block.size) > 0.5 or abs(previous.bbox[0] - block.bbox[0]) > 2:
        return False
    gap = block.bbox[1] - previous.bbox[3]
    if not 0 <= gap < 1.5 * max(previous.size, 1):
        return False
    if _SENTENCE_END.search(previous.text) or not block.text[:1].islower():
        return False
    union = pymupdf.Rect(previous.bbox) | pymupdf.Rect(block.bbox)
    return not any(
        other is not previous and other is not block and other.bbox and union.intersects(pymupdf.Rect(other.bbox))
        for other in neighbours
    )


def html_runs(runs: list[Run]) -> str:
    pieces = []
    for run in runs:
        text = html.escape(run.text, quote=False)
        for tag, on in zip(("b", "i", "sup", "sub"), run.style):
            if on:
                text = f"<{tag}>{text}</{tag}>"
        pieces.append(text)
    return "".join(pieces)


def _css(block: Block, size: float, line_height: float) -> str:
    family = "serif" if block.serif else "sans-serif"
    # body and p are named because MuPDF's default sheet gives them 1em margins that '*' does not override
    return (
        f"body, p {{margin: 0; padding: 0;}} * {{font-family: {family}; font-size: {size:.2f}pt; "
        f"line-height: {line_height}; color: #{block.color & 0xFFFFFF:06x};}}"
    )


def _fits(content: str, css: str, rect: pymupdf.Rect) -> bool:
    """Laid out in an unbounded column of the box's width, does the text end inside the box?
    (Story.place into the box itself can report "all placed" while the text runs past its bottom.)"""
    story = pymupdf.Story(content, user_css=css)
    more, filled = story.place(pymupdf.Rect(rect.x0, rect.y0, rect.x1, rect.y0 + 100_000))
    return more == 0 and filled[3] <= rect.y1 + 0.01 and filled[2] <= rect.x1 + 0.01


def _side_by_side(original: pymupdf.Document, translated: pymupdf.Document) -> pymupdf.Document:
    """Original page on the left, its translation on the right, one wide page per original page."""
    dual = pymupdf.open()
    for index in range(original.page_count):
        rect = original[index].rect
        page = dual.new_page(width=rect.width * 2, height=rect.height)
        page.show_pdf_page(pymupdf.Rect(0, 0, rect.width, rect.height), original, index)
        page.show_pdf_page(pymupdf.Rect(rect.width, 0, rect.width * 2, rect.height), translated, index)
    return dual


def _save_atomically(doc: pymupdf.Document, out: Path) -> None:
    """Write beside the target and rename, so a half-written file never carries the final name."""
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(f".{out.name}.part")
    doc.save(temp, garbage=1, deflate=True)
    os.replace(temp, out)
