"""Fixtures of the job tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document


@pytest.fixture
def abstracts_docx(tmp_path, sample_store) -> tuple[Path, int]:
    """A DOCX of 240 real abstract paragraphs: long enough to be killed midway with glossary terms only."""
    paragraphs = [s.text for r in sample_store.iter_records() for s in r.abstract if len(s.text) > 200][:240]
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    path = tmp_path / "abstracts.docx"
    document.save(path)
    return path, len(paragraphs)
