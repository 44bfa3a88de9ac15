"""Terminology types shared by search (query understanding) and translation (glossary injection, QA)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True, frozen=True)
class GlossaryEntry:
    en: str                      # approved English form, e.g. "ketamine"
    zh: str                      # approved Simplified Chinese form, e.g. "氯胺酮"
    category: str = ""           # disease, drug, anatomy, gene, design, statistics, ...
    mesh_ui: str | None = None   # e.g. "D007649"
    zh_variants: tuple[str, ...] = field(default_factory=tuple)  # other Chinese spellings users type
    en_variants: tuple[str, ...] = field(default_factory=tuple)  # other English forms (plural, abbreviations)
