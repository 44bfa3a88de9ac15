"""Build and check medbridge's packaged terminology data.

    python scripts/build_terms.py                       # write the MeSH slice, report glossary problems
    python scripts/build_terms.py --fill medbridge/terms/data/glossary/diseases.tsv   # also fill empty mesh_ui

1. Writes ``medbridge/terms/data/mesh_terms.tsv.gz``: every MeSH 2024 descriptor with its (non-permuted)
   entry terms and tree numbers, ~1.4 MB compressed, so English synonym expansion needs no ../shared.
2. Matches each glossary row's ``en`` (then its non-acronym ``en_variants``) against MeSH entry terms and
   reports rows whose mesh_ui is missing, unknown or disagrees; ``--fill`` writes unambiguous matches
   into empty mesh_ui cells of the named files (only those: other files have other curators).
3. Flags the same English term given different Chinese terms (and vice versa) across all files,
   unless one side lists the other as a variant.
Exit status 1 when a row has an unknown mesh_ui or a conflict; missing matches are only reported.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from medbridge.terms.glossary import TSV_COLUMNS, VARIANT_SEPARATOR, glossary_conflicts, read_glossary_tsv  # noqa: E402
from medbridge.terms.matching import en_key, is_acronym  # noqa: E402
from medbridge.terms.mesh import MESH_SEPARATOR  # noqa: E402
from medbridge.terms.terminology import GLOSSARY_DIR, MESH_PATH  # noqa: E402


@dataclass(slots=True)
class MeshThesaurus:
    names: dict[str, str]                       # UI → descriptor name
    entry_terms: dict[str, list[str]]           # UI → non-permuted entry terms other than the name
    trees: dict[str, list[str]]                 # UI → tree numbers
    uis_by_term: dict[tuple[str, ...], set[str]]  # en_key of any term (permuted too) → UIs

    @classmethod
    def read(cls, mesh_dir: Path) -> MeshThesaurus:
        names: dict[str, str] = {}
        entry_terms: dict[str, list[str]] = defaultdict(list)
        uis_by_term: dict[tuple[str, ...], set[str]] = defaultdict(set)
        with gzip.open(mesh_dir / "mesh2024_terms.tsv.gz", "rt", encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                ui, term = row["DescriptorUI"], row["TermName"]
                names[ui] = row["DescriptorName"]
                uis_by_term[en_key(term)].add(ui)
                if row["IsPermutedTermYN"] == "N" and term != row["DescriptorName"] and term not in entry_terms[ui]:
                    entry_terms[ui].append(term)
        trees: dict[str, list[str]] = defaultdict(list)
        with gzip.open(mesh_dir / "mesh2024_trees.tsv.gz", "rt", encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
                trees[row["DescriptorUI"]].append(row["tree_location"])
        return cls(names, entry_terms, trees, uis_by_term)

    def write_slice(self, path: Path) -> None:
        buffer = io.StringIO()
        for ui in sorted(self.names):
            for text in (self.names[ui], *self.entry_terms[ui]):
                if "\t" in text or MESH_SEPARATOR in text:
                    raise ValueError(f"{ui}: {text!r} contains a separator")
            buffer.write(
                f"{ui}\t{self.names[ui]}\t{MESH_SEPARATOR.join(self.entry_terms[ui])}\t{MESH_SEPARATOR.join(self.trees[ui])}\n"
            )
        # mtime=0 keeps the file byte-identical between builds of the same data.
        path.write_bytes(gzip.compress(buffer.getvalue().encode("utf-8"), compresslevel=9, mtime=0))

    def match(self, term: str) -> set[str]:
        uis = self.uis_by_term.get(en_key(term), set())
        named = {ui for ui in uis if en_key(self.names[ui]) == en_key(term)}
        return named or uis


def expected_ui(thesaurus: MeshThesaurus, en: str, en_variants: list[str]) -> tuple[str | None, str]:
    """The one descriptor the row's English names point to, or None with the reason."""
    for form in [en, *(v for v in en_variants if not is_acronym(v))]:
        uis = thesaurus.match(form)
        if len(uis) == 1:
            return next(iter(uis)), f"via {form!r}"
        if len(uis) > 1:
            return None, f"{form!r} is ambiguous: {', '.join(sorted(uis))}"
    return None, "no MeSH entry term matches"


def check_file(path: Path, thesaurus: MeshThesaurus, fill: bool) -> tuple[int, int]:
    """Report mesh_ui problems of one TSV (filling it if asked); returns (errors, missing)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    errors = missing = filled = 0
    for line_no, row in enumerate(rows[1:], start=2):
        if len(row) != len(TSV_COLUMNS):
            continue  # read_glossary_tsv reports the shape problem
        en, mesh_ui, en_variants = row[0], row[3].strip(), [v for v in row[5].split(VARIANT_SEPARATOR) if v.strip()]
        ui, reason = expected_ui(thesaurus, en, en_variants)
        if mesh_ui and mesh_ui not in thesaurus.names:
            print(f"{path.name}:{line_no}: {en!r}: mesh_ui {mesh_ui} is not a MeSH 2024 descriptor")
            errors += 1
        elif mesh_ui and ui and ui != mesh_ui:
            print(f"{path.name}:{line_no}: {en!r}: mesh_ui {mesh_ui} ({thesaurus.names[mesh_ui]}) but MeSH says {ui} ({thesaurus.names[ui]}) {reason}")
        elif not mesh_ui and ui and fill:
            row[3] = ui
            filled += 1
        elif not mesh_ui:
            print(f"{path.name}:{line_no}: {en!r}: no mesh_ui ({reason if not ui else f'MeSH has {ui} ' + reason})")
            missing += 1
    if filled:
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, delimiter="\t", quoting=csv.QUOTE_NONE, lineterminator="\n").writerows(rows)
        print(f"{path.name}: filled {filled} mesh_ui")
    return errors, missing


def report_conflicts(folder: Path) -> int:
    """Same English term with unrelated Chinese terms (or the reverse) anywhere in the glossary."""
    entries = [(path.name, entry) for path in sorted(folder.glob("*.tsv")) for entry in read_glossary_tsv(path)]
    problems = glossary_conflicts(entries)
    for problem in problems:
        print(f"conflict: {problem}")
    return len(problems)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mesh-dir", type=Path, default=REPO.parent / "shared" / "data" / "mesh")
    parser.add_argument("--fill", type=Path, nargs="*", default=[], help="glossary TSVs whose empty mesh_ui to fill")
    args = parser.parse_args(argv)

    thesaurus = MeshThesaurus.read(args.mesh_dir)
    thesaurus.write_slice(MESH_PATH)
    print(f"wrote {MESH_PATH.relative_to(REPO)}: {len(thesaurus.names)} descriptors, {MESH_PATH.stat().st_size / 1e6:.2f} MB")

    fill = {p.resolve() for p in args.fill}
    errors = missing = rows = 0
    for path in sorted(GLOSSARY_DIR.glob("*.tsv")):
        rows += len(read_glossary_tsv(path))  # also validates the file's format
        file_errors, file_missing = check_file(path, thesaurus, fill=path.resolve() in fill)
        errors += file_errors
        missing += file_missing
    conflicts = report_conflicts(GLOSSARY_DIR)
    print(f"{rows} glossary rows: {missing} without mesh_ui, {errors} unknown mesh_ui, {conflicts} conflicts")
    return 1 if errors or conflicts else 0


if __name__ == "__main__":
    raise SystemExit(main())
