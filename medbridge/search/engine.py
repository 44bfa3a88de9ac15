"""Hybrid search: BM25 (tantivy) and e5 vectors fused by a weighted mix of normalised scores, filtered,
faceted, paged.

PubMed-syntax queries are boolean, so they are answered by the lexical index alone (every hit satisfies
the expression); natural-language questions use both retrievers, and records naming a recognised concept
of the question rank above the rest, so a vector neighbour never pushes them down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Literal, Sequence

from medbridge.corpus.models import Record
from medbridge.errors import MedbridgeError
from medbridge.llm.base import LLM
from medbridge.search.indexer import SearchIndex
from medbridge.search.query import Not, Or
from medbridge.search.snippets import Snippet, highlight, make_snippet, term_patterns
from medbridge.search.understand import Filters, Interpretation, concept_node, interpret
from medbridge.store.base import Store

Sort = Literal["relevance", "date", "cited_by"]
TitleTranslations = Callable[[Store, Sequence[Record]], dict[int, str]]  # pmid → cached Chinese title
Retrieval = Literal["hybrid", "lexical", "dense"]
RRF_K = 60          # the constant from Cormack et al. (2009); rank 1 scores 1/61
CANDIDATES = 1_000  # per retriever; facets of a natural-language search count these fused candidates


class InvalidSearchOptions(MedbridgeError):
    """Search options that cannot be satisfied (bad sort, negative offset, inverted year range)."""


@dataclass(slots=True)
class SearchOptions:
    limit: int = 20
    offset: int = 0
    sort: Sort = "relevance"
    filters: Filters = field(default_factory=Filters)
    retrieval: Retrieval = "hybrid"
    # Keep only records naming every recognised concept (when some do): a conversation's chips are its query.
    require_concepts: bool = False

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
            "publication_types": list(self.publication_types),
            "cited_by": self.cited_by,
        }


@dataclass(slots=True)
class SearchResult:
    interpretation: Interpretation
    hits: list[Hit]
    total: int                                   # records ranked (boolean matches, or fused candidates)
    offset: int
    limit: int
    sort: Sort
    facets: dict[str, list[tuple[str, int]]]
    dense_used: bool

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
        }


@dataclass(slots=True)
class _Candidate:
    pmid: int
    year: int | None
    score: float = 0.0
    matched_by: list[str] = field(default_factory=list)
    names_concept: bool = False  # matches a recognised concept of the question (see _mark_concept_matches)


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
    """``rewriter``: a model that also rewrites natural-language questions into concepts (``search.llm_rewrite``)."""

    def __init__(self, index: SearchIndex, *, rewriter: LLM | None = None):
        self.index = index
        self.store = index.store
        self.rewriter = rewriter
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
        lexical_query = self.index.lexical.compile(interpretation.tree, filters, natural=natural)
        candidates: dict[int, _Candidate] = {}
        lexical_scores: list[tuple[int, float]] = []
        dense_scores: list[tuple[int, float]] = []
        total = 0
        if options.retrieval != "dense" or not natural:
            result = self.index.lexical.search(lexical_query, limit=CANDIDATES if natural else max(CANDIDATES, options.offset + options.limit))
            for hit in result.hits:
                candidates[hit.pmid] = _Candidate(hit.pmid, hit.year, matched_by=["lexical"])
            lexical_scores = [(hit.pmid, hit.score) for hit in result.hits]
            total = result.total
        dense_used = False
        # Nearest neighbours always exist: when no word matched and no concept was recognised (a typo,
        # gibberish), they are noise, and "nothing found" is the honest answer.
        understood = total > 0 or any(c.recognised for c in interpretation.concepts)
        if natural and understood and options.retrieval != "lexical" and self._dense_ready() and interpretation.tree is not None:
            for pmid, cosine, year in self._dense(interpretation, filters):
                candidates.setdefault(pmid, _Candidate(pmid, year)).matched_by.append("dense")
                dense_scores.append((pmid, cosine))
            dense_used = True
        fusion = self.index.settings.search
        for pmid, score in fuse_scores(lexical_scores, dense_scores, fusion.dense_weight, fusion.dense_min_similarity).items():
            candidates[pmid].score = score
        if natural:  # ranked candidates, not every record sharing one word with the question
            total = len(candidates)
        if dense_scores and isinstance(interpretation.tree, Not):  # a vector neighbour may name what was excluded
            for pmid in self.index.lexical.matching(interpretation.tree.exclude, list(candidates)):
                del candidates[pmid]
            total = len(candidates)
        if options.require_concepts and natural:
            complete = self._naming_all_concepts(interpretation, candidates)
            if complete:
                candidates = {pmid: candidates[pmid] for pmid in complete}
                total = len(candidates)
        if lexical_scores and dense_scores:  # fused: the pure retrievers stay pure ("lexical"/"dense" options, benchmarks)
            self._mark_concept_matches(interpretation, candidates)
        ordered = sorted(candidates.values(), key=lambda c: (not c.names_concept, -c.score))
        if options.sort == "date" or interpretation.tree is None:  # only filters ("近五年的综述"): newest first
            ordered.sort(key=lambda c: -(c.year or 0))  # stable: relevance breaks ties within a year
        cited_by = self.store.cited_by_counts([c.pmid for c in ordered]) if options.sort == "cited_by" else {}
        if options.sort == "cited_by":
            ordered.sort(key=lambda c: -cited_by.get(c.pmid, 0))
        page = ordered[options.offset : options.offset + options.limit]
        facets = self._facets_of(ordered) if natural else self.index.lexical.facets(lexical_query)
        return SearchResult(
            interpretation=interpretation,
            hits=self._hits(page, interpretation, title_translations),
            total=total,
            offset=options.offset,
            limit=options.limit,
            sort=options.sort,
            facets=facets,
            dense_used=dense_used,
        )

    def _dense_ready(self) -> bool:
        if not self.index.dense_enabled:
            return False
        self.index.vectors.refresh()
        return len(self.index.vectors) > 0

    def _dense(self, interpretation: Interpretation, filters: Filters) -> list[tuple[int, float, int | None]]:
        """(pmid, cosine, year) of the question's nearest neighbours above the noise floor that pass ``filters``."""
        vector = self._query_vector(interpretation.dense_text)
        floor = self.index.settings.search.dense_min_similarity
        hits = [h for h in self.index.vectors.search(vector, CANDIDATES) if h.score >= floor]
        allowed = self.index.lexical.restrict([h.pmid for h in hits], filters)
        return [(h.pmid, h.score, allowed[h.pmid]) for h in hits if h.pmid in allowed]

    def _mark_concept_matches(self, interpretation: Interpretation, candidates: dict[int, _Candidate]) -> None:
        """Flag candidates that name a recognised concept of the question (MeSH, glossary, dictionary).
        Nearest neighbours of "why does ketamine act fast" include records about other drugs, and RRF put
        them above records about ketamine that only BM25 found; a record naming what was asked about goes
        first. Plain words ("act", "fast") do not count: they match too much to anchor the ranking."""
        recognised = [concept_node(c) for c in interpretation.concepts if c.recognised]
        if not recognised:
            return
        node = recognised[0] if len(recognised) == 1 else Or(tuple(recognised))
        for pmid in self.index.lexical.matching(node, list(candidates)):
            candidates[pmid].names_concept = True

    def _naming_all_concepts(self, interpretation: Interpretation, candidates: dict[int, _Candidate]) -> set[int]:
        """Candidates matching each recognised concept of the question (empty when there is none)."""
        remaining = set(candidates)
        recognised = [concept_node(c) for c in interpretation.concepts if c.recognised]
        for node in recognised:
            remaining = self.index.lexical.matching(node, list(remaining))
        return remaining if recognised else set()

    def _facets_of(self, ordered: list[_Candidate]) -> dict[str, list[tuple[str, int]]]:
        """Facets over the ranked candidates of a natural-language search (they add up to ``total``)."""
        if not ordered:
            return {}
        return self.index.lexical.facets_of([c.pmid for c in ordered])

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
                    journal=record.journal.iso_abbreviation or record.journal.title or "",
                    score=candidate.score,
                    snippet=make_snippet(" ".join(s.text for s in record.abstract), patterns),
                    title_highlighted=highlight(record.title, patterns),
                    matched_by=tuple(candidate.matched_by),
                    title_translation=translations.get(record.pmid),
                    publication_types=tuple(record.article_types),
                    cited_by=cited_by.get(record.pmid, 0),
                )
            )
        return hits
