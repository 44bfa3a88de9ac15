"""PubMed files made from the real ones in ../shared, for tests and benchmarks that need bigger inputs."""

from __future__ import annotations

import gzip
from pathlib import Path


def repeated_file(paths: list[Path], times: int, target: Path) -> Path:
    """One PubmedArticleSet holding every article of ``paths`` ``times`` over (streamed, never all in memory)."""
    with gzip.open(target, "wb", compresslevel=1) as out:
        out.write(b'<?xml version="1.0"?>\n<PubmedArticleSet>\n')
        for _ in range(times):
            for path in paths:
                body = gzip.decompress(path.read_bytes())
                start = body.index(b"<PubmedArticleSet>") + len(b"<PubmedArticleSet>")
                out.write(body[start : body.rindex(b"</PubmedArticleSet>")])
        out.write(b"</PubmedArticleSet>\n")
    return target
