"""Logging in and out. A login replaces the whole session (new CSRF token); a failed login says only
that the name or password was wrong; too many failures for a name from one address → HTTP 429."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from storning.services import accounts
from storning.web.context import (
    app_of,
    checked_form,
    client_address,
    form_text,
    request_now,
    session_principal,
)
from storning.web.protection import LoginThrottle, csrf_token
from storning.web.rendering import flash, render

router = APIRouter()


def safe_next(target: str) -> str:
    """Only a path on this site (no scheme, no host, no `//`) may be a post-login destination."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    if session_principal(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"next": safe_next(next), "username": ""})


@router.post("/login")
async def login(request: Request) -> Response:
    form = await checked_form(request)
    username, password = form_text(form, "username"), form.get("password")
    target = safe_next(form_text(form, "next") or "/")
    throttle: LoginThrottle = request.app.state.throttle
    now = request_now(request)
    key = throttle.key(username, client_address(request))
    context = {"next": target, "username": username}
    if throttle.blocked(key, now):
        message = "För många misslyckade inloggningar. Vänta en kvart och försök igen."
        return render(request, "login.html", {**context, "error": message}, status=429)
    principal = None
    if username and isinstance(password, str) and password:
        principal = await run_in_threadpool(
            accounts.authenticate, app_of(request), username, password
        )
    if principal is None:
        throttle.failed(key, now)
        message = "Fel användarnamn eller lösenord."
        return render(request, "login.html", {**context, "error": message}, status=400)
    throttle.succeeded(key)
    request.session.clear()
    request.session["user"] = principal.username
    csrf_token(request.session)
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
async def logout(request: Request) -> Response:
    await checked_form(request)
    request.session.clear()
    flash(request, "Du är utloggad.")
    return RedirectResponse("/login", status_code=303)
