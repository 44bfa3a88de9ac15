"""One intermediate representation for PDF, DOCX and PPTX: document → parts (pages, slides, sections) → blocks.

Stages read and write only this IR; format adapters build it (parse) and write it back (render). ``to_json``
is what ``--debug`` dumps after each stage.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from medbridge.translate.base import QAProblem

DocumentFormat = Literal["pdf", "docx", "pptx"]
PartKind = Literal["page", "slide", "part"]
BlockKind = Literal["paragraph", "cell", "header", "footer", "footnote", "textbox", "notes", "ocr"]
BBox = tuple[float, float, float, float]


@dataclass(slots=True)
class Run:
    """Text sharing one style; styles are carried through translation as <b>, <i>, <sup>, <sub> tags."""

    text: str
    bold: bool = False
    italic: bool = False
    superscript: bool = False
    subscript: bool = False

    @property
    def style(self) -> tuple[bool, bool, bool, bool]:
        return (self.bold, self.italic, self.superscript, self.subscript)


@dataclass(slots=True)
class Block:
    id: str                          # stable across parses of the same file: "p2-b7", "s1-sh4-p0", "body-p12"
    kind: BlockKind
    runs: list[Run]
    bbox: BBox | None = None         # PDF points (x0, y0, x1, y1); None where the format flows text
    font: str = ""
    size: float = 0.0                # original font size in points (0 = inherited/unknown)
    color: int = 0                   # sRGB integer, as PyMuPDF reports it
    serif: bool = False
    skip: str | None = None          # why it stays untranslated: formula, number, url, code, empty
    translation: str | None = None   # translated markup (see markup.py)
    problems: list[QAProblem] = field(default_factory=list)
    flagged: bool = False
    frame: str | None = None         # text frame shared with neighbouring blocks (PPTX): fitted as one
    fitted_size: float | None = None  # chosen by Typeset: font size that fits the box
    line_height: float | None = None  # chosen by Typeset: CSS line-height factor

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)

    @property
    def translatable(self) -> bool:
        return self.skip is None


@dataclass(slots=True)
class Part:
    index: int
    kind: PartKind
    name: str = ""                   # "page 3", "slide 2", "header", "footnotes"
    width: float = 0.0
    height: float = 0.0
    blocks: list[Block] = field(default_factory=list)
    ocr: bool = False                # text came from OCR of a scanned page


@dataclass(slots=True)
class Document:
    path: Path
    format: DocumentFormat
    source_lang: str
    target_lang: str
    parts: list[Part] = field(default_factory=list)

    def blocks(self) -> list[Block]:
        return [block for part in self.parts for block in part.blocks]

    def translatable_blocks(self) -> list[Block]:
        return [block for block in self.blocks() if block.translatable]

    @property
    def ocr_parts(self) -> list[int]:
        return [part.index for part in self.parts if part.ocr]

    def to_json(self) -> str:
        def default(value: object) -> object:
            if isinstance(value, Path):
                return str(value)
            raise TypeError(type(value))

        return json.dumps(dataclasses.asdict(self), ensure_ascii=False, indent=1, default=default)
