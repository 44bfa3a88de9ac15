"""The terminology API on the packaged glossary, MeSH slice and CC-CEDICT, checked against real abstracts."""

from __future__ import annotations

import gzip
import json

import pytest
from lxml import etree

from medbridge.errors import MedbridgeError
from medbridge.terms import GlossaryEntry, GlossaryFormatError, Terminology, load_user_glossary
from medbridge.terms.terminology import GLOSSARY_DIR, glossary_version

# Phrases search must understand, each as a user would type it (from the terminology brief).
KEY_PHRASES = [
    "阿尔茨海默病", "轻度认知障碍", "痴呆", "脑脊液", "海马", "抑郁症", "难治性抑郁", "突触可塑性", "神经炎症",
    "帕金森病", "卒中", "糖尿病", "高血压", "认知功能", "认知下降", "淀粉样斑块", "神经原纤维缠结", "血脑屏障",
    "氧化应激", "线粒体功能障碍", "细胞凋亡", "自噬", "睡眠", "肥胖", "心血管疾病", "癌症", "肿瘤",
]


@pytest.fixture(scope="module")
def terms(terminology) -> Terminology:
    return terminology


@pytest.fixture(scope="module")
def abstract_19622817(alzheimer_dir) -> str:
    """The English abstract of PMID 19622817 (CSF biomarkers in MCI), read straight from the PubMed XML."""
    with gzip.open(alzheimer_dir / "pubmed_0_to_99.xml.gz") as handle:
        tree = etree.parse(handle)
    article = tree.xpath("//PubmedArticle[MedlineCitation/PMID='19622817']")[0]
    return " ".join("".join(node.itertext()) for node in article.iterfind(".//Abstract/AbstractText"))


@pytest.fixture(scope="module")
def reference_zh_19622817(shared_dir) -> str:
    """The project's careful Chinese translation of the same abstract."""
    path = shared_dir / "data" / "bench" / "reference_translations_zh.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["pmid"] == "19622817":
            return record["title"] + "".join(text for _, text in record["sections"])
    raise AssertionError("PMID 19622817 missing from the reference translations")


# ---- segmentation and normalisation ----------------------------------------------------------------

def test_segmentation_keeps_medical_terms_whole(terms):
    tokens = terms.segment("阿尔茨海默病的脑脊液生物标志物")
    assert {"阿尔茨海默病", "脑脊液", "生物标志物"} <= set(tokens)


@pytest.mark.parametrize("phrase", KEY_PHRASES)
def test_key_phrase_is_one_token_and_known(terms, phrase):
    assert phrase in terms.segment(f"患者的{phrase}与年龄有关"), terms.segment(f"患者的{phrase}与年龄有关")
    assert terms.lookup_zh(phrase), f"{phrase} has no glossary entry"


@pytest.mark.parametrize("damage", ["torn", "foreign"])
def test_cached_term_data_answers_the_same_and_survives_a_damaged_file(tmp_path, monkeypatch, damage):
    """The jieba + glossary dictionary, the MeSH tables and the glossary indexes are cached for later processes;
    a torn or foreign cache file is rebuilt, and every answer stays the same."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    text = "阿尔茨海默病患者脑脊液生物标志物与轻度认知障碍的关系，以及抗抑郁药的作用"

    def answers(terms: Terminology) -> tuple:
        return (terms.segment(text), terms.mesh_by_term("Ketalar"), terms.mesh("D000544").name,
                [e.zh for e in terms.lookup_en("Alzheimer's diseases")], terms.find_terms("CSF p-tau in MCI", "en"))

    built = answers(Terminology.from_files())  # builds and writes the caches
    cached_files = sorted((tmp_path / "medbridge").iterdir())
    assert [f.name.split("-")[0] for f in cached_files] == ["glossary", "jieba", "mesh", "t2s"]
    assert answers(Terminology.from_files()) == built  # read from the caches
    sizes = {f: f.stat().st_size for f in cached_files}
    for cached_file in cached_files:
        cached_file.write_bytes(cached_file.read_bytes()[:1000] if damage == "torn" else b"\x00not a cache" * 100)
    assert answers(Terminology.from_files()) == built
    assert {f: f.stat().st_size for f in cached_files} == sizes  # rewritten whole
    assert built[1].name == "Ketamine" and built[2] == "Alzheimer Disease" and built[3] == ["阿尔茨海默病"]
    assert {"阿尔茨海默病", "脑脊液", "轻度认知障碍"} <= set(built[0])


def test_segment_returns_the_input_characters(terms):
    text = "阿茲海默症患者的海馬體萎縮，ＭＲＩ顯示"
    tokens = terms.segment(text)
    assert "".join(tokens) == text
    assert "阿茲海默症" in tokens


def test_normalize_zh_traditional_and_full_width(terms):
    assert terms.normalize_zh("阿茲海默症的腦脊液") == "阿兹海默症的脑脊液"
    assert terms.normalize_zh("ＡＰＯＥ４，（ＭＣＩ）") == "APOE4,(MCI)"


def test_traditional_and_colloquial_names_map_to_alzheimer_disease(terms):
    for typed in ("阿茲海默症", "阿兹海默症", "老年痴呆", "阿尔茨海默症"):
        entries = terms.lookup_zh(typed)
        assert entries and entries[0].en == "Alzheimer disease", typed
        assert entries[0].zh == "阿尔茨海默病"
    assert terms.lookup_zh("憂鬱症")[0].zh == "抑郁症"


# ---- glossary lookups ------------------------------------------------------------------------------

def test_lookup_en_ignores_case_apostrophes_and_plurals(terms):
    assert terms.lookup_en("Alzheimer's disease")[0].zh == "阿尔茨海默病"
    assert terms.lookup_en("ALZHEIMER DISEASE")[0].zh == "阿尔茨海默病"
    assert terms.lookup_en("Amyloid Plaques")[0].zh == "淀粉样斑块"
    assert terms.lookup_en("neurofibrillary tangles")[0].zh == "神经原纤维缠结"
    assert terms.lookup_en("blood-brain barrier")[0].zh == terms.lookup_en("blood brain barrier")[0].zh == "血脑屏障"
    assert terms.lookup_en("astrocytes")[0].zh == "星形胶质细胞"
    assert terms.lookup_en("no such term at all") == []


def test_lookups_round_trip(terms):
    for phrase in ("轻度认知障碍", "突触可塑性", "血脑屏障", "自噬"):
        entry = terms.lookup_zh(phrase)[0]
        assert phrase in [e.zh for e in terms.lookup_en(entry.en)]


def test_find_terms_en_is_longest_match_and_acronyms_are_case_sensitive(terms):
    text = "Mild cognitive impairment (MCI) and AD were studied ad hoc; amyloid plaques and tau."
    found = {text[start:end]: entry.zh for start, end, entry in terms.find_terms(text, "en")}
    assert found["Mild cognitive impairment"] == "轻度认知障碍"  # not just "cognitive impairment"
    assert found["MCI"] == "轻度认知障碍"
    assert found["AD"] == "阿尔茨海默病"
    assert found["amyloid plaques"] == "淀粉样斑块"
    assert "ad" not in found  # "ad hoc" is Latin, not Alzheimer disease


def test_find_terms_does_not_cross_punctuation(terms):
    # "dementia, vascular" must not be read as one inverted heading across the comma.
    spans = terms.find_terms("dementia, vascular changes", "en")
    assert [("dementia", "痴呆")] == [("dementia, vascular changes"[s:e], entry.zh) for s, e, entry in spans]


def test_find_terms_on_a_real_abstract(terms, abstract_19622817):
    spans = terms.find_terms(abstract_19622817, "en")
    assert spans == sorted(spans, key=lambda span: span[0])
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:])), "spans overlap"
    found = {abstract_19622817[start:end].casefold(): entry.zh for start, end, entry in spans}
    assert found["cerebrospinal fluid"] == "脑脊液"
    assert found["mild cognitive impairment"] == "轻度认知障碍"
    assert found["alzheimer disease"] == "阿尔茨海默病"
    assert found["csf"] == "脑脊液"


def test_find_terms_on_a_real_chinese_translation(terms, reference_zh_19622817):
    text = reference_zh_19622817
    spans = terms.find_terms(text, "zh")
    found = {text[start:end]: entry.en for start, end, entry in spans}
    assert found["轻度认知障碍"] == "mild cognitive impairment"
    assert found["阿尔茨海默病"] == "Alzheimer disease"
    assert found["痴呆"] == "dementia"
    assert "脑脊液生物标志物" in found or "脑脊液" in found
    assert all(len(text[start:end]) >= 2 for start, end, _ in spans)


def test_find_terms_rejects_unknown_language(terms):
    with pytest.raises(ValueError):
        terms.find_terms("text", "fr")


# ---- MeSH and CC-CEDICT ----------------------------------------------------------------------------

def test_mesh_lookup_by_ui_and_entry_term(terms):
    ketamine = terms.mesh_by_term("Ketalar")
    assert ketamine is not None and ketamine.ui == "D007649" and ketamine.name == "Ketamine"
    assert terms.mesh("D007649") == ketamine
    assert all(number.startswith("D") for number in ketamine.tree_numbers)
    assert terms.mesh_by_term("alzheimer's disease").ui == "D000544"
    assert terms.mesh("D000000") is None
    assert terms.mesh_by_term("not a heading") is None


def test_glossary_mesh_ui_points_at_the_right_descriptor(terms):
    entry = terms.lookup_zh("阿尔茨海默病")[0]
    assert terms.mesh(entry.mesh_ui).name == "Alzheimer Disease"
    assert terms.mesh(terms.lookup_zh("海马")[0].mesh_ui).name == "Hippocampus"


def test_cedict_fallback(terms):
    assert "dementia" in terms.cedict("痴呆")
    assert "dementia" in terms.cedict("癡呆")  # traditional input
    assert terms.cedict("不是一个词语吧") == []


def test_heavy_resources_load_on_first_use():
    fresh = Terminology.from_files()
    assert fresh.lookup_zh("卒中")  # glossary works without MeSH, CEDICT or jieba
    loaded = vars(fresh._resources)
    assert "mesh" not in loaded and "cedict" not in loaded and "_jieba_base" not in loaded


def test_version_names_the_glossary_files(terms):
    assert len(terms.version) == 12 and terms.version == glossary_version(GLOSSARY_DIR)


# ---- user glossary ---------------------------------------------------------------------------------

def test_user_glossary_wins_over_built_in(terms, tmp_path):
    csv_path = tmp_path / "mine.csv"
    csv_path.write_text("en,zh,category,mesh_ui\nAlzheimer disease,阿尔茨海默氏病,disease,D000544\nketamine,K他命\n", encoding="utf-8")
    user_entries = load_user_glossary(csv_path)
    assert user_entries[0] == GlossaryEntry("Alzheimer disease", "阿尔茨海默氏病", "disease", "D000544")
    view = terms.with_user_entries(user_entries)

    assert view.lookup_en("Alzheimer disease")[0].zh == "阿尔茨海默氏病"
    # Built-in synonyms of the overridden entry follow the user's choice too.
    assert view.lookup_en("Alzheimer's disease")[0].zh == "阿尔茨海默氏病"
    assert view.lookup_zh("老年痴呆")[0].zh == "阿尔茨海默氏病"
    text = "Ketamine in Alzheimer's disease (AD)"
    assert [entry.zh for _, _, entry in view.find_terms(text, "en")] == ["K他命", "阿尔茨海默氏病", "阿尔茨海默氏病"]
    assert "阿尔茨海默氏病" in view.segment("阿尔茨海默氏病的治疗")
    # The shared instance is untouched, and the view's cache key differs.
    assert terms.lookup_en("Alzheimer disease")[0].zh == "阿尔茨海默病"
    assert view.version != terms.version
    assert view.mesh("D007649") == terms.mesh("D007649")
    assert view._resources is terms._resources  # heavy data (MeSH, jieba, CC-CEDICT) shared, not reloaded


def test_user_glossary_without_header(tmp_path):
    csv_path = tmp_path / "plain.csv"
    csv_path.write_text("stroke,脑卒中\n\nhippocampus,海马体,anatomy\n", encoding="utf-8")
    assert [(e.en, e.zh, e.category) for e in load_user_glossary(csv_path)] == [
        ("stroke", "脑卒中", ""),
        ("hippocampus", "海马体", "anatomy"),
    ]


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ("en,zh\nstroke,卒中\ndementia,\n", 3, "Chinese term is empty"),
        ("en,zh\n卒中,stroke\n", 2, "no Chinese characters"),
        ("stroke,卒中,disease,12345\n", 1, "not a MeSH descriptor UI"),
        ("stroke,卒中,disease,D013202,extra\n", 1, "expected columns"),
        ("stroke\n", 1, "expected columns"),
    ],
)
def test_user_glossary_bad_row_names_file_and_line(tmp_path, content, line, message):
    csv_path = tmp_path / "bad.csv"
    csv_path.write_text(content, encoding="utf-8")
    with pytest.raises(GlossaryFormatError) as caught:
        load_user_glossary(csv_path)
    assert isinstance(caught.value, MedbridgeError)
    assert f"{csv_path}:{line}:" in str(caught.value) and message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_user_glossary_missing_file(tmp_path):
    with pytest.raises(GlossaryFormatError, match="not found"):
        load_user_glossary(tmp_path / "absent.csv")
