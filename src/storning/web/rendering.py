"""Jinja2 pages, autoescaped, with the filters and globals every template uses.

`render(request, name, context, status)` adds the logged-in principal, the session's CSRF token, the
request's time and a one-shot flash message to the context.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from storning.access import may_act_at_all
from storning.calendar import DAY_NAMES_SV, MONTH_NAMES_SV
from storning.web import labels
from storning.web.idempotency import new_form_token
from storning.web.protection import csrf_token

TEMPLATES = Path(__file__).resolve().parent / "templates"

WEEKDAYS, MONTHS = DAY_NAMES_SV, MONTH_NAMES_SV


def when(value: str | None) -> str:
    """An ISO timestamp as "2026-03-02 09:00" (in the landlord's zone, as the document gives it)."""
    return value[:16].replace("T", " ") if value else "–"


def day(value: str | None) -> str:
    return value[:10] if value else "–"


def long_day(value: date | datetime | str | None) -> str:
    """ "måndag 2 mars 2026"."""
    if value is None:
        return "–"
    moment = date.fromisoformat(value[:10]) if isinstance(value, str) else value
    return f"{WEEKDAYS[moment.weekday()]} {moment.day} {MONTHS[moment.month - 1]} {moment.year}"


def described(name: str, hint: str, errors: Mapping[str, str]) -> Markup:
    """The attributes that tie a form field's input to its hint and its error (`_fields.html`):
    ` aria-describedby="<name>-hint <name>-error"` and ` aria-invalid="true"`, as they apply. (A
    function, not a macro: every field of every form asks it.)"""
    failed = bool(errors.get(name))
    ids = [f"{name}-hint"] if hint else []
    if failed:
        ids.append(f"{name}-error")
    html = f' aria-describedby="{escape(" ".join(ids))}"' if ids else ""
    return Markup(html + (' aria-invalid="true"' if failed else ""))


def thousands(number: int) -> str:
    """12345 → "12 345" (a no-break space between the thousands, as Swedish writes them)."""
    return f"{number:,}".replace(",", "\u00a0")


def file_size(size: int) -> str:
    """A file's size as an officer reads it: "45 byte", "3,4 kB", "12,5 MB"."""
    if size < 1024:
        return f"{size} byte"
    value, unit = size / 1024, "kB"
    for bigger in ("MB", "GB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{value:.1f} {unit}".replace(".", ",")


def pager(query: dict[str, str], page: int) -> str:
    """The current query string with another page number."""
    return urlencode({**query, "sida": str(page)})


# what `name.attr` finds on a dict before its items (Jinja tries the attribute first)
_DICT_ATTRIBUTES = frozenset(dir(dict))


class PageEnvironment(Environment):
    """Jinja's environment, with `doc.key` on a plain dict (the documents the pages show) answered
    by the item at once. Jinja tries the attribute first and the item after an AttributeError:
    the same answer, but a raised exception for each of the thousand look-ups of a case page."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def _environment() -> Environment:
    env = PageEnvironment(
        loader=FileSystemLoader(TEMPLATES),
        # Compiled once per process and kept: the templates ship with the code (a new version is a
        # restart), and checking every included file's modification time cost a `stat` per include
        # on every page.
        auto_reload=False,
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        when=when, day=day, long_day=long_day, pager=pager, thousands=thousands, file_size=file_size
    )
    env.globals.update(
        CASE_TYPES=labels.CASE_TYPES,
        INCIDENT_KINDS=labels.INCIDENT_KINDS,
        VERIFICATION=labels.VERIFICATION,
        SENDING_METHODS=labels.SENDING_METHODS,
        LETTER_STATUS=labels.LETTER_STATUS,
        TIMER_STATUS=labels.TIMER_STATUS,
        TIMER_KINDS=labels.TIMER_KINDS,
        TRACK_TITLES=labels.TRACK_TITLES,
        CHOICES=labels.CHOICES,
        ROLES=labels.ROLES,
        co_tenant_lines=_co_tenant_lines,
        described=described,
        form_token=new_form_token,
    )
    return env


def _co_tenant_lines(doc: dict[str, Any]) -> str:
    """The co-tenants as the details form shows them: one a line, personnummer masked."""
    return "\n".join(
        f"{h['name']}, {h['personnummer']}" if h.get("personnummer") else h["name"]
        for h in doc["tenant"].get("contract_holders", [])[1:]
    )


ENV = _environment()


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    principal = getattr(request.state, "principal", None)
    values: dict[str, Any] = {
        "request": request,
        "principal": principal,
        "may_act": principal is not None and may_act_at_all(principal),
        "role_names": ", ".join(
            labels.ROLES[r] for r in labels.ROLES if principal and r in principal.roles
        ),
        "csrf_token": csrf_token(request.session),
        "flash": request.session.pop("flash", None),
        "now": getattr(request.state, "now", None),
        "error": None,
        "error_title": None,
        "nav": "",
    }
    values.update(context or {})
    html = ENV.get_template(name).render(values)
    return HTMLResponse(html, status_code=status)


def flash(request: Request, message: str) -> None:
    """A message shown once on the next page (after a redirect)."""
    request.session["flash"] = message
