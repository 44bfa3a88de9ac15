"""Builds the FastAPI app: one router per feature, shared state on app.state, errors as pages or JSON."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from medbridge.corpus.sample import ensure_sample
from medbridge.search import open_search, refresh_index, start_background_embedding
from medbridge.terms import get_terminology
from medbridge.errors import MedbridgeError, NotFoundError
from medbridge.settings import MedbridgeSettings, get_settings
from medbridge.store import open_store
from medbridge.web.routes import chat, documents, fetch, home, records, research, search, translations
from medbridge.web.templating import render

log = logging.getLogger(__name__)


def create_app(settings: MedbridgeSettings | None = None, *, prepare: bool = False) -> FastAPI:
    """``prepare`` ingests the bundled sample into an empty store (the main command does this)."""
    settings = settings or get_settings()
    store = open_store(settings)
    if prepare:
        if settings.ingest.sample_on_first_run:
            report = ensure_sample(store)
            if report:
                log.info("sample corpus ingested: %d records", report.records)
        # Index before serving, so the first search sees the whole corpus; the rest warms up meanwhile.
        refresh_index(open_search(store, settings))
        threading.Thread(target=_warm_up, args=(store, settings), name="warm-up", daemon=True).start()

    app = FastAPI(title="medbridge", version="0.1.0")
    app.state.settings = settings
    app.state.store = store
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    for module in (home, records, translations, search, documents, research, fetch, chat):
        app.include_router(module.router)

    @app.exception_handler(MedbridgeError)
    async def user_error(request: Request, exc: MedbridgeError):
        status = 404 if isinstance(exc, NotFoundError) else 400
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": str(exc)}, status_code=status)
        return render(request, "error.html", {"message": str(exc), "status": status}, status_code=status)

    return app


def _warm_up(store, settings: MedbridgeSettings) -> None:
    """Load what the first requests would otherwise wait for: dictionaries, and vectors still missing."""
    terms = get_terminology()
    terms.segment("阿尔茨海默病")
    terms.mesh_by_term("Alzheimer Disease")
    terms.cedict("医学")
    start_background_embedding(store, settings)
