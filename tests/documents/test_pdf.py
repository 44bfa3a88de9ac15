"""PDF translation on generated papers: layout fidelity, untouched formula/figure/table rules, bilingual pages,
shrinking to fit, OCR of a scanned page."""

from __future__ import annotations

import re

import pymupdf
import pytest

import doc_samples
from medbridge.documents.fidelity import measure_pdf
from medbridge.documents.pdf import PdfAdapter
from medbridge.documents.pipeline import DocumentTask, translate_document
from medbridge.documents.segments import translated_runs


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def paper_result(sample_dir, terms_translator, glossary, tmp_path_factory):
    out = tmp_path_factory.mktemp("paper-out")
    task = DocumentTask(sample_dir / "paper.pdf", "zh", out / "paper.zh.pdf", dual_output=out / "paper.dual.pdf",
                        glossary=glossary, debug_dir=out / "debug")
    from medbridge.documents.intake import DocumentLimits
    from medbridge.settings import DocumentSettings

    return translate_document(task, terms_translator, DocumentLimits.from_settings(DocumentSettings()))


def test_paper_keeps_its_layout(sample_dir, paper_result):
    report = measure_pdf(sample_dir / "paper.pdf", paper_result.output, paper_result.document)
    assert report.ok, report.problems
    assert report.pages_translated == 1 and report.images_identical and report.drawings_identical
    assert report.lines_placed > 30
    assert report.lines_outside_box == 0 and report.overlapping_lines == 0


def test_every_translation_is_placed_in_its_own_box(paper_result):
    doc = paper_result.document
    placed = [b for b in doc.blocks() if b.translation is not None]
    assert len(placed) >= 10
    with pymupdf.open(paper_result.output) as out:
        page = out[0]
        for block in placed:
            expected = _squash("".join(run.text for run in translated_runs(block.runs, block.translation)))
            found = _squash(page.get_text("text", clip=pymupdf.Rect(block.bbox)))
            assert found == expected, block.id
    translated = " ".join(b.translation for b in placed)
    for term in ("阿尔茨海默病", "轻度认知障碍", "生物标志物", "健康对照", "组别"):
        assert term in translated


def test_formula_numbers_and_doi_stay_exactly_where_they_were(sample_dir, paper_result):
    skipped = {b.skip for b in paper_result.document.blocks() if b.skip}
    assert {"formula", "number", "url"} <= skipped
    with pymupdf.open(sample_dir / "paper.pdf") as before, pymupdf.open(paper_result.output) as after:
        for block in paper_result.document.blocks():
            if block.skip in ("formula", "number", "url"):
                rect = pymupdf.Rect(block.bbox)
                assert after[0].get_text("text", clip=rect) == before[0].get_text("text", clip=rect), block.id
        assert doc_samples.FORMULA.replace(" ", "") in _squash(after[0].get_text())
        assert "71.3 ± 6.2" in after[0].get_text()


def test_table_cells_translated_in_place(paper_result):
    cells = [b for b in paper_result.document.blocks() if b.kind == "cell"]
    assert len(cells) == 12
    translated = {b.text: b.translation for b in cells if b.translation is not None}
    assert translated["Healthy controls"] == "健康对照"
    assert translated["Age (years)"] == "年龄 (岁)"
    assert all(b.skip == "number" for b in cells if b.text[0].isdigit())


def test_bold_labels_stay_bold(paper_result):
    with pymupdf.open(paper_result.output) as out:
        spans = [s for b in out[0].get_text("dict")["blocks"] for l in b.get("lines", []) for s in l["spans"]]
    bold = {s["text"].strip() for s in spans if s["flags"] & 16 or "Bold" in s["font"]}
    assert any(text.startswith("CONTEXT:") for text in bold)
    plain = [s for s in spans if "have shown" in s["text"]]
    assert plain and not (plain[0]["flags"] & 16)


def test_bilingual_pages_side_by_side(sample_dir, paper_result):
    with pymupdf.open(paper_result.dual_output) as dual, pymupdf.open(sample_dir / "paper.pdf") as original:
        assert dual.page_count == original.page_count
        page = dual[0]
        width = original[0].rect.width
        assert page.rect.width == pytest.approx(2 * width)
        left = page.get_text("text", clip=pymupdf.Rect(0, 0, width, page.rect.height))
        right = page.get_text("text", clip=pymupdf.Rect(width, 0, 2 * width, page.rect.height))
    assert "Healthy controls" in left and "阿尔茨海默病" not in left
    assert "健康对照" in right


def test_debug_dumps_the_ir_after_every_stage(paper_result):
    names = sorted(p.name for p in (paper_result.output.parent / "debug").iterdir())
    assert names == ["01-parse.json", "02-find_paragraphs.json", "03-translate.json", "04-check_quality.json",
                     "05-typeset.json", "06-render.json"]


def test_english_translation_of_a_chinese_page_shrinks_to_fit(sample_dir, terms_translator, glossary, tmp_path, limits):
    task = DocumentTask(sample_dir / "chinese.pdf", "en", tmp_path / "chinese.en.pdf", glossary=glossary)
    result = translate_document(task, terms_translator, limits)
    doc = result.document
    assert doc.source_lang == "zh"
    blocks = [b for b in doc.blocks() if b.translation is not None]
    assert any("Alzheimer disease" in b.translation for b in blocks)
    assert any(b.fitted_size < b.size for b in blocks), "English is longer than Chinese: some block must shrink"
    report = measure_pdf(sample_dir / "chinese.pdf", result.output, doc)
    assert report.ok, report.problems


def test_typeset_shrinks_step_by_step_and_never_overflows(sample_dir, limits):
    from medbridge.documents.pdf import SIZE_STEPS, _css, _fits, html_runs

    adapter = PdfAdapter(sample_dir / "paper.pdf", limits)
    doc = adapter.parse("en", "zh")
    cells = [b for b in doc.blocks() if b.kind == "cell" and not b.text[0].isdigit()]
    short, medium, huge = cells[:3]
    short.translation, medium.translation, huge.translation = "组别", "轻度认知障碍" * 6, "组别" * 200
    adapter.typeset(doc)
    assert short.fitted_size == short.size  # fits as it is: the original size is kept
    assert medium.size * SIZE_STEPS[-1] < medium.fitted_size < medium.size
    html = html_runs(translated_runs(medium.runs, medium.translation))
    assert _fits(html, _css(medium, medium.fitted_size, medium.line_height), pymupdf.Rect(medium.bbox))
    # nothing fits: the smallest step, and the renderer scales further so the box still holds it
    assert huge.fitted_size == pytest.approx(max(4.0, huge.size * SIZE_STEPS[-1])) and huge.line_height == 1.0


def test_scanned_page_is_read_by_ocr(sample_dir, terms_translator, glossary, tmp_path, limits):
    task = DocumentTask(sample_dir / "scan.pdf", "zh", tmp_path / "scan.zh.pdf", glossary=glossary)
    result = translate_document(task, terms_translator, limits)
    assert result.ocr_parts == [0]
    text = " ".join(b.text for b in result.document.blocks())
    assert "most common cause" in text
    with pymupdf.open(result.output) as out:
        placed = out[0].get_text()
    assert "阿尔茨海默病" in placed and "痴呆" in placed
    report = measure_pdf(sample_dir / "scan.pdf", result.output, result.document)
    assert report.images_identical and report.lines_outside_box == 0
