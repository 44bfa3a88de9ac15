"""scripts/build_terms.py against the real MeSH 2024 TSVs in ../shared."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from medbridge.terms.glossary import TSV_COLUMNS, read_glossary_tsv
from medbridge.terms.terminology import MESH_PATH

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build_terms.py"


@pytest.fixture(scope="module")
def build_terms():
    spec = importlib.util.spec_from_file_location("build_terms", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the script is executed
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def thesaurus(build_terms, shared_dir):
    return build_terms.MeshThesaurus.read(shared_dir / "data" / "mesh")


def test_shipped_mesh_slice_is_what_the_build_writes(thesaurus, tmp_path):
    rebuilt = tmp_path / "mesh_terms.tsv.gz"
    thesaurus.write_slice(rebuilt)
    assert rebuilt.read_bytes() == MESH_PATH.read_bytes()


def test_fill_and_report_mesh_ui(build_terms, thesaurus, tmp_path, capsys):
    tsv = tmp_path / "trial.tsv"
    tsv.write_text(
        "\t".join(TSV_COLUMNS) + "\n"
        "ketamine\t氯胺酮\tdrug\t\t\tKetalar\n"              # filled from MeSH
        "Ketalar brand\t氯胺酮制剂\tdrug\t\t\tKetalar\n"     # found through its variant
        "hippocampus\t海马\tanatomy\tD000544\t\t\n"          # disagrees with MeSH: reported, kept
        "made-up syndrome\t虚构综合征\tdisease\t\t\t\n"      # no match: reported as missing
        "stroke\t卒中\tdisease\tD999999\t\t\n",              # not a descriptor: an error
        encoding="utf-8",
    )
    errors, missing = build_terms.check_file(tsv, thesaurus, fill=True)
    report = capsys.readouterr().out
    assert (errors, missing) == (1, 1)
    entries = {e.en: e.mesh_ui for e in read_glossary_tsv(tsv)}
    assert entries == {
        "ketamine": "D007649",
        "Ketalar brand": "D007649",
        "hippocampus": "D000544",
        "made-up syndrome": None,
        "stroke": "D999999",
    }
    assert "'hippocampus': mesh_ui D000544 (Alzheimer Disease) but MeSH says D006624 (Hippocampus)" in report
    assert "'made-up syndrome': no mesh_ui" in report
    assert "D999999 is not a MeSH 2024 descriptor" in report
