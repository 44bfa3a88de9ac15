"""Fixtures for document tests: real documents generated once per session, a user glossary, the terms-only
translator (a product mode: glossary terms set into the text, no model) and the limits from settings."""

from __future__ import annotations

from pathlib import Path

import pytest

import doc_samples
from medbridge.documents.intake import DocumentLimits
from medbridge.documents.terms_only import TermsOnlyTranslator
from medbridge.settings import DocumentSettings
from medbridge.terms.glossary import load_user_glossary

GLOSSARY_CSV = """en,zh
Alzheimer disease,阿尔茨海默病
mild cognitive impairment,轻度认知障碍
cerebrospinal fluid,脑脊液
biomarkers,生物标志物
patients,患者
amyloid plaques,淀粉样斑块
neurofibrillary tangles,神经原纤维缠结
Healthy controls,健康对照
Group,组别
Age,年龄
years,岁
Background,背景
Amyloid,淀粉样蛋白
Key findings,主要发现
Participants,研究对象
Research Report,研究报告
Follow-up visits,随访
Confidential draft,保密草稿
Journal club,期刊俱乐部
follow-up,随访
cohort,队列
dementia,痴呆
Memory loss,记忆减退
"""


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("doc-samples")
    records = doc_samples.abstracts(2)
    doc_samples.build_paper_pdf(folder / "paper.pdf", records)
    doc_samples.build_report_docx(folder / "report.docx", records)
    doc_samples.build_deck_pptx(folder / "deck.pptx", records)
    doc_samples.build_scanned_pdf(folder / "scan.pdf", ["Alzheimer disease is the most common cause of dementia.",
                                                         "Memory loss is often the first sign."])
    doc_samples.build_chinese_pdf(folder / "chinese.pdf", doc_samples.chinese_paragraphs(3))
    (folder / "glossary.csv").write_text(GLOSSARY_CSV, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def glossary(sample_dir):
    return load_user_glossary(sample_dir / "glossary.csv")


@pytest.fixture(scope="session")
def terms_translator(terminology) -> TermsOnlyTranslator:
    return TermsOnlyTranslator(terminology)


@pytest.fixture
def limits() -> DocumentLimits:
    return DocumentLimits.from_settings(DocumentSettings())
