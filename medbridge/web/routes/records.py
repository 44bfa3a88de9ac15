from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from medbridge.corpus.export import CitationFormat, export_records
from medbridge.corpus.models import Record
from medbridge.errors import NotFoundError
from medbridge.store import Store
from medbridge.search import similar_articles
from medbridge.translate import LANGUAGES, get_language
from medbridge.translate.labels import label_zh
from medbridge.web.deps import ServicesDep, StoreDep
from medbridge.web.routes.search import page_strings
from medbridge.web.routes.translations import translation_view
from medbridge.web.templating import render

router = APIRouter()

SIMILAR_ON_PAGE = 8
CITING_LOOKED_UP = 500  # citing records checked against the corpus for the page's links (counts cover all)


def _record_or_404(store: Store, pmid: int) -> Record:
    record = store.get_record(pmid)
    if record is None:
        raise NotFoundError(f"PMID {pmid} is not in the corpus", key="record_not_found", pmid=pmid)
    return record


@router.get("/records/{pmid}")
def record_page(request: Request, pmid: int, services: ServicesDep, to: str | None = None):
    store = services.store
    record = _record_or_404(store, pmid)
    target = get_language(to or services.settings.translation.default_target).code
    affiliations = record.affiliations
    author_marks = [[affiliations.index(a) + 1 for a in author.affiliations] for author in record.authors]
    references = store.cited(pmid)
    citing = store.citing(pmid)
    in_corpus = store.get_records([*references, *citing[:CITING_LOOKED_UP]])
    return render(request, "records/record.html", {
        "record": record,
        "affiliations": affiliations,
        "authors": list(zip(record.authors, author_marks)),
        "references": references,
        "references_in_corpus": [in_corpus[p] for p in references if p in in_corpus],
        "cited_by": len(citing),
        "cited_by_in_corpus": [in_corpus[p] for p in citing[:CITING_LOOKED_UP] if p in in_corpus],
        "formats": list(CitationFormat),
        "target": target,
        "target_languages": LANGUAGES,
        "translation": translation_view(request, record, target),
        "similar": similar_articles(services.search_engine, pmid, limit=SIMILAR_ON_PAGE),
        "s": page_strings(request),
        "section_label": lambda label: (label_zh(label) or label) if target.startswith("zh") else label,
    })


@router.get("/records/{pmid}/export")
def export_record(pmid: int, store: StoreDep, format: CitationFormat = CitationFormat.ris):
    record = _record_or_404(store, pmid)
    return Response(
        export_records([record], format),
        media_type=f"{format.media_type}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="pmid{pmid}.{format.extension}"'},
    )


@router.get("/api/records/{pmid}")
def record_json(pmid: int, store: StoreDep) -> dict:
    return _record_or_404(store, pmid).to_dict()
