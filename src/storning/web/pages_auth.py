"""Logging in and out, changing one's own password, and the administrator's page of accounts.

A login starts a new server-side session (a new token and a new CSRF token); a failed login says only
that the name or password was wrong; too many failures (per name, per address, overall — counted in
the database, so every process agrees) are refused before any password is hashed, with HTTP 429, a
Swedish sentence saying how long to wait and `Retry-After`. A logout ends the session in the database,
so a copy of the cookie opens nothing afterwards. Every decision is the services' (`accounts`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from storning.errors import InvalidInput, StorningError
from storning.services import accounts, sessions
from storning.services.throttling import Throttled
from storning.web.context import (
    app_of,
    checked_form,
    client_of,
    form_text,
    page_ctx,
    request_now,
    session_now,
    session_state,
)
from storning.web.errors import error_json, error_page, is_api, status_of
from storning.web.pages_team import landing_path
from storning.web.rendering import flash, render

router = APIRouter()
Username = Annotated[str, Path(max_length=80)]
WRONG = "Fel användarnamn eller lösenord."


def safe_next(target: str) -> str:
    """Only a path on this site (no scheme, no host, no `//`) may be a post-login destination."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


async def throttled(request: Request, error: Exception) -> Response:
    """HTTP 429 with `Retry-After`, for the API and for any page (the login page answers itself)."""
    assert isinstance(error, Throttled)
    if is_api(request):
        response: Response = error_json(429, error.code, str(error))
    else:
        response = error_page(request, 429, error.code, str(error))
    response.headers["Retry-After"] = str(error.retry_after)
    return response


# --- logging in and out ----------------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request, next: str = "/", utloggad: str = "") -> Response:
    """The form. It never touches the database, so it answers while the database is unavailable; a
    visitor who is logged in and logs in again gets a new session."""
    context: dict[str, Any] = {"next": safe_next(next), "username": ""}
    if utloggad:
        context["flash"] = "Du är utloggad."
    return render(request, "login.html", context)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await checked_form(request)
    username, password = form_text(form, "username", 200), form.get("password")
    target = safe_next(form_text(form, "next") or "/")
    context = {"next": target, "username": username}
    state = session_state(request)
    try:
        done = await run_in_threadpool(
            accounts.log_in,
            app_of(request),
            username,
            password if isinstance(password, str) else "",
            client_of(request),
            request_now(request),
            session_now=session_now(request),
            previous=state.server_token,
        )
    except Throttled as error:
        response = render(request, "login.html", {**context, "error": str(error)}, status=429)
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    if done is None:
        return render(request, "login.html", {**context, "error": WRONG}, status=400)
    state.begin(done.token)
    # chefs and readers of a team land on the team overview unless they asked for a page
    return RedirectResponse(landing_path(done.principal, target), status_code=303)


@router.post("/logout")
async def logout(request: Request) -> Response:
    await checked_form(request)
    state = session_state(request)
    token = state.server_token
    if token is not None:
        app, now, ended = app_of(request), request_now(request), session_now(request)
        await run_in_threadpool(lambda: sessions.end(app, token, now, session_now=ended))
    state.end()
    return RedirectResponse("/login?utloggad=1", status_code=303)


# --- one's own password ----------------------------------------------------------------------------


@router.get("/konto/losenord")
def own_password_page(request: Request) -> Response:
    page_ctx(request)
    return render(request, "password.html", {"nav": "account"})


@router.post("/konto/losenord")
async def own_password(request: Request) -> Response:
    ctx = await run_in_threadpool(page_ctx, request)
    form = await checked_form(request)
    current, new, again = (_secret(form.get(name)) for name in ("current", "new", "again"))
    error = None if new == again else "De två nya lösenorden är inte lika."
    if error is None:
        try:
            done = await run_in_threadpool(
                lambda: accounts.change_own_password(
                    ctx.app,
                    ctx.principal.username,
                    current,
                    new,
                    client_of(request),
                    ctx.now,
                    session_now=session_now(request),
                )
            )
        except Throttled as refused:
            response = _password_page(request, str(refused), 429)
            response.headers["Retry-After"] = str(refused.retry_after)
            return response
        except InvalidInput as refused:
            return _password_page(request, str(refused), 400)
        if done is not None:
            session_state(request).begin(done.token)
            flash(request, "Ditt lösenord är bytt. Dina andra inloggningar har avslutats.")
            return RedirectResponse("/", status_code=303)
        error = "Det nuvarande lösenordet är fel."
    return _password_page(request, error, 400)


def _password_page(request: Request, error: str, status: int) -> Response:
    return render(request, "password.html", {"nav": "account", "error": error}, status=status)


def _secret(value: object) -> str:
    return value[:2000] if isinstance(value, str) else ""


# --- the administrator's page of accounts ----------------------------------------------------------


@router.get("/anvandare")
def users_page(request: Request) -> Response:
    ctx = page_ctx(request)
    users = accounts.list_users(ctx.app, ctx.principal.username, ctx.now)
    return render(request, "users.html", {"nav": "users", "users": users})


@router.post("/anvandare/{username}/aktiv")
async def set_active(request: Request, username: Username) -> Response:
    ctx = await run_in_threadpool(page_ctx, request)
    form = await checked_form(request)
    active = form.get("active") == "1"
    try:
        await run_in_threadpool(
            lambda: accounts.set_active(
                ctx.app, username, active, actor=ctx.principal.username, now=ctx.now
            )
        )
    except StorningError as error:
        return await run_in_threadpool(_users_page_with_error, request, error)
    if active:
        flash(request, f"Kontot {username} är aktiverat igen.")
    else:
        flash(
            request, f"Kontot {username} är avstängt; dess inloggningar och API-token gäller inte."
        )
    return RedirectResponse("/anvandare", status_code=303)


@router.post("/anvandare/{username}/losenord")
async def reset_password(request: Request, username: Username) -> Response:
    ctx = await run_in_threadpool(page_ctx, request)
    form = await checked_form(request)
    new, again = _secret(form.get("new")), _secret(form.get("again"))
    try:
        if new != again:
            raise InvalidInput("De två lösenorden är inte lika.")
        await run_in_threadpool(
            lambda: accounts.set_password(
                ctx.app, username, new, actor=ctx.principal.username, now=ctx.now
            )
        )
    except StorningError as error:
        return await run_in_threadpool(_users_page_with_error, request, error)
    flash(request, f"Lösenordet för {username} är bytt; kontots inloggningar har avslutats.")
    return RedirectResponse("/anvandare", status_code=303)


def _users_page_with_error(request: Request, error: StorningError) -> Response:
    """The list again with the refusal on top (a refusal to list at all is the error page)."""
    ctx = page_ctx(request)
    users = accounts.list_users(ctx.app, ctx.principal.username, ctx.now)
    context = {"nav": "users", "users": users, "error": str(error)}
    return render(request, "users.html", context, status=status_of(error))
