"""Checks a file before any parser touches it: size, real type (magic bytes, not the extension), zip bombs.

Parsers then check what needs the file open (encryption, page count, emptiness) against the same limits.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from medbridge.documents.errors import DocumentError, UploadTooLarge
from medbridge.documents.ir import DocumentFormat
from medbridge.settings import DocumentSettings

SUFFIX_FORMATS: dict[str, DocumentFormat] = {".pdf": "pdf", ".docx": "docx", ".pptx": "pptx"}
# The part each OOXML package must contain; it tells a Word file from a PowerPoint file inside the zip.
OOXML_MAIN_PARTS: dict[DocumentFormat, str] = {"docx": "word/document.xml", "pptx": "ppt/presentation.xml"}
MAX_COMPRESSION_RATIO = 100  # real Office files compress text ~5-20x; bombs reach thousands


@dataclass(slots=True, frozen=True)
class DocumentLimits:
    max_file_bytes: int
    max_pages: int
    max_uncompressed_bytes: int

    @classmethod
    def from_settings(cls, settings: DocumentSettings) -> DocumentLimits:
        mb = 1024 * 1024
        return cls(
            max_file_bytes=int(settings.max_file_mb * mb),
            max_pages=settings.max_pages,
            max_uncompressed_bytes=int(settings.max_uncompressed_mb * mb),
        )


def check_file(path: Path, limits: DocumentLimits) -> DocumentFormat:
    """The document's format, or DocumentError saying why it cannot be used."""
    if not path.is_file():
        raise DocumentError(f"{path.name}: no such file")
    claimed = SUFFIX_FORMATS.get(path.suffix.lower())
    if claimed is None:
        raise DocumentError(f"{path.name}: unsupported file type (use .pdf, .docx or .pptx)")
    size = path.stat().st_size
    if size == 0:
        raise DocumentError(f"{path.name}: the file is empty")
    if size > limits.max_file_bytes:
        raise UploadTooLarge(
            f"{path.name}: {size / 1048576:.1f} MB is over the {limits.max_file_bytes / 1048576:.0f} MB limit",
            limit_mb=limits.max_file_bytes / 1048576)
    with path.open("rb") as handle:
        head = handle.read(1024)
    actual: DocumentFormat
    if b"%PDF-" in head:  # the header may follow a few junk bytes; viewers accept it within the first 1 KB
        actual = "pdf"
    elif head.startswith(b"PK\x03\x04"):
        actual = _ooxml_format(path, limits)
    else:
        raise DocumentError(f"{path.name}: not a {claimed.upper()} file (its content is not PDF or Office Open XML)")
    if actual != claimed:
        raise DocumentError(f"{path.name}: the name says {claimed.upper()} but the content is {actual.upper()}")
    return actual


def _ooxml_format(path: Path, limits: DocumentLimits) -> DocumentFormat:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise DocumentError(f"{path.name}: damaged zip container ({exc})") from exc
    uncompressed = sum(info.file_size for info in infos)
    compressed = sum(info.compress_size for info in infos) or 1
    if uncompressed > limits.max_uncompressed_bytes:
        raise DocumentError(
            f"{path.name}: unpacks to {uncompressed / 1048576:.0f} MB, over the "
            f"{limits.max_uncompressed_bytes / 1048576:.0f} MB limit"
        )
    if uncompressed > 10 * 1048576 and uncompressed / compressed > MAX_COMPRESSION_RATIO:
        raise DocumentError(f"{path.name}: compression ratio {uncompressed / compressed:.0f}:1 looks like a zip bomb")
    names = {info.filename for info in infos}
    for fmt, main_part in OOXML_MAIN_PARTS.items():
        if main_part in names:
            return fmt
    raise DocumentError(f"{path.name}: a zip file, but not a Word or PowerPoint document")
