"""Builds the FastAPI app: one router per feature, shared state on app.state, errors as pages or JSON."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from medbridge.corpus.sample import ensure_sample
from medbridge.errors import MedbridgeError, NotFoundError
from medbridge.settings import MedbridgeSettings, get_settings
from medbridge.store import open_store
from medbridge.web.routes import documents, home, records, research, search, translations
from medbridge.web.templating import render

log = logging.getLogger(__name__)


def create_app(settings: MedbridgeSettings | None = None, *, prepare: bool = False) -> FastAPI:
    """``prepare`` ingests the bundled sample into an empty store (the main command does this)."""
    settings = settings or get_settings()
    store = open_store(settings)
    if prepare and settings.ingest.sample_on_first_run:
        report = ensure_sample(store)
        if report:
            log.info("sample corpus ingested: %d records", report.records)

    app = FastAPI(title="medbridge", version="0.1.0")
    app.state.settings = settings
    app.state.store = store
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    for module in (home, records, translations, search, documents, research):
        app.include_router(module.router)

    @app.exception_handler(MedbridgeError)
    async def user_error(request: Request, exc: MedbridgeError):
        status = 404 if isinstance(exc, NotFoundError) else 400
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": str(exc)}, status_code=status)
        return render(request, "error.html", {"message": str(exc), "status": status}, status_code=status)

    return app
