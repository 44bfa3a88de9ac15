"""Builds the FastAPI app: one router per feature, one ``Services`` on app.state, errors as pages or JSON."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from medbridge.corpus.sample import ensure_sample
from medbridge.errors import MedbridgeError, NotFoundError
from medbridge.search import refresh_index, start_background_embedding
from medbridge.services import Services
from medbridge.settings import MedbridgeSettings
from medbridge.web.routes import chat, documents, fetch, home, records, research, search, translations
from medbridge.web.templating import render

log = logging.getLogger(__name__)


def create_app(services: Services | MedbridgeSettings | None = None, *, prepare: bool = False) -> FastAPI:
    """The app over ``services`` (or over those of the settings given, or of the environment's settings).
    ``prepare`` ingests the bundled sample into an empty store (the main command does this)."""
    if not isinstance(services, Services):
        services = Services.from_settings(services)
    if prepare:
        if services.settings.ingest.sample_on_first_run:
            report = ensure_sample(services.store)
            if report:
                log.info("sample corpus ingested: %d records", report.records)
        # Index before serving, so the first search sees the whole corpus; the rest warms up meanwhile.
        refresh_index(services.search_engine)
        threading.Thread(target=_warm_up, args=(services,), name="warm-up", daemon=True).start()

    app = FastAPI(title="medbridge", version="0.1.0")
    app.state.services = services
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


def _warm_up(services: Services) -> None:
    """Load what the first requests would otherwise wait for: dictionaries, and vectors still missing."""
    terms = services.terminology
    terms.segment("阿尔茨海默病")
    terms.mesh_by_term("Alzheimer Disease")
    terms.cedict("医学")
    start_background_embedding(services.search_engine)
