"""What every router under `/api` shares: the error responses it documents, the authenticated
caller (`Auth`), and the path parameters (`Ref` for a case reference, `RowId` for a numeric id).

Errors are `{"error": {"code", "message"}}` with a 4xx status (`storning.web.errors`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path

from storning.web.api_models import MAX_INT, ErrorBody
from storning.web.context import Ctx, api_ctx

ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (400, "Ogiltiga uppgifter"),
        (401, "Inte inloggad / ogiltig token"),
        (403, "Behörighet saknas"),
        (404, "Finns inte (eller ingen åtkomst)"),
        (409, "Spärrad, inaktuell version eller fel läge"),
        (422, "Ogiltig förfrågan"),
    )
}

Auth = Annotated[Ctx, Depends(api_ctx)]
Ref = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$")]
RowId = Annotated[int, Path(ge=1, le=MAX_INT)]
