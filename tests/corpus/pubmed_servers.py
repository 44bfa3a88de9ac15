"""Loopback stand-ins for the two services outside the machine that PubMed comes from, speaking their protocol:

- :class:`FakeEutils` — NCBI E-utilities: ``esearch.fcgi`` (history server: Count/RetMax/RetStart/QueryKey/WebEnv/
  IdList, ``mindate``/``maxdate``/``datetype=pdat``, the 9,999-record retstart cap with NCBI's error text) and
  ``efetch.fcgi`` (PubMed XML by WebEnv/query_key/retstart/retmax or by ``id``, GET or POST), API keys (400 with
  NCBI's JSON for an invalid one), 3 requests/s without a key and 10 with one (429 with NCBI's JSON beyond).
- :class:`FakeNLMMirror` — NLM's ``pubmed/`` folder: Apache-style directory listings of ``baseline/`` and
  ``updatefiles/``, ``.md5`` files in NLM's format, HEAD, and byte ranges (206/416).

Both serve real PubMed records (../shared/data/pubmed) and take injected faults: HTTP statuses, connections
dropped mid-body, HTML error pages, ``<ERROR>`` documents, corrupted bytes. Every request is logged.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import date
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Iterable
from urllib.parse import parse_qs, urlsplit

from lxml import etree
from loopback_http import LoopbackHTTPServer

HISTORY_CAP = 9_999
PUBMED_HEADER = (
    b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN"'
    b' "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n<PubmedArticleSet>\n'
)
PUBMED_FOOTER = b"</PubmedArticleSet>\n"
CAP_ERROR = (
    "Search Backend failed: Exception:\n'retstart' cannot be larger than 9998. For PubMed, ESearch can only retrieve"
    " the first 9,999 records matching the query. To obtain more than 9,999 PubMed records, consider using EDirect"
    " that contains additional logic to batch PubMed search results automatically so that an arbitrary number can"
    " be retrieved. For details see https://www.ncbi.nlm.nih.gov/books/NBK25499/"
)
HTML_ERROR_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>NCBI - WWW Error 502</title></head><body><h1>Proxy Error</h1>"
    b"<p>The proxy server received an invalid response from an upstream server.</p></body></html>\n"
)
_MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}


def one_line_error(result) -> str:
    """The single ``error:`` line a failed CLI run (Typer's CliRunner result) printed; fails on anything else."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


# --- the records --------------------------------------------------------------------------------------------

@dataclass(slots=True)
class Article:
    pmid: int
    pdat: date
    text: str  # lower-case title, abstract, MeSH and keywords: what a term is matched against
    xml: bytes


def _pdat(citation: etree._Element) -> date:
    node = citation.find("Article/Journal/JournalIssue/PubDate")
    year = node.findtext("Year") if node is not None else None
    month, day = (node.findtext("Month"), node.findtext("Day")) if node is not None else (None, None)
    if year is None and node is not None and node.findtext("MedlineDate"):
        found = re.match(r"(\d{4})(?:\s+([A-Za-z]{3}))?", node.findtext("MedlineDate"))
        year, month = (found.group(1), found.group(2)) if found else ("1900", None)
    m = int(month) if month and month.isdigit() else _MONTHS.get((month or "")[:3].lower(), 1)
    return date(int(year or 1900), m, int(day) if day and day.isdigit() else 1)


def load_articles(paths: Iterable[Path]) -> list[Article]:
    """Every PubmedArticle of the files, in file order (the first occurrence of a PMID wins)."""
    articles: dict[int, Article] = {}
    for path in paths:
        root = etree.parse(gzip.open(path) if str(path).endswith(".gz") else open(path, "rb")).getroot()
        for element in root.iterfind("PubmedArticle"):
            citation = element.find("MedlineCitation")
            pmid = int(citation.findtext("PMID"))
            if pmid in articles:
                continue
            texts = [citation.findtext("Article/ArticleTitle") or ""]
            texts += ["".join(a.itertext()) for a in citation.iterfind("Article/Abstract/AbstractText")]
            texts += [d.text or "" for d in citation.iterfind("MeshHeadingList/MeshHeading/DescriptorName")]
            texts += [k.text or "" for k in citation.iterfind("KeywordList/Keyword")]
            articles[pmid] = Article(pmid, _pdat(citation), " ".join(texts).lower(), etree.tostring(element, encoding="utf-8") + b"\n")
    return list(articles.values())


def renumbered(article: Article, pmid: int) -> Article:
    """The same real record under another PMID (MedlineCitation/PMID and its pubmed ArticleId)."""
    xml = article.xml.replace(f">{article.pmid}</PMID>".encode(), f">{pmid}</PMID>".encode(), 1)
    xml = xml.replace(f'IdType="pubmed">{article.pmid}<'.encode(), f'IdType="pubmed">{pmid}<'.encode())
    return Article(pmid, article.pdat, article.text, xml)


def with_copies(articles: list[Article], copies: int, pmid_offset: int = 60_000_000) -> list[Article]:
    """The articles and renumbered copies of them (PMID + k·offset): result sets past PubMed's 9,999 cap."""
    return [renumbered(a, a.pmid + k * pmid_offset) if k else a for k in range(copies) for a in articles]


def pubmed_xml(articles: Iterable[Article]) -> bytes:
    return PUBMED_HEADER + b"".join(a.xml for a in articles) + PUBMED_FOOTER


# --- HTTP plumbing ------------------------------------------------------------------------------------------

class _LoopbackServer:
    """A LoopbackHTTPServer on 127.0.0.1 in a daemon thread; ``with`` starts and stops it."""

    handler: type[BaseHTTPRequestHandler]

    def __enter__(self):
        self._server = LoopbackHTTPServer(("127.0.0.1", 0), self.handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        return self._server.server_address[1]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real servers

    def log_message(self, *args):  # quiet
        pass

    @property
    def fake(self):
        return self.server.fake  # type: ignore[attr-defined]

    def send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None,
             *, head: bool = False, drop_after: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if head:
            return
        if drop_after is not None:
            # The connection dies mid-body: the client has the headers and part of what they promised.
            self.wfile.write(body[:drop_after])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


# --- NCBI E-utilities ---------------------------------------------------------------------------------------

@dataclass
class EutilsRequest:
    endpoint: str
    method: str
    params: dict[str, str]
    status: int
    at: float


class FakeEutils(_LoopbackServer):
    """E-utilities for db=pubmed over ``articles``. ``faults`` is a queue of (endpoint, kind) applied in order to
    the next requests to that endpoint; kinds: '429', '500', '503', 'drop', 'html', 'error'."""

    def __init__(self, articles: list[Article], valid_keys: Iterable[str] = ()):
        self.articles = articles
        self.by_pmid = {a.pmid: a for a in articles}
        self.valid_keys = set(valid_keys)
        self.faults: deque[tuple[str, str]] = deque()
        self.requests: list[EutilsRequest] = []
        self.histories: dict[str, list[Article]] = {}
        self._recent: deque[float] = deque()
        self._lock = threading.Lock()
        self.handler = _EutilsHandler

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/entrez/eutils/"

    def count(self, endpoint: str, status: int | None = None) -> int:
        return sum(1 for r in self.requests if r.endpoint == endpoint and (status is None or r.status == status))

    def matching(self, term: str, mindate: date | None, maxdate: date | None) -> list[Article]:
        """A simplification of PubMed's search: every word of the term occurs in the record's text; 'all[sb]' is
        everything. Ordered like PubMed's default sort, newest publication date first."""
        words = [] if term.strip().lower() == "all[sb]" else re.findall(r"[a-z0-9]+", term.lower())
        found = [a for a in self.articles
                 if all(w in a.text for w in words)
                 and (mindate is None or a.pdat >= mindate) and (maxdate is None or a.pdat <= maxdate)]
        return sorted(found, key=lambda a: (a.pdat, a.pmid), reverse=True)


def _ncbi_date(text: str | None, end: bool) -> date | None:
    if not text:
        return None
    parts = [int(p) for p in text.split("/")]
    if len(parts) == 1:
        return date(parts[0], 12, 31) if end else date(parts[0], 1, 1)
    if len(parts) == 2:
        if end:
            next_month = date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)
            return date.fromordinal(next_month.toordinal() - 1)
        return date(parts[0], parts[1], 1)
    return date(*parts)


def _efetch_error(message: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eFetchResult PUBLIC "-//NLM//DTD efetch 20131226//EN"'
        ' "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20131226/efetch.dtd">\n'
        f"<eFetchResult>\n\t<ERROR>{html.escape(message)}</ERROR>\n</eFetchResult>\n"
    ).encode()


def _esearch_doc(inner: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN"'
        ' "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
        f"<eSearchResult>{inner}</eSearchResult>\n"
    ).encode()


class _EutilsHandler(_Handler):
    def do_GET(self):
        self._serve(parse_qs(urlsplit(self.path).query))

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self._serve(parse_qs(self.rfile.read(length).decode()))

    def _serve(self, query: dict[str, list[str]]) -> None:
        fake: FakeEutils = self.fake
        arrived = time.monotonic()
        endpoint = urlsplit(self.path).path.rsplit("/", 1)[-1]
        params = {k: v[-1] for k, v in query.items()}
        status, body, ctype, extra = self._answer(fake, endpoint, params, arrived)
        with fake._lock:
            fake.requests.append(EutilsRequest(endpoint, self.command, params, status, arrived))
        self.send(status, body, ctype, drop_after=extra)

    def _answer(self, fake: FakeEutils, endpoint: str, params: dict[str, str], now: float):
        json_type = "application/json"
        key = params.get("api_key")
        if key is not None and key not in fake.valid_keys:
            error = {"error": "API key invalid", "api-key": key, "type": "invalid", "status": "unknown"}
            return 400, json.dumps(error).encode(), json_type, None
        limit = 10 if key else 3
        with fake._lock:
            while fake._recent and fake._recent[0] <= now - 1.0:
                fake._recent.popleft()
            fake._recent.append(now)
            over = len(fake._recent) > limit
            fault = fake.faults.popleft() if fake.faults and fake.faults[0][0] == endpoint else None
        if over:
            error = {"error": "API rate limit exceeded", "api-key": key or self.client_address[0],
                     "count": str(len(fake._recent)), "limit": str(limit)}
            return 429, json.dumps(error).encode(), json_type, None
        if fault:
            kind = fault[1]
            if kind in {"429", "500", "503"}:
                return int(kind), f"<html><body>Error {kind}</body></html>".encode(), "text/html", None
            if kind == "html":
                return 200, HTML_ERROR_PAGE, "text/html; charset=UTF-8", None
            if kind == "error":
                return 200, _efetch_error("Unable to obtain query #1"), "text/xml; charset=UTF-8", None
        if endpoint == "esearch.fcgi":
            status, body, ctype = 200, self._esearch(fake, params), "text/xml; charset=UTF-8"
        elif endpoint == "efetch.fcgi":
            status, body, ctype = 200, self._efetch(fake, params), "text/xml; charset=UTF-8"
        else:
            status, body, ctype = 404, b"<html><body>Not Found</body></html>", "text/html"
        if fault and fault[1] == "drop":
            return status, body, ctype, len(body) // 2
        return status, body, ctype, None

    def _esearch(self, fake: FakeEutils, params: dict[str, str]) -> bytes:
        retstart, retmax = int(params.get("retstart", 0)), int(params.get("retmax", 20))
        if retstart > HISTORY_CAP - 1:
            return _esearch_doc(f"<ERROR>{html.escape(CAP_ERROR)}</ERROR>")
        if params.get("mindate") and params.get("datetype") != "pdat":
            return _esearch_doc("<ERROR>this stand-in knows only datetype=pdat</ERROR>")
        found = fake.matching(params.get("term", ""), _ncbi_date(params.get("mindate"), False),
                              _ncbi_date(params.get("maxdate"), True))
        shown = found[retstart:min(retstart + retmax, HISTORY_CAP)]
        history = ""
        if params.get("usehistory") == "y":
            webenv = "MCID_" + uuid.uuid4().hex
            with fake._lock:
                fake.histories[webenv] = found
            history = f"<QueryKey>1</QueryKey><WebEnv>{webenv}</WebEnv>"
        ids = "".join(f"<Id>{a.pmid}</Id>\n" for a in shown)
        return _esearch_doc(
            f"<Count>{len(found)}</Count><RetMax>{len(shown)}</RetMax><RetStart>{retstart}</RetStart>{history}"
            f"<IdList>\n{ids}</IdList><TranslationSet/><QueryTranslation>{html.escape(params.get('term', ''))}"
            "</QueryTranslation>"
        )

    def _efetch(self, fake: FakeEutils, params: dict[str, str]) -> bytes:
        if params.get("db") != "pubmed" or params.get("retmode", "xml") != "xml":
            return _efetch_error("this stand-in serves db=pubmed, retmode=xml")
        if "id" in params:
            ids = [int(p) for p in params["id"].split(",") if p.strip()]
            return pubmed_xml(fake.by_pmid[p] for p in ids if p in fake.by_pmid)
        webenv, query_key = params.get("WebEnv", ""), params.get("query_key", "")
        history = fake.histories.get(webenv)
        if history is None or query_key != "1":
            return _efetch_error(f"Cannot retrieve history data. query_key: {query_key}, WebEnv: {webenv}")
        retstart, retmax = int(params.get("retstart", 0)), int(params.get("retmax", 20))
        if retstart > HISTORY_CAP - 1:
            return _efetch_error(CAP_ERROR)
        return pubmed_xml(history[retstart:min(retstart + retmax, HISTORY_CAP)])


# --- NLM's pubmed/ file mirror ------------------------------------------------------------------------------

def write_md5(path: Path, digest: str | None = None) -> Path:
    """``name.md5`` beside ``path`` in NLM's format: ``MD5(pubmed25n0001.xml.gz)= <hex>``."""
    digest = digest or hashlib.md5(path.read_bytes()).hexdigest()
    md5 = path.with_name(path.name + ".md5")
    md5.write_text(f"MD5({path.name})= {digest}\n")
    return md5


@dataclass
class MirrorRequest:
    method: str
    path: str
    range: str | None
    status: int
    sent: int


@dataclass
class MirrorFaults:
    drop_after: dict[str, int] = field(default_factory=dict)      # name → bytes sent before the connection dies (once)
    corrupt_once: set[str] = field(default_factory=set)            # name → served once with a flipped byte
    statuses: dict[str, list[int]] = field(default_factory=dict)   # name → statuses answered first, in order


class FakeNLMMirror(_LoopbackServer):
    """Serves ``root`` (holding ``baseline/`` and ``updatefiles/``) as NLM serves https://ftp.ncbi.nlm.nih.gov/pubmed/."""

    def __init__(self, root: Path):
        self.root = root
        self.faults = MirrorFaults()
        self.requests: list[MirrorRequest] = []
        self._lock = threading.Lock()
        self.handler = _MirrorHandler

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/pubmed/"

    def gets(self, name: str) -> list[MirrorRequest]:
        return [r for r in self.requests if r.method == "GET" and r.path.endswith("/" + name)]

    def bytes_sent(self, name: str) -> int:
        return sum(r.sent for r in self.gets(name))


def _listing(folder: Path, url_path: str) -> bytes:
    rows = []
    for entry in sorted(folder.iterdir()):
        stat = entry.stat()
        when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(stat.st_mtime))
        size = stat.st_size
        shown = f"{size / 2**20:.0f}M" if size >= 2**20 else f"{size / 2**10:.1f}K" if size >= 2**10 else str(size)
        name = entry.name + ("/" if entry.is_dir() else "")
        rows.append(f'<a href="{html.escape(name)}">{html.escape(name)}</a>{" " * max(1, 50 - len(name))}{when}  {shown:>4}  ')
    parent = url_path.rstrip("/").rsplit("/", 1)[0] + "/"
    return (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<html>\n <head>\n'
        f"  <title>Index of {html.escape(url_path.rstrip('/'))}</title>\n </head>\n <body>\n"
        f"<h1>Index of {html.escape(url_path.rstrip('/'))}</h1>\n"
        "<pre>Name                                              Last modified      Size  <hr>"
        f'<a href="{html.escape(parent)}">Parent Directory</a>                                   -   \n'
        + "\n".join(rows) + "\n<hr></pre>\n</body></html>\n"
    ).encode()


class _MirrorHandler(_Handler):
    def do_HEAD(self):
        self._serve(head=True)

    def do_GET(self):
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        fake: FakeNLMMirror = self.fake
        url_path = urlsplit(self.path).path
        relative = url_path.removeprefix("/pubmed/").strip("/")
        target = (fake.root / relative).resolve()
        requested_range = self.headers.get("Range")
        status, sent = self._respond(fake, url_path, target, head, requested_range)
        with fake._lock:
            fake.requests.append(MirrorRequest(self.command, url_path, requested_range, status, sent))

    def _respond(self, fake: FakeNLMMirror, url_path: str, target: Path, head: bool, requested: str | None):
        if not url_path.startswith("/pubmed/") or fake.root.resolve() not in (target, *target.parents) or not target.exists():
            self.send(404, b"<html><body><h1>Not Found</h1></body></html>\n", "text/html", head=head)
            return 404, 0
        name = target.name
        with fake._lock:
            queued = fake.faults.statuses.get(name)
            status_fault = queued.pop(0) if queued else None
            drop_after = None if head else fake.faults.drop_after.pop(name, None)
            corrupt = not head and name in fake.faults.corrupt_once
            if corrupt:
                fake.faults.corrupt_once.discard(name)
        if status_fault:
            self.send(status_fault, f"<html><body>{status_fault}</body></html>".encode(), "text/html", head=head)
            return status_fault, 0
        if target.is_dir():
            if not url_path.endswith("/"):
                self.send(301, b"", "text/html", {"Location": url_path + "/"}, head=head)
                return 301, 0
            body = _listing(target, url_path)
            self.send(200, body, "text/html;charset=ISO-8859-1", head=head)
            return 200, 0 if head else len(body)
        data = target.read_bytes()
        if corrupt:
            middle = len(data) // 2
            data = data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1:]
        headers = {"Accept-Ranges": "bytes", "Last-Modified": formatdate(target.stat().st_mtime, usegmt=True)}
        ctype = "text/plain" if name.endswith(".md5") else "application/x-gzip"
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", requested or "")
        if requested and match:
            start = int(match.group(1))
            end = min(int(match.group(2)) if match.group(2) else len(data) - 1, len(data) - 1)
            if start >= len(data):
                self.send(416, b"", "text/html", {"Content-Range": f"bytes */{len(data)}"}, head=head)
                return 416, 0
            part = data[start:end + 1]
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            self.send(206, part, ctype, headers, head=head, drop_after=drop_after)
            return 206, 0 if head else min(len(part), drop_after if drop_after is not None else len(part))
        self.send(200, data, ctype, headers, head=head, drop_after=drop_after)
        return 200, 0 if head else min(len(data), drop_after if drop_after is not None else len(data))
