"""Data derived from packaged files (the jieba medical dictionary, the MeSH lookup tables, normalised glossary
forms), kept in the user's cache folder so a fresh process reads it in milliseconds instead of rebuilding it.

Each entry is named by a hash of everything it was built from, so a changed input builds a new entry and an
old one is never read; a missing, torn or foreign file is rebuilt; a read-only home only costs the speed-up.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def cache_dir() -> Path:
    """The user's cache folder for data derived from packaged files (rebuilt whenever it is missing)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "medbridge"


def cache_key(parts: Iterable[str | bytes]) -> str:
    """A short hash naming a cache entry by what it was built from."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def cached(name: str, key: str, build: Callable[[], T], *,
           save: Callable[[T, Path], object] = lambda value, path: path.write_bytes(marshal.dumps(value)),
           load: Callable[[Path], T] = lambda path: marshal.loads(path.read_bytes())) -> T:
    """``build()``'s value, read from the cache entry ``name-key`` when it exists (marshal by default: core types
    only; a memory-mapped trie passes its own ``save``/``load``)."""
    path = cache_dir() / f"{name}-{key}"
    try:
        return load(path)
    except (OSError, EOFError, ValueError, TypeError, RuntimeError):  # not cached yet, or a foreign file: rebuild
        pass
    value = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, partial = tempfile.mkstemp(dir=path.parent, prefix=path.name)
        os.close(handle)
        save(value, Path(partial))
        os.replace(partial, path)  # a reader never sees half a file
        return load(path)
    except OSError as exc:  # a read-only home only costs the speed-up
        logging.getLogger(__name__).debug("cannot cache %s: %s", path, exc)
        return value
