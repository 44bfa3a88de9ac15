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
    # Renderings of another sense or part of speech, as (sense, zh): ("attributive", "抗抑郁") for "antidepressant
    # effect", ("general", "情绪") for mood in everyday text. Accepted by QA, never rewritten into the approved form.
    senses: tuple[tuple[str, str], ...] = field(default_factory=tuple)


@dataclass(slots=True, frozen=True)
class MeshDescriptor:
    ui: str                                     # e.g. "D007649"
    name: str                                   # preferred heading, e.g. "Ketamine"
    entry_terms: tuple[str, ...] = ()           # synonyms other than the name, e.g. ("Ketalar", "CI-581")
    tree_numbers: tuple[str, ...] = ()          # e.g. ("D02.033.455.400",); first letter = MeSH branch
