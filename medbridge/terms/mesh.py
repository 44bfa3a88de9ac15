"""The packaged MeSH 2024 slice: every descriptor with its entry terms and tree numbers.

File format (``mesh_terms.tsv.gz``, written by scripts/build_terms.py): one descriptor a line,
``ui <TAB> name <TAB> entry terms joined by | <TAB> tree numbers joined by |``. Permuted entry
terms ("Disease, Alzheimer") are left out: they add size, not search recall.
"""

from __future__ import annotations

import gzip
import marshal
from collections.abc import Iterable, Iterator
from pathlib import Path

import marisa_trie

from medbridge.datacache import cache_key, cached
from medbridge.terms.base import MeshDescriptor

MESH_SEPARATOR = "|"


class MeshIndex:
    """Descriptor lookup by UI and by any entry term (case-insensitive), over a memory-mapped trie kept in the
    user's cache folder: parsing the slice and folding its 130,000 terms cost every cold search ~0.5 s."""

    _UI, _TERM = "ui:", "term:"  # the trie's two kinds of key: a descriptor's row, a term's descriptor UI

    def __init__(self, trie: marisa_trie.BytesTrie) -> None:
        self._trie = trie

    @classmethod
    def from_descriptors(cls, descriptors: Iterable[MeshDescriptor]) -> MeshIndex:
        descriptors = list(descriptors)
        items = [(cls._UI + d.ui, marshal.dumps((d.ui, d.name, d.entry_terms, d.tree_numbers))) for d in descriptors]
        by_term: dict[str, str] = {}
        # Names first, so a string that is one descriptor's name and another's entry term finds the former.
        for descriptor in descriptors:
            by_term.setdefault(descriptor.name.casefold(), descriptor.ui)
        for descriptor in descriptors:
            for term in descriptor.entry_terms:
                by_term.setdefault(term.casefold(), descriptor.ui)
        items += [(cls._TERM + term, ui.encode()) for term, ui in by_term.items()]
        return cls(marisa_trie.BytesTrie(items))

    @classmethod
    def load(cls, path: Path) -> MeshIndex:
        return cached("mesh", cache_key([Path(__file__).read_bytes(), path.read_bytes()]), lambda: cls.from_descriptors(_read(path)),
                      save=lambda index, path: index._trie.save(str(path)),
                      load=lambda cached_path: cls(marisa_trie.BytesTrie().mmap(str(cached_path))))

    def __len__(self) -> int:
        return len(self._trie.keys(self._UI))

    def __contains__(self, ui: str) -> bool:
        return self._UI + ui in self._trie

    def get(self, ui: str) -> MeshDescriptor | None:
        found = self._trie.get(self._UI + ui.strip().upper())
        return MeshDescriptor(*marshal.loads(found[0])) if found else None

    def by_term(self, term: str) -> MeshDescriptor | None:
        found = self._trie.get(self._TERM + " ".join(term.split()).casefold())
        return self.get(found[0].decode()) if found else None


def _read(path: Path) -> Iterator[MeshDescriptor]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            ui, name, entry_terms, tree_numbers = line.rstrip("\n").split("\t")
            yield MeshDescriptor(ui=ui, name=name, entry_terms=tuple(t for t in entry_terms.split(MESH_SEPARATOR) if t),
                                 tree_numbers=tuple(t for t in tree_numbers.split(MESH_SEPARATOR) if t))
