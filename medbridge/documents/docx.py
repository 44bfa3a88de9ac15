"""Word documents with python-docx: every paragraph of the body, tables, text boxes, headers, footers and
footnotes, translated run by run so bold/italic/superscript stay on the right words; styles are never touched.

Paragraphs are found as ``w:p`` elements of each story part, so nested tables and text boxes come for free.
"""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path

from docx import Document as open_docx
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from docx.text.run import Run as DocxRun
from lxml import etree

from medbridge.documents.errors import DocumentError
from medbridge.documents.intake import DocumentLimits
from medbridge.documents.ir import Block, BlockKind, Document, Part, Run
from medbridge.documents.segments import translated_runs

STORY_PART = re.compile(r"^/word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml$")
# runs holding anything but text (pictures, footnote marks, fields) keep their place and are never rewritten
_NON_TEXT = {qn(tag) for tag in ("w:drawing", "w:pict", "w:object", "w:footnoteReference", "w:endnoteReference",
                                  "w:footnoteRef", "w:endnoteRef", "w:fldChar", "w:instrText", "w:separator",
                                  "w:continuationSeparator", "w:sym")}


class _StoryPart:
    """One XML part holding paragraphs; python-docx leaves footnotes as raw bytes, so parse those ourselves."""

    def __init__(self, part):
        self.part = part
        self.name = str(part.partname).rsplit("/", 1)[-1].removesuffix(".xml")
        self.element = part.element if hasattr(part, "element") else parse_xml(part.blob)

    def paragraphs(self) -> list[etree._Element]:
        return list(self.element.iter(qn("w:p")))

    def commit(self) -> None:
        if not hasattr(self.part, "element"):
            self.part._blob = etree.tostring(self.element, xml_declaration=True, encoding="UTF-8", standalone=True)


class DocxAdapter:
    format = "docx"

    def __init__(self, path: Path, limits: DocumentLimits):
        self.path = path
        self.limits = limits

    def _open(self):
        try:
            return open_docx(str(self.path))
        except (PackageNotFoundError, KeyError, ValueError, etree.XMLSyntaxError) as exc:
            raise DocumentError(f"{self.path.name}: damaged Word document ({exc})") from exc

    def _stories(self, doc) -> list[_StoryPart]:
        parts = [part for part in doc.part.package.iter_parts() if STORY_PART.match(str(part.partname))]
        # body first, then headers, footers, notes: the order a reader meets them
        parts.sort(key=lambda p: (0 if "document" in str(p.partname) else 1, str(p.partname)))
        return [_StoryPart(part) for part in parts]

    def parse(self, source_lang: str, target_lang: str) -> Document:
        document = Document(self.path, "docx", source_lang, target_lang)
        for index, story in enumerate(self._stories(self._open())):
            part = Part(index, "part", story.name)
            for number, p in enumerate(story.paragraphs()):
                runs = [_ir_run(run) for run in _text_runs(p)]
                if any(run.text.strip() for run in runs):
                    part.blocks.append(Block(f"{story.name}-p{number}", _kind(story.name, p), runs))
            document.parts.append(part)
        if not document.blocks():
            raise DocumentError(f"{self.path.name}: the document has no text")
        return document

    def group_paragraphs(self, document: Document) -> None:
        """Word already stores paragraphs whole."""

    def typeset(self, document: Document) -> None:
        """Word reflows text itself; sizes stay as the styles set them."""

    def render(self, document: Document, out: Path, dual_out: Path | None) -> None:
        for target, bilingual in ((out, False), (dual_out, True)):
            if target is None:
                continue
            doc = self._open()
            translations = {block.id: block for block in document.blocks() if block.translation is not None}
            for story in self._stories(doc):
                for number, p in enumerate(story.paragraphs()):
                    block = translations.get(f"{story.name}-p{number}")
                    if block is None:
                        continue
                    if bilingual:  # original paragraph, then its translation as a copy with the same style
                        p.addnext(copy.deepcopy(p))
                        p = p.getnext()
                    _write_runs(p, translated_runs(block.runs, block.translation or ""))
                story.commit()
            target.parent.mkdir(parents=True, exist_ok=True)
            temp = target.with_name(f".{target.name}.part")
            doc.save(str(temp))
            os.replace(temp, target)


def _kind(story: str, p: etree._Element) -> BlockKind:
    if story.startswith("header"):
        return "header"
    if story.startswith("footer"):
        return "footer"
    if story in ("footnotes", "endnotes"):
        return "footnote"
    ancestors = {el.tag for el in p.iterancestors()}
    if qn("w:txbxContent") in ancestors:
        return "textbox"
    return "cell" if qn("w:tc") in ancestors else "paragraph"


def _text_runs(p: etree._Element) -> list[etree._Element]:
    """The paragraph's own runs that hold only text (runs of nested text boxes belong to their own w:p)."""
    return [
        r for r in p.iterchildren(qn("w:r"))
        if r.find(qn("w:t")) is not None and not any(True for _ in r.iter(*_NON_TEXT))
    ]


def _ir_run(r: etree._Element) -> Run:
    run = DocxRun(r, None)  # type: ignore[arg-type]
    return Run(run.text, bool(run.bold), bool(run.italic), bool(run.font.superscript), bool(run.font.subscript))


def _write_runs(p: etree._Element, runs: list[Run]) -> None:
    """Replace the paragraph's text runs with the translated ones, each cloned from an original run of the same
    style (so fonts, colours and sizes carry over)."""
    originals = _text_runs(p)
    if not originals:
        return
    anchor = originals[0]
    for new in runs:
        template = next((r for r in originals if _ir_run(r).style == new.style), originals[0])
        clone = copy.deepcopy(template)
        for child in list(clone):
            if child.tag != qn("w:rPr"):
                clone.remove(child)
        wrapped = DocxRun(clone, Paragraph(p, None))  # type: ignore[arg-type]
        if _ir_run(template).style != new.style:
            wrapped.bold, wrapped.italic = new.bold or None, new.italic or None
            wrapped.font.superscript, wrapped.font.subscript = new.superscript or None, new.subscript or None
        wrapped.text = new.text
        anchor.addprevious(clone)
    for r in originals:
        p.remove(r)
