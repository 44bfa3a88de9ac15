"""Evidence levels of real records of the sample: publication types, MeSH check tags and the abstract."""

from __future__ import annotations

import csv
import io

import pytest

from medbridge.research.evidence import EvidenceClassifier, describe, profile, rank, support_note
from medbridge.research.extract import Extractor, evidence_csv

RCT, META_ANALYSIS, CASE_CONTROL = 18695053, 34279544, 19042931
PDAPP_MICE, COCULTURE = 18596154, 19038214      # transgenic mice in vivo; a CNS coculture of mouse cells
CSF_COHORT = 19622817                            # Mattsson 2009: prospective cohort study, 750 individuals
UNINDEXED_CROSS_SECTIONAL = 34505023             # no MeSH yet: "This cross-sectional study of 598 … participants"


@pytest.fixture(scope="module")
def levels(terminology, sample_store):
    extractor = Extractor(terminology)
    records = sample_store.get_records([RCT, META_ANALYSIS, CASE_CONTROL, PDAPP_MICE, COCULTURE, CSF_COHORT, UNINDEXED_CROSS_SECTIONAL])
    return {pmid: extractor.process(record).level for pmid, record in records.items()}


def test_human_designs_from_publication_types_and_mesh_design_headings(levels):
    assert (levels[RCT].kind, levels[RCT].design) == ("human", "rct")
    assert (levels[META_ANALYSIS].kind, levels[META_ANALYSIS].design) == ("human", "meta_analysis")
    assert (levels[CASE_CONTROL].kind, levels[CASE_CONTROL].design) == ("human", "case_control")
    assert levels[RCT].basis[0] == "publication type: Randomized Controlled Trial"
    cohort = levels[CSF_COHORT]
    assert (cohort.kind, cohort.design, cohort.sample_size, cohort.sample_text) == ("human", "cohort", 750, "750 individuals")


def test_animal_and_cell_models_are_told_apart(levels):
    mice = levels[PDAPP_MICE]
    assert (mice.kind, mice.species) == ("animal", ["mice"])
    assert levels[COCULTURE].kind == "in_vitro"
    assert describe(mice, "zh") == "动物研究（小鼠）" and describe(mice, "en").startswith("animal study (mice)")


def test_a_record_without_indexing_is_read_from_its_abstract(levels, sample_store):
    assert not sample_store.get_record(UNINDEXED_CROSS_SECTIONAL).mesh
    level = levels[UNINDEXED_CROSS_SECTIONAL]
    assert (level.kind, level.design, level.sample_size) == ("human", "cross_sectional", 598)
    assert level.basis[0] == "abstract" and "cross-sectional study" in level.basis[1]


def test_abstract_alone_agrees_with_the_indexers_on_clear_cases(terminology, sample_store):
    classifier = EvidenceClassifier(terminology)
    for pmid, kind in ((RCT, "human"), (META_ANALYSIS, "human"), (PDAPP_MICE, "animal"), (CASE_CONTROL, "human")):
        assert classifier.classify(sample_store.get_record(pmid), use_indexing=False).kind == kind, pmid


def test_order_notes_profile_and_table(terminology, levels, sample_store):
    ordered = sorted(levels.values(), key=rank)
    assert [lv.kind for lv in ordered][:5] == ["human"] * 5 and ordered[0].design == "meta_analysis"
    assert ordered[-1].kind == "in_vitro"
    assert support_note([levels[CSF_COHORT]], "zh") == "（队列研究，n=750）"
    assert support_note([levels[RCT], levels[CASE_CONTROL], levels[PDAPP_MICE]], "zh") == "（2 项人类研究、1 项动物研究）"
    assert support_note([levels[RCT], levels[PDAPP_MICE]], "en") == "(1 human study, 1 animal study)"
    text = profile(list(levels.values()), "zh")
    assert text.startswith("人类研究 5 项（荟萃分析/系统综述 1 项、随机对照试验 1 项") and "动物研究 1 项（小鼠 1 项）" in text
    record = sample_store.get_record(PDAPP_MICE)
    card = Extractor(terminology).process(record)
    row = next(csv.DictReader(io.StringIO(evidence_csv([card], {PDAPP_MICE: record}))))
    assert (row["evidence_level"], row["species"], row["level_basis"]) == ("animal", "mice", "MeSH: Animals, mice")
