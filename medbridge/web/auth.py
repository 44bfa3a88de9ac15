"""Who is asking: the signed-in user of each request (session cookie, API token or trusted proxy header, by
``auth.mode``), CSRF checks on state-changing requests, the upload size limit before a body is read, and the
one rule for someone else's job or conversation (404)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from medbridge.accounts import SINGLE_USER, Principal
from medbridge.documents.intake import DocumentLimits
from medbridge.errors import Forbidden, LimitExceeded, NotFoundError, SignInRequired
from medbridge.services import Services
from medbridge.settings import MedbridgeSettings
from medbridge.store.base import Job
from medbridge.web.deps import get_services
from medbridge.i18n import translator_for
from medbridge.web.i18n import ui_lang
from medbridge.web.templating import render

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
FORM_OVERHEAD_BYTES = 2 << 20  # the form's other fields and a glossary CSV (read up to 1 MB) beside the file


def install(app: FastAPI, services: Services) -> None:
    """Sessions (modes local and proxy), the upload limit, and the sign-in answer of HTML and API routes."""
    settings = services.settings
    if settings.auth.mode != "none":
        app.add_middleware(SessionMiddleware, secret_key=session_secret(settings), session_cookie="medbridge_session",
                           max_age=int(settings.auth.session_hours * 3600), same_site="lax",
                           https_only=settings.auth.secure_cookie)
    limits = DocumentLimits.from_settings(settings.documents)
    app.add_middleware(UploadLimit, max_bytes=limits.max_file_bytes + FORM_OVERHEAD_BYTES, limit_mb=settings.documents.max_file_mb)

    @app.exception_handler(LimitExceeded)
    async def limited(request: Request, exc: LimitExceeded):
        message = translator_for(ui_lang(request))(exc.key, **exc.values)
        if request.url.path.startswith("/api/"):  # "message" in the UI language, for a page's script to show
            return JSONResponse({"error": str(exc), "message": message}, status_code=429)
        return render(request, "error.html", {"message": message, "status": 429}, status_code=429)

    @app.exception_handler(SignInRequired)
    async def sign_in(request: Request, exc: SignInRequired):
        if request.url.path.startswith("/api/") or settings.auth.mode != "local":
            t = translator_for(ui_lang(request))
            return JSONResponse({"error": t(exc.key, **exc.values) if exc.key else str(exc)}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


def session_secret(settings: MedbridgeSettings) -> str:
    """The configured key, or one generated once and kept (owner-only) in MEDBRIDGE_HOME/session.key, so every
    web worker of this home signs and reads the same cookies."""
    if settings.auth.session_secret:
        return settings.auth.session_secret
    path = Path(settings.home) / "session.key"
    if not path.exists():
        settings.home.mkdir(parents=True, exist_ok=True)
        try:
            with open(path, "x", encoding="ascii") as handle:  # exclusive: two workers starting together keep one key
                path.chmod(0o600)
                handle.write(secrets.token_urlsafe(48))
        except FileExistsError:
            pass
    return path.read_text(encoding="ascii").strip()


def current_user(request: Request) -> Principal:
    """The request's user; SignInRequired (a redirect to /login for pages, 401 for the API) if there is none."""
    services = get_services(request)
    auth = services.settings.auth
    if auth.mode == "none":
        user = SINGLE_USER
    elif header := request.headers.get("authorization"):
        scheme, _, secret = header.partition(" ")
        found = services.accounts.token_user(secret.strip()) if scheme.lower() == "bearer" else None
        if found is None:
            raise SignInRequired("invalid or revoked API token", key="bad_token")
        user = found
    elif auth.mode == "proxy":
        name = request.headers.get(auth.proxy_header, "").strip()
        found = services.accounts.proxy_user(name) if name and from_proxy(request, auth.proxy_addresses) else None
        if found is None:
            raise SignInRequired("sign in through the institution's proxy, or send an API token", key="sign_in_proxy")
        user = found
    else:
        name = request.session.get("user")
        stored = services.store.get_user(name) if name else None
        if stored is None or request.session.get("password") != password_mark(stored.password_hash):
            # never signed in, signed out, removed since, or the password changed since (every session ends)
            raise SignInRequired("sign in first, or send an API token", key="sign_in_required")
        user = Principal(stored.name, stored.is_admin)
    request.state.user = user
    return user


UserDep = Annotated[Principal, Depends(current_user)]


def password_mark(password_hash: str | None) -> str:
    """What a session keeps of the password it was opened with: a new password ends the sessions of the old one."""
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


def from_proxy(request: Request, proxies: list[str]) -> bool:
    """Whether the connection comes from one of the configured proxies (their header is believed, nobody else's)."""
    if request.client is None:
        return False
    try:
        address = ipaddress.ip_address(request.client.host)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def csrf_token(request: Request) -> str | None:
    """This session's CSRF token (made on first use); None where there are no sessions (mode none)."""
    if "session" not in request.scope:
        return None
    token = request.session.get("csrf")
    if token is None:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def csrf_protected(request: Request, user: UserDep) -> None:
    """State-changing requests carry the session's token (form field or X-CSRF-Token header). API-token requests
    carry no cookie a forged request could ride on, so they are exempt. Without accounts (mode none, loopback)
    there is no session: a browser's cross-site request is recognised by its Origin and refused."""
    if request.method in SAFE_METHODS or user.via_token:
        return
    if user.single_user:
        origin = request.headers.get("origin") or request.headers.get("referer")
        if origin and urlsplit(origin).netloc != request.headers.get("host"):
            raise Forbidden(f"cross-site request from {origin} refused", key="csrf_cross_site")
        return
    expected = request.session.get("csrf")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        sent = (await request.form()).get(CSRF_FIELD)
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(expected, sent):
        raise Forbidden("the form's security token is missing or stale; reload the page and try again", key="csrf_failed")


def owned(job: Job, user: Principal) -> Job:
    """The job if ``user`` may see it; someone else's job does not exist for them."""
    if not user.sees(job.owner):
        raise NotFoundError(f"no job {job.id}", key="job_not_found", job=job.id)
    return job


class UploadLimit:
    """Answers 413 before reading a request body its Content-Length says is over the upload limit."""

    def __init__(self, app: ASGIApp, max_bytes: int, limit_mb: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.limit_mb = limit_mb

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = dict(scope["headers"]).get(b"content-length", b"0")
            if length.isdigit() and int(length) > self.max_bytes:
                request = Request(scope)
                message = translator_for(ui_lang(request))("upload_too_large", limit=f"{self.limit_mb:g}")
                response = (JSONResponse({"error": message}, status_code=413) if scope["path"].startswith("/api/")
                            else render(request, "error.html", {"message": message, "status": 413}, status_code=413))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
