"""The whole of PubMed from NLM's distribution: ``baseline/`` (annual, ~1,300 files) and ``updatefiles/`` (daily)
under a mirror folder (NLM's ``pubmed/`` over HTTPS, a local HTTP mirror, or a ``file://`` path).

Each ``pubmedYYnNNNN.xml.gz`` not yet ingested is downloaded into ``MEDBRIDGE_HOME/downloads`` (resumed with HTTP
Range after a dropped connection or an interrupted run), checked against its ``.md5`` (a mismatch is downloaded
once more, then reported, never ingested) and ingested in file-number order, baseline before updates, so each
file's DeleteCitation entries apply in order. The store's list of ingested files is the state: a re-run fetches
only what is new. A ``file://`` mirror is verified and ingested in place, nothing copied.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import re
import shutil
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Literal, Protocol
from urllib.parse import unquote, urljoin, urlsplit

import httpx
from lxml import html

from medbridge.corpus.ingest import ingest_steps
from medbridge.corpus.pubmed import PubmedParseError
from medbridge.corpus.remote import RemoteError, TransientReply, http_client, transient_status, with_retries
from medbridge.errors import MedbridgeError
from medbridge.jobs import JobContext, JobRunner
from medbridge.settings import MedbridgeSettings
from medbridge.store.base import Store

if TYPE_CHECKING:
    from medbridge.jobs.queue import JobQueue

FOLDERS = ("baseline", "updatefiles")
PUBMED_FILE = re.compile(r"pubmed(\d{2})n(\d{4})\.xml\.gz")
_MD5_LINE = re.compile(r"MD5\((?P<name>[^)]+)\)\s*=\s*(?P<digest>[0-9a-fA-F]{32})\s*")
_CHUNK = 1 << 20


class SyncError(MedbridgeError):
    """A file that cannot be brought in; sync stops there so files are ingested in order."""


@dataclass(frozen=True, slots=True)
class PubmedFile:
    folder: str
    name: str
    has_md5: bool = True

    @property
    def order(self) -> tuple[int, int, int]:
        year, number = PUBMED_FILE.fullmatch(self.name).groups()  # type: ignore[union-attr]
        return FOLDERS.index(self.folder), int(year), int(number)


@dataclass(slots=True)
class SyncProgress:
    """Where sync is: ``stage`` of file ``name`` (``files_done`` of ``files_total``), bytes for downloads."""

    stage: Literal["download", "verify", "ingest", "done"]
    name: str
    files_done: int
    files_total: int
    bytes_done: int = 0
    bytes_total: int | None = None


@dataclass(slots=True)
class SyncReport:
    pending: int = 0        # files on the mirror not yet ingested
    ingested: list[str] = field(default_factory=list)
    records: int = 0
    deletes: int = 0
    downloaded_bytes: int = 0
    redownloaded: list[str] = field(default_factory=list)
    ignored_names: int = 0
    waiting: str | None = None   # a file whose .md5 is not published yet: sync stopped before it


ProgressCallback = Callable[[SyncProgress], None]


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _mb(size: float) -> str:
    return f"{size / 1e6:,.1f} MB"


class Mirror(Protocol):
    def names(self, folder: str) -> list[str]: ...
    def md5_text(self, file: PubmedFile) -> str: ...
    def local_path(self, file: PubmedFile) -> Path | None: ...
    def close(self) -> None: ...


class FileMirror:
    """A copy of NLM's folder on this machine (``file://``): read in place."""

    def __init__(self, root: Path):
        self.root = root

    def names(self, folder: str) -> list[str]:
        path = self.root / folder
        if not path.is_dir():
            raise SyncError(f"mirror {self.root} has no {folder}/ folder")
        return sorted(p.name for p in path.iterdir() if p.is_file())

    def md5_text(self, file: PubmedFile) -> str:
        return (self.root / file.folder / (file.name + ".md5")).read_text(encoding="ascii", errors="replace")

    def local_path(self, file: PubmedFile) -> Path:
        return self.root / file.folder / file.name

    def close(self) -> None:
        pass


class HttpMirror:
    """NLM's folder over HTTP(S): Apache directory listings, HEAD for sizes, Range for resuming."""

    def __init__(self, url: str, settings: MedbridgeSettings, client: httpx.Client | None = None):
        self.url = url if url.endswith("/") else url + "/"
        self.settings = settings.pubmed
        self._client = client or http_client(settings.pubmed)

    def close(self) -> None:
        self._client.close()

    def _get(self, url: str, what: str) -> httpx.Response:
        def once() -> httpx.Response:
            response = self._client.get(url)
            transient = transient_status(response, what)
            if transient:
                raise transient
            if response.status_code != 200:
                raise RemoteError(f"{what}: HTTP {response.status_code} {response.reason_phrase}")
            return response

        return with_retries(self.settings, once, what)

    def names(self, folder: str) -> list[str]:
        url = urljoin(self.url, folder + "/")
        page = self._get(url, f"listing {url}")
        try:
            hrefs = html.fromstring(page.content).xpath("//a/@href")
        except Exception as exc:  # lxml raises several kinds on a body that is no HTML at all
            raise SyncError(f"listing {url}: not an HTML directory listing ({exc})") from exc
        # Links are relative file names; parent links, sort links (?C=N;O=D) and subfolders are not files.
        return sorted({unquote(h) for h in hrefs if h and "/" not in h and "?" not in h})

    def md5_text(self, file: PubmedFile) -> str:
        url = self.file_url(file) + ".md5"
        return self._get(url, f"download {url}").text

    def local_path(self, file: PubmedFile) -> None:
        return None

    def file_url(self, file: PubmedFile) -> str:
        return urljoin(self.url, f"{file.folder}/{file.name}")

    def size(self, file: PubmedFile) -> int | None:
        url = self.file_url(file)

        def once() -> int | None:
            response = self._client.head(url)
            transient = transient_status(response, f"HEAD {url}")
            if transient:
                raise transient
            length = response.headers.get("content-length")
            return int(length) if response.status_code == 200 and length and length.isdigit() else None

        return with_retries(self.settings, once, f"HEAD {url}")

    def download(self, file: PubmedFile, part: Path, on_bytes: Callable[[int], None]) -> None:
        """Bring the file into ``part``, continuing from the bytes already there (HTTP Range)."""
        url = self.file_url(file)
        what = f"download {url}"

        def once() -> None:
            offset = part.stat().st_size if part.exists() else 0
            headers = {"Range": f"bytes={offset}-"} if offset else {}
            with self._client.stream("GET", url, headers=headers) as response:
                if response.status_code == 416:
                    total = response.headers.get("content-range", "").rpartition("/")[2]
                    if total.isdigit() and int(total) == offset:
                        return  # already whole
                    part.unlink(missing_ok=True)  # longer than the file: not a prefix of it; start again
                    raise TransientReply(f"{what}: the partial download does not fit the file; starting again")
                transient = transient_status(response, what)
                if transient:
                    raise transient
                if response.status_code == 206:
                    start = re.match(r"bytes (\d+)-", response.headers.get("content-range", ""))
                    if not start or int(start.group(1)) != offset:
                        part.unlink(missing_ok=True)
                        raise TransientReply(f"{what}: the server sent another byte range than asked; starting again")
                    mode = "ab"
                elif response.status_code == 200:
                    mode = "wb"  # no range support: the whole file again
                else:
                    raise RemoteError(f"{what}: HTTP {response.status_code} {response.reason_phrase}")
                with open(part, mode) as out:
                    # Raw bytes as they arrive: what came before a dropped connection is kept, and ranges count
                    # bytes of the file as served (never of a decoded Content-Encoding).
                    for chunk in response.iter_raw():
                        on_bytes(len(chunk))
                        out.write(chunk)

        with_retries(self.settings, once, what)


def open_mirror(url: str, settings: MedbridgeSettings) -> FileMirror | HttpMirror:
    parts = urlsplit(url)
    if parts.scheme == "file":
        return FileMirror(Path(unquote(parts.path)))
    if parts.scheme in {"http", "https"}:
        return HttpMirror(url, settings)
    if not parts.scheme and Path(url).is_dir():
        return FileMirror(Path(url))
    raise SyncError(f"mirror {url!r}: give an http(s):// URL, a file:// URL or a folder")


class Syncer:
    """Brings the mirror's files that the store has not ingested into it, in order."""

    def __init__(self, store: Store, settings: MedbridgeSettings, mirror: FileMirror | HttpMirror,
                 on_progress: ProgressCallback | None = None):
        self.store = store
        self.settings = settings
        self.mirror = mirror
        self.downloads = settings.downloads_dir / "pubmed"
        self.on_progress = on_progress or (lambda progress: None)

    def pending(self, folders: tuple[str, ...], report: SyncReport) -> list[PubmedFile]:
        ingested = {f.name for f in self.store.ingested_files()}
        files: list[PubmedFile] = []
        for folder in folders:
            names = set(self.mirror.names(folder))
            data = {n for n in names if PUBMED_FILE.fullmatch(n)}
            checksums = {n for n in names if n.endswith(".md5") and n[:-4] in data}
            report.ignored_names += len(names) - len(data) - len(checksums)
            files += [PubmedFile(folder, n, n + ".md5" in checksums) for n in data if n not in ingested]
        return sorted(files, key=lambda f: f.order)

    def run(self, *, baseline: bool = True, updates: bool = True, max_files: int | None = None) -> SyncReport:
        folders = tuple(f for f, wanted in zip(FOLDERS, (baseline, updates)) if wanted)
        report = SyncReport()
        files = self.pending(folders, report)
        report.pending = len(files)
        chosen = files[:max_files] if max_files is not None else files
        ready: list[PubmedFile] = []
        for file in chosen:
            if not file.has_md5:
                report.waiting = file.name
                break
            ready.append(file)
        total = len(ready)
        # The next file downloads while earlier ones are parsed (in `ingest.workers` processes) and stored in
        # order: the network, the parsers and the one writer work side by side.
        stop = threading.Event()
        downloader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-download")
        downloaded_here: dict[Path, bool] = {}
        failure: list[Exception] = []

        def obtain(number: int) -> Future[tuple[Path, bool]] | None:
            return downloader.submit(self._obtain, ready[number], number, total, report, stop) if number < total else None

        def verified_paths() -> Iterator[Path]:
            """Each file once it is downloaded and verified; a file that cannot be had ends the run there, after
            the files before it are stored."""
            upcoming = obtain(0)
            for number in range(total):
                assert upcoming is not None
                try:
                    path, downloaded = upcoming.result()
                except Exception as exc:  # raised below, once the files before this one are stored
                    failure.append(exc)
                    return
                upcoming = obtain(number + 1)
                downloaded_here[path] = downloaded
                yield path

        try:
            with closing(ingest_steps(self.store, verified_paths(), self.settings.ingest.workers, self.settings.ray.address)) as steps:
                for number, (path, step) in enumerate(steps):
                    file = ready[number]
                    self.on_progress(SyncProgress("ingest", file.name, number, total))
                    try:
                        result = step()
                    except PubmedParseError as exc:
                        raise SyncError(f"{file.name}: {exc.reason}; nothing of it was ingested") from exc
                    report.ingested.append(file.name)
                    report.records += result.records
                    report.deletes += result.deletes
                    if downloaded_here.pop(path):
                        path.unlink()  # in the store now; NLM keeps the original
                    self.on_progress(SyncProgress("done", file.name, number + 1, total))
        finally:
            stop.set()  # a download still running stops at its next chunk; its part file is resumed next time
            downloader.shutdown(wait=True, cancel_futures=True)
        if failure:
            raise failure[0]
        return report

    def _expected_md5(self, file: PubmedFile) -> str:
        try:
            text = self.mirror.md5_text(file)
        except OSError as exc:
            raise SyncError(f"{file.name}.md5: cannot read it ({exc.strerror or exc})") from exc
        match = _MD5_LINE.fullmatch(text.strip())
        if not match or match.group("name") != file.name:
            raise SyncError(f"{file.name}.md5: not an NLM checksum line for this file ({text.strip()[:80]!r})")
        return match.group("digest").lower()

    def _obtain(self, file: PubmedFile, number: int, total: int, report: SyncReport,
                stop: threading.Event) -> tuple[Path, bool]:
        """The verified file, and whether it was downloaded (and so is ours to delete after ingesting)."""
        expected = self._expected_md5(file)
        local = self.mirror.local_path(file)
        if local is not None:
            self.on_progress(SyncProgress("verify", file.name, number, total))
            actual = _md5(local)
            if actual != expected:
                raise SyncError(f"{file.name}: MD5 mismatch on the mirror (expected {expected}, got {actual}); not ingested")
            return local, False
        assert isinstance(self.mirror, HttpMirror)
        target = self.downloads / file.folder / file.name
        if target.exists():  # downloaded and verified by an earlier run that stopped before ingesting it
            if _md5(target) == expected:
                return target, True
            target.unlink()
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".part")
        for attempt in (1, 2):
            self._download(file, part, number, total, report, stop)
            self.on_progress(SyncProgress("verify", file.name, number, total))
            actual = _md5(part)
            if actual == expected:
                part.replace(target)
                return target, True
            part.unlink()
            if attempt == 1:
                report.redownloaded.append(file.name)
        raise SyncError(f"{file.name}: MD5 mismatch after downloading it twice (expected {expected}, got {actual}); not ingested")

    def _download(self, file: PubmedFile, part: Path, number: int, total: int, report: SyncReport,
                  stop: threading.Event) -> None:
        mirror = self.mirror
        assert isinstance(mirror, HttpMirror)
        size = mirror.size(file)
        have = part.stat().st_size if part.exists() else 0
        room, where = self._room()
        needed = (size - have) if size is not None else 0
        if needed > room:
            raise SyncError(f"not enough disk space to download {file.name}: {_mb(needed)} needed, {_mb(room)} {where}")
        done, left = have, room

        def on_bytes(count: int) -> None:
            nonlocal done, left
            if stop.is_set():
                raise SyncError(f"{file.name}: download stopped")
            left -= count
            if left < 0:  # the server sent more than it announced
                raise SyncError(f"not enough disk space to finish {file.name}: only {_mb(room)} {where}")
            done += count
            report.downloaded_bytes += count
            self.on_progress(SyncProgress("download", file.name, number, total, done, size))

        self.on_progress(SyncProgress("download", file.name, number, total, done, size))
        try:
            mirror.download(file, part, on_bytes)
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise SyncError(f"disk full while downloading {file.name}; the part is kept and resumed next time") from exc
            raise SyncError(f"cannot write {part}: {exc.strerror or exc}") from exc

    def _room(self) -> tuple[int, str]:
        """Bytes the downloads folder may still take, and what limits it."""
        self.downloads.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(self.downloads).free
        limit_mb = self.settings.pubmed.download_limit_mb
        if limit_mb is not None:
            used = sum(p.stat().st_size for p in self.settings.downloads_dir.rglob("*") if p.is_file())
            allowed = max(0, int(limit_mb * 1e6) - used)
            if allowed < free:
                return allowed, f"left under pubmed.download_limit_mb = {limit_mb:g}"
        return free, f"free in {self.downloads}"


def sync_runner(store: Store, settings: MedbridgeSettings, *, queue: JobQueue | None = None,
                on_stored: Callable[[str | None], object] | None = None) -> JobRunner:
    """Syncs as persisted jobs (a department's scheduled or administrator-started way in): params ``{"baseline",
    "updates", "mirror", "max_files"}`` as ``medbridge sync`` takes them. A job stops after the file being stored
    when cancelled; a re-run (or resume) brings in only the files still missing. ``on_stored(owner)`` runs once
    records came in (the index update is queued)."""

    def handle(ctx: JobContext) -> tuple[dict, str]:
        params = ctx.params

        def on_progress(event: SyncProgress) -> None:
            # Downloads report from their own thread; the job follows the files, and stops only between them.
            if event.stage == "ingest":
                ctx.progress("ingesting", event.files_done, event.files_total, event.name)
            elif event.stage == "done":
                ctx.step("ingesting", event.files_done, event.files_total, event.name)

        baseline, updates = params.get("baseline", True), params.get("updates", True)
        mirror = open_mirror(params.get("mirror") or settings.pubmed.mirror_url, settings)
        try:
            report = Syncer(store, settings, mirror, on_progress).run(
                baseline=baseline, updates=updates, max_files=params.get("max_files"))
        finally:
            mirror.close()
        if report.records and on_stored:
            on_stored(ctx.job.owner)
        summary = (f"{len(report.ingested)} file(s) ingested ({report.records:,} records, {report.deletes:,} deletions), "
                   f"{report.pending - len(report.ingested)} still to do")
        return dataclasses.asdict(report), summary

    return JobRunner(store, "sync", handle, queue=queue, lease_s=settings.jobs.lease_s)
