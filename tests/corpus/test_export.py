"""Citation export: each format parses back with an independent reader."""

from __future__ import annotations

import bibtexparser
import rispy

from medbridge.corpus.export import export_records, to_bibtex, to_medline, to_ris


def test_ris_parses_back(sample_store):
    records = list(sample_store.get_records([19622817, 7550356]).values())
    entries = rispy.loads(export_records(records, "ris"))
    assert len(entries) == 2
    first = entries[0]
    assert first["type_of_reference"] == "JOUR"
    assert first["title"] == records[0].title
    assert first["authors"][0] == "Mattsson, Niklas" and len(first["authors"]) == 29
    assert (first["volume"], first["number"], first["start_page"], first["end_page"]) == ("302", "4", "385", "393")
    assert first["doi"] == "10.1001/jama.2009.1064"
    assert first["year"] == "2009"
    assert entries[1]["authors"][0] == "Alzheimer's Disease Collaborative Group"


def test_bibtex_parses_back_with_special_characters(sample_store):
    record = sample_store.get_record(19622817)
    library = bibtexparser.parse_string(to_bibtex(record))
    assert not library.failed_blocks
    entry = library.entries[0]
    assert entry.key == "pmid19622817" and entry.entry_type == "article"
    assert entry["doi"] == "10.1001/jama.2009.1064" and entry["year"] == "2009" and entry["pages"] == "385--393"
    assert entry["author"].startswith("Mattsson, Niklas and Zetterberg, Henrik")
    assert r"\%" in entry["abstract"]  # "85%" escaped for LaTeX


def test_medline_format_fields(sample_store):
    text = to_medline(sample_store.get_record(19622817))
    lines = text.splitlines()
    assert lines[0] == "PMID- 19622817"
    assert "MH  - Alzheimer Disease/*cerebrospinal fluid/*diagnosis" in lines
    assert "LID - 10.1001/jama.2009.1064 [doi]" in lines
    assert "FAU - Mattsson, Niklas" in lines and "AU  - Mattsson N" in lines
    assert all(len(line) <= 88 for line in lines)
    # continuation lines carry the abstract on
    ab = lines.index(next(l for l in lines if l.startswith("AB  - ")))
    assert lines[ab + 1].startswith("      ")
    assert "SO  - JAMA. 2009 Jul 22;302(4):385-93. doi: 10.1001/jama.2009.1064." in lines


def test_ris_for_record_without_abstract_has_no_empty_fields(sample_store):
    record = next(r for r in sample_store.iter_records() if not r.has_abstract)
    text = to_ris(record)
    assert "AB  -" not in text and text.rstrip().endswith("ER  -")
