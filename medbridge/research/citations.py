"""Vancouver (NLM) references and the inline [n] markers of a review."""

from __future__ import annotations

import re
from typing import Iterable, Mapping

from medbridge.corpus.models import Record
from medbridge.research.models import EvidenceLevel, Reference

MAX_AUTHORS = 6  # NLM: list the first six, then "et al."
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
CITATION_MARK = re.compile(r"\[(\d+(?:\s*[,–-]\s*\d+)*)\]")


def vancouver(record: Record) -> str:
    """``Mattsson N, Zetterberg H, ... et al. Title. J Abbrev. 2009 Jul;302(4):385-93. doi: … PMID: ….``"""
    names = [a.short_name for a in record.authors if a.short_name]
    authors = ", ".join(names[:MAX_AUTHORS]) + (", et al" if len(names) > MAX_AUTHORS else "")
    title = record.title.strip()
    if title and title[-1] not in ".?!":
        title += "."
    journal = record.journal.short_name
    date = _date(record)
    volume = record.journal.volume or ""
    issue = f"({record.journal.issue})" if record.journal.issue else ""
    pages = f":{record.journal.pages}" if record.journal.pages else ""
    locator = f"{date};{volume}{issue}{pages}" if volume or issue else f"{date}{pages}"
    parts = [f"{authors}." if authors else "", title, f"{journal}." if journal else "", f"{locator}." if locator else ""]
    if record.doi:
        parts.append(f"doi: {record.doi}.")
    parts.append(f"PMID: {record.pmid}.")
    return " ".join(p for p in parts if p)


def _date(record: Record) -> str:
    date = record.pub_date
    if date.year is None:
        return (date.text or "").strip()
    text = str(date.year)
    if date.month:
        text += f" {_MONTHS[date.month - 1]}"
        if date.day:
            text += f" {date.day}"
    return text


def build_references(cited: Iterable[int], records: Mapping[int, Record],
                     levels: Mapping[int, EvidenceLevel | None] | None = None) -> list[Reference]:
    """Numbered in order of first citation; PMIDs missing from ``records`` never become references."""
    references = []
    for pmid in cited:
        record = records.get(pmid)
        if record is not None:
            references.append(Reference(len(references) + 1, pmid, vancouver(record), record.doi, (levels or {}).get(pmid)))
    return references


def marker(numbers: Iterable[int]) -> str:
    """[1], [1,2] or [1–3] for consecutive runs (Vancouver practice)."""
    ordered = sorted(set(numbers))
    if not ordered:
        return ""
    runs: list[list[int]] = [[ordered[0]]]
    for n in ordered[1:]:
        if n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    parts = [f"{r[0]}–{r[-1]}" if len(r) > 2 else ",".join(map(str, r)) for r in runs]
    return "[" + ",".join(parts) + "]"


def parse_marker(text: str) -> list[int]:
    """The numbers in every [n] marker of ``text`` ('[1,3–5]' → [1, 3, 4, 5])."""
    numbers: list[int] = []
    for match in CITATION_MARK.finditer(text):
        for part in re.split(r"\s*,\s*", match.group(1)):
            bounds = re.split(r"\s*[–-]\s*", part)
            if len(bounds) == 2:
                numbers.extend(range(int(bounds[0]), int(bounds[1]) + 1))
            else:
                numbers.append(int(bounds[0]))
    return numbers


def first_author_label(record: Record, lang: str) -> str:
    """'Mattsson et al. (2009)' / 'Mattsson 等（2009）' for the attribution that opens a quoted finding."""
    author = record.authors[0] if record.authors else None
    name = (author.collective_name or author.last_name or author.short_name) if author else ""
    year = record.year or ("n.d." if lang == "en" else "年份不详")
    many = len(record.authors) > 1
    if lang == "zh":
        return f"{name}{'等' if many else ''}（{year}）" if name else f"一项研究（{year}）"
    if not name:
        return f"A study ({year})"
    return f"{name}{' et al.' if many else ''} ({year})"
