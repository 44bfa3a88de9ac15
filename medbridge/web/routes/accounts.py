"""Signing in and out (auth.mode = local): a form checked against the store's password hashes; the session
cookie is signed (Starlette's SessionMiddleware, itsdangerous) and carries only the user's name and CSRF token."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from medbridge.errors import Forbidden, NotFoundError
from medbridge.web.auth import UserDep, csrf_token, password_mark
from medbridge.web.deps import ServicesDep
from medbridge.i18n import translator_for
from medbridge.web.i18n import ui_lang
from medbridge.web.templating import render

public = APIRouter()  # reachable before signing in
router = APIRouter()


def _local_only(services: ServicesDep) -> None:
    if services.settings.auth.mode != "local":
        raise NotFoundError("sign-in pages exist only with auth.mode = local")


def _safe_next(target: str) -> str:
    """Only a path on this site (never //host or a full URL) is followed after signing in."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@public.get("/login")
def login_page(request: Request, services: ServicesDep, next: str = "/", signed_out: bool = False):
    _local_only(services)
    t = translator_for(ui_lang(request))
    return render(request, "accounts/login.html", {"next": _safe_next(next), "name": "", "error": None,
                                                   "notice": t("signed_out") if signed_out else None})


@public.post("/login")
def login(
    request: Request,
    services: ServicesDep,
    name: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Annotated[str, Form(alias="csrf_token")] = "",
    next: Annotated[str, Form()] = "/",
):
    _local_only(services)
    expected = request.session.get("csrf")
    if not expected or not hmac.compare_digest(expected, csrf):
        raise Forbidden("the form's security token is missing or stale; reload the page and try again", key="csrf_failed")
    name = name.strip()
    services.usage_limits.sign_in_attempt(name)
    user = services.accounts.authenticate(name, password)
    if user is None:
        t = translator_for(ui_lang(request))
        return render(request, "accounts/login.html", {"next": _safe_next(next), "name": name, "error": t("sign_in_failed"),
                                                       "notice": None}, status_code=401)
    request.session.clear()  # a fresh session: nothing from before signing in carries over
    request.session["user"] = user.name
    request.session["password"] = password_mark(services.store.get_user(user.name).password_hash)
    request.session["csrf"] = secrets.token_urlsafe(32)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, services: ServicesDep, user: UserDep):
    if "session" in request.scope:
        request.session.clear()
        csrf_token(request)  # the sign-in form that follows needs one
    return RedirectResponse("/login?signed_out=true" if services.settings.auth.mode == "local" else "/", status_code=303)
