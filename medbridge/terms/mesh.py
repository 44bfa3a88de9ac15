"""The packaged MeSH 2024 slice: every descriptor with its entry terms and tree numbers.

File format (``mesh_terms.tsv.gz``, written by scripts/build_terms.py): one descriptor a line,
``ui <TAB> name <TAB> entry terms joined by | <TAB> tree numbers joined by |``. Permuted entry
terms ("Disease, Alzheimer") are left out: they add size, not search recall.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from medbridge.terms.base import MeshDescriptor

MESH_SEPARATOR = "|"


class MeshIndex:
    """Descriptor lookup by UI and by any entry term (case-insensitive)."""

    def __init__(self, descriptors: list[MeshDescriptor]) -> None:
        self._by_ui = {d.ui: d for d in descriptors}
        self._by_term: dict[str, MeshDescriptor] = {}
        # Names first, so a string that is one descriptor's name and another's entry term finds the former.
        for descriptor in descriptors:
            self._by_term.setdefault(descriptor.name.casefold(), descriptor)
        for descriptor in descriptors:
            for term in descriptor.entry_terms:
                self._by_term.setdefault(term.casefold(), descriptor)

    @classmethod
    def load(cls, path: Path) -> MeshIndex:
        descriptors = []
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                ui, name, entry_terms, tree_numbers = line.rstrip("\n").split("\t")
                descriptors.append(
                    MeshDescriptor(
                        ui=ui,
                        name=name,
                        entry_terms=tuple(t for t in entry_terms.split(MESH_SEPARATOR) if t),
                        tree_numbers=tuple(t for t in tree_numbers.split(MESH_SEPARATOR) if t),
                    )
                )
        return cls(descriptors)

    def __len__(self) -> int:
        return len(self._by_ui)

    def __contains__(self, ui: str) -> bool:
        return ui in self._by_ui

    def get(self, ui: str) -> MeshDescriptor | None:
        return self._by_ui.get(ui.strip().upper())

    def by_term(self, term: str) -> MeshDescriptor | None:
        return self._by_term.get(" ".join(term.split()).casefold())
