"""Real-looking documents built with the libraries themselves from real PubMed text (shared by tests and the
benchmark): a two-column paper PDF, a scanned page, a Word report and a slide deck."""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from pathlib import Path

import pymupdf

from medbridge.corpus.pubmed import iter_pubmed
from medbridge.corpus.models import Record

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
PUBMED_FILE = SHARED / "data" / "pubmed" / "alzheimer" / "pubmed_0_to_99.xml.gz"
FORMULA = "y = α + β·x + ε"
TABLE_ROWS = [
    ["Group", "Patients", "Age (years)"],
    ["Alzheimer disease", "42", "71.3 ± 6.2"],
    ["Mild cognitive impairment", "37", "69.8 ± 5.9"],
    ["Healthy controls", "40", "70.1 ± 6.4"],
]


@dataclass(slots=True)
class PaperLayout:
    """Where the sample paper put things, so tests can check they survived."""

    formula_rect: pymupdf.Rect
    table_rect: pymupdf.Rect
    image_rect: pymupdf.Rect
    doi: str


def abstracts(count: int) -> list[Record]:
    records = (r for r in iter_pubmed(PUBMED_FILE) if isinstance(r, Record) and len(r.abstract) >= 2 and r.doi)
    return list(itertools.islice(records, count))


def _figure_png() -> bytes:
    """A small raster "figure" (a colour gradient) made without any image file."""
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 120, 80), False)
    for x in range(120):
        for y in range(80):
            pix.set_pixel(x, y, (2 * x, 3 * y, 200 - x))
    return pix.tobytes("png")


def build_paper_pdf(path: Path, records: list[Record] | None = None) -> PaperLayout:
    """One A4 page, title across the top, two columns of abstract paragraphs with bold labels, a ruled table,
    a raster figure, a vector bar chart, a formula, a DOI and a page number."""
    record, second = records or abstracts(2)
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    css = "* {font-family: serif; font-size: 9pt; line-height: 1.25;}"
    page.insert_htmlbox(pymupdf.Rect(50, 40, 545, 90), f"<b>{record.title}</b>", css=css.replace("9pt", "15pt"))
    page.insert_htmlbox(pymupdf.Rect(50, 95, 545, 110), ", ".join(a.last_name for a in record.authors[:6]) or "Anonymous", css=css)
    left, right = pymupdf.Rect(50, 120, 290, 800), pymupdf.Rect(305, 120, 545, 800)
    y = left.y0
    for section in record.abstract[:3]:
        text = section.text[:520].rsplit(" ", 1)[0] + "."
        box = pymupdf.Rect(left.x0, y, left.x1, y + 200)
        spare, _ = page.insert_htmlbox(box, f"<b>{section.label or 'Summary'}:</b> {text}", css=css)
        y = box.y1 - spare + 8
    formula_rect = pymupdf.Rect(left.x0 + 60, y, left.x1 - 60, y + 16)
    page.insert_htmlbox(formula_rect, f"<i>{FORMULA}</i>", css=css.replace("9pt", "10pt"))
    y = formula_rect.y1 + 8
    image_rect = pymupdf.Rect(left.x0 + 20, y, left.x0 + 200, y + 110)
    page.insert_image(image_rect, stream=_figure_png())
    page.insert_htmlbox(pymupdf.Rect(left.x0, image_rect.y1 + 4, left.x1, image_rect.y1 + 40),
                        "<i>Figure 1. Mean regional amyloid load by diagnostic group.</i>", css=css.replace("9pt", "8pt"))
    # right column: table, chart, second abstract
    table_rect = pymupdf.Rect(right.x0, right.y0, right.x1, right.y0 + 18 * len(TABLE_ROWS))
    widths = [110, 55, 75]
    for row_index, row in enumerate(TABLE_ROWS):
        x = right.x0
        for col_index, cell in enumerate(row):
            rect = pymupdf.Rect(x, table_rect.y0 + 18 * row_index, x + widths[col_index], table_rect.y0 + 18 * (row_index + 1))
            page.draw_rect(rect, color=(0, 0, 0), width=0.6)
            page.insert_htmlbox(rect + (3, 3, -3, -1), cell, css=css.replace("9pt", "8pt") if row_index else css.replace("9pt", "8pt").replace("serif;", "serif; font-weight: bold;"))
            x += widths[col_index]
    chart = pymupdf.Rect(right.x0 + 20, table_rect.y1 + 15, right.x0 + 200, table_rect.y1 + 95)
    page.draw_line(chart.bl, chart.br, color=(0, 0, 0))
    page.draw_line(chart.bl, chart.tl, color=(0, 0, 0))
    for index, height in enumerate((60, 45, 25)):
        page.draw_rect(pymupdf.Rect(chart.x0 + 20 + 50 * index, chart.y1 - height, chart.x0 + 50 + 50 * index, chart.y1),
                       color=None, fill=(0.2, 0.4 + 0.2 * index, 0.7))
    y = chart.y1 + 12
    for section in second.abstract[:2]:
        text = section.text[:600].rsplit(" ", 1)[0] + "."
        box = pymupdf.Rect(right.x0, y, right.x1, y + 220)
        spare, _ = page.insert_htmlbox(box, f"<b>{section.label or 'Summary'}:</b> {text}", css=css)
        y = box.y1 - spare + 8
    page.insert_text((right.x0, 780), f"https://doi.org/{record.doi}", fontname="helv", fontsize=7)
    page.insert_text((290, 820), "1", fontname="helv", fontsize=8)
    doc.save(path)
    return PaperLayout(formula_rect, table_rect, image_rect, record.doi or "")


def build_scanned_pdf(path: Path, lines: list[str]) -> None:
    """An image-only page: text rendered to pixels, the pixels placed as the page's only content."""
    source = pymupdf.open()
    page = source.new_page(width=595, height=842)
    page.insert_htmlbox(pymupdf.Rect(60, 80, 535, 400), "<br>".join(lines), css="* {font-family: sans-serif; font-size: 14pt;}")
    png = page.get_pixmap(dpi=150).tobytes("png")
    scanned = pymupdf.open()
    scanned.new_page(width=595, height=842).insert_image(pymupdf.Rect(0, 0, 595, 842), stream=png)
    scanned.save(path)


def build_report_docx(path: Path, records: list[Record] | None = None) -> None:
    """A Word report: heading, paragraphs with bold/italic/superscript words, a table, header, footer,
    a text box-free body, and a real footnote part."""
    from docx import Document
    from docx.shared import Pt

    record, second = records or abstracts(2)
    doc = Document()
    section = doc.sections[0]
    section.header.paragraphs[0].text = "Memory Clinic Research Report"
    section.footer.paragraphs[0].text = "Confidential draft for internal review"
    doc.add_heading(record.title, level=1)
    para = doc.add_paragraph()
    para.add_run("Background. ").bold = True
    para.add_run(record.abstract[0].text[:400])
    para.add_run(" Amyloid").italic = True
    para.add_run(" deposition rises with age")
    sup = para.add_run("2")
    sup.font.superscript = True
    para.add_run(".")
    doc.add_paragraph(second.abstract[0].text[:500])
    table = doc.add_table(rows=len(TABLE_ROWS), cols=3)
    table.style = "Table Grid"
    for row, values in zip(table.rows, TABLE_ROWS):
        for cell, value in zip(row.cells, values):
            cell.text = value
    doc.add_paragraph(f"https://doi.org/{record.doi}")
    closing = doc.add_paragraph("Patients were followed for two years after the baseline visit.")
    closing.runs[0].font.size = Pt(11)
    _add_footnote(doc, closing, "Follow-up visits were scheduled every six months.")
    doc.save(path)


def _add_footnote(doc, paragraph, text: str) -> None:
    """python-docx has no footnote API: add word/footnotes.xml and a reference run the way Word writes them."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    xml = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:footnotes {w}>'
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
        '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>'
        f'<w:footnote w:id="1"><w:p><w:r><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:footnoteRef/></w:r>'
        f'<w:r><w:t xml:space="preserve"> {text}</w:t></w:r></w:p></w:footnote></w:footnotes>'
    )
    part = Part(PackURI("/word/footnotes.xml"),
                "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml",
                xml.encode("utf-8"), doc.part.package)
    doc.part.relate_to(part, RT.FOOTNOTES)
    paragraph._p.append(parse_xml(
        f'<w:r {nsdecls("w")}><w:rPr><w:vertAlign w:val="superscript"/></w:rPr><w:footnoteReference w:id="1"/></w:r>'
    ))


def build_deck_pptx(path: Path, records: list[Record] | None = None) -> None:
    """A slide deck: title slide, bullet slide with notes, a table slide and a group shape."""
    from pptx import Presentation
    from pptx.util import Inches, Pt

    record, second = records or abstracts(2)
    prs = Presentation()
    title_slide = prs.slides.add_slide(prs.slide_layouts[0])
    title_slide.shapes.title.text = record.title[:120]
    title_slide.placeholders[1].text = "Journal club, memory clinic"
    bullets = prs.slides.add_slide(prs.slide_layouts[1])
    bullets.shapes.title.text = "Key findings"
    body = bullets.placeholders[1].text_frame
    body.text = record.abstract[0].text[:160].rsplit(" ", 1)[0]
    for section in (record.abstract[1], second.abstract[0]):
        para = body.add_paragraph()
        run = para.add_run()
        run.text = section.text[:140].rsplit(" ", 1)[0]
    bullets.notes_slide.notes_text_frame.text = "Stress that the cohort was small and the follow-up short."
    table_slide = prs.slides.add_slide(prs.slide_layouts[5])
    table_slide.shapes.title.text = "Participants"
    table = table_slide.shapes.add_table(len(TABLE_ROWS), 3, Inches(1), Inches(2), Inches(8), Inches(2)).table
    for r, values in enumerate(TABLE_ROWS):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    group = table_slide.shapes.add_group_shape()
    box = group.shapes.add_textbox(Inches(1), Inches(4.8), Inches(3), Inches(0.6))
    box.text_frame.text = "Mean follow-up was two years."
    box.text_frame.paragraphs[0].runs[0].font.size = Pt(14)
    label = group.shapes.add_textbox(Inches(5), Inches(4.8), Inches(3), Inches(0.6))
    label.text_frame.text = "Healthy controls were matched by age."
    label.text_frame.paragraphs[0].runs[0].font.size = Pt(14)
    buffer = io.BytesIO()
    prs.save(buffer)
    path.write_bytes(buffer.getvalue())


def chinese_paragraphs(count: int = 3) -> list[str]:
    """Real Chinese reference translations of Alzheimer abstracts (written for this project)."""
    import json

    path = SHARED / "data" / "bench" / "reference_translations_zh.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [text for row in rows for _, text in row["sections"]][:count]


def build_chinese_pdf(path: Path, paragraphs: list[str]) -> None:
    """A one-column Chinese page whose paragraphs sit in tight boxes, so an English translation must shrink."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    y = 60.0
    for text in paragraphs:
        box = pymupdf.Rect(60, y, 535, y + 300)
        spare, _ = page.insert_htmlbox(box, text[:300], css="* {font-family: sans-serif; font-size: 11pt; line-height: 1.3;}")
        y = box.y1 - spare + 14
    doc.save(path)


def build_table_pdf(path: Path) -> None:
    """A short page: a heading and the participants table (few, short segments, for tests with a real model)."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    css = "* {font-family: serif; font-size: 10pt;}"
    page.insert_htmlbox(pymupdf.Rect(60, 60, 535, 90), "<b>Participants of the memory clinic cohort</b>", css=css)
    widths = [150, 80, 100]
    for row_index, row in enumerate(TABLE_ROWS):
        x = 60.0
        for col_index, cell in enumerate(row):
            rect = pymupdf.Rect(x, 100 + 20 * row_index, x + widths[col_index], 120 + 20 * row_index)
            page.draw_rect(rect, color=(0, 0, 0), width=0.6)
            page.insert_htmlbox(rect + (3, 3, -3, -1), cell, css=css)
            x += widths[col_index]
    doc.save(path)
