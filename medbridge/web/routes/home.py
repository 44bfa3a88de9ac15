from __future__ import annotations

from fastapi import APIRouter, Request

from medbridge.web.deps import StoreDep
from medbridge.web.routes.translations import title_translations_for
from medbridge.web.templating import render

router = APIRouter()

SAMPLE_LIST_SIZE = 10


@router.get("/")
def home_page(request: Request, store: StoreDep):
    stats = store.stats()
    # The newest records make a better first impression than the lowest PMIDs.
    pmids = sorted(store.all_pmids(), reverse=True)[:SAMPLE_LIST_SIZE]
    records = list(store.get_records(pmids).values())
    titles = title_translations_for(request)(store, records)
    return render(request, "home.html", {"stats": stats, "records": records, "titles_zh": titles})


@router.get("/healthz")
def health(store: StoreDep) -> dict:
    return {"status": "ok", "records": store.stats().records}
