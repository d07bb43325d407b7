"""The web application built from the environment, for servers that start their own processes.

    uvicorn --factory storning.web.asgi:create_from_environment --workers 4 --no-proxy-headers

`storning serve --workers N` uses this: each of uvicorn's web processes calls `create_from_environment`,
which takes its settings from `storning.config.Settings.from_env` (the same checks as the CLI) and
builds its own `App`, database pool and ASGI application. A fixed time (STORNING_NOW) fixes every
request's time (`storning.web.config.make_clock`). No scheduler runs here: due timers, e-mail and the digest are
`storning worker`'s. The session key is the same in every process: `STORNING_SECRET_KEY`, or else the one
stored in the database (`storning.services.accounts.session_secret`).
"""

from __future__ import annotations

from fastapi import FastAPI

from storning.app import App
from storning.config import Settings
from storning.web.app import create_app


def create_from_environment() -> FastAPI:
    """A new ASGI application from the settings in the process's environment (an ASGI factory)."""
    return create_app(App.create(Settings.from_env()))
