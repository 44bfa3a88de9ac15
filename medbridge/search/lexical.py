"""Lexical index on tantivy: BM25 with field weights, PubMed field tags, filters and facet counts.

Chosen by measurement (benchmarks/search_speed.py, same corpus and queries, 2 shared cores): at 20,000
records tantivy answered in p50 1.3 ms / p95 42 ms, bm25s in 2.3 / 72 ms and SQLite FTS5 in 200 / 350 ms
(FTS5 slows down badly with the OR-of-synonyms queries query understanding produces). bm25s is as fast
for plain bag-of-words but has no phrases, fields, boolean NOT, ranges or facets; tantivy has all of
them (phrase/prefix/range/boolean queries, fast-field aggregations) in one Rust engine.
"""

from __future__ import annotations

import json
import math
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import tantivy

from medbridge.corpus.models import Record
from medbridge.errors import MedbridgeError
from medbridge.search.query import And, Node, Not, Or, Term, YearRange
from medbridge.search.understand import Filters
from medbridge.terms import Terminology

SCHEMA_VERSION = 2  # 2: word-pair fields for phrases
ANALYZER = "medstem"
# Field weights for untagged terms: a term in the title or MeSH says more about the topic than one in the
# abstract. Tuned on benchmarks/search_quality.py (MeSH-topic queries); BM25 per field, summed.
FIELD_WEIGHTS = {"title": 3.0, "mesh": 2.0, "keywords": 1.5, "abstract": 1.0}
FIELDS_FOR_TAG = {
    "all": FIELD_WEIGHTS,
    "tiab": {"title": 3.0, "abstract": 1.0},
    "ti": {"title": 1.0},
    "ab": {"abstract": 1.0},
    "au": {"author": 1.0},
}
# Phrases in the ranked text fields are matched on word pairs indexed as single tokens ("alzheim_diseas"): a
# positional phrase search over words found in most records (an Alzheimer corpus) reads every position of
# both words (measured: 130 ms for one phrase on the abstracts of 1M records); a pair is one posting list.
PAIR_FIELDS = {"title": "title_pairs", "abstract": "abstract_pairs", "mesh": "mesh_pairs", "keywords": "keywords_pairs"}
LANGUAGE_CODES = {"english": "eng", "chinese": "chi", "french": "fre", "german": "ger", "spanish": "spa", "japanese": "jpn"}
SYNONYM_TIE_BREAKER = 0.2  # a record naming a concept twice (two synonyms) gains a little, not double


class IndexBusyError(MedbridgeError):
    """Another process is writing the search index."""


def build_analyzer() -> tantivy.TextAnalyzer:
    """Words, lowercased, accents folded, Snowball-English stemmed; the same analyzer reads queries."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(60))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("pmid", stored=True, indexed=True, fast=True)
    for name in ("title", "abstract", "mesh", "mesh_major", "keywords"):
        builder.add_text_field(name, tokenizer_name=ANALYZER)
    for name in PAIR_FIELDS.values():
        builder.add_text_field(name, tokenizer_name="whitespace", index_option="freq")
    builder.add_text_field("author", tokenizer_name="default")
    # raw (exact) fields: MeSH tree numbers for explosion; lowercased values for filters; cited pmids
    for name in ("mesh_tree", "mesh_major_tree", "journal_any", "pt", "refs"):
        builder.add_text_field(name, tokenizer_name="raw", index_option="basic")
    # facet columns keep the display spelling
    for name in ("pt_facet", "journal", "la"):
        builder.add_text_field(name, tokenizer_name="raw", fast=True, index_option="basic")
    builder.add_integer_field("year", indexed=True, fast=True)
    builder.add_integer_field("has_abstract", indexed=True, fast=True)
    return builder.build()


def word_pairs(words: Sequence[str]) -> list[str]:
    """Adjacent analyzed words joined: the tokens of a pair field (the simple tokenizer never yields "_")."""
    return [f"{first}_{second}" for first, second in zip(words, words[1:])]


def tree_prefixes(tree_numbers: Iterable[str]) -> set[str]:
    """C10.228.140 → {C10, C10.228, C10.228.140}: indexing every ancestor makes [mh] explode with one term."""
    prefixes = set()
    for number in tree_numbers:
        parts = number.split(".")
        prefixes.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    return prefixes


def journal_label(record: Record) -> str:
    return record.journal.medline_ta or record.journal.iso_abbreviation or record.journal.title or ""


def bm25_idf(total_docs: int, doc_freq: int) -> float:
    """BM25's IDF, as tantivy computes it."""
    return math.log(1 + (total_docs - doc_freq + 0.5) / (doc_freq + 0.5))


class TermStatistics:
    """Document frequencies of the terms a query uses, counted over the whole corpus. A shard compiles its
    queries with them, so that a record scores the same whichever shard holds it (tantivy-py cannot be
    given outside statistics, so each term's query is boosted by global IDF / the shard's own IDF).
    Compiling with ``recording=True`` (no frequencies yet) lists the terms to count."""

    def __init__(self, total_docs: int = 0, doc_freqs: dict[tuple[str, str], int] | None = None, recording: bool = False):
        self.total_docs = total_docs
        self.doc_freqs = doc_freqs or {}
        self.recording = recording

    def idf(self, field: str, token: str) -> float:
        if self.recording:
            self.doc_freqs.setdefault((field, token), 0)
            return 1.0
        return bm25_idf(self.total_docs, self.doc_freqs[(field, token)])


@dataclass(slots=True)
class LexicalHit:
    pmid: int
    score: float
    year: int | None


@dataclass(slots=True)
class LexicalResult:
    hits: list[LexicalHit]
    total: int


PUBLICATION_TYPE_BUCKETS = 100  # facets count every publication type (NLM has fewer): exact counts after a click


class LexicalIndex:
    def __init__(self, folder: Path | None, terms: Terminology):
        """``folder`` None: an empty index in memory, which compiles queries for shards held elsewhere."""
        self.terms = terms
        self.analyzer = build_analyzer()
        self.schema = build_schema()
        self._compiling = threading.local()  # the statistics of the compile in progress, per thread
        if folder is None:
            self.folder, self.created_empty = None, True
            self.index = tantivy.Index(self.schema)
            self.index.register_tokenizer(ANALYZER, self.analyzer)
            return
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        meta = self.folder / "schema.json"
        fresh = not meta.exists() or json.loads(meta.read_text()).get("version") != SCHEMA_VERSION
        self.created_empty = fresh  # the indexer then starts over from the first change
        if fresh:
            for stale in self.folder.iterdir():
                if stale.is_file():
                    stale.unlink()
        self.index = tantivy.Index(self.schema, path=str(self.folder), reuse=not fresh)
        self.index.register_tokenizer(ANALYZER, self.analyzer)
        if fresh:
            meta.write_text(json.dumps({"version": SCHEMA_VERSION}))

    # -- writing ----------------------------------------------------------------------------------
    def writer(self) -> "LexicalWriter":
        try:
            writer = self.index.writer(heap_size=128_000_000, num_threads=1)
        except ValueError as exc:
            raise IndexBusyError(f"the search index at {self.folder} is being updated by another process") from exc
        return LexicalWriter(self, writer)

    def document(self, record: Record) -> tantivy.Document:
        doc = tantivy.Document()
        doc.add_integer("pmid", record.pmid)
        self._add_text(doc, "title", record.title)
        self._add_text(doc, "abstract", " ".join(s.text for s in record.abstract))
        trees: set[str] = set()
        major_trees: set[str] = set()
        for heading in record.mesh:
            self._add_text(doc, "mesh", heading.descriptor)
            if heading.is_major:
                doc.add_text("mesh_major", heading.descriptor)
            descriptor = self.terms.mesh(heading.ui) if heading.ui else None
            numbers = tree_prefixes(descriptor.tree_numbers) if descriptor else set()
            numbers.add(heading.ui or heading.descriptor.lower())
            trees |= numbers
            if heading.is_major:
                major_trees |= numbers
        for value in trees:
            doc.add_text("mesh_tree", value)
        for value in major_trees:
            doc.add_text("mesh_major_tree", value)
        for reference in record.references:
            doc.add_text("refs", str(reference))
        for keyword in record.keywords:
            self._add_text(doc, "keywords", keyword.text)
        for author in record.authors:
            doc.add_text("author", author.short_name)
        for publication_type in record.article_types:
            doc.add_text("pt", publication_type.lower())
            doc.add_text("pt_facet", publication_type)
        journal = journal_label(record)
        doc.add_text("journal", journal)
        for name in {journal, record.journal.title, record.journal.iso_abbreviation, record.journal.medline_ta}:
            if name:
                doc.add_text("journal_any", name.lower())
        for language in record.languages:
            doc.add_text("la", language.lower())
        if record.year is not None:
            doc.add_integer("year", record.year)
        doc.add_integer("has_abstract", int(record.has_abstract))
        return doc

    def _add_text(self, doc: tantivy.Document, field: str, text: str) -> None:
        """A value of a ranked text field, and its word pairs (per value: no pair spans two keywords)."""
        doc.add_text(field, text)
        doc.add_text(PAIR_FIELDS[field], " ".join(word_pairs(self.analyzer.analyze(text))))

    # -- reading ----------------------------------------------------------------------------------
    def searcher(self) -> tantivy.Searcher:
        self.index.reload()
        return self.index.searcher()

    def num_docs(self) -> int:
        return self.searcher().num_docs

    def compile(
        self, node: Node | None, filters: Filters, *, natural: bool, ranking: Sequence[Node] = (), relaxed: bool = False,
        statistics: TermStatistics | None = None,
    ) -> tantivy.Query:
        """Query tree + filters → tantivy query. A record matches when it satisfies ``node`` and ``filters``;
        ``ranking`` nodes (aspect words of a question) only add to the score. ``natural``: synonyms inside a
        concept are a disjunction-max, so one concept named twice does not outweigh two concepts.
        ``relaxed``: AND between concepts becomes soft (ranked by how many match): related records, not results.
        ``statistics``: score with these corpus-wide frequencies (a shard)."""
        self._compiling.statistics = statistics
        try:
            return self._compile(node, filters, natural, ranking, relaxed)
        finally:
            self._compiling.statistics = None

    @property
    def statistics(self) -> TermStatistics | None:
        return getattr(self._compiling, "statistics", None)

    def doc_freqs(self, terms: Iterable[tuple[str, str]]) -> tuple[int, dict[tuple[str, str], int]]:
        """This index's record count and the document frequency of each (field, token)."""
        searcher = self.searcher()
        return searcher.num_docs, {(field, token): searcher.doc_freq(field, token) for field, token in terms}

    def _compile(self, node: Node | None, filters: Filters, natural: bool, ranking: Sequence[Node], relaxed: bool) -> tantivy.Query:
        clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
        if node is not None:
            clauses.append((tantivy.Occur.Must, self._node(node, natural, relaxed)))
        clauses += [(tantivy.Occur.Must, q) for q in self._filter_queries(filters)]
        if not clauses:
            clauses.append((tantivy.Occur.Must, tantivy.Query.all_query()))
        clauses += [(tantivy.Occur.Should, self._node(extra, natural, relaxed)) for extra in ranking]
        return clauses[0][1] if len(clauses) == 1 else tantivy.Query.boolean_query(clauses)

    def search(self, query: tantivy.Query, limit: int, *, offset: int = 0, newest_first: bool = False) -> LexicalResult:
        """Best BM25 first, or newest first (then ``score`` is 0)."""
        searcher = self.searcher()
        if searcher.num_docs == 0:
            return LexicalResult([], 0)
        if newest_first:
            result = searcher.search(query, limit=limit, count=True, offset=offset, order_by_field="year", order=tantivy.Order.Desc)
        else:
            result = searcher.search(query, limit=limit, count=True, offset=offset)
        addresses = [address for _, address in result.hits]
        pmids = searcher.fast_field_values("pmid", addresses)
        years = searcher.fast_field_values("year", addresses)
        hits = [LexicalHit(p, 0.0 if newest_first else s, y) for (s, _), p, y in zip(result.hits, pmids, years)]
        return LexicalResult(hits, result.count or 0)

    def count(self, query: tantivy.Query) -> int:
        searcher = self.searcher()
        return searcher.search(query, limit=1, count=True).count or 0 if searcher.num_docs else 0

    def within(self, pmids: Sequence[int], query: tantivy.Query) -> dict[int, int | None]:
        """The given pmids whose record matches ``query`` → their year."""
        if not pmids:
            return {}
        subset = tantivy.Query.term_set_query(self.schema, "pmid", list(pmids))
        combined = tantivy.Query.boolean_query([(tantivy.Occur.Must, subset), (tantivy.Occur.Must, query)])
        return {hit.pmid: hit.year for hit in self.search(combined, limit=len(pmids)).hits}

    def restrict(self, pmids: list[int], filters: Filters) -> dict[int, int | None]:
        """The given pmids that pass ``filters`` → their year (dense candidates are filtered here)."""
        return self.within(pmids, self.compile(None, filters, natural=False))

    def matching(self, node: Node, pmids: Sequence[int]) -> set[int]:
        """The given pmids whose record matches ``node`` (which concepts a related record lacks)."""
        return set(self.within(pmids, self._node(node, natural=True)))

    def facets(self, query: tantivy.Query, size: int = 15) -> dict[str, list[tuple[str, int]]]:
        """Counts over every record the query matches: filtering by a value finds exactly its count of them.
        Every publication type and year is counted (there are few); journals and languages the ``size`` most common."""
        searcher = self.searcher()
        if searcher.num_docs == 0:
            return {}
        spec = {
            "pt": {"terms": {"field": "pt_facet", "size": PUBLICATION_TYPE_BUCKETS}},
            "journal": {"terms": {"field": "journal", "size": size}},
            "la": {"terms": {"field": "la", "size": size}},
            "year": {"terms": {"field": "year", "size": 200}},
            "has_abstract": {"terms": {"field": "has_abstract", "size": 2}},
        }
        raw = searcher.aggregate(query, spec)
        out: dict[str, list[tuple[str, int]]] = {}
        for name in spec:
            buckets = raw.get(name, {}).get("buckets", [])
            out[name] = [(str(b["key"]).split(".")[0] if name in ("year", "has_abstract") else b["key"], int(b["doc_count"])) for b in buckets]
        out["year"].sort(key=lambda item: item[0], reverse=True)
        return out

    def facets_of(self, pmids: list[int], size: int = 15) -> dict[str, list[tuple[str, int]]]:
        """Counts over the given records."""
        return self.facets(tantivy.Query.term_set_query(self.schema, "pmid", pmids), size)

    # -- query building ---------------------------------------------------------------------------
    def _node(self, node: Node, natural: bool, relaxed: bool = False) -> tantivy.Query:
        if isinstance(node, Term):
            query = self._term(node)
            words = len(self.analyzer.analyze(node.text)) if node.field in FIELDS_FOR_TAG else 1
            if natural and words > 1:
                # A phrase scores the sum of its words' IDFs, so "senile dementia of the Alzheimer type"
                # would outweigh "Alzheimer disease" five to one; per word, every synonym weighs alike.
                return tantivy.Query.boost_query(query, 1.0 / words)
            return query
        if isinstance(node, YearRange):
            return self._years(node.start, node.end)
        if isinstance(node, Not):
            return tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, self._node(node.include, natural, relaxed)), (tantivy.Occur.MustNot, self._node(node.exclude, natural))]
            )
        children = [self._node(child, natural, relaxed) for child in node.children]
        if isinstance(node, Or) and natural:
            return tantivy.Query.disjunction_max_query(children, tie_breaker=SYNONYM_TIE_BREAKER)
        occur = tantivy.Occur.Must if isinstance(node, And) and not relaxed else tantivy.Occur.Should
        return tantivy.Query.boolean_query([(occur, child) for child in children])

    def _term(self, term: Term) -> tantivy.Query:
        if term.field in FIELDS_FOR_TAG:
            parts = [
                q if weight == 1.0 else tantivy.Query.boost_query(q, weight)
                for field, weight in FIELDS_FOR_TAG[term.field].items()
                if (q := self._text_query(field, term)) is not None
            ]
            if not parts:
                return tantivy.Query.empty_query()
            return parts[0] if len(parts) == 1 else tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in parts])
        if term.field in ("mh", "majr"):
            return self._mesh(term, major=term.field == "majr")
        if term.field == "pmid":
            return tantivy.Query.term_query(self.schema, "pmid", int(term.text))  # one record: nothing to weigh
        value = term.text.lower()
        if term.field == "la":
            value = LANGUAGE_CODES.get(value, value)
        field = {"pt": "pt", "la": "la", "ta": "journal_any"}[term.field]
        if term.prefix:
            return tantivy.Query.regex_query(self.schema, field, re.escape(value) + ".*")
        return self._scored_term(field, value)

    def _text_query(self, field: str, term: Term) -> tantivy.Query | None:
        if field == "author":
            words = [w.lower() for w in re.findall(r"\w+", term.text)]
        else:
            words = [token for token in self.analyzer.analyze(term.text)]
        if not words:
            return None
        if term.prefix:
            stem = re.findall(r"\w+", term.text.lower())[-1]
            if len(words) == 1:
                return tantivy.Query.regex_query(self.schema, field, re.escape(stem) + ".*")
            return tantivy.Query.phrase_prefix_query(self.schema, field, [*words[:-1], stem])
        if len(words) == 1:
            return self._scored_term(field, words[0])
        if field in PAIR_FIELDS:
            return self._pairs_query(field, words)
        phrase = tantivy.Query.phrase_query(self.schema, field, words)  # scored by the sum of its words' IDFs
        if self.statistics is None:
            return phrase
        return tantivy.Query.boost_query(phrase, sum(self._idf(field, w) for w in words) / sum(self._local_idf(field, w) for w in words))

    def _local_idf(self, field: str, token: str) -> float:
        searcher = self.index.searcher()
        return bm25_idf(searcher.num_docs, searcher.doc_freq(field, token))

    def _idf(self, field: str, token: str) -> float:
        """The IDF a term scores with: corpus-wide while compiling for a shard, else this index's own."""
        return self.statistics.idf(field, token) if self.statistics is not None else self._local_idf(field, token)

    def _scored_term(self, field: str, value: str) -> tantivy.Query:
        """A BM25-scored term query; on a shard boosted so that it scores with the corpus-wide IDF."""
        query = tantivy.Query.term_query(self.schema, field, value)
        if self.statistics is None:
            return query
        return tantivy.Query.boost_query(query, self.statistics.idf(field, value) / self._local_idf(field, value))

    def _pairs_query(self, field: str, words: list[str]) -> tantivy.Query:
        """The phrase as its adjacent word pairs, all present, and its words in a row. Scored as
        tantivy scores a phrase, by the sum of its words' IDFs, so that swapping the phrase search for pairs
        leaves the ranking as it was: the pairs' own (higher, shared) IDF is scaled to that sum."""
        pairs = list(dict.fromkeys(word_pairs(words)))
        queries = [self._scored_term(PAIR_FIELDS[field], pair) for pair in pairs]
        query = queries[0] if len(queries) == 1 else tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in queries])
        pair_idf = sum(self._idf(PAIR_FIELDS[field], pair) for pair in pairs)
        scored = tantivy.Query.boost_query(query, sum(self._idf(field, word) for word in words) / pair_idf)
        if len(pairs) == 1:
            return scored
        # Its pairs can also occur apart ("cerebrospinal fluid" here, "fluid biomarkers" there): the words'
        # positions decide, read only for records holding every pair, and adding nothing to the score.
        in_order = tantivy.Query.boost_query(tantivy.Query.phrase_query(self.schema, field, words), 0.0)
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, scored), (tantivy.Occur.Must, in_order)])

    def _mesh(self, term: Term, *, major: bool) -> tantivy.Query:
        """[mh]/[majr]: the descriptor and everything under it in the MeSH tree (PubMed's explosion)."""
        descriptor = self.terms.mesh_by_term(term.text)
        tree_field = "mesh_major_tree" if major else "mesh_tree"
        if descriptor is None:
            text_query = self._text_query("mesh_major" if major else "mesh", Term(term.text, "mh", True, term.prefix))
            return text_query or tantivy.Query.empty_query()
        values = [descriptor.ui, *descriptor.tree_numbers]
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, self._scored_term(tree_field, v)) for v in values]
        )

    def _years(self, start: int | None, end: int | None) -> tantivy.Query:
        return tantivy.Query.range_query(self.schema, "year", tantivy.FieldType.Integer, start, end)

    def _filter_queries(self, filters: Filters) -> list[tantivy.Query]:
        queries = []
        if filters.year_from is not None or filters.year_to is not None:
            queries.append(self._years(filters.year_from, filters.year_to))
        groups = (("pt", filters.question_types), ("pt", filters.publication_types), ("journal_any", filters.journals), ("la", filters.languages))
        for field, values in groups:
            if values:
                normalized = [LANGUAGE_CODES.get(v.lower(), v.lower()) if field == "la" else v.lower() for v in values]
                queries.append(
                    tantivy.Query.boolean_query(
                        [(tantivy.Occur.Should, self._scored_term(field, v)) for v in normalized]
                    )
                )
        if filters.has_abstract is not None:
            queries.append(tantivy.Query.term_query(self.schema, "has_abstract", int(filters.has_abstract)))
        if filters.species is not None:
            humans = self._mesh(Term("Humans", "mh"), major=False)
            if filters.species == "humans":
                queries.append(humans)
            else:  # NOT (animals[mh] NOT humans[mh])
                animals_only = tantivy.Query.boolean_query(
                    [(tantivy.Occur.Must, self._mesh(Term("Animals", "mh"), major=False)), (tantivy.Occur.MustNot, humans)]
                )
                queries.append(tantivy.Query.boolean_query([(tantivy.Occur.Must, tantivy.Query.all_query()), (tantivy.Occur.MustNot, animals_only)]))
        return queries


def write_changes(writer: "LexicalWriter", pmids: Iterable[int], records: dict[int, Record]) -> tuple[int, int]:
    """Put each pmid's current record, or delete the pmid when the store has none: (indexed, deleted)."""
    indexed = deleted = 0
    for pmid in pmids:
        record = records.get(pmid)
        if record is None:
            writer.delete(pmid)
            deleted += 1
        else:
            writer.put(record)
            indexed += 1
    return indexed, deleted


class LexicalWriter:
    """Batched puts/deletes; ``commit`` makes them visible (and durable) together."""

    def __init__(self, index: LexicalIndex, writer: tantivy.IndexWriter):
        self._index = index
        self._writer = writer

    def put(self, record: Record) -> None:
        self._writer.delete_documents_by_term("pmid", record.pmid)
        self._writer.add_document(self._index.document(record))

    def delete(self, pmid: int) -> None:
        self._writer.delete_documents_by_term("pmid", pmid)

    def delete_all(self) -> None:
        self._writer.delete_all_documents()

    def commit(self) -> None:
        self._writer.commit()

    def close(self) -> None:
        self._writer.wait_merging_threads()
