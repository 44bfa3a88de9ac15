"""Topic collections from NCBI E-utilities: ``esearch`` on the history server, then ``efetch`` (PubMed XML) in
batches, each batch ingested through :mod:`medbridge.corpus.ingest` as it arrives.

NCBI's rules are kept: at most 3 requests/s without an API key, 10 with one; ``tool``/``email``/``api_key`` on
every request; retries with backoff on 429/5xx and dropped connections. PubMed's esearch (and efetch from the
history server) stops at 9,999 records, so a larger result set is cut into publication-date windows
(``mindate``/``maxdate``, ``datetype=pdat``), bisected until each fits. Resuming needs no bookkeeping of its own:
the store is the state, and a batch whose PMIDs are all stored is never fetched again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

import httpx
from lxml import etree, html

from medbridge.corpus.ingest import FileResult, ingest_file
from medbridge.corpus.pubmed import PubmedParseError
from medbridge.corpus.remote import RateLimiter, RemoteError, TransientReply, http_client, transient_status, with_retries
from medbridge.errors import MedbridgeError
from medbridge.jobs import JobContext, JobRunner
from medbridge.settings import MedbridgeSettings, PubmedSourceSettings
from medbridge.store.base import Store

if TYPE_CHECKING:
    from medbridge.jobs.queue import JobQueue

HISTORY_CAP = 9_999  # PubMed: esearch and efetch from the history server refuse retstart beyond 9,998
EARLIEST = date(1700, 1, 1)  # before PubMed's oldest publication dates (1781)
_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


@dataclass(slots=True)
class SearchResult:
    """One esearch on the history server: ``ids`` in history order (at most HISTORY_CAP of ``count``)."""

    count: int
    ids: list[int]
    webenv: str | None
    query_key: str | None
    mindate: date | None = None
    maxdate: date | None = None


@dataclass(slots=True)
class FetchReport:
    """What a fetch did; ``done`` counts PMIDs handled (fetched now or already stored)."""

    total: int = 0
    done: int = 0
    fetched: int = 0
    already_stored: int = 0
    not_returned: int = 0
    warnings: list[str] = field(default_factory=list)


ProgressCallback = Callable[[FetchReport], None]


def parse_since(text: str) -> date:
    """``2020``, ``2020-05``, ``2020-05-17`` (or with slashes) as the first day they name."""
    match = re.fullmatch(r"(\d{4})(?:[-/](\d{1,2}))?(?:[-/](\d{1,2}))?", text.strip())
    try:
        if not match:
            raise ValueError
        year, month, day = match.groups()
        return date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise MedbridgeError(f"not a date: {text!r} (use YYYY, YYYY-MM or YYYY-MM-DD)") from None


def read_pmid_file(path: Path) -> list[int]:
    """PMIDs one a line (blank lines and ``#`` comments skipped), duplicates dropped, order kept."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise MedbridgeError(f"{path}: cannot read PMID list ({exc})") from exc
    pmids: dict[int, None] = {}
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        if not text.isdigit() or int(text) == 0:
            raise MedbridgeError(f"{path}, line {number}: not a PMID: {text!r}")
        pmids[int(text)] = None
    if not pmids:
        raise MedbridgeError(f"{path}: no PMIDs in the file")
    return list(pmids)


def history_batch(retstart: int, retmax: int) -> str:
    return f"efetch records {retstart + 1:,}–{retstart + retmax:,} of a search"


def pmid_batch(pmids: list[int]) -> str:
    return f"efetch of {len(pmids):,} PMID(s) from {pmids[0]}"


def _ncbi_date(day: date) -> str:
    return f"{day.year:04d}/{day.month:02d}/{day.day:02d}"


def _refusal(body: bytes) -> str | None:
    """Why a body is not the XML asked for: an ``<ERROR>`` document or an HTML error page; None if it looks right."""
    head = body[:4096].lstrip()
    if not head:
        return "an empty reply"
    if b"<PubmedArticleSet" in head or (b"<eSearchResult" in head and b"<ERROR>" not in body):
        return None  # the XML asked for; the parser checks the rest as it reads it
    if head.startswith(b"<?xml") or head.startswith(b"<!DOCTYPE e") or head.startswith(b"<e"):
        try:
            root = etree.fromstring(body, _SAFE_XML)
        except etree.XMLSyntaxError as exc:
            return f"malformed XML ({exc.msg})"
        error = root if root.tag == "ERROR" else root.find("ERROR")
        if error is not None:
            return "NCBI error: " + " ".join("".join(error.itertext()).split())
        return None
    if b"<html" in head.lower() or b"<!doctype html" in head.lower():
        page = html.fromstring(body)
        title = " ".join(" ".join(page.xpath("//title//text()") or page.xpath("//h1//text()")).split())
        return f"an HTML page instead of XML ({title or 'no title'})"
    return f"not XML (starts {head[:40]!r})"


def _ncbi_status_error(response: httpx.Response) -> str:
    """NCBI explains 4xx refusals in a small JSON body, e.g. ``{"error":"API key invalid", ...}``."""
    detail = ""
    try:
        detail = str(response.json().get("error") or "")
    except ValueError:
        detail = " ".join(response.text.split())[:200]
    message = f"NCBI refused the request (HTTP {response.status_code}){': ' + detail if detail else ''}"
    if "api key" in detail.lower():
        message += " — check --api-key or the pubmed.api_key setting"
    return message


def ncbi_rate_limiter(api_key: str | None) -> RateLimiter:
    """NCBI's limit per site: 3 requests/s, 10 with an API key."""
    return RateLimiter(10 if api_key else 3)


class EutilsClient:
    """esearch/efetch for db=pubmed with NCBI's rate limit, identification parameters and retries."""

    def __init__(
        self,
        settings: PubmedSourceSettings,
        *,
        api_key: str | None = None,
        email: str | None = None,
        client: httpx.Client | None = None,
        limiter: RateLimiter | None = None,
    ):
        self.settings = settings
        self.api_key = api_key or settings.api_key
        self.email = email or settings.email
        self._base = settings.eutils_url.rstrip("/") + "/"
        self._client = client or http_client(settings)
        self._limiter = limiter or ncbi_rate_limiter(self.api_key)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> EutilsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, endpoint: str, what: str, params: dict[str, str], *, post: bool, check: Callable[[bytes], object]):
        params = {"db": "pubmed", **params, "tool": self.settings.tool}
        if self.email:
            params["email"] = self.email
        if self.api_key:
            params["api_key"] = self.api_key
        url = self._base + endpoint

        def once():
            self._limiter.wait()
            response = self._client.post(url, data=params) if post else self._client.get(url, params=params)
            transient = transient_status(response, what)
            if transient:
                raise transient
            if response.status_code != 200:
                raise RemoteError(f"{what}: {_ncbi_status_error(response)}")
            refusal = _refusal(response.content)
            if refusal:
                # NCBI's backend errors and proxies' error pages come and go: worth the retries.
                raise TransientReply(f"{what}: {refusal}")
            return check(response.content)

        return with_retries(self.settings, once, what)

    def esearch(self, term: str, mindate: date | None = None, maxdate: date | None = None) -> SearchResult:
        params = {"term": term, "usehistory": "y", "retstart": "0", "retmax": str(HISTORY_CAP)}
        if mindate or maxdate:
            params.update(datetype="pdat", mindate=_ncbi_date(mindate or EARLIEST), maxdate=_ncbi_date(maxdate or _latest()))
        window = f" ({_ncbi_date(mindate or EARLIEST)}–{_ncbi_date(maxdate or _latest())})" if mindate or maxdate else ""

        def parse(body: bytes) -> SearchResult:
            root = etree.fromstring(body, _SAFE_XML)
            count = root.findtext("Count")
            if root.tag != "eSearchResult" or count is None or not count.strip().isdigit():
                raise TransientReply(f"esearch {term!r}: not an eSearchResult document")
            return SearchResult(
                count=int(count),
                ids=[int(i.text) for i in root.iterfind("IdList/Id") if (i.text or "").strip().isdigit()],
                webenv=root.findtext("WebEnv"),
                query_key=root.findtext("QueryKey"),
                mindate=mindate,
                maxdate=maxdate,
            )

        return self._call("esearch.fcgi", f"esearch {term!r}{window}", params, post=False, check=parse)

    def efetch_history(self, result: SearchResult, retstart: int, retmax: int) -> bytes:
        params = {"query_key": result.query_key or "", "WebEnv": result.webenv or "", "retstart": str(retstart),
                  "retmax": str(retmax), "retmode": "xml"}
        return self._call("efetch.fcgi", history_batch(retstart, retmax), params, post=False, check=lambda body: body)

    def efetch_ids(self, pmids: list[int]) -> bytes:
        params = {"id": ",".join(map(str, pmids)), "retmode": "xml"}
        # POST: NCBI asks for it beyond ~200 ids (a GET URL would get too long).
        return self._call("efetch.fcgi", pmid_batch(pmids), params, post=True, check=lambda body: body)

    def windows(self, term: str, since: date | None = None) -> tuple[int, Iterator[SearchResult]]:
        """The result count, and searches of at most HISTORY_CAP records each covering it, newest dates first."""
        first = self.esearch(term, since, _latest() if since else None)
        if first.count <= HISTORY_CAP:
            return first.count, iter([first])
        return first.count, self._bisect(term, since or EARLIEST, _latest())

    def _bisect(self, term: str, lo: date, hi: date) -> Iterator[SearchResult]:
        result = self.esearch(term, lo, hi)
        if result.count <= HISTORY_CAP or lo == hi:
            yield result
            return
        middle = date.fromordinal((lo.toordinal() + hi.toordinal()) // 2)
        yield from self._bisect(term, date.fromordinal(middle.toordinal() + 1), hi)
        yield from self._bisect(term, lo, middle)


def _latest() -> date:
    """Upper end of date windows: journals date issues ahead, so a little past this year."""
    return date(date.today().year + 2, 12, 31)


def _batches(items: list[int], size: int) -> Iterator[tuple[int, list[int]]]:
    for start in range(0, len(items), size):
        yield start, items[start : start + size]


def _stored(store: Store, pmids: Iterable[int]) -> set[int]:
    return set(store.get_records(pmids))


def _ingest_reply(store: Store, body: bytes, folder: Path, what: str) -> FileResult:
    """Ingest one efetch reply as a file (one transaction: all of the batch or nothing)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"efetch-{hashlib.sha256(body).hexdigest()[:16]}.xml"
    partial = path.with_suffix(".part")
    partial.write_bytes(body)
    partial.replace(path)
    try:
        return ingest_file(store, path)
    except PubmedParseError as exc:
        raise RemoteError(f"{what}: {exc.reason}") from exc
    finally:
        path.unlink(missing_ok=True)


class Fetcher:
    """Brings a query's records (or a PMID list) into the store, batch by batch, skipping what is stored."""

    def __init__(self, store: Store, client: EutilsClient, downloads: Path, on_progress: ProgressCallback | None = None):
        self.store = store
        self.client = client
        self.folder = downloads / "efetch"
        self.on_progress = on_progress or (lambda report: None)
        self.batch = client.settings.efetch_batch

    def fetch_query(self, term: str, *, max_records: int | None = None, since: date | None = None) -> FetchReport:
        if not term.strip():
            raise MedbridgeError("empty query: say what to fetch, e.g. medbridge fetch \"ketamine depression\"")
        report = FetchReport()
        count, windows = self.client.windows(term, since)
        report.total = min(count, max_records) if max_records is not None else count
        self.on_progress(report)
        for window in windows:
            remaining = report.total - report.done
            if remaining <= 0:
                break
            if window.count > len(window.ids) and window.mindate == window.maxdate:
                report.warnings.append(
                    f"{window.count:,} records share the publication date {window.mindate}: PubMed lets only "
                    f"{len(window.ids):,} of them be retrieved through esearch")
            ids = window.ids[:remaining]
            for offset, chunk in _batches(ids, self.batch):
                stored = _stored(self.store, chunk)
                missing = [p for p in chunk if p not in stored]
                if not missing:
                    body, what = None, ""
                elif len(missing) == len(chunk) and window.webenv:
                    body, what = self.client.efetch_history(window, offset, len(chunk)), history_batch(offset, len(chunk))
                else:  # partly stored (an earlier, different run): ask for just the missing PMIDs
                    body, what = self.client.efetch_ids(missing), pmid_batch(missing)
                self._take(report, chunk, missing, body, what)
        return report

    def fetch_pmids(self, pmids: list[int]) -> FetchReport:
        report = FetchReport(total=len(pmids))
        self.on_progress(report)
        for _, chunk in _batches(pmids, self.batch):
            stored = _stored(self.store, chunk)
            missing = [p for p in chunk if p not in stored]
            body = self.client.efetch_ids(missing) if missing else None
            self._take(report, chunk, missing, body, pmid_batch(missing) if missing else "")
        return report

    def _take(self, report: FetchReport, chunk: list[int], missing: list[int], body: bytes | None, what: str) -> None:
        if body is not None:
            result = _ingest_reply(self.store, body, self.folder, what)
            report.fetched += result.records
            report.not_returned += max(0, len(missing) - result.records)
        report.already_stored += len(chunk) - len(missing)
        report.done += len(chunk)
        self.on_progress(report)


def fetch_runner(store: Store, settings: MedbridgeSettings, *, queue: JobQueue | None = None,
                 on_stored: Callable[[str | None], object] | None = None) -> JobRunner:
    """Fetches as persisted jobs (the web's way in): params ``{"query", "max", "since"}`` or ``{"pmids": [...]}``.
    A job stops between batches when cancelled; resuming it fetches only what is still missing, as the CLI does.
    ``on_stored(owner)`` runs once new records are in (the index update is queued)."""

    limiter = ncbi_rate_limiter(settings.pubmed.api_key)  # NCBI counts requests per site: jobs share one budget

    def handle(ctx: JobContext) -> tuple[dict, str]:
        params = ctx.params

        def on_progress(report: FetchReport) -> None:
            ctx.step("fetching", report.done, report.total, f"{report.fetched:,} new, {report.already_stored:,} already here")

        with EutilsClient(settings.pubmed, limiter=limiter) as client:
            fetcher = Fetcher(store, client, settings.downloads_dir, on_progress)
            if params.get("pmids"):
                report = fetcher.fetch_pmids([int(p) for p in params["pmids"]])
            else:
                since = parse_since(params["since"]) if params.get("since") else None
                report = fetcher.fetch_query(params.get("query") or "", max_records=params.get("max"), since=since)
        if report.fetched and on_stored:
            on_stored(ctx.job.owner)
        summary = f"{report.fetched:,} fetched, {report.already_stored:,} already in the corpus"
        return dataclasses.asdict(report), summary

    return JobRunner(store, "fetch", handle, queue=queue, lease_s=settings.jobs.lease_s)
