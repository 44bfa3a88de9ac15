"""Streaming parser for PubMed/MEDLINE XML: ``PubmedArticleSet`` (baseline, update files, efetch) and the
older ``MedlineCitationSet``; ``.xml`` or ``.xml.gz``.

Memory stays flat whatever the file size: each top-level element is converted, then cleared together
with its already-processed siblings.
"""

from __future__ import annotations

import gzip
import re
import zlib
from functools import partial
from html import escape
from pathlib import Path
from typing import IO, Iterator

from lxml import etree

from medbridge.corpus.models import (
    AbstractSection,
    Author,
    Chemical,
    DeletedCitation,
    Journal,
    Keyword,
    MeshHeading,
    OtherAbstract,
    PubDate,
    Qualifier,
    Record,
)
from medbridge.errors import MedbridgeError

ROOT_TAGS = {"PubmedArticleSet", "MedlineCitationSet"}
_ITEM_TAGS = ("PubmedArticle", "MedlineCitation", "DeleteCitation", "PubmedBookArticle")
_INLINE_TAGS = {"i", "b", "u", "sup", "sub"}
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_ORCID = re.compile(r"(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dX])", re.I)


class PubmedParseError(MedbridgeError):
    """A file that cannot be read as PubMed XML; says which file, and record/line where known."""

    def __init__(self, path: Path | str, reason: str, *, pmid: int | None = None, line: int | None = None):
        self.path, self.reason, self.pmid, self.line = Path(path), reason, pmid, line
        where = "".join([f", line {line}" if line else "", f", after PMID {pmid}" if pmid else ""])
        super().__init__(f"{self.path}{where}: {reason}")

    def __reduce__(self):  # rebuilt whole in the writing process when a parse worker raises it
        return partial(PubmedParseError, pmid=self.pmid, line=self.line), (self.path, self.reason)


def open_xml(path: Path) -> IO[bytes]:
    """The file's bytes, transparently gunzipped (by magic number, not by trusting the extension)."""
    handle = open(path, "rb")
    if handle.read(2) == b"\x1f\x8b":
        handle.seek(0)
        return gzip.GzipFile(fileobj=handle)  # type: ignore[return-value]
    handle.seek(0)
    return handle


def iter_pubmed(path: Path | str) -> Iterator[Record | DeletedCitation]:
    """Yield the records and deletions of one file, in file order."""
    path = Path(path)
    if not path.exists():
        raise PubmedParseError(path, "no such file")
    if path.is_dir():
        raise PubmedParseError(path, "is a folder, not a file")
    if path.stat().st_size == 0:
        raise PubmedParseError(path, "empty file")
    last_pmid: int | None = None
    try:
        with open_xml(path) as stream:
            context = etree.iterparse(
                stream, events=("start", "end"), tag=(*ROOT_TAGS, *_ITEM_TAGS),
                huge_tree=True, resolve_entities=False, no_network=True,
            )
            root = None
            for event, elem in context:
                if root is None:
                    if elem.tag not in ROOT_TAGS:
                        raise PubmedParseError(path, f"not PubMed XML (root element <{elem.tag}>)")
                    root = elem
                    continue
                if event != "end" or elem.getparent() is not root:
                    continue
                for item in _convert(elem):
                    last_pmid = item.pmid
                    yield item
                # Free what is done: this element and every earlier sibling.
                elem.clear()
                while elem.getprevious() is not None:
                    del root[0]
            if root is None:
                raise PubmedParseError(path, "not PubMed XML (no PubmedArticleSet or MedlineCitationSet root)")
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno and exc.lineno > 0 else None
        message = exc.msg or str(exc)
        if "encoding" in message.lower() or "utf-8" in message.lower() or "bytes" in message.lower():
            message = f"wrong or undeclared text encoding ({message})"
        elif "empty" in message.lower():
            message = "empty document (no XML content)"
        else:
            message = f"malformed XML ({message})"
        raise PubmedParseError(path, message, pmid=last_pmid, line=line) from exc
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise PubmedParseError(path, f"truncated or corrupt gzip ({exc})", pmid=last_pmid) from exc
    except UnicodeDecodeError as exc:
        raise PubmedParseError(path, f"wrong text encoding ({exc.reason})", pmid=last_pmid) from exc


def _convert(elem: etree._Element) -> Iterator[Record | DeletedCitation]:
    tag = elem.tag
    if tag == "DeleteCitation":
        for pmid in elem.iterfind("PMID"):
            if (pmid.text or "").strip().isdigit():
                yield DeletedCitation(int(pmid.text))
    elif tag == "PubmedArticle":
        citation = elem.find("MedlineCitation")
        if citation is not None:
            yield _record(citation, elem.find("PubmedData"))
    elif tag == "MedlineCitation":
        yield _record(elem, None)
    # PubmedBookArticle (NCBI Bookshelf chapters) carries no journal citation: not part of the corpus.


# --- text helpers ---------------------------------------------------------------------------------

def _clean(text: str | None) -> str:
    if not text:
        return ""
    # Most values are ASCII without runs of whitespace: checking is cheaper than always splitting and
    # joining. Anything else is normalised, non-breaking and other Unicode spaces included.
    if text.isascii() and "  " not in text and "\n" not in text and "\t" not in text and "\r" not in text:
        return text.strip()
    return " ".join(text.split())


def _all_text(node: etree._Element) -> str:
    # Most elements hold plain text: skip the itertext walk for them (the parser's hot path).
    return _clean(node.text if len(node) == 0 else "".join(node.itertext()))


def _text(parent: etree._Element | None, path: str) -> str | None:
    if parent is None:
        return None
    node = parent.find(path)
    return None if node is None else (_all_text(node) or None)


def text_and_markup(node: etree._Element) -> tuple[str, str]:
    """Plain text and a safe HTML fragment keeping only <i> <b> <u> <sup> <sub> (everything else escaped)."""
    parts: list[str] = []

    def walk(el: etree._Element) -> None:
        if el.text:
            parts.append(escape(el.text, quote=False))
        for child in el:
            tag = child.tag if isinstance(child.tag, str) else ""
            name = etree.QName(child).localname.lower() if tag else ""
            keep = name in _INLINE_TAGS
            if keep:
                parts.append(f"<{name}>")
            walk(child)
            if keep:
                parts.append(f"</{name}>")
            if child.tail:
                parts.append(escape(child.tail, quote=False))

    walk(node)
    return _all_text(node), _clean("".join(parts))


def fragment_text_and_markup(fragment: str) -> tuple[str, str]:
    """Any HTML fragment (e.g. a model's translation of record markup): its plain text, and the fragment
    reduced to the same safe subset as record markup."""
    from lxml import html as lxml_html

    if not fragment.strip():
        return "", ""
    return text_and_markup(lxml_html.fragment_fromstring(fragment, create_parent="div"))


def sanitize_inline_markup(fragment: str) -> str:
    return fragment_text_and_markup(fragment)[1]


def _yes(node: etree._Element, attr: str = "MajorTopicYN") -> bool:
    return node.get(attr) == "Y"


# --- record -----------------------------------------------------------------------------------------

def _record(citation: etree._Element, pubmed_data: etree._Element | None) -> Record:
    pmid_node = citation.find("PMID")
    pmid = int(_clean(pmid_node.text))
    article = citation.find("Article")
    record = Record(pmid=pmid, version=int(pmid_node.get("Version") or 1), status=citation.get("Status"))
    record.date_revised = _iso_date(citation.find("DateRevised"))
    if article is not None:
        title = article.find("ArticleTitle")
        if title is not None:
            record.title, record.title_markup = text_and_markup(title)
        record.vernacular_title = _text(article, "VernacularTitle")
        record.abstract, record.copyright = _abstract(article.find("Abstract"))
        record.authors = _authors(article)
        record.journal, record.pub_date = _journal(article, citation.find("MedlineJournalInfo"))
        record.article_types = [_clean(n.text) for n in article.iterfind("PublicationTypeList/PublicationType")]
        record.languages = [_clean(n.text) for n in article.iterfind("Language") if n.text]
        for eloc in article.iterfind("ELocationID"):
            if eloc.get("EIdType") == "doi" and eloc.get("ValidYN", "Y") == "Y":
                record.doi = record.doi or _clean(eloc.text)
    for other in citation.iterfind("OtherAbstract"):
        sections, _ = _abstract(other)
        if sections:
            record.other_abstracts.append(OtherAbstract(type=other.get("Type"), language=other.get("Language"), sections=sections))
    record.mesh = [_mesh(h) for h in citation.iterfind("MeshHeadingList/MeshHeading")]
    record.keywords = [
        Keyword(text=text, major=_yes(k), owner=kl.get("Owner"))
        for kl in citation.iterfind("KeywordList") for k in kl.iterfind("Keyword") if (text := _all_text(k))
    ]
    record.chemicals = [
        Chemical(name=_clean(c.findtext("NameOfSubstance")), ui=c.find("NameOfSubstance").get("UI"),
                 registry_number=_clean(c.findtext("RegistryNumber")) or None)
        for c in citation.iterfind("ChemicalList/Chemical") if c.find("NameOfSubstance") is not None
    ]
    if pubmed_data is not None:
        for aid in pubmed_data.iterfind("ArticleIdList/ArticleId"):
            kind, value = aid.get("IdType"), _clean(aid.text)
            if kind == "doi" and value:
                record.doi = record.doi or value
            elif kind == "pmc" and value:
                record.pmc_id = value
        refs = dict.fromkeys(
            int(value)
            for ref_list in pubmed_data.iter("ReferenceList")  # lists may nest
            for aid in ref_list.iterfind("Reference/ArticleIdList/ArticleId")
            if aid.get("IdType") == "pubmed" and (value := _clean(aid.text)).isdigit()
        )
        record.references = list(refs)
    return record


def _abstract(node: etree._Element | None) -> tuple[list[AbstractSection], str | None]:
    if node is None:
        return [], None
    sections = []
    for part in node.iterfind("AbstractText"):
        text, markup = text_and_markup(part)
        if text:
            sections.append(AbstractSection(text=text, markup=markup, label=part.get("Label") or None,
                                            category=part.get("NlmCategory") or None))
    return sections, _text(node, "CopyrightInformation")


def _authors(article: etree._Element) -> list[Author]:
    authors = []
    for node in article.iterfind("AuthorList/Author"):
        if node.get("ValidYN", "Y") == "N":
            continue  # an erroneous name the publisher corrected
        author = Author()
        # One pass over the children: several find() calls per author dominate parse time otherwise.
        for child in node:
            tag = child.tag
            if tag == "LastName":
                author.last_name = _all_text(child) or None
            elif tag == "ForeName":
                author.fore_name = _all_text(child) or None
            elif tag == "Initials":
                author.initials = _all_text(child) or None
            elif tag == "Suffix":
                author.suffix = _all_text(child) or None
            elif tag == "CollectiveName":
                author.collective_name = _all_text(child) or None
            elif tag == "AffiliationInfo":
                author.affiliations.extend(a for a in (_all_text(x) for x in child.iterfind("Affiliation")) if a)
            elif tag == "Affiliation":  # pre-2015 files
                if text := _all_text(child):
                    author.affiliations.append(text)
            elif tag == "Identifier" and (child.get("Source") or "").upper() == "ORCID":
                match = _ORCID.search(child.text or "")
                if match:
                    author.orcid = "-".join(match.groups()).upper()
        authors.append(author)
    return authors


def _journal(article: etree._Element, info: etree._Element | None) -> tuple[Journal, PubDate]:
    node = article.find("Journal")
    journal = Journal(medline_ta=_text(info, "MedlineTA"), issn_linking=_text(info, "ISSNLinking"))
    pages = _text(article, "Pagination/MedlinePgn")
    if not pages:
        start, end = _text(article, "Pagination/StartPage"), _text(article, "Pagination/EndPage")
        pages = f"{start}-{end}" if start and end else start
    journal.pages = pages
    date = PubDate()
    if node is not None:
        issn = node.find("ISSN")
        journal.title = _text(node, "Title")
        journal.iso_abbreviation = _text(node, "ISOAbbreviation")
        journal.issn = _clean(issn.text) if issn is not None else None
        journal.issn_type = issn.get("IssnType") if issn is not None else None
        journal.volume = _text(node, "JournalIssue/Volume")
        journal.issue = _text(node, "JournalIssue/Issue")
        date = _pub_date(node.find("JournalIssue/PubDate"))
    if date.year is None:  # some records carry only an electronic date
        date = _pub_date(article.find("ArticleDate"))
    return journal, date


def _pub_date(node: etree._Element | None) -> PubDate:
    if node is None:
        return PubDate()
    medline = _text(node, "MedlineDate")
    if medline:
        year = _YEAR.search(medline)
        month = _MONTHS.get(medline[5:8].lower()) if len(medline) >= 8 else None
        return PubDate(year=int(year.group()) if year else None, month=month, text=medline)
    year = _text(node, "Year")
    month_text = _text(node, "Month")
    day = _text(node, "Day")
    month = None
    if month_text:
        month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text[:3].lower())
    season = _text(node, "Season")
    text = " ".join(p for p in (year, month_text or season, day) if p) or None
    return PubDate(year=int(year) if year and year.isdigit() else None, month=month,
                   day=int(day) if day and day.isdigit() else None, text=text)


def _iso_date(node: etree._Element | None) -> str | None:
    if node is None:
        return None
    parts = [_text(node, "Year"), _text(node, "Month"), _text(node, "Day")]
    if not parts[0]:
        return None
    return "-".join(p.zfill(2) if i else p for i, p in enumerate(parts) if p)


def _mesh(node: etree._Element) -> MeshHeading:
    heading = None
    qualifiers = []
    for child in node:  # DescriptorName first, then QualifierName*
        if child.tag == "DescriptorName":
            heading = MeshHeading(descriptor=_clean(child.text), ui=child.get("UI"), major=child.get("MajorTopicYN") == "Y")
        elif child.tag == "QualifierName":
            qualifiers.append(Qualifier(name=_clean(child.text), ui=child.get("UI"), major=child.get("MajorTopicYN") == "Y"))
    heading = heading or MeshHeading(descriptor="")
    heading.qualifiers = qualifiers
    return heading
