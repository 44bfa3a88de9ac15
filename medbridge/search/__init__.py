"""Search: ask in Chinese or English (or PubMed syntax), hybrid BM25 + e5 ranking, similar articles.

    from medbridge.search import search, similar_articles
    result = search(store, settings, "阿尔茨海默病的脑脊液生物标志物")
    result.interpretation.pubmed_query      # "searched for: …"
    [h.pmid for h in result.hits]

The index follows the store's change feed: each call first applies changes not yet indexed (fast;
vectors for the bundled sample ship precomputed). Records without a vector are embedded by
``medbridge index`` or by ``start_background_embedding``.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from medbridge.llm.base import LLM
from medbridge.search.engine import SearchEngine, SearchOptions, SearchResult, TitleTranslations
from medbridge.search.indexer import BackgroundEmbedder, SearchIndex
from medbridge.search.lexical import IndexBusyError
from medbridge.search.query import QuerySyntaxError
from medbridge.search.similar import SimilarArticle, find_similar
from medbridge.search.understand import Filters, Interpretation, interpret
from medbridge.settings import MedbridgeSettings
from medbridge.store.base import Store

if TYPE_CHECKING:  # conversations read records through research's sentence splitter, which searches: import late
    from medbridge.search.conversation import Conversations
    from medbridge.search.recommend import AbstractTranslations

_ENGINES: dict[str, SearchEngine] = {}
_ENGINES_LOCK = threading.Lock()


def open_search(store: Store, settings: MedbridgeSettings) -> SearchEngine:
    """One engine per index folder per process (the tantivy index and vector file stay open)."""
    key = str(settings.index_dir)
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is None or engine.store is not store:
            engine = SearchEngine(SearchIndex(settings, store))
            _ENGINES[key] = engine
        return engine


def refresh_index(engine: SearchEngine) -> None:
    """Apply pending store changes; if another process is writing the index, search what is there."""
    if engine.index.behind():
        try:
            engine.index.update()
        except IndexBusyError:
            pass


def search(
    store: Store,
    settings: MedbridgeSettings,
    query: str,
    options: SearchOptions | None = None,
    *,
    llm: LLM | None = None,
    title_translations: TitleTranslations | None = None,
) -> SearchResult:
    """``title_translations(store, records) -> {pmid: Chinese title}`` is the translation cache's hook for
    bilingual result titles (owned by medbridge.translate; looks up, never calls a model)."""
    engine = open_search(store, settings)
    refresh_index(engine)
    if llm is None and settings.search.llm_rewrite:
        from medbridge.llm import get_llm

        llm = get_llm(settings)
    return engine.search(query, options, llm=llm, title_translations=title_translations)


def similar_articles(store: Store, settings: MedbridgeSettings, pmid: int, limit: int = 10) -> list[SimilarArticle]:
    """For the record page and ``medbridge similar``; raises NotFoundError for an unknown pmid."""
    engine = open_search(store, settings)
    refresh_index(engine)
    return find_similar(engine.index, pmid, limit)


def open_conversations(
    store: Store,
    settings: MedbridgeSettings,
    *,
    title_translations: TitleTranslations | None = None,
    abstract_translations: "AbstractTranslations | None" = None,
) -> "Conversations":
    """Search conversations over the store's index; the hooks read cached translations (never a model)."""
    from medbridge.search.conversation import Conversations

    engine = open_search(store, settings)
    refresh_index(engine)
    return Conversations(store, engine, page_size=settings.search.page_size, title_translations=title_translations,
                         abstract_translations=abstract_translations)


def start_background_embedding(store: Store, settings: MedbridgeSettings) -> BackgroundEmbedder | None:
    """Embed records that have no vector yet in a daemon thread (web app start-up); None if nothing to do."""
    engine = open_search(store, settings)
    refresh_index(engine)
    if not settings.search.dense or not engine.index.pending():
        return None
    worker = BackgroundEmbedder(engine.index)
    worker.start()
    return worker


__all__ = [
    "Filters",
    "Interpretation",
    "QuerySyntaxError",
    "SearchEngine",
    "SearchOptions",
    "SearchResult",
    "TitleTranslations",
    "SimilarArticle",
    "interpret",
    "open_conversations",
    "open_search",
    "search",
    "similar_articles",
    "start_background_embedding",
]
