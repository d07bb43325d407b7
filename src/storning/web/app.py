"""The ASGI application: pages, API, static files, sessions, security headers, error handling.

    asgi = create_app(App.create(Settings.from_env()))

`clock` gives each request its time (read once per request); by default `STORNING_NOW` when set, else
the system clock. `session_clock` is the time web sessions are measured by (idle and absolute
timeouts): the system clock unless given, so STORNING_NOW never keeps a session alive. `web_settings`
defaults to `WebSettings.from_settings(app.settings)` (secret key, cookie flags, session length,
threads: all read and checked by `storning.config.Settings`); without STORNING_SECRET_KEY the key
stored in the database is used (made on first use).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from storning.app import App
from storning.clock import system_now
from storning.services import accounts, outcomes, throttling
from storning.services.outcomes_warmup import DailyWarmUp
from storning.services.setup import background_checkpoints
from storning.web import (
    api,
    api_intake,
    api_integrations,
    api_privacy,
    api_records,
    api_stats,
    errors,
    pages_auth,
    pages_case,
    pages_complainants,
    pages_diary,
    pages_intake,
    pages_outcomes,
    pages_privacy,
    pages_records,
    pages_team,
    pages_work,
)
from storning.web.config import Clock, WebSettings, make_clock
from storning.web.context import Reference
from storning.web.protection import SecurityHeaders, ServerSessions

STATIC = Path(__file__).resolve().parent / "static"
SESSION_COOKIE = "storning_session"


def create_app(
    app: App,
    *,
    clock: Clock | None = None,
    web_settings: WebSettings | None = None,
    session_clock: Clock | None = None,
) -> FastAPI:
    settings = web_settings or WebSettings.from_settings(app.settings)
    secret_key = settings.secret_key or accounts.session_secret(app, system_now())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # A few threads serve the pages: more only make them fight over the GIL (bench/web.py).
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = settings.threads
        # the dashboard's first views of the day, computed ahead at a large database
        warm_up = web.state.warm_up = DailyWarmUp(app, web.state.clock).start()
        checkpointer = background_checkpoints(app.db)  # SQLite's log, outside the requests
        yield
        checkpointer.stop()
        warm_up.stop()
        outcomes.stop_refreshing(app, wait=False)  # the dashboard's background process, if any

    web = FastAPI(
        lifespan=lifespan,
        title="Storning API",
        version="1",
        description=(
            "Störningsärenden och hyresskuld: ärenden, händelser, störningar, brev och frister. "
            "Autentisering: `Authorization: Bearer stn_…` (skapas med `storning user token`)."
        ),
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    web.state.storning = app
    web.state.clock = clock or make_clock(app.settings)
    web.state.session_clock = session_clock or system_now
    web.state.reference = Reference()
    errors.install(web)
    web.add_exception_handler(throttling.Throttled, pages_auth.throttled)
    web.include_router(pages_auth.router, include_in_schema=False)
    web.include_router(pages_work.router, include_in_schema=False)
    web.include_router(pages_team.router, include_in_schema=False)
    web.include_router(pages_case.router, include_in_schema=False)
    web.include_router(pages_complainants.router, include_in_schema=False)
    web.include_router(pages_intake.router, include_in_schema=False)
    web.include_router(pages_outcomes.router, include_in_schema=False)
    web.include_router(pages_diary.router, include_in_schema=False)
    web.include_router(pages_diary.officer, include_in_schema=False)
    web.include_router(pages_records.router, include_in_schema=False)
    web.include_router(pages_privacy.router, include_in_schema=False)
    web.include_router(api.router)
    web.include_router(api_intake.router)
    web.include_router(api_integrations.uploads)
    web.include_router(api_integrations.router)
    web.include_router(api_records.router)
    web.include_router(api_privacy.router)
    web.include_router(api_privacy.reads)
    web.include_router(api_stats.router)
    web.mount("/static", StaticFiles(directory=STATIC), name="static")
    web.add_middleware(
        ServerSessions,
        secret_key=secret_key,
        cookie_name=SESSION_COOKIE,
        max_age=settings.session_max_age,
        secure=settings.secure_cookies,
    )
    web.add_middleware(SecurityHeaders)
    return web
