"""Hybrid search: the result set is what the query shown matches; BM25 (tantivy) and e5 vectors rank within it.

A record is a result when it contains every required concept of the question (its MeSH heading or any
synonym, in title, abstract, MeSH or keywords) and passes the filters; ``total`` is the size of that set and
facets count it. Vectors only re-rank inside it (a weighted mix of normalised scores). When the set does not
fill the page, related records — some concept missing, or found by meaning — come apart in ``relaxed``, each
naming what it lacks; a concept no record of the corpus contains is reported in ``absent`` (fetch it).
PubMed-syntax queries are boolean and ranked by BM25 alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Literal, Sequence

from medbridge.corpus.models import Record
from medbridge.errors import MedbridgeError
from medbridge.llm.base import LLM
from medbridge.search.indexer import SearchIndex
from medbridge.search.query import iter_terms
from medbridge.search.snippets import Snippet, highlight, make_snippet, term_patterns
from medbridge.search.understand import Concept, Filters, Interpretation, concept_node, interpret
from medbridge.store.base import Store

Sort = Literal["relevance", "date", "cited_by"]
TitleTranslations = Callable[[Store, Sequence[Record]], dict[int, str]]  # pmid → cached Chinese title
Retrieval = Literal["hybrid", "lexical", "dense"]
RRF_K = 60          # the constant from Cormack et al. (2009); rank 1 scores 1/61
CANDIDATES = 1_000  # per retriever: the best BM25 matches re-ranked with the vectors (and the pool of related records)
# Not research articles: below them in "best match" unless asked for (a publication-type filter or [pt] tag).
NON_RESEARCH_TYPES = frozenset({
    "Comment", "Letter", "Editorial", "Published Erratum", "News", "Newspaper Article", "Biography", "Portrait",
    "Interview", "Retraction of Publication", "Expression of Concern", "Introductory Journal Article", "Personal Narrative",
})
NO_ABSTRACT_FACTOR = 0.85  # a record without an abstract says less than its title promises: a slight demotion

class InvalidSearchOptions(MedbridgeError):
    """Search options that cannot be satisfied (bad sort, negative offset, inverted year range)."""


@dataclass(slots=True)
class SearchOptions:
    limit: int = 20
    offset: int = 0
    sort: Sort = "relevance"
    filters: Filters = field(default_factory=Filters)
    retrieval: Retrieval = "hybrid"

    def validate(self) -> None:
        if self.sort not in ("relevance", "date", "cited_by"):
            raise InvalidSearchOptions(f"sort must be 'relevance', 'date' or 'cited_by', not {self.sort!r}")
        if self.limit < 1 or self.offset < 0:
            raise InvalidSearchOptions("limit must be at least 1 and offset at least 0")
        f = self.filters
        if f.year_from is not None and f.year_to is not None and f.year_from > f.year_to:
            raise InvalidSearchOptions(f"year range {f.year_from}–{f.year_to} ends before it starts")


@dataclass(slots=True)
class Hit:
    pmid: int
    title: str
    year: int | None
    journal: str
    score: float
    snippet: Snippet
    title_highlighted: Snippet
    matched_by: tuple[str, ...]          # "lexical", "dense"
    title_translation: str | None = None  # cached Chinese title, when the translator has one
    missing: tuple[str, ...] = ()         # a related record: the required concepts (as typed) it does not contain
    publication_types: tuple[str, ...] = ()
    cited_by: int = 0                      # citing records known to the store (reference lists, imported graphs)

    def to_dict(self) -> dict:
        return {
            "pmid": self.pmid,
            "title": self.title,
            "title_zh": self.title_translation,
            "year": self.year,
            "journal": self.journal,
            "score": round(self.score, 6),
            "snippet": self.snippet.text,
            "highlights": [list(span) for span in self.snippet.spans],
            "matched_by": list(self.matched_by),
            "missing": list(self.missing),
            "publication_types": list(self.publication_types),
            "cited_by": self.cited_by,
        }


def fetch_command(query: str) -> str:
    """The command that brings records for ``query`` from PubMed into the local corpus."""
    return 'medbridge fetch "' + query.replace('"', '\\"') + '"'


@dataclass(slots=True)
class SearchResult:
    interpretation: Interpretation
    hits: list[Hit]
    total: int                                   # records matching the query shown and the filters
    offset: int
    limit: int
    sort: Sort
    facets: dict[str, list[tuple[str, int]]]     # counted over the same records as ``total``
    dense_used: bool
    relaxed: list[Hit] = field(default_factory=list)     # related records outside the result set, when it is short
    absent: list[Concept] = field(default_factory=list)  # required concepts no record of the corpus contains

    @property
    def few(self) -> bool:
        """The result set does not fill a page: the page says so and offers related records."""
        return self.total < self.limit

    def to_dict(self) -> dict:
        return {
            "interpreted": self.interpretation.to_dict(),
            "total": self.total,
            "offset": self.offset,
            "limit": self.limit,
            "sort": self.sort,
            "dense": self.dense_used,
            "facets": {name: [{"value": v, "count": c} for v, c in buckets] for name, buckets in self.facets.items()},
            "hits": [hit.to_dict() for hit in self.hits],
            "relaxed": [hit.to_dict() for hit in self.relaxed],
            "absent": [{"concept": c.source, "en": c.mesh_name or c.en, "fetch": fetch_command(c.mesh_name or c.en)} for c in self.absent],
            "fetch": fetch_command(self.interpretation.pubmed_query) if self.few and self.interpretation.pubmed_query else None,
        }


@dataclass(slots=True)
class _Candidate:
    pmid: int
    year: int | None
    score: float = 0.0
    matched_by: list[str] = field(default_factory=list)
    tier: int = 0                 # ranks before score: 0 research records, 1 comments/letters/editorials (best match)
    missing: tuple[str, ...] = ()


def fuse_scores(
    lexical: Sequence[tuple[int, float]], dense: Sequence[tuple[int, float]], dense_weight: float, dense_floor: float
) -> dict[int, float]:
    """Convex combination of normalised scores, each list best first:
    (1 − w)·BM25/best BM25 + w·(cosine − floor)/(best cosine − floor). Unlike RRF it keeps how far apart
    two hits are: a record far ahead on BM25 stays ahead of one that merely ranks well on both lists
    (Bruch et al., "An Analysis of Fusion Functions for Hybrid Retrieval", 2023: better than RRF, one weight
    to tune, and that weight needs few judged queries)."""
    fused: dict[int, float] = {}
    if lexical and lexical[0][1] > 0:
        best = lexical[0][1]
        for pmid, score in lexical:
            fused[pmid] = (1.0 - dense_weight) * score / best
    if dense:
        span = dense[0][1] - dense_floor
        for pmid, cosine in dense:
            share = (cosine - dense_floor) / span if span > 0 else 1.0
            fused[pmid] = fused.get(pmid, 0.0) + dense_weight * share
    return fused


def rrf(rankings: Sequence[Sequence[int]], k: int = RRF_K, weights: Sequence[float] | None = None) -> dict[int, float]:
    """Reciprocal rank fusion: Σ weight/(k + rank) over the rankings a pmid appears in (weights default to 1)."""
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for rank, pmid in enumerate(ranking, start=1):
            fused[pmid] = fused.get(pmid, 0.0) + weight / (k + rank)
    return fused


class SearchEngine:
    """``rewriter``: a model that also rewrites natural-language questions into concepts (``search.llm_rewrite``).
    ``on_backlog``: offered a large backlog of store changes before a search applies it; True when it took it over
    (queued an index job: the search answers from what is indexed)."""

    def __init__(self, index: SearchIndex, *, rewriter: LLM | None = None, on_backlog: Callable[[], bool] | None = None):
        self.index = index
        self.store = index.store
        self.rewriter = rewriter
        self.on_backlog = on_backlog
        # A follow-up that only changes filters or sort, or the next page, asks for the same question's vector.
        self._query_vector = lru_cache(maxsize=256)(self._embed_query)

    def _embed_query(self, text: str):
        vector = self.index.embedder.embed_query(text)
        vector.flags.writeable = False
        return vector

    def search(
        self,
        query: str,
        options: SearchOptions | None = None,
        *,
        llm: LLM | None = None,
        title_translations: TitleTranslations | None = None,
    ) -> SearchResult:
        """``title_translations`` fills bilingual titles when given; ``llm`` (default: the engine's rewriter) adds
        an LLM rewrite's concepts."""
        options = options or SearchOptions()
        options.validate()
        return self.run(interpret(query, terms=self.index.terms, llm=llm or self.rewriter), options,
                        title_translations=title_translations)

    def run(
        self, interpretation: Interpretation, options: SearchOptions, *, title_translations: TitleTranslations | None = None
    ) -> SearchResult:
        """Search what ``interpretation`` holds (a conversation builds one from its state instead of a question)."""
        options.validate()
        filters = interpretation.filters.merged(options.filters)
        interpretation.filters = filters
        natural = interpretation.mode == "natural"
        lexical = self.index.lexical
        ranking = [concept_node(c) for c in interpretation.ranking_concepts]
        matches = lexical.compile(interpretation.tree, filters, natural=natural, ranking=ranking)
        if options.retrieval == "dense" and natural:  # benchmarks: the vectors alone, no result set
            return self._dense_only(interpretation, filters, options, title_translations)
        newest_first = options.sort == "date" or interpretation.tree is None  # only filters ("近五年的综述"): newest first
        dense_used = False
        if newest_first:
            result = lexical.search(matches, limit=options.limit, offset=options.offset, newest_first=True)
            ordered = [_Candidate(h.pmid, h.year, matched_by=["lexical"]) for h in result.hits]
            page = ordered
        else:
            result = lexical.search(matches, limit=max(CANDIDATES, options.offset + options.limit))
            candidates = {h.pmid: _Candidate(h.pmid, h.year, matched_by=["lexical"]) for h in result.hits}
            lexical_scores = [(h.pmid, h.score) for h in result.hits]
            neighbours: list[tuple[int, float]] = []
            inside: dict[int, int | None] = {}
            if natural and result.total and options.retrieval == "hybrid" and self._dense_ready():
                neighbours = self._neighbours(interpretation)
                inside = lexical.within([pmid for pmid, _ in neighbours], matches)
                dense_used = True
            self._fuse(candidates, lexical_scores, neighbours, inside)
            ordered = self._best_match(list(candidates.values()), interpretation)
            if options.sort == "cited_by":  # stable: the best match breaks ties
                cited_by = self.store.cited_by_counts([c.pmid for c in ordered])
                ordered.sort(key=lambda c: -cited_by.get(c.pmid, 0))
            page = ordered[options.offset : options.offset + options.limit]
        total = result.total
        relaxed: list[_Candidate] = []
        absent: list[Concept] = []
        if options.offset + len(page) >= total and len(page) < options.limit:
            strict = {h.pmid for h in lexical.search(matches, limit=max(1, total)).hits}
            relaxed, dense_used = self._related(interpretation, filters, strict, options.limit - len(page), options.retrieval, dense_used)
            if total == 0:
                absent = [c for c in interpretation.required_concepts if not lexical.count(lexical.compile(concept_node(c), Filters(), natural=True))]
        return SearchResult(
            interpretation=interpretation,
            hits=self._hits(page, interpretation, title_translations),
            total=total,
            offset=options.offset,
            limit=options.limit,
            sort=options.sort,
            facets=lexical.facets(matches) if total else {},
            dense_used=dense_used,
            relaxed=self._hits(relaxed, interpretation, title_translations),
            absent=absent,
        )

    def _fuse(
        self, candidates: dict[int, _Candidate], lexical_scores: list[tuple[int, float]],
        neighbours: list[tuple[int, float]], allowed: dict[int, int | None],
    ) -> None:
        """The neighbours in ``allowed`` (pmid → year) join the candidates; every candidate gets its fused score."""
        dense_scores = [(pmid, cosine) for pmid, cosine in neighbours if pmid in allowed]
        for pmid, _ in dense_scores:
            candidates.setdefault(pmid, _Candidate(pmid, allowed[pmid])).matched_by.append("dense")
        fusion = self.index.settings.search
        for pmid, score in fuse_scores(lexical_scores, dense_scores, fusion.dense_weight, fusion.dense_min_similarity).items():
            candidates[pmid].score = score

    def _best_match(self, candidates: list[_Candidate], interpretation: Interpretation) -> list[_Candidate]:
        """By score, records without an abstract slightly lower; comments, letters, errata and editorials after
        the research records unless the query asks for a publication type."""
        lexical = self.index.lexical
        pmids = [c.pmid for c in candidates]
        no_abstract = set(lexical.within(pmids, lexical.compile(None, Filters(has_abstract=False), natural=False)))
        asked = bool(interpretation.filters.publication_types or interpretation.filters.question_types) or (
            interpretation.tree is not None and any(t.field == "pt" for t in iter_terms(interpretation.tree))
        )
        non_research = set() if asked else set(lexical.within(pmids, lexical.compile(None, Filters(publication_types=tuple(NON_RESEARCH_TYPES)), natural=False)))
        for candidate in candidates:
            if candidate.pmid in no_abstract:
                candidate.score *= NO_ABSTRACT_FACTOR
            candidate.tier = int(candidate.pmid in non_research)
        return sorted(candidates, key=lambda c: (c.tier, -c.score))

    def _related(
        self, interpretation: Interpretation, filters: Filters, strict: set[int], wanted: int, retrieval: Retrieval, dense_used: bool
    ) -> tuple[list[_Candidate], bool]:
        """Records outside the result set that share some of the query or its meaning, those lacking the
        fewest required concepts first; each names the concepts it lacks."""
        if interpretation.tree is None:
            return [], dense_used
        lexical = self.index.lexical
        natural = interpretation.mode == "natural"
        ranking = [concept_node(c) for c in interpretation.ranking_concepts]
        soft = lexical.compile(interpretation.tree, filters, natural=natural, ranking=ranking, relaxed=True)
        found = lexical.search(soft, limit=CANDIDATES)
        candidates = {h.pmid: _Candidate(h.pmid, h.year, matched_by=["lexical"]) for h in found.hits if h.pmid not in strict}
        lexical_scores = [(h.pmid, h.score) for h in found.hits if h.pmid not in strict]
        neighbours: list[tuple[int, float]] = []
        allowed: dict[int, int | None] = {}
        # Nearest neighbours always exist: for a question nothing of which is known (a typo, gibberish) they
        # are noise, and "nothing found" is the honest answer.
        understood = bool(candidates) or any(c.recognised for c in interpretation.concepts)
        if natural and understood and retrieval != "lexical" and self._dense_ready():
            neighbours = self._neighbours(interpretation)
            allowed = {p: y for p, y in lexical.restrict([pmid for pmid, _ in neighbours], filters).items() if p not in strict}
            dense_used = True
        self._fuse(candidates, lexical_scores, neighbours, allowed)
        required = interpretation.required_concepts
        pmids = list(candidates)
        lacking: dict[int, list[str]] = {pmid: [] for pmid in pmids}
        for concept in required:
            present = lexical.matching(concept_node(concept), pmids)
            for pmid in pmids:
                if pmid not in present:
                    lacking[pmid].append(concept.source)
        for pmid, candidate in candidates.items():
            candidate.missing = tuple(lacking[pmid])
        ordered = sorted(candidates.values(), key=lambda c: (len(c.missing), -c.score))
        return ordered[:wanted], dense_used

    def _dense_only(self, interpretation: Interpretation, filters: Filters, options: SearchOptions, title_translations: TitleTranslations | None) -> SearchResult:
        ordered: list[_Candidate] = []
        if self._dense_ready() and interpretation.tree is not None:
            neighbours = self._neighbours(interpretation)
            allowed = self.index.lexical.restrict([pmid for pmid, _ in neighbours], filters)
            ordered = [_Candidate(pmid, allowed[pmid], cosine, ["dense"]) for pmid, cosine in neighbours if pmid in allowed]
        page = ordered[options.offset : options.offset + options.limit]
        return SearchResult(interpretation, self._hits(page, interpretation, title_translations), len(ordered),
                            options.offset, options.limit, options.sort, {}, True)

    def _dense_ready(self) -> bool:
        if not self.index.dense_enabled:
            return False
        self.index.vectors.refresh()
        return len(self.index.vectors) > 0

    def _neighbours(self, interpretation: Interpretation) -> list[tuple[int, float]]:
        """(pmid, cosine) of the question's nearest neighbours above the noise floor, best first."""
        vector = self._query_vector(interpretation.dense_text)
        floor = self.index.settings.search.dense_min_similarity
        return [(h.pmid, h.score) for h in self.index.vectors.search(vector, CANDIDATES) if h.score >= floor]

    def _hits(self, page: list[_Candidate], interpretation: Interpretation, title_translations: TitleTranslations | None) -> list[Hit]:
        records = self.store.get_records([c.pmid for c in page])
        cited_by = self.store.cited_by_counts(records)
        translations = title_translations(self.store, list(records.values())) if title_translations else {}
        patterns = term_patterns(interpretation.highlight_terms, self.index.lexical.analyzer)
        hits = []
        for candidate in page:
            record = records.get(candidate.pmid)
            if record is None:  # deleted since the index was last updated
                continue
            hits.append(
                Hit(
                    pmid=record.pmid,
                    title=record.title,
                    year=record.year,
                    journal=record.journal.short_name,
                    score=candidate.score,
                    snippet=make_snippet(" ".join(s.text for s in record.abstract), patterns),
                    title_highlighted=highlight(record.title, patterns),
                    matched_by=tuple(candidate.matched_by),
                    title_translation=translations.get(record.pmid),
                    missing=candidate.missing,
                    publication_types=tuple(record.article_types),
                    cited_by=cited_by.get(record.pmid, 0),
                )
            )
        return hits
