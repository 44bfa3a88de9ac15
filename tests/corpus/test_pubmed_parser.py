"""Every field the parser extracts, checked against real PubMed records from ../shared."""

from __future__ import annotations

import gzip

import pytest

from medbridge.corpus.models import DeletedCitation, Record
from medbridge.corpus.pubmed import iter_pubmed, text_and_markup
from lxml import etree


def records_of(path) -> dict[int, Record]:
    return {r.pmid: r for r in iter_pubmed(path) if isinstance(r, Record)}


@pytest.fixture(scope="module")
def alz(alzheimer_dir) -> dict[int, Record]:
    found: dict[int, Record] = {}
    for name in ("pubmed_0_to_99.xml.gz", "pubmed_1800_to_1899.xml.gz", "pubmed_2100_to_2199.xml.gz",
                 "pubmed_2200_to_2299.xml.gz", "pubmed_2800_to_2899.xml.gz", "pubmed_2900_to_2999.xml.gz"):
        found.update(records_of(alzheimer_dir / name))
    return found


def test_core_fields_of_a_structured_abstract(alz):
    r = alz[19622817]
    assert r.version == 1 and r.status == "MEDLINE"
    assert r.title == "CSF biomarkers and incipient Alzheimer disease in patients with mild cognitive impairment."
    assert [s.label for s in r.abstract] == ["CONTEXT", "OBJECTIVE", "DESIGN, SETTING, AND PARTICIPANTS",
                                             "MAIN OUTCOME MEASURES", "RESULTS", "CONCLUSIONS"]
    assert [s.category for s in r.abstract][:2] == ["BACKGROUND", "OBJECTIVE"]
    results = r.abstract[4]
    assert "P < .001" in results.text and "P &lt; .001" in results.markup  # escaped in markup, plain in text
    assert r.journal.title == "JAMA" and r.journal.iso_abbreviation == "JAMA" and r.journal.medline_ta == "JAMA"
    assert (r.journal.issn, r.journal.issn_type, r.journal.issn_linking) == ("1538-3598", "Electronic", "0098-7484")
    assert (r.journal.volume, r.journal.issue, r.journal.pages) == ("302", "4", "385-93")
    assert (r.pub_date.year, r.pub_date.month, r.pub_date.day) == (2009, 7, 22)
    assert r.doi == "10.1001/jama.2009.1064"
    assert r.article_types == ["Journal Article", "Multicenter Study", "Research Support, Non-U.S. Gov't"]
    assert r.languages == ["eng"]
    assert r.date_revised == "2022-04-09"


def test_authors_and_affiliations(alz):
    r = alz[19622817]
    assert len(r.authors) == 29
    first = r.authors[0]
    assert (first.last_name, first.fore_name, first.initials) == ("Mattsson", "Niklas", "N")
    assert first.affiliations[0].startswith("Institute of Neuroscience and Physiology")
    assert "Mölndal" in first.affiliations[0]  # character references decoded
    assert r.authors[7].last_name == "van der Flier"
    assert r.affiliations == first.affiliations


def test_collective_name_and_orcid(alz):
    collective = [a for a in alz[7550356].authors if a.collective_name]
    assert collective[0].collective_name == "Alzheimer's Disease Collaborative Group"
    assert collective[0].display_name == "Alzheimer's Disease Collaborative Group"
    orcids = {a.last_name: a.orcid for a in alz[24608097].authors if a.orcid}
    assert orcids["Fiandaca"] == "0000-0002-8376-1934"


def test_mesh_with_qualifiers_and_major_topics(alz):
    mesh = {m.descriptor: m for m in alz[19622817].mesh}
    ad = mesh["Alzheimer Disease"]
    assert ad.ui == "D000544" and ad.major is False and ad.is_major
    assert [(q.name, q.ui, q.major) for q in ad.qualifiers] == [
        ("cerebrospinal fluid", "Q000134", True), ("diagnosis", "Q000175", True)]
    assert not mesh["Humans"].is_major and mesh["Humans"].qualifiers == []


def test_chemicals_keywords_pmc_and_references(alz):
    chems = {c.name: c for c in alz[19622817].chemicals}
    assert chems["Phosphothreonine"].registry_number == "1114-81-4" and chems["Phosphothreonine"].ui == "D010769"
    assert [k.text for k in alz[24014289].keywords][:3] == ["Alzheimer's disease", "hippocampus", "miR-132-3p"]
    r = alz[19260027]
    assert r.pmc_id == "PMC2763631"
    assert len(r.references) == 49 and r.references[:3] == [11559310, 8699259, 11816784]


def test_medline_date_gives_the_year(alz):
    r = alz[12709467]
    assert r.pub_date.text == "2003 Apr 23-30" and r.year == 2003 and r.pub_date.month == 4


def test_inline_markup_kept_safely(alz):
    r = alz[29113975]
    assert r.title_markup == ("G-quadruplex-binding small molecules ameliorate <i>C9orf72</i> FTD/ALS pathology "
                              "<i>in vitro</i> and <i>in vivo</i>.")
    assert r.title.startswith("G-quadruplex-binding small molecules ameliorate C9orf72 FTD/ALS")
    assert "GABA<sub>A</sub> receptor" in alz[30602789].title_markup


def test_markup_escapes_everything_but_the_inline_tags():
    node = etree.fromstring(
        "<ArticleTitle>a &lt;script&gt;x&lt;/script&gt; <i>b</i> <mml:math xmlns:mml='m'><mml:mi>c</mml:mi></mml:math>"
        " <b onclick='e'>d</b> <sup>2</sup></ArticleTitle>")
    text, markup = text_and_markup(node)
    assert text == "a <script>x</script> b c d 2"
    assert markup == "a &lt;script&gt;x&lt;/script&gt; <i>b</i> c <b>d</b> <sup>2</sup>"


def test_vernacular_title(alz):
    assert alz[54472].vernacular_title == "K metodu opredeleniia summarnykh i po fraktsiiam 17-ketosteroidov."


def test_other_abstracts_and_languages(fixtures_dir):
    recs = records_of(fixtures_dir / "efetch_121_records.xml")
    other = recs[26582223].other_abstracts[0]
    assert other.language == "chi" and other.type == "Publisher"
    assert other.sections[0].text.startswith("背景与目的")
    assert recs[28277229].languages == ["eng", "spa"]


def test_2016_medline_citation_set(fixtures_dir):
    items = list(iter_pubmed(fixtures_dir / "medline16n0902.xml.gz"))
    records = [i for i in items if isinstance(i, Record)]
    assert len(records) == 604
    assert sum(isinstance(i, DeletedCitation) for i in items) == 1
    r = records[0]
    assert r.pmid == 17942999 and r.year == 2007 and len(r.mesh) == 11
    assert [s.label for s in r.abstract] == ["PURPOSE", "METHODS", "RESULTS", "CONCLUSIONS"]
    assert r.authors[0].last_name == "Chandrasekaran" and r.authors[0].affiliations


def test_update_file_delete_citations(fixtures_dir):
    deletes = [i.pmid for i in iter_pubmed(fixtures_dir / "pubmed26n1335.xml.gz") if isinstance(i, DeletedCitation)]
    assert deletes == [41456105, 41557076, 41616784, 41618748, 41618749, 41618779]


def test_all_alzheimer_files_parse_to_3690_unique_records(alzheimer_dir):
    pmids = set()
    with_abstract = with_doi = with_mesh = 0
    for path in sorted(alzheimer_dir.glob("*.xml.gz")):
        for r in iter_pubmed(path):
            if r.pmid in pmids:
                continue
            pmids.add(r.pmid)
            with_abstract += r.has_abstract
            with_doi += bool(r.doi)
            with_mesh += bool(r.mesh)
    assert len(pmids) == 3690
    assert (with_abstract, with_doi, with_mesh) == (3579, 3665, 3633)


def test_plain_and_gzipped_files_read_alike(fixtures_dir, tmp_path):
    plain = tmp_path / "copy.xml"
    plain.write_bytes(gzip.decompress((fixtures_dir / "test_current_medline.xml.gz").read_bytes()))
    assert records_of(plain).keys() == records_of(fixtures_dir / "test_current_medline.xml.gz").keys()
