"""Word and PowerPoint: runs keep their formatting, tables, headers/footers, footnotes, groups and notes are
translated, styles untouched, bilingual output alternates paragraphs, and long translations shrink to fit."""

from __future__ import annotations

import zipfile

import pytest
from docx import Document as open_docx
from pptx import Presentation

from medbridge.documents.pipeline import DocumentTask, translate_document
from medbridge.documents.pptx import PptxAdapter


@pytest.fixture(scope="module")
def report(sample_dir, terms_translator, glossary, tmp_path_factory):
    out = tmp_path_factory.mktemp("report-out")
    task = DocumentTask(sample_dir / "report.docx", "zh", out / "report.zh.docx", dual_output=out / "report.dual.docx", glossary=glossary)
    from medbridge.documents.intake import DocumentLimits
    from medbridge.settings import DocumentSettings

    return translate_document(task, terms_translator, DocumentLimits.from_settings(DocumentSettings()))


@pytest.fixture(scope="module")
def deck(sample_dir, terms_translator, glossary, tmp_path_factory):
    out = tmp_path_factory.mktemp("deck-out")
    task = DocumentTask(sample_dir / "deck.pptx", "zh", out / "deck.zh.pptx", dual_output=out / "deck.dual.pptx", glossary=glossary)
    from medbridge.documents.intake import DocumentLimits
    from medbridge.settings import DocumentSettings

    return translate_document(task, terms_translator, DocumentLimits.from_settings(DocumentSettings()))


def test_docx_runs_keep_bold_italic_and_superscript(report):
    doc = open_docx(str(report.output))
    para = next(p for p in doc.paragraphs if p.text.startswith("背景"))
    runs = [(r.text, bool(r.bold), bool(r.italic), bool(r.font.superscript)) for r in para.runs]
    assert runs[0] == ("背景. ", True, False, False)
    assert ("淀粉样蛋白", False, True, False) in [(t.strip(), b, i, s) for t, b, i, s in runs]
    assert ("2", False, False, True) in runs
    assert all(not b for t, b, i, s in runs[1:])


def test_docx_tables_headers_footers_and_footnotes(report):
    doc = open_docx(str(report.output))
    cells = [cell.text for row in doc.tables[0].rows for cell in row.cells]
    assert cells[:3] == ["组别", "患者", "年龄 (岁)"] and "健康对照" in cells and "71.3 ± 6.2" in cells
    section = doc.sections[0]
    assert section.header.paragraphs[0].text.endswith("Clinic 研究报告")
    assert section.footer.paragraphs[0].text.startswith("保密草稿")
    with zipfile.ZipFile(report.output) as package:
        footnotes = package.read("word/footnotes.xml").decode("utf-8")
    assert "随访 were scheduled" in footnotes and "footnoteRef" in footnotes
    body = next(p for p in doc.paragraphs if p.text.endswith(" visit."))
    assert body._p.xpath(".//w:footnoteReference"), "the footnote mark must survive the rewrite"


def test_docx_styles_are_untouched(sample_dir, report):
    with zipfile.ZipFile(sample_dir / "report.docx") as before, zipfile.ZipFile(report.output) as after:
        assert before.read("word/styles.xml") == after.read("word/styles.xml")
    original, translated = open_docx(str(sample_dir / "report.docx")), open_docx(str(report.output))
    assert [p.style.name for p in original.paragraphs] == [p.style.name for p in translated.paragraphs]


def test_docx_bilingual_alternates_paragraphs(report):
    texts = [p.text for p in open_docx(str(report.dual_output)).paragraphs]
    i = next(i for i, t in enumerate(texts) if t.startswith("Background."))
    assert texts[i + 1].startswith("背景.")


def test_pptx_every_frame_table_group_and_notes(deck):
    prs = Presentation(str(deck.output))
    texts = []
    for slide in prs.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                texts.append(shape.text_frame.text)
            if shape.has_table:
                texts.extend(c.text for row in shape.table.rows for c in row.cells)
            if shape.shape_type == 6:  # group
                texts.extend(s.text_frame.text for s in shape.shapes)
    # the terminology keeps growing, so check the user's glossary terms and the words around them
    assert any(t.startswith("期刊俱乐部, ") for t in texts) and "主要发现" in texts and "研究对象" in texts
    assert "健康对照" in texts  # a table cell
    grouped = [t for t in texts if t.endswith(" was two 岁.") or t.endswith(" were matched by 年龄.")]
    assert len(grouped) == 2 and "随访" in grouped[0] and grouped[1].startswith("健康对照")  # inside the group shape
    notes = prs.slides[1].notes_slide.notes_text_frame.text
    assert notes.startswith("Stress that the 队列 was small") and "随访" in notes


def test_pptx_bilingual_keeps_original_and_translation(deck):
    prs = Presentation(str(deck.dual_output))
    paragraphs = [p.text for p in prs.slides[2].shapes.title.text_frame.paragraphs]
    assert paragraphs == ["Participants", "研究对象"]


def test_pptx_long_translation_shrinks_to_its_frame(sample_dir, limits, tmp_path):
    adapter = PptxAdapter(sample_dir / "deck.pptx", limits)
    doc = adapter.parse("en", "zh")
    block = next(b for b in doc.blocks() if b.text == "Mean follow-up was two years.")
    block.translation = "平均随访时间为两年，期间所有研究对象均完成了神经心理学评估和脑脊液检查。" * 2
    adapter.typeset(doc)
    assert block.size == 14.0 and block.fitted_size < block.size
    adapter.render(doc, tmp_path / "fit.pptx", None)
    group = next(s for s in Presentation(str(tmp_path / "fit.pptx")).slides[2].shapes if s.shape_type == 6)
    run = group.shapes[0].text_frame.paragraphs[0].runs[0]
    assert run.font.size.pt == pytest.approx(block.fitted_size, abs=0.01)
