"""Citation export: RIS, BibTeX and MEDLINE/NBIB (the format PubMed's "Send to: Citation manager" writes)."""

from __future__ import annotations

import re
import textwrap
from enum import Enum
from typing import TYPE_CHECKING, Callable, Iterable

if TYPE_CHECKING:  # annotations only: the CLI imports CitationFormat for its options without loading the models
    from medbridge.corpus.models import Record

PUBMED_URL = "https://pubmed.ncbi.nlm.nih.gov/{pmid}/"
_MONTH_ABBR = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


class CitationFormat(str, Enum):
    ris = "ris"
    bibtex = "bibtex"
    medline = "medline"

    @property
    def media_type(self) -> str:
        return {"ris": "application/x-research-info-systems", "bibtex": "application/x-bibtex",
                "medline": "application/x-nbib"}[self.value]

    @property
    def extension(self) -> str:
        return {"ris": "ris", "bibtex": "bib", "medline": "nbib"}[self.value]


def _page_range(pages: str | None) -> tuple[str | None, str | None]:
    """MEDLINE abbreviates end pages ("385-93" → 385, 393)."""
    if not pages:
        return None, None
    start, _, end = pages.partition("-")
    if end and start.isdigit() and end.isdigit() and len(end) < len(start):
        end = start[: len(start) - len(end)] + end
    return start or None, end or None


def to_ris(record: Record) -> str:
    lines: list[tuple[str, str]] = [("TY", "JOUR")]
    add = lambda tag, value: value and lines.append((tag, str(value)))  # noqa: E731
    add("TI", record.title)
    for author in record.authors:
        if author.collective_name:
            add("AU", author.collective_name)
        else:
            add("AU", ", ".join(p for p in (author.last_name, author.fore_name or author.initials) if p))
    add("PY", record.year)
    if record.pub_date.year:
        add("DA", "/".join([str(record.pub_date.year), f"{record.pub_date.month:02d}" if record.pub_date.month else "",
                            f"{record.pub_date.day:02d}" if record.pub_date.day else "", ""]))
    add("T2", record.journal.title)
    add("JO", record.journal.iso_abbreviation or record.journal.medline_ta)
    add("VL", record.journal.volume)
    add("IS", record.journal.issue)
    start, end = _page_range(record.journal.pages)
    add("SP", start)
    add("EP", end)
    add("SN", record.journal.issn)
    add("DO", record.doi)
    add("AB", record.abstract_text.replace("\n", " "))
    for keyword in record.keywords:
        add("KW", keyword.text)
    for heading in record.mesh:
        add("KW", heading.descriptor)
    for language in record.languages:
        add("LA", language)
    add("AN", record.pmid)
    add("UR", PUBMED_URL.format(pmid=record.pmid))
    lines.append(("ER", ""))
    return "\n".join(f"{tag}  - {value}".rstrip() for tag, value in lines) + "\n"


_BIBTEX_SPECIALS = re.compile(r"([&%$#_{}])")


def _bibtex_escape(text: str) -> str:
    text = text.replace("\\", r"\textbackslash{}").replace("~", r"\textasciitilde{}").replace("^", r"\textasciicircum{}")
    return _BIBTEX_SPECIALS.sub(r"\\\1", text)


def to_bibtex(record: Record) -> str:
    fields: list[tuple[str, str]] = []
    add = lambda name, value: value and fields.append((name, str(value)))  # noqa: E731
    names = []
    for author in record.authors:
        if author.collective_name:
            names.append("{" + _bibtex_escape(author.collective_name) + "}")
        else:
            names.append(", ".join(_bibtex_escape(p) for p in (author.last_name, author.fore_name or author.initials) if p))
    add("author", " and ".join(names))
    add("title", "{" + _bibtex_escape(record.title) + "}" if record.title else None)
    add("journal", _bibtex_escape(record.journal.title or record.journal.iso_abbreviation or ""))
    add("year", record.year)
    if record.pub_date.month:
        add("month", _MONTH_ABBR[record.pub_date.month - 1].lower())
    add("volume", _bibtex_escape(record.journal.volume or ""))
    add("number", _bibtex_escape(record.journal.issue or ""))
    start, end = _page_range(record.journal.pages)
    add("pages", f"{start}--{end}" if start and end else start)
    add("issn", record.journal.issn)
    add("doi", record.doi)
    add("pmid", record.pmid)
    add("pmcid", record.pmc_id)
    add("abstract", _bibtex_escape(record.abstract_text.replace("\n", " ")))
    add("keywords", _bibtex_escape(", ".join(k.text for k in record.keywords)))
    add("url", PUBMED_URL.format(pmid=record.pmid))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@article{{pmid{record.pmid},\n{body}\n}}\n"


def _medline_field(tag: str, value: str) -> str:
    wrapped = textwrap.wrap(value, width=82, break_long_words=False, break_on_hyphens=False) or [""]
    return "\n".join([f"{tag:<4}- {wrapped[0]}", *(f"      {line}" for line in wrapped[1:])])


def to_medline(record: Record) -> str:
    out: list[str] = []
    add = lambda tag, value: value and out.append(_medline_field(tag, str(value)))  # noqa: E731
    add("PMID", record.pmid)
    add("OWN", "NLM")
    add("STAT", record.status)
    add("LR", (record.date_revised or "").replace("-", ""))
    add("IS", f"{record.journal.issn} ({record.journal.issn_type})" if record.journal.issn_type else record.journal.issn)
    add("VI", record.journal.volume)
    add("IP", record.journal.issue)
    add("DP", record.pub_date.text or record.year)
    add("TI", record.title)
    add("PG", record.journal.pages)
    add("LID", f"{record.doi} [doi]" if record.doi else None)
    add("AB", record.abstract_text.replace("\n", " "))
    add("CI", record.copyright)
    for author in record.authors:
        if author.collective_name:
            add("CN", author.collective_name)
            continue
        add("FAU", ", ".join(p for p in (author.last_name, author.fore_name) if p))
        add("AU", author.short_name)
        add("AUID", f"ORCID: {author.orcid}" if author.orcid else None)
        for affiliation in author.affiliations:
            add("AD", affiliation)
    for language in record.languages:
        add("LA", language)
    for article_type in record.article_types:
        add("PT", article_type)
    add("TA", record.journal.medline_ta or record.journal.iso_abbreviation)
    add("JT", record.journal.title)
    for chemical in record.chemicals:
        add("RN", f"{chemical.registry_number or '0'} ({chemical.name})")
    for heading in record.mesh:
        term = ("*" if heading.major else "") + heading.descriptor
        add("MH", "/".join([term, *(("*" if q.major else "") + q.name for q in heading.qualifiers)]))
    for keyword in record.keywords:
        add("OT", keyword.text)
    add("PMC", record.pmc_id)
    add("AID", f"{record.doi} [doi]" if record.doi else None)
    add("SO", _source(record))
    return "\n".join(out) + "\n"


def _source(record: Record) -> str:
    journal = record.journal.short_name
    issue = f"({record.journal.issue})" if record.journal.issue else ""
    pages = f":{record.journal.pages}" if record.journal.pages else ""
    doi = f" doi: {record.doi}." if record.doi else ""
    return f"{journal}. {record.pub_date.text or record.year or ''};{record.journal.volume or ''}{issue}{pages}.{doi}"


_WRITERS: dict[CitationFormat, Callable[[Record], str]] = {
    CitationFormat.ris: to_ris, CitationFormat.bibtex: to_bibtex, CitationFormat.medline: to_medline,
}


def export_records(records: Iterable[Record], fmt: CitationFormat | str) -> str:
    writer = _WRITERS[CitationFormat(fmt)]
    return "\n".join(writer(r) for r in records)
