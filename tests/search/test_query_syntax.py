"""PubMed syntax: every element parses to the tree PubMed means, and every malformed query names its problem."""

import pytest

from medbridge.errors import MedbridgeError
from medbridge.search.query import (
    And,
    Not,
    Or,
    QuerySyntaxError,
    Term,
    YearRange,
    looks_like_pubmed_syntax,
    parse_pubmed,
    to_pubmed,
)


@pytest.mark.parametrize(
    ("tag", "canonical"),
    [("ti", "ti"), ("ab", "ab"), ("tiab", "tiab"), ("au", "au"), ("mh", "mh"), ("majr", "majr"), ("pt", "pt"),
     ("la", "la"), ("ta", "ta"), ("Title/Abstract", "tiab"), ("MeSH Terms", "mh"), ("Journal", "ta")],
)
def test_field_tags(tag, canonical):
    node = parse_pubmed(f"amyloid beta[{tag}]")
    assert node == Term("amyloid beta", canonical, position=0)


def test_pmid_tag():
    assert parse_pubmed("19622817[pmid]") == Term("19622817", "pmid")


def test_boolean_operators_and_precedence():
    # OR binds looser than AND; NOT is binary (A NOT B)
    node = parse_pubmed("tau OR amyloid AND csf NOT review[pt]")
    assert node == Or((
        Term("tau", position=0),
        And((Term("amyloid", position=7), Not(Term("csf", position=19), Term("review", "pt", position=27)))),
    ))


def test_parentheses_group():
    node = parse_pubmed("(tau OR amyloid) AND csf")
    assert node == And((Or((Term("tau", position=1), Term("amyloid", position=8))), Term("csf", position=21)))


def test_juxtaposition_is_and_but_tagged_words_are_one_term():
    assert parse_pubmed("csf biomarkers") == And((Term("csf"), Term("biomarkers", position=4)))
    assert parse_pubmed("alzheimer disease[mh]") == Term("alzheimer disease", "mh")


def test_quoted_phrase():
    assert parse_pubmed('"mild cognitive impairment"[tiab]') == Term("mild cognitive impairment", "tiab", phrase=True)


def test_truncation():
    assert parse_pubmed("neuro*") == Term("neuro", prefix=True)
    assert parse_pubmed('"cognitive decl*"[tiab]') == Term("cognitive decl", "tiab", phrase=True, prefix=True)
    # a truncated word ends its term: the tag applies to the words after it
    assert parse_pubmed("tau* csf protein[tiab]") == And((Term("tau", prefix=True), Term("csf protein", "tiab", position=5)))


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [("2015:2020[dp]", 2015, 2020), ("2019[dp]", 2019, 2019), ("2015/01/01:2020/12/31[dp]", 2015, 2020), ("2010[pdat]", 2010, 2010)],
)
def test_date_ranges(text, start, end):
    assert parse_pubmed(text) == YearRange(start, end)


def test_date_tag_takes_only_the_date_word():
    assert parse_pubmed("neuro* 2015:2020[dp]") == And((Term("neuro", prefix=True), YearRange(2015, 2020, position=7)))


def test_round_trip_to_pubmed_string():
    query = 'alzheimer disease[mh] AND ("cerebrospinal fluid"[tiab] OR csf[tiab]) NOT review[pt] AND 2015:2020[dp]'
    text = to_pubmed(parse_pubmed(query))
    assert text == 'alzheimer disease[mh] AND (("cerebrospinal fluid"[tiab] OR csf[tiab]) NOT review[pt]) AND 2015:2020[dp]'
    assert to_pubmed(parse_pubmed(text)) == text


@pytest.mark.parametrize(
    ("query", "position", "fragment"),
    [
        ("", 0, "empty"),
        ("(tau AND csf", 0, "'(' is never closed"),
        ("tau AND csf)", 11, "')' without a matching '('"),
        ("tau AND", 7, "ends where a term was expected"),
        ("AND tau", 0, "AND needs a term on each side"),
        ("tau OR OR csf", 7, "OR needs a term on each side"),
        ("tau NOT", 7, "ends where a term was expected"),
        ("tau[xyz]", 3, "unknown field tag [xyz]"),
        ("tau[ti", 3, "never closed with ']'"),
        ("tau]", 3, "']' without a matching '['"),
        ('"tau protein', 0, "quote is never closed"),
        ('""', 0, "empty quoted phrase"),
        ("[ti]", 0, "must follow a term"),
        ("()", 1, "empty parentheses"),
        ("(tau OR csf)[ti]", 12, "not to a parenthesised group"),
        ("ne*", 0, "at least 3 characters"),
        ("ne*uro", 2, "only allowed at the end"),
        ("abc[pmid]", 0, "[pmid] needs a number"),
        ("recent[dp]", 0, "[dp] needs a year"),
        ("2020:2015[dp]", 0, "ends before it starts"),
    ],
)
def test_errors_point_at_the_problem(query, position, fragment):
    with pytest.raises(QuerySyntaxError) as caught:
        parse_pubmed(query)
    error = caught.value
    assert isinstance(error, MedbridgeError)
    assert fragment in str(error)
    assert error.position == position
    assert f"position {position + 1}" in str(error)
    assert error.pointer().splitlines()[1] == " " * position + "^"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("alzheimer disease[mh]", True), ("tau AND csf", True), ('"mild cognitive impairment" NOT review[pt]', True),
        ("neuro*", True), ("CSF biomarkers mild cognitive impairment", False),
        ('Does "time to treatment" (door-to-needle) matter in stroke?', False),
        ("CYP2D6*4 allele and breast cancer risk", False),
        ("阿尔茨海默病的脑脊液生物标志物", False), ("ketamine and depression", False),
    ],
)
def test_detects_pubmed_syntax(query, expected):
    assert looks_like_pubmed_syntax(query) is expected
