"""Search: ask in Chinese or English (or PubMed syntax), hybrid BM25 + e5 ranking, similar articles.

    from medbridge.services import Services
    from medbridge.search import search, similar_articles
    engine = Services.from_settings().search_engine      # built once, from the settings
    result = search(engine, "阿尔茨海默病的脑脊液生物标志物")
    result.interpretation.pubmed_query      # "searched for: …"
    [h.pmid for h in result.hits]

The index follows the store's change feed: each call first applies changes not yet indexed (fast;
vectors for the bundled sample ship precomputed). Records without a vector are embedded by
``medbridge index`` or by an index job (``Services.queue_index_update``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from medbridge.search.engine import SearchEngine, SearchOptions, SearchResult, TitleTranslations
from medbridge.search.indexer import CHANGE_BATCH, SearchIndex
from medbridge.search.lexical import IndexBusyError
from medbridge.search.query import QuerySyntaxError
from medbridge.search.similar import SimilarArticle, find_similar
from medbridge.search.understand import Filters, Interpretation, interpret

# Changes a search applies itself (about a second of indexing); more are left to an index job when one can run.
INLINE_CHANGES = CHANGE_BATCH

if TYPE_CHECKING:  # conversations read records through research's sentence splitter, which searches: import late
    from medbridge.search.conversation import Conversations
    from medbridge.search.recommend import AbstractTranslations


def refresh_index(engine: SearchEngine) -> None:
    """Apply pending store changes; if another process is writing the index, search what is there. A backlog
    larger than a search should wait for goes to the engine's ``on_backlog`` (an index job) when it has one and
    the index already holds records."""
    behind = engine.index.behind()
    if not behind:
        return
    # An index that holds nothing yet is built here: answering from it would find nothing at all.
    if behind > INLINE_CHANGES and engine.index.applied_seq and engine.on_backlog and engine.on_backlog():
        return
    try:
        engine.index.update()
    except IndexBusyError:
        pass


def search(
    engine: SearchEngine,
    query: str,
    options: SearchOptions | None = None,
    *,
    title_translations: TitleTranslations | None = None,
) -> SearchResult:
    """``title_translations(store, records) -> {pmid: Chinese title}`` is the translation cache's hook for
    bilingual result titles (owned by medbridge.translate; looks up, never calls a model)."""
    refresh_index(engine)
    return engine.search(query, options, title_translations=title_translations)


def similar_articles(engine: SearchEngine, pmid: int, limit: int = 10) -> list[SimilarArticle]:
    """For the record page and ``medbridge similar``; raises NotFoundError for an unknown pmid."""
    refresh_index(engine)
    return find_similar(engine.index, pmid, limit)


def open_conversations(
    engine: SearchEngine,
    *,
    title_translations: TitleTranslations | None = None,
    abstract_translations: "AbstractTranslations | None" = None,
) -> "Conversations":
    """Search conversations over the engine's index; the hooks read cached translations (never a model)."""
    from medbridge.search.conversation import Conversations

    refresh_index(engine)
    return Conversations(engine.store, engine, page_size=engine.index.settings.search.page_size,
                         title_translations=title_translations, abstract_translations=abstract_translations)


__all__ = [
    "Filters",
    "Interpretation",
    "QuerySyntaxError",
    "SearchEngine",
    "SearchIndex",
    "SearchOptions",
    "SearchResult",
    "TitleTranslations",
    "SimilarArticle",
    "interpret",
    "open_conversations",
    "refresh_index",
    "search",
    "similar_articles",
]
