"""Sharded lexical search (``search.shards = N``): records partitioned by pmid over N tantivy indexes,
searched as one index.

A query is compiled twice: once to list the terms it scores, whose document frequencies are then summed
over the shards, and once per shard with those corpus-wide frequencies (``TermStatistics``), so a
record's BM25 IDFs do not depend on the shard that holds it. tantivy-py takes no outside statistics, so
each term query is boosted by corpus IDF / shard IDF; what stays per shard is BM25's average field length
(the shards are a hash partition of the same corpus, so their averages differ by well under 1 %).
Shards are searched in parallel threads (tantivy releases the GIL while searching); hits merge by score,
totals and facet counts add up (each shard counts every bucket, so merged counts are exact).
"""

from __future__ import annotations

import heapq
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import tantivy

from medbridge.corpus.models import Record
from medbridge.search.lexical import PUBLICATION_TYPE_BUCKETS, LexicalIndex, LexicalResult, TermStatistics, write_changes
from medbridge.settings import MedbridgeSettings
from medbridge.search.query import Node
from medbridge.search.understand import Filters
from medbridge.terms import Terminology

CHANGE_BATCH = 2_000  # changes read per step; a shard commits after each
ALL_BUCKETS = 1_000_000  # facet buckets asked of each shard: all of them, so that summed counts are exact


def shard_of(pmid: int, shards: int) -> int:
    return pmid % shards


def open_lexical(index_dir: Path, terms: Terminology, shards: int, ray_address: str | None = None) -> "LexicalIndex | ShardedLexical":
    """The lexical index of ``search.shards``: one tantivy index, or N of them in their own folder (a new
    shard count starts a new index, filled from the change feed), as threads here or as Ray actors."""
    if shards == 1 and ray_address is None:
        return LexicalIndex(index_dir / "lexical", terms)
    folder = index_dir / f"lexical-{shards}-shards"
    if ray_address is not None:
        from medbridge.cluster import RayShards, connect

        connect(ray_address)
        return ShardedLexical(RayShards(folder, shards), terms)
    return ShardedLexical(LocalShards(folder, terms, shards), terms)


@dataclass(frozen=True, slots=True)
class ShardedQuery:
    """A query as plain data (it travels to Ray actors): each shard compiles it with the corpus-wide
    ``statistics``."""

    node: Node | None
    filters: Filters
    natural: bool
    statistics: TermStatistics
    ranking: tuple[Node, ...] = ()   # aspect words: they add to the score, they do not restrict the set
    relaxed: bool = False            # AND between concepts soft (related records)


class Shard:
    """One shard's operations on plain data; run in a thread of this process, or as a Ray actor
    (``medbridge.cluster``) on the node that holds the shard's folder."""

    def __init__(self, folder: Path, terms: Terminology):
        self.index = LexicalIndex(folder, terms)

    def created_empty(self) -> bool:
        return self.index.created_empty

    def lost(self) -> bool:
        """Whether the records written to this shard are gone (never here: the folder is this machine's)."""
        return False

    def num_docs(self) -> int:
        return self.index.num_docs()

    def doc_freqs(self, terms: list[tuple[str, str]]) -> tuple[int, dict[tuple[str, str], int]]:
        return self.index.doc_freqs(terms)

    def _compiled(self, query: ShardedQuery) -> tantivy.Query:
        return self.index.compile(query.node, query.filters, natural=query.natural, ranking=query.ranking,
                                  relaxed=query.relaxed, statistics=query.statistics)

    def search(self, query: ShardedQuery, limit: int, newest_first: bool = False) -> LexicalResult:
        return self.index.search(self._compiled(query), limit, newest_first=newest_first)

    def count(self, query: ShardedQuery) -> int:
        return self.index.count(self._compiled(query))

    def within(self, pmids: list[int], query: ShardedQuery) -> dict[int, int | None]:
        return self.index.within(pmids, self._compiled(query))

    def facets(self, query: ShardedQuery | None, pmids: list[int] | None = None) -> dict[str, list[tuple[str, int]]]:
        """Every bucket, over the records ``query`` matches or over ``pmids``."""
        if pmids is not None:
            if not pmids:
                return {}
            return self.index.facets(tantivy.Query.term_set_query(self.index.schema, "pmid", pmids), ALL_BUCKETS)
        return self.index.facets(self._compiled(query), ALL_BUCKETS)

    def restrict(self, pmids: list[int], filters: Filters) -> dict[int, int | None]:
        return self.index.restrict(pmids, filters)

    def matching(self, node: Node, pmids: list[int]) -> set[int]:
        return self.index.matching(node, pmids)

    def apply(self, puts: list[Record], deletes: list[int]) -> None:
        """Write a batch of changes (the shard's own writer: on a Ray node, the process that holds it)."""
        writer = self.index.writer()
        try:
            for pmid in deletes:
                writer.delete(pmid)
            for record in puts:
                writer.put(record)
            writer.commit()
        finally:
            writer.close()

    def delete_all(self) -> None:
        writer = self.index.writer()
        try:
            writer.delete_all()
            writer.commit()
        finally:
            writer.close()


class LocalShards:
    """Shards of this machine, called in parallel threads (tantivy releases the GIL while searching)."""

    def __init__(self, folder: Path, terms: Terminology, count: int):
        self.shards = [Shard(folder / f"shard-{i}", terms) for i in range(count)]
        self._pool = ThreadPoolExecutor(max_workers=count, thread_name_prefix="medbridge-shard")

    def __len__(self) -> int:
        return len(self.shards)

    def call(self, method: str, args_per_shard: Sequence[tuple]) -> list:
        return list(self._pool.map(lambda pair: getattr(pair[0], method)(*pair[1]), zip(self.shards, args_per_shard)))


class ShardedLexical:
    """N shards with the interface of one ``LexicalIndex``: fan out, merge with corpus-wide statistics.
    ``shards`` is any fan-out with ``call(method, args per shard)``: threads here, Ray actors on a cluster."""

    def __init__(self, shards, terms: Terminology):
        self.shards = shards
        self.terms = terms
        self._compiler = LexicalIndex(None, terms)  # lists a query's terms; holds no records
        self.schema = self._compiler.schema
        self.analyzer = self._compiler.analyzer

    @property
    def created_empty(self) -> bool:
        """A shard started empty: the indexer fills the shards from the change feed."""
        return any(self._each("created_empty"))

    def lost(self) -> bool:
        """A shard lost its records since the shards were filled (a Ray actor restarted after its node died)."""
        return any(self._each("lost"))

    def _each(self, method: str, *args) -> list:
        return self.shards.call(method, [args] * len(self.shards))

    def _split(self, pmids: Sequence[int]) -> list[list[int]]:
        parts: list[list[int]] = [[] for _ in range(len(self.shards))]
        for pmid in pmids:
            parts[shard_of(pmid, len(self.shards))].append(pmid)
        return parts

    def writer(self) -> "ShardedWriter":
        return ShardedWriter(self.shards)

    def num_docs(self) -> int:
        return sum(self._each("num_docs"))

    def compile(self, node: Node | None, filters: Filters, *, natural: bool, ranking: Sequence[Node] = (),
                relaxed: bool = False) -> ShardedQuery:
        """List the terms the query scores (compiling it against an empty index), sum their document
        frequencies over the shards, and hand back the query with those statistics."""
        recorder = TermStatistics(recording=True)
        self._compiler.compile(node, filters, natural=natural, ranking=ranking, relaxed=relaxed, statistics=recorder)
        terms = list(recorder.doc_freqs)
        counts = self._each("doc_freqs", terms)
        totals = {term: sum(found[term] for _, found in counts) for term in terms}
        statistics = TermStatistics(sum(docs for docs, _ in counts), totals)
        return ShardedQuery(node, filters, natural, statistics, tuple(ranking), relaxed)

    def search(self, query: ShardedQuery, limit: int, *, offset: int = 0, newest_first: bool = False) -> LexicalResult:
        """Each shard's best ``offset + limit``, merged by score (or year, newest first), then the page."""
        results = self._each("search", query, offset + limit, newest_first)
        order = (lambda hit: hit.year or 0) if newest_first else (lambda hit: hit.score)
        hits = heapq.nlargest(offset + limit, (hit for result in results for hit in result.hits), key=order)
        return LexicalResult(hits[offset:], sum(result.total for result in results))

    def count(self, query: ShardedQuery) -> int:
        return sum(self._each("count", query))

    def within(self, pmids: Sequence[int], query: ShardedQuery) -> dict[int, int | None]:
        merged: dict[int, int | None] = {}
        for found in self.shards.call("within", [(part, query) for part in self._split(pmids)]):
            merged.update(found)
        return merged

    def restrict(self, pmids: list[int], filters: Filters) -> dict[int, int | None]:
        merged: dict[int, int | None] = {}
        for found in self.shards.call("restrict", [(part, filters) for part in self._split(pmids)]):
            merged.update(found)
        return merged

    def matching(self, node: Node, pmids: list[int]) -> set[int]:
        return set().union(*self.shards.call("matching", [(node, part) for part in self._split(pmids)]))

    def facets(self, query: ShardedQuery, size: int = 15) -> dict[str, list[tuple[str, int]]]:
        return _merged_facets(self._each("facets", query, None), size)

    def facets_of(self, pmids: list[int], size: int = 15) -> dict[str, list[tuple[str, int]]]:
        return _merged_facets(self.shards.call("facets", [(None, part) for part in self._split(pmids)]), size)


# As LexicalIndex.facets counts them: every publication type (there are few), journals and languages the most common.
FACET_SIZES = {"pt": PUBLICATION_TYPE_BUCKETS, "has_abstract": 2}


def _merged_facets(per_shard: list[dict[str, list[tuple[str, int]]]], size: int) -> dict[str, list[tuple[str, int]]]:
    """Bucket counts summed over shards (each counted all of its buckets, so the sums are exact)."""
    summed: dict[str, dict] = {}
    for facets in per_shard:
        for name, buckets in facets.items():
            counts = summed.setdefault(name, {})
            for value, count in buckets:
                counts[value] = counts.get(value, 0) + count
    out = {}
    for name, counts in summed.items():
        if name == "year":
            out[name] = sorted(counts.items(), key=lambda item: int(item[0]), reverse=True)
        else:
            out[name] = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[: FACET_SIZES.get(name, size)]
    return out


class ShardedWriter:
    """Puts and deletes gathered per shard and written by each shard on ``commit``."""

    def __init__(self, shards):
        self._shards = shards
        self._clear()

    def _clear(self) -> None:
        self._puts: list[list[Record]] = [[] for _ in range(len(self._shards))]
        self._deletes: list[list[int]] = [[] for _ in range(len(self._shards))]

    def put(self, record: Record) -> None:
        self._puts[shard_of(record.pmid, len(self._shards))].append(record)

    def delete(self, pmid: int) -> None:
        self._deletes[shard_of(pmid, len(self._shards))].append(pmid)

    def delete_all(self) -> None:
        self._shards.call("delete_all", [()] * len(self._shards))
        self._clear()

    def commit(self) -> None:
        self._shards.call("apply", list(zip(self._puts, self._deletes)))
        self._clear()

    def close(self) -> None:
        self._clear()


def build_shard(settings: MedbridgeSettings, folder: Path, shard: int, shards: int, start: int, target: int) -> tuple[int, int, int]:
    """One process's part of a parallel build: apply the changes in (``start``, ``target``] that belong to
    ``shard``, committing after every batch and saving its cursor, so an interrupted build resumes here.
    Returns (changes applied, records indexed, records deleted)."""
    from medbridge.store import open_store

    store = open_store(settings)
    # A build process has no Services; the terminology's derived data comes from the cache, so building it is cheap.
    index = LexicalIndex(folder, Terminology.from_files())
    cursor_path = folder / "build-cursor.json"
    cursor = json.loads(cursor_path.read_text()) if cursor_path.exists() else {}
    resuming = cursor.get("start") == start  # a cursor of an earlier build from another start is void
    seq = max(start, int(cursor.get("seq", start))) if resuming else start
    writer = index.writer()
    applied = indexed = deleted = 0
    try:
        if start == 0 and not resuming:
            writer.delete_all()
        while seq < target and (changes := store.changes_since(seq, limit=CHANGE_BATCH)):
            changes = [change for change in changes if change.seq <= target]
            if not changes:
                break
            mine = {change.pmid: change.op for change in changes if shard_of(change.pmid, shards) == shard}
            records = store.get_records([pmid for pmid, op in mine.items() if op == "put"])
            written = write_changes(writer, mine, records)
            indexed, deleted = indexed + written[0], deleted + written[1]
            writer.commit()
            applied += sum(1 for change in changes if shard_of(change.pmid, shards) == shard)
            seq = changes[-1].seq
            tmp = cursor_path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"start": start, "seq": seq}))
            os.replace(tmp, cursor_path)
    finally:
        writer.close()
        store.close()
    return applied, indexed, deleted
