"""Reading glossaries: the packaged reviewed TSVs and a user's CSV of preferred translations."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from pathlib import Path

from medbridge.errors import MedbridgeError
from medbridge.terms.base import GlossaryEntry
from medbridge.terms.matching import en_key, singular_candidates
from medbridge.text import is_cjk

TSV_COLUMNS = ("en", "zh", "category", "mesh_ui", "zh_variants", "en_variants")
SENSES_COLUMN = "senses"  # optional seventh column: sense=rendering|sense=rendering
SENSES = ("attributive", "general")  # used before a noun ("antidepressant effect"); the everyday sense ("mood")
VARIANT_SEPARATOR = "|"
MESH_UI_PATTERN = re.compile(r"D\d{6,9}")


class GlossaryFormatError(MedbridgeError):
    """A glossary file the user (or a curator) supplied has a row that cannot be used."""


def _split_variants(cell: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in cell.split(VARIANT_SEPARATOR) if v.strip())


def read_glossary_tsv(path: Path) -> list[GlossaryEntry]:
    """Read one reviewed glossary TSV (header row = TSV_COLUMNS); raise GlossaryFormatError naming file:line."""
    entries: list[GlossaryEntry] = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        columns = tuple(h.strip() for h in header) if header else ()
        if columns not in (TSV_COLUMNS, (*TSV_COLUMNS, SENSES_COLUMN)):
            raise GlossaryFormatError(f"{path}:1: header must be {' / '.join(TSV_COLUMNS)} [/ {SENSES_COLUMN}]")
        for line_no, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) not in (len(TSV_COLUMNS), len(columns)):  # the senses cell may be left out
                raise GlossaryFormatError(f"{path}:{line_no}: expected {len(columns)} tab-separated columns, got {len(row)}")
            en, zh, category, mesh_ui, zh_variants, en_variants = (cell.strip() for cell in row[:6])
            senses = _parse_senses(f"{path}:{line_no}", row[6]) if len(row) > 6 else ()
            entries.append(
                _validated(
                    f"{path}:{line_no}",
                    en=en,
                    zh=zh,
                    category=category,
                    mesh_ui=mesh_ui,
                    zh_variants=_split_variants(zh_variants),
                    en_variants=_split_variants(en_variants),
                    senses=senses,
                )
            )
    return entries


def _parse_senses(where: str, cell: str) -> tuple[tuple[str, str], ...]:
    senses = []
    for item in _split_variants(cell):
        sense, _, zh = item.partition("=")
        if sense.strip() not in SENSES or not is_cjk(zh):
            raise GlossaryFormatError(f"{where}: sense {item!r} must be one of {', '.join(SENSES)} = a Chinese rendering")
        senses.append((sense.strip(), zh.strip()))
    return tuple(senses)


def read_glossary_dir(folder: Path) -> list[GlossaryEntry]:
    """Every *.tsv in the folder, in file-name order (so the data version hash is stable)."""
    entries: list[GlossaryEntry] = []
    for path in sorted(folder.glob("*.tsv")):
        entries.extend(read_glossary_tsv(path))
    return entries


def load_user_glossary(path_csv: str | Path) -> list[GlossaryEntry]:
    """A user's CSV of preferred translations: columns en,zh[,category,mesh_ui]; an optional header row.

    Raises GlossaryFormatError naming the file and line of the first bad row.
    """
    path = Path(path_csv)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise GlossaryFormatError(f"{path}: glossary file not found") from exc
    except UnicodeDecodeError as exc:
        raise GlossaryFormatError(f"{path}: glossary must be UTF-8 text") from exc
    entries: list[GlossaryEntry] = []
    for line_no, row in enumerate(csv.reader(text.splitlines()), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if line_no == 1 and cells[0].lower() == "en" and len(cells) > 1 and cells[1].lower() == "zh":
            continue  # header row
        if not 2 <= len(cells) <= 4:
            raise GlossaryFormatError(f"{path}:{line_no}: expected columns en,zh[,category,mesh_ui], got {len(cells)} columns")
        en, zh, category, mesh_ui = (cells + ["", ""])[:4]
        entries.append(_validated(f"{path}:{line_no}", en=en, zh=zh, category=category, mesh_ui=mesh_ui))
    if not entries:
        raise GlossaryFormatError(f"{path}: glossary has no entries")
    return entries


def _validated(
    where: str,
    *,
    en: str,
    zh: str,
    category: str,
    mesh_ui: str,
    zh_variants: Iterable[str] = (),
    en_variants: Iterable[str] = (),
    senses: tuple[tuple[str, str], ...] = (),
) -> GlossaryEntry:
    if not en:
        raise GlossaryFormatError(f"{where}: the English term is empty")
    if not zh:
        raise GlossaryFormatError(f"{where}: the Chinese term is empty")
    if not is_cjk(zh):
        raise GlossaryFormatError(f"{where}: the Chinese term {zh!r} has no Chinese characters (are en and zh swapped?)")
    if mesh_ui and not MESH_UI_PATTERN.fullmatch(mesh_ui):
        raise GlossaryFormatError(f"{where}: {mesh_ui!r} is not a MeSH descriptor UI like D000544")
    return GlossaryEntry(
        en=en,
        zh=zh,
        category=category,
        mesh_ui=mesh_ui or None,
        zh_variants=tuple(zh_variants),
        en_variants=tuple(en_variants),
        senses=senses,
    )


def glossary_conflicts(entries: Iterable[tuple[str, GlossaryEntry]]) -> list[str]:
    """Rows that contradict each other, given as (source name, entry) pairs; one message per problem.

    A conflict is one English term given two unrelated Chinese terms, or one Chinese term given two
    unrelated English terms. Rows sharing a MeSH descriptor are one concept; otherwise Chinese terms
    are related when one lists the other as a variant, English terms when their forms (variants and
    regular singulars included) meet.
    """
    by_en: dict[tuple[str, ...], list[tuple[str, GlossaryEntry]]] = {}
    by_zh: dict[str, list[tuple[str, GlossaryEntry]]] = {}
    for source, entry in entries:
        by_en.setdefault(en_key(entry.en), []).append((source, entry))
        by_zh.setdefault(entry.zh, []).append((source, entry))
    problems = []
    for found in by_en.values():
        (first_source, first), *others = found
        for source, other in others:
            if not (_same_concept(first, other) or _zh_related(first, other)):
                problems.append(f"{first.en!r} is {first.zh} ({first_source}) and {other.zh} ({source})")
    for zh, found in by_zh.items():
        (first_source, first), *others = found
        for source, other in others:
            if not (_same_concept(first, other) or _en_forms(first) & _en_forms(other)):
                problems.append(f"{zh} is {first.en!r} ({first_source}) and {other.en!r} ({source})")
    return problems


def _same_concept(a: GlossaryEntry, b: GlossaryEntry) -> bool:
    return a.mesh_ui is not None and a.mesh_ui == b.mesh_ui


def _zh_related(a: GlossaryEntry, b: GlossaryEntry) -> bool:
    return a.zh == b.zh or a.zh in b.zh_variants or b.zh in a.zh_variants


def _en_forms(entry: GlossaryEntry) -> set[tuple[str, ...]]:
    forms = set()
    for form in (entry.en, *entry.en_variants):
        key = en_key(form)
        if key:
            forms.add(key)
            forms.update(key[:-1] + (singular,) for singular in singular_candidates(key[-1]))
    return forms
