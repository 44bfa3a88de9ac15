"""Quality of the shipped terminology data: every glossary row, and the MeSH slice it points into."""

from __future__ import annotations

from pathlib import Path

import pytest

from medbridge.terms.glossary import MESH_UI_PATTERN, glossary_conflicts, read_glossary_tsv
from medbridge.terms.mesh import MeshIndex
from medbridge.terms.terminology import GLOSSARY_DIR, MESH_PATH
from medbridge.text import is_cjk

GLOSSARY_FILES = sorted(GLOSSARY_DIR.glob("*.tsv"))


@pytest.fixture(scope="module")
def rows() -> list[tuple[str, object]]:
    return [(path.name, entry) for path in GLOSSARY_FILES for entry in read_glossary_tsv(path)]


@pytest.fixture(scope="module")
def mesh() -> MeshIndex:
    return MeshIndex.load(MESH_PATH)


def test_glossary_files_present():
    names = {path.name for path in GLOSSARY_FILES}
    assert {"diseases.tsv", "anatomy.tsv", "physiology.tsv", "symptoms.tsv"} <= names


def test_glossary_has_at_least_3000_rows(rows):
    # Needs both halves of the glossary: diseases/anatomy/physiology/symptoms and drugs/genes/methods.
    assert len(rows) >= 3000


def test_every_row_is_complete_and_findable(rows, terminology):
    for source, entry in rows:
        where = f"{source}: {entry.en!r}"
        assert entry.en.strip() and entry.zh.strip() and entry.category.strip(), where
        assert is_cjk(entry.zh), where
        # (Not "normalize_zh(zh) == zh": t2s also folds correct simplified chemistry such as 噁唑 → 恶唑.)
        assert entry.zh in {found.zh for found in terminology.lookup_zh(entry.zh)}, where
        assert entry.en in {found.en for found in terminology.lookup_en(entry.en)}, where
        assert all(v.strip() == v and v for v in (*entry.en_variants, *entry.zh_variants)), where


def test_mesh_ui_valid_and_in_the_shipped_slice(rows, mesh):
    with_ui = [(source, entry) for source, entry in rows if entry.mesh_ui]
    assert len(with_ui) > len(rows) / 2  # most rows are tied to MeSH
    for source, entry in with_ui:
        assert MESH_UI_PATTERN.fullmatch(entry.mesh_ui), f"{source}: {entry.en!r}"
        assert entry.mesh_ui in mesh, f"{source}: {entry.en!r}: {entry.mesh_ui} not in MeSH 2024"


def test_no_conflicting_duplicates(rows):
    assert glossary_conflicts(rows) == []


def test_conflict_check_catches_a_real_conflict(rows):
    source, entry = next((s, e) for s, e in rows if e.en == "stroke")
    clash = type(entry)(en="Stroke", zh="中暑", category="disease")
    assert glossary_conflicts([(source, entry), ("other.tsv", clash)]) == [
        f"'stroke' is {entry.zh} ({source}) and 中暑 (other.tsv)"
    ]


def test_mesh_slice_is_complete_and_small(mesh):
    assert len(mesh) == 30764  # every MeSH 2024 descriptor
    assert MESH_PATH.stat().st_size < 3_000_000
    assert mesh.get("D000544").name == "Alzheimer Disease"
    assert "F03.615.400.100" in mesh.get("D000544").tree_numbers


def test_product_data_lives_in_the_package():
    package_dir = Path(__file__).resolve().parents[2] / "medbridge" / "terms"
    assert GLOSSARY_DIR.is_relative_to(package_dir) and MESH_PATH.is_relative_to(package_dir)
