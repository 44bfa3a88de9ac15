"""Gather: hybrid search per facet, plus the citation graph among the records found, fused by reciprocal rank,
de-duplicated, the top N with abstracts kept."""

from __future__ import annotations

import re

from medbridge.progress import ProgressEvent, ProgressSink
from medbridge.research.models import Plan, Source
from medbridge.search import SearchEngine, SearchOptions, search
from medbridge.search.engine import rrf
from medbridge.search.understand import Filters

PER_FACET = 60
MAIN_FACET_WEIGHT = 2.0  # the whole question outranks any single facet of it
# A record that several of the found records cite is one the field leans on for this question; the graph only
# reorders what search found (it never brings in a record no facet matched), so it cannot pull a review off topic.
CITATION_WEIGHT = 1.0


class Gatherer:
    def __init__(self, engine: SearchEngine, citation_weight: float = CITATION_WEIGHT):
        self.engine = engine
        self.store = engine.store
        self.citation_weight = citation_weight

    def process(self, plan: Plan, max_sources: int, progress: ProgressSink | None = None) -> list[Source]:
        rankings: list[list[int]] = []
        weights: list[float] = []
        found_by: dict[int, list[int]] = {}
        options = SearchOptions(limit=PER_FACET, filters=Filters(has_abstract=True))
        for index, facet in enumerate(plan.facets):
            query = plan.question if facet.origin == "question" else facet.query_en
            result = search(self.engine, query, options)
            hits = [*result.hits, *result.relaxed]  # a short result set is topped up with related records, after it
            rankings.append([hit.pmid for hit in hits])
            weights.append(MAIN_FACET_WEIGHT if facet.origin == "question" else 1.0)
            for hit in hits:
                found_by.setdefault(hit.pmid, []).append(index)
            if progress:
                progress(ProgressEvent("searching", index + 1, len(plan.facets)))
        scores = rrf(rankings, weights=weights)
        if self.citation_weight > 0:
            pool = sorted(scores, key=lambda pmid: -scores[pmid])[: max_sources * 3]
            cited_within = self.cited_within(pool)
            if cited_within:
                rankings.append(cited_within)
                weights.append(self.citation_weight)
                scores = rrf(rankings, weights=weights)
        ranked = sorted(scores, key=lambda pmid: -scores[pmid])
        records = self.store.get_records(ranked[: max_sources * 3])
        kept: list[Source] = []
        seen_titles: set[str] = set()
        for pmid in ranked:
            record = records.get(pmid)
            if record is None or not record.has_abstract:
                continue
            title_key = re.sub(r"\W+", " ", record.title.lower()).strip()
            if title_key in seen_titles:  # the same paper indexed twice (erratum, duplicate publication)
                continue
            seen_titles.add(title_key)
            kept.append(Source(pmid, round(scores[pmid], 6), found_by[pmid]))
            if len(kept) == max_sources:
                break
        return kept

    def cited_within(self, pool: list[int]) -> list[int]:
        """The records of ``pool`` cited by other records of it, most cited first (ties in pool order)."""
        members = set(pool)
        counts = {pmid: len(members.intersection(self.store.citing(pmid))) for pmid in pool}
        return sorted((pmid for pmid in pool if counts[pmid]), key=lambda pmid: -counts[pmid])
