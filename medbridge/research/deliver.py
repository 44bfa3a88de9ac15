"""Deliver: the review as Markdown, HTML (page fragment or standalone file) and DOCX, plus its JSON form."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Callable

from medbridge.errors import MedbridgeError
from medbridge.research.citations import marker
from medbridge.research.evidence import KIND_LABELS, describe
from medbridge.research.models import Review, Sentence, to_plain
from medbridge.terms import Terminology

FORMATS = (".md", ".html", ".docx")

UI = {
    "references": {"en": "References", "zh": "参考文献"},
    "about": {"en": "About this review", "zh": "关于本综述"},
    "originals": {"en": "Original wording of translated findings", "zh": "译文对应的英文原文"},
    "levels": {"en": "Evidence table", "zh": "证据一览"},
    "level_columns": {"en": ("Ref.", "Kind of evidence", "Design / species, sample"), "zh": ("文献", "证据类别", "设计/物种、样本量")},
    "about_lines": {
        "en": [
            "Written from {sources} records of the local corpus in {elapsed:.0f} s (model: {model}).",
            "Citation check: {supported} of {claims} finding sentences were supported by the records they cite as drafted ({share:.0%}); "
            "{rewritten} were replaced by the cited record's own wording and {removed} removed, so every finding sentence below is supported.",
            "Every reference is a record of the corpus; finding sentences quote their abstracts verbatim unless marked as model-written.",
            "Search (PubMed syntax): {query}",
        ],
        "zh": [
            "依据本地文献库中的 {sources} 篇记录生成，用时 {elapsed:.0f} 秒（模型：{model}）。",
            "引用核查：初稿中 {claims} 个陈述研究发现的句子有 {supported} 个得到所引文献支持（{share:.0%}）；"
            "{rewritten} 个改写为所引文献的原句，{removed} 个被删除，因此下文每个陈述发现的句子均有文献支持。",
            "所有参考文献均为本地文献库中的记录；除标明由模型撰写的句子外，研究发现均直接引自摘要。",
            "检索式（PubMed 语法）：{query}",
        ],
    },
}


class UnsupportedFormatError(MedbridgeError):
    """An output file name whose extension is not .md, .html or .docx."""


def _about(review: Review) -> list[str]:
    v = review.verification
    values = dict(sources=review.sources, elapsed=review.elapsed_s, model=review.model, supported=v.supported,
                  claims=v.claims, share=v.supported_share, rewritten=v.rewritten, removed=v.removed,
                  query=review.plan.pubmed_query)
    return [line.format(**values) for line in UI["about_lines"][review.lang]]


CONSISTENT = {"en": "consistent with {cites}", "zh": "与{cites}一致"}


def _cited(sentence: Sentence, numbers: dict[int, int], render: Callable[[list[int]], str], lang: str,
           escape: Callable[[str], str] = str) -> str:
    """'[3] (consistent with [6,13]; 3 human studies)': the records quoted, then those agreeing by a finding of
    their own, with the evidence note."""
    own = [numbers[p] for p in sentence.citations if p in numbers and p not in sentence.consistent]
    agreeing = [numbers[p] for p in sentence.consistent if p in numbers]
    note = sentence.note
    if note[:1] in "(（" and note[-1:] in ")）":
        note = note[1:-1]  # one pair only: "（动物研究（小鼠））" keeps its inner brackets
    note = escape(note)
    inside = [CONSISTENT[lang].format(cites=render(agreeing))] if agreeing else []
    inside += [note] if note else []
    text = render(own) if own else ""
    if not inside:
        return text
    joined = ("；" if lang == "zh" else "; ").join(inside)
    return f"{text}（{joined}）" if lang == "zh" else f"{text} ({joined})"


def _cite(sentence: Sentence, numbers: dict[int, int]) -> str:
    return marker(numbers[p] for p in sentence.citations if p in numbers)


def _level_rows(review: Review) -> list[tuple[str, str, str]]:
    """(reference number, kind, design or species with sample) per reference, as the evidence table shows them."""
    rows = []
    for ref in review.references:
        level = ref.level
        if level is None:
            continue
        rows.append((str(ref.number), KIND_LABELS[review.lang][level.kind], describe(level, review.lang)))
    return rows


def _translated(review: Review) -> list[tuple[str, Sentence]]:
    """(citation marker, sentence) for each finding shown in translation: its checked original goes in an appendix."""
    if review.lang == "en":
        return []
    numbers = review.number_of()
    return [(_cite(s, numbers), s) for s in review.draft.sentences() if s.kind == "finding" and s.source_text and s.source_text != s.text]


# -- Markdown -------------------------------------------------------------------------------------------
def to_markdown(review: Review) -> str:
    numbers = review.number_of()
    lines = [f"# {review.draft.title}", ""]
    for section in review.draft.sections:
        level = "###" if section.key == "theme" else "##"
        lines += [f"{level} {section.heading}", ""]
        for paragraph in section.paragraphs:
            lines += [" ".join(_md_sentence(s, numbers, review.lang) for s in paragraph.sentences), ""]
    if rows := _level_rows(review):
        head = UI["level_columns"][review.lang]
        lines += [f"## {UI['levels'][review.lang]}", "", "| " + " | ".join(head) + " |", "|---|---|---|"]
        lines += ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows] + [""]
    lines += [f"## {UI['about'][review.lang]}", ""] + [f"- {line}" for line in _about(review)] + [""]
    lines += [f"## {UI['references'][review.lang]}", ""]
    lines += [f"{ref.number}. {ref.text}" for ref in review.references] + [""]
    if originals := _translated(review):
        lines += [f"## {UI['originals'][review.lang]}", ""] + [f"- {m} {s.source_text}" for m, s in originals] + [""]
    return "\n".join(lines)


def _md_sentence(sentence: Sentence, numbers: dict[int, int], lang: str) -> str:
    cite = _cited(sentence, numbers, marker, lang)
    text = sentence.text.rstrip()
    if sentence.origin == "llm":
        text = f"*{text}*"  # model-written sentence, set apart from quoted findings
    return " ".join(part for part in (text, cite) if part)


# -- HTML -------------------------------------------------------------------------------------------------
def to_html_fragment(review: Review, record_url: Callable[[int], str] = lambda pmid: f"/records/{pmid}") -> str:
    """The review body for a page: citations link to the record pages, translated findings carry the original."""
    numbers = review.number_of()
    by_number = {ref.number: ref.pmid for ref in review.references}
    out = [f'<article class="review" lang="{"zh-CN" if review.lang == "zh" else "en"}">', f"<h1>{html.escape(review.draft.title)}</h1>"]
    for section in review.draft.sections:
        tag = "h3" if section.key == "theme" else "h2"
        out.append(f'<{tag} class="review-{section.key}">{html.escape(section.heading)}</{tag}>')
        for paragraph in section.paragraphs:
            parts = []
            for sentence in paragraph.sentences:
                classes = f"claim origin-{sentence.origin}" if sentence.kind == "finding" else "framing"
                title = f' title="{html.escape(sentence.source_text)}"' if sentence.source_text and sentence.source_text != sentence.text else ""
                links = _cited(sentence, numbers, lambda ns: "".join(
                    f'<a class="cite" href="{record_url(by_number[n])}" data-pmid="{by_number[n]}">[{n}]</a>' for n in sorted(set(ns))
                ), review.lang, html.escape)
                parts.append(f'<span class="{classes}"{title}>{html.escape(sentence.text.rstrip())}</span>{" " + links if links else ""}')
            out.append("<p>" + " ".join(parts) + "</p>")
    if rows := _level_rows(review):
        out.append(f'<h2 class="review-levels">{UI["levels"][review.lang]}</h2><table class="evidence-levels"><thead><tr>'
                   + "".join(f"<th>{html.escape(h)}</th>" for h in UI["level_columns"][review.lang]) + "</tr></thead><tbody>")
        out += ["<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows]
        out.append("</tbody></table>")
    out.append(f'<h2 class="review-about">{UI["about"][review.lang]}</h2><ul class="review-about">')
    out += [f"<li>{html.escape(line)}</li>" for line in _about(review)]
    out.append(f'</ul><h2 class="review-references">{UI["references"][review.lang]}</h2><ol class="references">')
    for ref in review.references:
        out.append(f'<li id="ref-{ref.number}" data-pmid="{ref.pmid}"><a href="{record_url(ref.pmid)}">{html.escape(ref.text)}</a></li>')
    out.append("</ol></article>")
    return "\n".join(out)


def to_html_document(review: Review) -> str:
    """A standalone file: citations link to PubMed, since the local record pages may not be reachable."""
    body = to_html_fragment(review, lambda pmid: f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/")
    return (
        f'<!doctype html><html lang="{"zh-CN" if review.lang == "zh" else "en"}"><head><meta charset="utf-8">'
        f"<title>{html.escape(review.draft.title)}</title><style>body{{max-width:46rem;margin:2rem auto;font:16px/1.6 sans-serif}}"
        ".origin-llm{font-style:italic}.cite{text-decoration:none}</style></head><body>"
        f"{body}</body></html>\n"
    )


# -- DOCX -------------------------------------------------------------------------------------------------
def write_docx(review: Review, path: Path) -> None:
    from docx import Document

    numbers = review.number_of()
    document = Document()
    document.core_properties.title = review.draft.title
    document.add_heading(review.draft.title, level=0)
    for section in review.draft.sections:
        document.add_heading(section.heading, level=2 if section.key == "theme" else 1)
        for paragraph in section.paragraphs:
            block = document.add_paragraph()
            for sentence in paragraph.sentences:
                run = block.add_run(sentence.text.rstrip())
                run.italic = sentence.origin == "llm"
                if cite := _cited(sentence, numbers, marker, review.lang):
                    block.add_run(" " + cite)
                block.add_run(" ")
    if rows := _level_rows(review):
        document.add_heading(UI["levels"][review.lang], level=1)
        table = document.add_table(rows=1, cols=3)
        for cell, text in zip(table.rows[0].cells, UI["level_columns"][review.lang]):
            cell.text = text
        for row in rows:
            for cell, text in zip(table.add_row().cells, row):
                cell.text = text
    document.add_heading(UI["about"][review.lang], level=1)
    for line in _about(review):
        document.add_paragraph(line, style="List Bullet")
    document.add_heading(UI["references"][review.lang], level=1)
    for ref in review.references:
        document.add_paragraph(f"{ref.number}. {ref.text}")
    if originals := _translated(review):
        document.add_heading(UI["originals"][review.lang], level=1)
        for m, sentence in originals:
            document.add_paragraph(f"{m} {sentence.source_text}", style="List Bullet")
    document.save(str(path))


def write_review(review: Review, path: Path) -> Path:
    """Write ``review`` in the format its extension names (.md, .html, .docx)."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise UnsupportedFormatError(f"{path.name}: choose an output ending in .md, .html or .docx")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".docx":
        write_docx(review, path)
    elif suffix == ".html":
        path.write_text(to_html_document(review), encoding="utf-8")
    else:
        path.write_text(to_markdown(review), encoding="utf-8")
    return path


def review_dict(review: Review, terms: Terminology) -> dict:
    """JSON form (API, --json, job result): the review, its references and the verification figures; Chinese
    words counted as ``terms`` segments them."""
    data = to_plain(review)
    data["word_count"] = review.word_count(terms)
    data["verification"]["supported_share"] = round(review.verification.supported_share, 4)
    data["verification"]["final_supported_share"] = round(review.verification.final_supported_share, 4)
    data["markdown"] = to_markdown(review)
    return data
