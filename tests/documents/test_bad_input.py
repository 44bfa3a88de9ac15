"""Every kind of bad input ends in one clear DocumentError, never a crash or a partial output file."""

from __future__ import annotations

import shutil
import zipfile

import pymupdf
import pytest

from medbridge.documents.errors import DocumentError
from medbridge.documents.intake import DocumentLimits
from medbridge.documents.pipeline import DocumentTask, translate_document
from medbridge.translate.languages import UnsupportedLanguageError


def _translate(path, terms_translator, limits, tmp_path, target="zh"):
    out = tmp_path / "out" / f"result{path.suffix}"
    with pytest.raises(DocumentError) as caught:
        translate_document(DocumentTask(path, target, out), terms_translator, limits)
    assert not out.exists() and not (tmp_path / "out").exists()  # nothing written, not even a temp file
    return str(caught.value)


def test_password_protected_pdf(sample_dir, terms_translator, limits, tmp_path):
    path = tmp_path / "locked.pdf"
    with pymupdf.open(sample_dir / "paper.pdf") as doc:
        doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")
    assert "password-protected" in _translate(path, terms_translator, limits, tmp_path)


def test_corrupt_pdf(sample_dir, terms_translator, limits, tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 50)
    assert "damaged PDF" in _translate(path, terms_translator, limits, tmp_path)


def test_truncated_docx(sample_dir, terms_translator, limits, tmp_path):
    path = tmp_path / "cut.docx"
    path.write_bytes((sample_dir / "report.docx").read_bytes()[:3000])
    message = _translate(path, terms_translator, limits, tmp_path)
    assert "damaged" in message


@pytest.mark.parametrize("real,claimed,says", [("report.docx", "x.pdf", "the content is DOCX"),
                                               ("paper.pdf", "x.pptx", "the content is PDF"),
                                               ("deck.pptx", "x.docx", "the content is PPTX")])
def test_extension_that_lies(sample_dir, terms_translator, limits, tmp_path, real, claimed, says):
    path = tmp_path / claimed
    shutil.copyfile(sample_dir / real, path)
    assert says in _translate(path, terms_translator, limits, tmp_path)


def test_text_file_named_pdf(terms_translator, limits, tmp_path):
    path = tmp_path / "notes.pdf"
    path.write_text("just some notes", encoding="utf-8")
    assert "not a PDF file" in _translate(path, terms_translator, limits, tmp_path)


def test_unsupported_type(terms_translator, limits, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello", encoding="utf-8")
    assert "unsupported file type" in _translate(path, terms_translator, limits, tmp_path)


def test_zip_bomb_docx(sample_dir, terms_translator, tmp_path):
    path = tmp_path / "bomb.docx"
    shutil.copyfile(sample_dir / "report.docx", path)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/media/filler.bin", b"\0" * (30 * 1048576))  # 30 MB of zeros packs to ~30 KB
    limits = DocumentLimits(max_file_bytes=10 * 1048576, max_pages=500, max_uncompressed_bytes=20 * 1048576)
    assert "over the 20 MB limit" in _translate(path, terms_translator, limits, tmp_path)
    generous = DocumentLimits(max_file_bytes=10 * 1048576, max_pages=500, max_uncompressed_bytes=500 * 1048576)
    assert "zip bomb" in _translate(path, terms_translator, generous, tmp_path)


def test_too_many_pages_and_slides(sample_dir, terms_translator, tmp_path):
    path = tmp_path / "long.pdf"
    with pymupdf.open(sample_dir / "paper.pdf") as paper, pymupdf.open() as doc:
        for _ in range(4):
            doc.insert_pdf(paper)
        doc.save(path)
    tight = DocumentLimits(max_file_bytes=10 * 1048576, max_pages=3, max_uncompressed_bytes=10 * 1048576)
    assert "4 pages is over the 3-page limit" in _translate(path, terms_translator, tight, tmp_path)
    one = DocumentLimits(max_file_bytes=10 * 1048576, max_pages=1, max_uncompressed_bytes=10 * 1048576)
    assert "3 slides is over the 1-slide limit" in _translate(sample_dir / "deck.pptx", terms_translator, one, tmp_path)


def test_file_too_big(sample_dir, terms_translator, tmp_path):
    small = DocumentLimits(max_file_bytes=1000, max_pages=500, max_uncompressed_bytes=10 * 1048576)
    assert "over the 0 MB limit" in _translate(sample_dir / "paper.pdf", terms_translator, small, tmp_path)


def test_empty_inputs(terms_translator, limits, tmp_path):
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    assert "the file is empty" in _translate(empty, terms_translator, limits, tmp_path)
    blank = tmp_path / "blank.pdf"
    with pymupdf.open() as doc:
        doc.new_page()
        doc.save(blank)
    assert "no text found" in _translate(blank, terms_translator, limits, tmp_path)
    from docx import Document

    nothing = tmp_path / "nothing.docx"
    Document().save(str(nothing))
    assert "has no text" in _translate(nothing, terms_translator, limits, tmp_path)
    numbers = tmp_path / "numbers.pdf"
    with pymupdf.open() as doc:
        doc.new_page().insert_text((72, 72), "12.5  37  ± 0.4", fontsize=11)
        doc.save(numbers)
    assert "nothing to translate" in _translate(numbers, terms_translator, limits, tmp_path)


def test_unknown_target_language(sample_dir, terms_translator, limits, tmp_path):
    with pytest.raises(UnsupportedLanguageError):
        translate_document(DocumentTask(sample_dir / "paper.pdf", "xx", tmp_path / "o.pdf"), terms_translator, limits)
