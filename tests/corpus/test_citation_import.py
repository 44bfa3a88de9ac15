"""``medbridge citations import``: the NIH Open Citation Collection CSV (citing,referenced), streamed,
resumable, all or nothing; cited-by counts and the record page's citation links."""

import csv
import gzip

import pytest
from typer.testing import CliRunner

from medbridge.cli.main import app
from medbridge.corpus import citations as citation_module
from medbridge.corpus.citations import CitationImportError, import_citations
from medbridge.store import open_store


def _real_pairs(store, records: int = 40) -> list[tuple[int, int]]:
    """Real citing,referenced pairs: the reference lists of sample records (as the OCC distributes them)."""
    pairs = []
    for record in store.iter_records():
        pairs += [(record.pmid, ref) for ref in record.references]
        records -= bool(record.references)
        if records == 0:
            break
    return pairs


def _write_csv(path, pairs, header=("citing", "referenced")):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(pairs)
    return path


def _graph_size(store) -> int:
    return store._conn.execute("SELECT COUNT(*) FROM citations WHERE source = 'occ'").fetchone()[0]


def test_reference_lists_are_the_graph_from_the_start(sample_store):
    record = next(r for r in sample_store.iter_records() if len(r.references) > 5)
    assert sample_store.cited(record.pmid) == sorted(set(record.references))
    cited = record.references[0]
    assert record.pmid in sample_store.citing(cited)
    assert sample_store.cited_by_counts([cited])[cited] >= 1


def test_import_adds_pairs_and_counts_distinct_citing(sample_copy_settings, tmp_path):
    store = open_store(sample_copy_settings)
    pairs = _real_pairs(store)
    outside = [(99_000_001, pairs[0][1]), (99_000_002, pairs[0][1])]  # citing papers outside the corpus
    path = _write_csv(tmp_path / "open_citation_collection.csv", pairs + outside)
    before = store.cited_by_counts([pairs[0][1]]).get(pairs[0][1], 0)

    report = import_citations(store, path)

    assert report.lines == len(pairs) + 2 and not report.already_imported
    assert report.added == len(set(pairs + outside))
    # the reference-list pairs were already known: only the two outside papers add to the count
    assert store.cited_by_counts([pairs[0][1]])[pairs[0][1]] == before + 2
    assert 99_000_001 in store.citing(pairs[0][1])
    again = import_citations(store, path)
    assert again.already_imported and again.added == 0


def test_gzipped_file_is_read_as_csv(sample_copy_settings, tmp_path):
    store = open_store(sample_copy_settings)
    path = tmp_path / "occ.csv.gz"
    with gzip.open(path, "wt", newline="") as handle:
        handle.write("citing,referenced\n123456,234567\n345678,234567\n")
    assert import_citations(store, path).added == 2
    assert store.cited_by_counts([234567]) == {234567: 2}


@pytest.mark.parametrize(
    ("rows", "line", "found"),
    [
        (["123456,234567", "123456,abc"], 3, "123456,abc"),
        (["123456,234567", "123456"], 3, "123456"),
        (["123456,234567,345678"], 2, "123456,234567,345678"),
        (["-5,234567"], 2, "-5,234567"),
    ],
)
def test_malformed_row_names_its_line_and_imports_nothing(sample_copy_settings, tmp_path, rows, line, found):
    store = open_store(sample_copy_settings)
    path = tmp_path / "bad.csv"
    path.write_text("citing,referenced\n" + "\n".join(rows) + "\n")
    with pytest.raises(CitationImportError) as error:
        import_citations(store, path)
    assert f"line {line}:" in str(error.value) and repr(found) in str(error.value)
    assert _graph_size(store) == 0 and store.citation_import("bad.csv") is None
    assert store.cited_by_counts([234567]) == {}


def test_missing_header_is_refused(sample_copy_settings, tmp_path):
    store = open_store(sample_copy_settings)
    path = tmp_path / "noheader.csv"
    path.write_text("123456,234567\n")
    with pytest.raises(CitationImportError, match="line 1: expected the header 'citing,referenced'"):
        import_citations(store, path)


def test_interrupted_import_resumes_and_shows_nothing_until_done(sample_copy_settings, tmp_path, monkeypatch):
    store = open_store(sample_copy_settings)
    pairs = [(1_000_000 + i, 2_000_000 + i % 7) for i in range(95)]
    path = _write_csv(tmp_path / "occ.csv", pairs)
    monkeypatch.setattr(citation_module, "BATCH", 20)

    def interrupt(rows):
        if rows >= 40:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_citations(store, path, on_progress=interrupt)
    staged = store.citation_import("occ.csv")
    assert staged.state == "staging" and staged.lines_done == 40
    assert _graph_size(store) == 0  # staged rows are not citations yet

    report = import_citations(store, path)
    assert report.resumed_from == 40 and report.lines == 95 and report.added == 95
    assert store.cited_by_counts([2_000_000])[2_000_000] == len([p for p in pairs if p[1] == 2_000_000])


def test_cli_import_and_one_line_error(sample_copy_settings, tmp_path):
    store = open_store(sample_copy_settings)
    good = _write_csv(tmp_path / "good.csv", [(123456, 234567)])
    bad = tmp_path / "broken.csv"
    bad.write_text("citing,referenced\n1,2\n3;4\n")
    runner = CliRunner()
    result = runner.invoke(app, ["citations", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "1 new citation pairs" in result.output
    result = runner.invoke(app, ["citations", "import", str(bad)])
    assert result.exit_code == 1
    assert "line 3: expected two PMIDs" in result.output and "Traceback" not in result.output
    assert store.cited_by_counts([234567]) == {234567: 1}
