"""The case page's complainants (anmälare): add one, correct or complete one's details.

The handlers only translate the form; who may see a protected complainant, who may lift the protection,
the field rules and the journal are the services' (`services.complainants`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from storning import services, validation
from storning.errors import InvalidInput, StorningError
from storning.web.context import Ctx, form_text
from storning.web.idempotency import FormOnce
from storning.web.pages_case import Id, _done, _failed, _posted, _version

router = APIRouter(route_class=FormOnce)
ANCHOR = "anmalare"


def _typed(form: FormData, prefix: str) -> dict[str, Any]:
    """The complainant's fields as typed: postal address one line per row, the rest one line."""
    typed: dict[str, Any] = {
        name: form_text(form, f"{prefix}{name}", 1000) for name in ("name", "phone", "email")
    }
    typed["address"] = form_text(form, f"{prefix}address", 1000)
    typed["protected"] = form.get(f"{prefix}protected") == "on"
    return typed


_RULES: tuple[tuple[str, Callable[[str | None], object]], ...] = (
    ("name", lambda value: validation.text("complainant", value, required=True)),
    ("address", lambda value: validation.text("complainant_address", value)),
    ("phone", validation.phone),
    ("email", validation.email),
)


def _field_errors(typed: dict[str, Any], prefix: str) -> dict[str, str]:
    """The services' field rules, to show each refusal at its field (the services check again)."""
    errors = {}
    for name, rule in _RULES:
        try:
            rule(typed[name] or None)
        except InvalidInput as error:
            errors[f"{prefix}{name}"] = str(error)
    return errors


@router.post("/arenden/{ref}/anmalare")
async def add_complainant(request: Request, ref: str) -> Response:
    ctx, form = await _posted(request)
    return await run_in_threadpool(_add, request, ctx, ref, form)


def _add(request: Request, ctx: Ctx, ref: str, form: FormData) -> Response:
    typed = _typed(form, "new_complainant_")
    details = services.ComplainantDetails(
        name=typed["name"],
        protected=typed["protected"],
        address=typed["address"] or None,
        phone=typed["phone"] or None,
        email=typed["email"] or None,
    )
    try:
        services.add_complainant(
            ctx.app,
            ctx.principal.username,
            ctx.now,
            ref,
            details,
            expected_version=_version(form),
        )
    except StorningError as error:  # the form comes back open, with what was typed
        values = {f"new_complainant_{k}": v for k, v in typed.items()}
        return _failed(
            request,
            ctx,
            ref,
            error,
            values={**values, "complainant_new": True},
            errors=_field_errors(typed, "new_complainant_"),
        )
    return _done(request, ref, "Anmälaren är tillagd.", ANCHOR)


@router.post("/arenden/{ref}/anmalare/{complainant_id}")
async def update_complainant(request: Request, ref: str, complainant_id: Id) -> Response:
    ctx, form = await _posted(request)
    return await run_in_threadpool(_update, request, ctx, ref, form, complainant_id)


def _update(request: Request, ctx: Ctx, ref: str, form: FormData, complainant_id: int) -> Response:
    prefix = f"complainant_{complainant_id}_"
    typed = _typed(form, prefix)
    try:
        document = services.update_complainant(
            ctx.app,
            ctx.principal.username,
            ctx.now,
            ref,
            complainant_id,
            typed,
            expected_version=_version(form),
        )
    except StorningError as error:
        values = {f"{prefix}{k}": v for k, v in typed.items()}
        return _failed(
            request,
            ctx,
            ref,
            error,
            values={**values, "complainant_edit": complainant_id},
            errors=_field_errors(typed, prefix),
        )
    if document["version"] == _version(form):
        return _done(request, ref, "Inget ändrades; anmälarens uppgifter är som förut.", ANCHOR)
    return _done(request, ref, "Anmälarens uppgifter är sparade.", ANCHOR)
