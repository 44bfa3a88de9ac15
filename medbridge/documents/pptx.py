"""PowerPoint decks with python-pptx: every shape's text frame (grouped shapes included), table cells and
speaker notes; a frame whose translation no longer fits gets a smaller font size, measured with MuPDF's layout."""

from __future__ import annotations

import copy
import os
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Iterator

import pymupdf
from lxml import etree
from pptx import Presentation
from pptx.exc import PackageNotFoundError

from medbridge.documents.errors import DocumentError
from medbridge.documents.intake import DocumentLimits
from medbridge.documents.ir import Block, BlockKind, Document, Part, Run
from medbridge.documents.pdf import LINE_HEIGHTS, MIN_FONT_SIZE, SIZE_STEPS, html_runs
from medbridge.documents.segments import translated_runs

EMU_PER_PT = 12700
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
# what a placeholder inherits from a default master when its runs set no size
_INHERITED_SIZE = {"title": 44.0, "center_title": 44.0, "subtitle": 32.0, "body": 28.0}
_DEFAULT_SIZE = 18.0


class PptxAdapter:
    format = "pptx"

    def __init__(self, path: Path, limits: DocumentLimits):
        self.path = path
        self.limits = limits

    def _open(self):
        try:
            prs = Presentation(str(self.path))
        except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile, etree.XMLSyntaxError) as exc:
            raise DocumentError(f"{self.path.name}: damaged PowerPoint file ({exc})") from exc
        if len(prs.slides) > self.limits.max_pages:
            raise DocumentError(f"{self.path.name}: {len(prs.slides)} slides is over the {self.limits.max_pages}-slide limit")
        return prs

    def _frames(self, prs) -> Iterator[tuple[int, str, BlockKind, object, tuple[float, float, float, float] | None, float]]:
        """(slide index, frame id, kind, text frame, box in points, inherited font size) in reading order."""
        for index, slide in enumerate(prs.slides):
            for shape in _all_shapes(slide.shapes):
                box = _box(shape)
                if shape.has_text_frame:
                    yield index, f"s{index}-sh{shape.shape_id}", "paragraph", shape.text_frame, box, _inherited_size(shape)
                if getattr(shape, "has_table", False) and shape.has_table:
                    for r, row in enumerate(shape.table.rows):
                        for c, cell in enumerate(row.cells):
                            yield index, f"s{index}-sh{shape.shape_id}-r{r}c{c}", "cell", cell.text_frame, None, _DEFAULT_SIZE
            if slide.has_notes_slide:
                yield index, f"s{index}-notes", "notes", slide.notes_slide.notes_text_frame, None, 12.0

    def parse(self, source_lang: str, target_lang: str) -> Document:
        prs = self._open()
        document = Document(self.path, "pptx", source_lang, target_lang)
        document.parts = [Part(i, "slide", f"slide {i + 1}", prs.slide_width / EMU_PER_PT, prs.slide_height / EMU_PER_PT)
                          for i in range(len(prs.slides))]
        for index, frame_id, kind, frame, box, inherited in self._frames(prs):
            for number, paragraph in enumerate(frame.paragraphs):
                runs = [_ir_run(run) for run in paragraph.runs]
                if not any(run.text.strip() for run in runs):
                    continue
                sizes = [run.font.size.pt for run in paragraph.runs if run.font.size is not None]
                document.parts[index].blocks.append(
                    Block(f"{frame_id}-p{number}", kind, runs, bbox=box, size=max(sizes, default=inherited), frame=frame_id)
                )
        if not document.blocks():
            raise DocumentError(f"{self.path.name}: the presentation has no text")
        return document

    def group_paragraphs(self, document: Document) -> None:
        """Slides store paragraphs whole."""

    def typeset(self, document: Document) -> None:
        """Shrink every paragraph of a shape's frame by the same step until the translation is no taller than
        the original text (or the frame, whichever is taller)."""
        frames: dict[str, list[Block]] = defaultdict(list)
        for block in document.blocks():
            if block.bbox is not None and block.frame is not None:
                frames[block.frame].append(block)
        for blocks in frames.values():
            box = blocks[0].bbox
            assert box is not None
            width = max(box[2] - box[0] - 14.4, 10)  # default left/right insets 0.1 in
            available = max(box[3] - box[1] - 7.2, _height(blocks, width, 1.0, LINE_HEIGHTS[0], translated=False))
            for step in SIZE_STEPS:
                fitted = next((lh for lh in LINE_HEIGHTS if _height(blocks, width, step, lh, translated=True) <= available), None)
                if fitted is not None or step == SIZE_STEPS[-1]:
                    for block in blocks:
                        block.fitted_size = max(MIN_FONT_SIZE, block.size * step)
                        block.line_height = fitted or LINE_HEIGHTS[-1]
                    break

    def render(self, document: Document, out: Path, dual_out: Path | None) -> None:
        blocks = {block.id: block for block in document.blocks() if block.translation is not None}
        for target, bilingual in ((out, False), (dual_out, True)):
            if target is None:
                continue
            prs = self._open()
            for _, frame_id, _, frame, _, _ in self._frames(prs):
                for number, paragraph in enumerate(list(frame.paragraphs)):
                    block = blocks.get(f"{frame_id}-p{number}")
                    if block is None:
                        continue
                    p = paragraph._p
                    if bilingual:  # original paragraph, then the translation as a copy of it
                        p.addnext(copy.deepcopy(p))
                        p = p.getnext()
                    shrink = None if bilingual or not block.fitted_size or block.fitted_size >= block.size - 0.05 else block.fitted_size
                    _write_runs(p, translated_runs(block.runs, block.translation or ""), shrink)
            target.parent.mkdir(parents=True, exist_ok=True)
            temp = target.with_name(f".{target.name}.part")
            prs.save(str(temp))
            os.replace(temp, target)


def _all_shapes(shapes) -> Iterator:
    for shape in shapes:
        yield shape
        if shape.shape_type is not None and hasattr(shape, "shapes"):  # group shape
            yield from _all_shapes(shape.shapes)


def _box(shape) -> tuple[float, float, float, float] | None:
    if shape.width is None or shape.height is None or shape.left is None or shape.top is None:
        return None
    left, top = shape.left / EMU_PER_PT, shape.top / EMU_PER_PT
    return (left, top, left + shape.width / EMU_PER_PT, top + shape.height / EMU_PER_PT)


def _inherited_size(shape) -> float:
    if shape.is_placeholder:
        kind = str(shape.placeholder_format.type).split(".")[-1].split(" ")[0].lower()
        return _INHERITED_SIZE.get(kind, _DEFAULT_SIZE)
    return _DEFAULT_SIZE


def _ir_run(run) -> Run:
    return Run(run.text, *_ir_run_from_xml(run._r))


def _height(blocks: list[Block], width: float, step: float, line_height: float, *, translated: bool) -> float:
    """Height the frame's paragraphs need at ``step`` × their size, laid out by MuPDF's HTML engine."""
    content = "".join(
        f'<p style="font-size:{max(MIN_FONT_SIZE, block.size * step):.1f}pt">'
        f"{html_runs(translated_runs(block.runs, block.translation or '') if translated and block.translation is not None else block.runs)}</p>"
        for block in blocks
    )
    story = pymupdf.Story(content, user_css=f"body, p {{margin: 0;}} * {{font-family: sans-serif; line-height: {line_height};}}")
    _, filled = story.place(pymupdf.Rect(0, 0, width, 100_000))
    return filled[3]


def _write_runs(p, runs: list[Run], size: float | None) -> None:
    """Replace a:r runs with translated ones cloned from same-styled originals; line breaks become spaces."""
    originals = list(p.iterchildren(f"{_A}r"))
    if not originals:
        return
    styles = [_ir_run_from_xml(r) for r in originals]
    anchor = originals[0]
    for new in runs:
        template = next((r for r, style in zip(originals, styles) if style == new.style), originals[0])
        clone = copy.deepcopy(template)
        clone.find(f"{_A}t").text = new.text
        rpr = clone.find(f"{_A}rPr")
        if rpr is None:
            rpr = etree.Element(f"{_A}rPr")
            clone.insert(0, rpr)
        if _ir_run_from_xml(template) != new.style:  # otherwise keep what the run inherits untouched
            rpr.set("b", "1" if new.bold else "0")
            rpr.set("i", "1" if new.italic else "0")
            rpr.attrib.pop("baseline", None)
            if new.superscript or new.subscript:
                rpr.set("baseline", "30000" if new.superscript else "-25000")
        if size is not None:
            rpr.set("sz", str(round(size * 100)))
        anchor.addprevious(clone)
    for child in originals + list(p.iterchildren(f"{_A}br")):
        p.remove(child)


def _ir_run_from_xml(r) -> tuple[bool, bool, bool, bool]:
    rpr = r.find(f"{_A}rPr")
    if rpr is None:
        return (False, False, False, False)
    baseline = int(rpr.get("baseline", "0"))
    return (rpr.get("b") in ("1", "true"), rpr.get("i") in ("1", "true"), baseline > 0, baseline < 0)
