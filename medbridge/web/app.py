"""Builds the FastAPI app: one router per feature, one ``Services`` on app.state, errors as pages or JSON."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from medbridge.corpus.sample import ensure_sample
from medbridge.errors import MedbridgeError
from medbridge.search import IndexBusyError
from medbridge.services import Services
from medbridge.settings import MedbridgeSettings
from medbridge.web import auth
from medbridge.i18n import STRINGS, translator_for
from medbridge.web.i18n import ui_lang
from medbridge.web.routes import accounts, chat, documents, fetch, home, records, research, search, translations
from medbridge.web.templating import render

log = logging.getLogger(__name__)


def create_app(services: Services | MedbridgeSettings | None = None, *, prepare: bool = False) -> FastAPI:
    """The app over ``services`` (or over those of the settings given, or of the environment's settings).
    ``prepare`` ingests the bundled sample into an empty store (the main command does this)."""
    if not isinstance(services, Services):
        services = Services.from_settings(services)
    services.serving = True
    if prepare:
        prepare_store(services)
        threading.Thread(target=_warm_up, args=(services,), name="warm-up", daemon=True).start()
        if services.settings.jobs.run_in == "serve":  # now, so jobs left by a previous run are resumed
            services.job_worker.start()

    app = FastAPI(title="medbridge", version="0.1.0")
    app.state.services = services
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    # Every page and API route knows its user (signed in where accounts are on) and checks CSRF on posts.
    signed_in = [Depends(auth.current_user), Depends(auth.csrf_protected)]
    for module in (home, records, translations, search, documents, research, fetch, chat, accounts):
        app.include_router(module.router, dependencies=signed_in)
    app.include_router(accounts.public)
    auth.install(app, services)

    add_error_pages(app)
    return app


def prepare_store(services: Services) -> None:
    """The bundled sample in an empty store, and the index caught up, so the first search sees the corpus."""
    if services.settings.ingest.sample_on_first_run:
        report = ensure_sample(services.store)
        if report:
            log.info("sample corpus ingested: %d records", report.records)
    try:
        services.search_engine.index.update()  # all of it, before serving (a search would leave a backlog to a job)
    except IndexBusyError:  # another process of `serve --workers N` is applying it
        pass


def served_app() -> FastAPI:
    """The app of one of ``serve --workers N``'s processes: its own ``Services`` from the settings."""
    return create_app(Services.from_settings(), prepare=True)


def add_error_pages(app: FastAPI) -> None:
    """Errors answer in kind: JSON under /api/, otherwise a page in the reader's UI language (never raw JSON)."""

    def is_api(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    def page(request: Request, message: str, status: int):
        return render(request, "error.html", {"message": message, "status": status}, status_code=status)

    @app.exception_handler(MedbridgeError)
    async def user_error(request: Request, exc: MedbridgeError):
        status = exc.status
        if is_api(request):
            return JSONResponse({"error": str(exc)}, status_code=status)
        t = translator_for(ui_lang(request))
        return page(request, t(exc.key, **exc.values) if exc.key in STRINGS else str(exc), status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if is_api(request):
            return await http_exception_handler(request, exc)
        t = translator_for(ui_lang(request))
        messages = {404: t("page_not_found", path=request.url.path), 405: t("method_not_allowed")}
        return page(request, messages.get(exc.status_code, str(exc.detail)), exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        if is_api(request):
            return await request_validation_exception_handler(request, exc)
        t = translator_for(ui_lang(request))
        problems = []
        for error in exc.errors():
            name = str(error["loc"][-1]) if error.get("loc") else "?"
            problems.append(t("missing_value", name=name) if error.get("type") == "missing" else t("invalid_value", name=name, value=error.get("input")))
        return page(request, "；".join(problems) if ui_lang(request) == "zh" else "; ".join(problems), 422)


def _warm_up(services: Services) -> None:
    """Load what the first requests would otherwise wait for: dictionaries; vectors still missing are an index job."""
    terms = services.terminology
    terms.segment("阿尔茨海默病")
    terms.mesh_by_term("Alzheimer Disease")
    terms.cedict("医学")
    index = services.search_engine.index
    if index.dense_enabled and index.pending():
        services.queue_index_update()
