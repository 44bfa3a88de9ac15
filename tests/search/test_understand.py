"""Query understanding on real clinical questions: concepts → MeSH/English, filler dropped, intents → filters."""

from datetime import date

import pytest

from medbridge.search.understand import Filters, extract_intents, interpret
from medbridge.text import guess_language, is_cjk

TODAY = date(2026, 11, 24)

# question, MeSH descriptors that must be found, English terms that must be searched, words that must be dropped
CLINICAL_QUESTIONS = [
    ("阿尔茨海默病的脑脊液生物标志物", {"D000544"}, {"cerebrospinal fluid biomarker"}, {"的"}),
    ("氯胺酮为什么起效快", {"D007649"}, {"ketamine"}, {"为什么"}),
    ("二甲双胍 认知 随机对照试验", {"D008687", "D003071"}, {"metformin", "cognition"}, set()),
    ("糖尿病患者的认知功能下降", {"D003920"}, {"diabetes mellitus", "cognitive decline"}, {"患者", "的"}),
    ("高血压与痴呆的关系", {"D006973", "D003704"}, {"hypertension", "dementia"}, {"与", "关系"}),
    ("他汀类药物能否预防痴呆", {"D019161", "D003704"}, {"statins"}, {"能否"}),
    ("帕金森病的早期诊断", {"D010300", "D042241"}, {"Parkinson disease"}, {"的"}),
    ("抑郁症的药物治疗有哪些", {"D003866"}, {"depressive disorder", "pharmacotherapy"}, {"有", "哪些"}),
    ("阿司匹林预防心血管疾病的最新研究", {"D001241", "D002318"}, {"aspirin"}, {"最新", "研究"}),
    ("肺癌免疫治疗的副作用", {"D008175", "D007167"}, {"lung cancer", "immunotherapy"}, {"的"}),
    ("脑卒中后康复训练", {"D020521"}, {"stroke"}, {"后"}),
    ("2型糖尿病的胰岛素抵抗机制", {"D003924", "D007333"}, {"insulin resistance", "mechanism"}, {"的"}),
    ("慢性肾病患者的贫血治疗", {"D051436", "D000740"}, {"anemia", "treatment"}, {"患者"}),
    ("类风湿关节炎的生物制剂", {"D001172"}, {"rheumatoid arthritis"}, {"的"}),
    ("肝硬化门静脉高压的治疗", {"D008103", "D006975"}, {"portal hypertension"}, {"的"}),
    ("新冠肺炎对认知的影响", {"D000086382", "D003071"}, {"COVID-19", "effect"}, {"对", "的"}),
    ("骨质疏松症的双膦酸盐治疗", {"D010024", "D004164"}, {"osteoporosis", "bisphosphonates"}, {"的"}),
    ("多发性硬化的磁共振成像表现", {"D009103", "D008279"}, {"multiple sclerosis"}, {"的"}),
    ("癫痫患者的生酮饮食", {"D004827", "D055423"}, {"epilepsy", "ketogenic diet"}, {"患者"}),
    ("精神分裂症的抗精神病药物", {"D012559", "D014150"}, {"schizophrenia"}, {"的"}),
    ("失眠的认知行为治疗", {"D007319", "D015928"}, {"insomnia", "cognitive behavioral therapy"}, {"的"}),
    ("载脂蛋白E4与阿尔茨海默病风险", {"D053327", "D000544"}, {"apolipoprotein E4"}, {"与"}),
    ("小胶质细胞在神经退行性疾病中的作用", {"D017628", "D019636"}, {"microglia", "role"}, {"在", "中", "的"}),
    ("肥胖与2型糖尿病的关系", {"D009765", "D003924"}, {"obesity", "type 2 diabetes mellitus"}, {"关系"}),
    ("维生素D缺乏与骨折", {"D014808"}, {"vitamin D deficiency"}, {"与"}),
    ("阿尔茨海默病的淀粉样蛋白单克隆抗体治疗", {"D000544", "D000911"}, {"amyloid", "monoclonal antibodies"}, {"的"}),
    ("缺血性脑卒中溶栓治疗的时间窗", {"D000083242"}, {"ischemic stroke", "thrombolysis"}, {"的"}),
    ("近3年心力衰竭的随机对照试验", {"D006333"}, {"heart failure"}, {"的"}),
    ("近十年关于轻度认知障碍的系统综述", {"D060825"}, {"mild cognitive impairment"}, {"关于"}),
    ("近五年阿尔茨海默病的荟萃分析", {"D000544"}, {"Alzheimer disease"}, {"的"}),
    ("慢性阻塞性肺疾病急性加重的治疗", set(), {"treatment"}, {"的"}),
    ("帕金森病患者的深部脑刺激", {"D010300"}, {"Parkinson disease"}, {"患者"}),
    ("阿爾茨海默病的腦脊液生物標誌物", {"D000544"}, {"cerebrospinal fluid biomarker"}, set()),  # Traditional script
]


@pytest.mark.parametrize(("question", "mesh", "english", "dropped"), CLINICAL_QUESTIONS, ids=[q[0] for q in CLINICAL_QUESTIONS])
def test_chinese_clinical_questions(terminology, question, mesh, english, dropped):
    interpretation = interpret(question, terms=terminology, today=TODAY)
    assert interpretation.language == "zh" and interpretation.mode == "natural"
    found_mesh = {c.mesh_ui for c in interpretation.concepts if c.mesh_ui}
    assert mesh <= found_mesh, f"missing MeSH {mesh - found_mesh} in {found_mesh}"
    searched = {t.lower() for c in interpretation.concepts for t in c.search_terms}
    assert {e.lower() for e in english} <= searched
    assert dropped <= set(interpretation.dropped)
    # nothing Chinese leaks into the English query shown to the user
    assert not is_cjk(interpretation.pubmed_query)


def test_concepts_are_anded_with_mesh_and_synonyms(terminology):
    interpretation = interpret("阿尔茨海默病的脑脊液生物标志物", terms=terminology, today=TODAY)
    text = interpretation.pubmed_query
    assert text.startswith("(Alzheimer Disease[mh] OR ")
    assert ") AND (" in text and '"CSF biomarkers"' in text
    # inverted and annotated MeSH entry terms are not offered as synonyms
    assert "Disease, Alzheimer" not in text and "(ATD)" not in text


@pytest.mark.parametrize(
    ("question", "years", "types"),
    [
        ("近五年阿尔茨海默病的荟萃分析", (2022, 2026), ("Meta-Analysis",)),
        ("近十年关于轻度认知障碍的系统综述", (2017, 2026), ("Systematic Review",)),
        ("近3年心力衰竭的随机对照试验", (2024, 2026), ("Randomized Controlled Trial",)),
        ("最近两年的 Meta分析", (2025, 2026), ("Meta-Analysis",)),
        ("2015年以来的阿尔茨海默病综述", (2015, None), ("Review",)),
        ("2010-2020年帕金森病的临床试验", (2010, 2020), ("Clinical Trial",)),
        ("ketamine depression RCT in the last 5 years", (2022, 2026), ("Randomized Controlled Trial",)),
        ("metformin dementia meta-analysis since 2018", (2018, None), ("Meta-Analysis",)),
    ],
)
def test_intents_become_filters(terminology, question, years, types):
    interpretation = interpret(question, terms=terminology, today=TODAY)
    assert (interpretation.filters.year_from, interpretation.filters.year_to) == years
    assert interpretation.filters.publication_types == types
    assert f'"{types[0]}"[pt]' in interpretation.pubmed_query
    assert all(types[0].lower() not in c.en.lower() for c in interpretation.concepts)


def test_systematic_review_is_not_also_a_review():
    _, filters = extract_intents("近十年的系统综述", TODAY)
    assert filters.publication_types == ("Systematic Review",)


def test_english_question_maps_phrases_and_drops_stopwords(terminology):
    interpretation = interpret("what are the CSF biomarkers of mild cognitive impairment?", terms=terminology, today=TODAY)
    assert interpretation.language == "en" and interpretation.mode == "natural"
    assert {"what", "are", "the", "of"} <= {w.lower() for w in interpretation.dropped}
    assert "D060825" in {c.mesh_ui for c in interpretation.concepts}
    # an acronym alone is not mapped through MeSH entry terms (CSF is also "colony-stimulating factors")
    assert not any(c.mesh_name == "Colony-Stimulating Factors" for c in interpretation.concepts)


def test_pubmed_syntax_is_parsed_as_typed(terminology):
    interpretation = interpret("alzheimer disease[mh] AND csf[tiab] AND 2005:2010[dp]", terms=terminology, today=TODAY)
    assert interpretation.mode == "pubmed" and interpretation.concepts == []
    assert interpretation.pubmed_query == "alzheimer disease[mh] AND csf[tiab] AND 2005:2010[dp]"
    assert (interpretation.filters.year_from, interpretation.filters.year_to) == (2005, 2010)


def test_chinese_words_inside_pubmed_syntax_are_translated(terminology):
    interpretation = interpret("阿尔茨海默病 AND csf[tiab]", terms=terminology, today=TODAY)
    assert interpretation.mode == "pubmed"
    assert interpretation.pubmed_query.startswith("(Alzheimer Disease[mh] OR ")
    assert interpretation.pubmed_query.endswith("AND csf[tiab]")


def test_explicit_filters_win_over_intents():
    merged = Filters(year_from=2022, year_to=2026, publication_types=("Meta-Analysis",)).merged(Filters(year_from=2000))
    assert (merged.year_from, merged.year_to, merged.publication_types) == (2000, 2026, ("Meta-Analysis",))


@pytest.mark.parametrize(("text", "language"), [("阿尔茨海默病", "zh"), ("tau PET", "en"), ("tau蛋白PET显像", "zh")])
def test_language_detection(text, language):
    assert guess_language(text) == language


def test_json_shape(terminology):
    data = interpret("二甲双胍 认知 随机对照试验", terms=terminology, today=TODAY).to_dict()
    assert data["language"] == "zh" and data["mode"] == "natural"
    assert {"ui": "D008687", "name": "Metformin"} in data["mesh"]
    assert "metformin" in data["english_terms"]
    assert data["filters"]["publication_types"] == ["Randomized Controlled Trial"]
    assert data["searched_for"].endswith('AND "Randomized Controlled Trial"[pt]')
