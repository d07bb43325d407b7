"""Request bodies of the JSON API (pydantic). Limits follow the database columns, so a value the
database could not store is refused with 422 before any service runs; NUL characters are refused
everywhere (PostgreSQL cannot store them). Times without an offset are in the landlord's zone.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from storning.clock import EARLIEST_YEAR, LATEST_YEAR
from storning.letters.records import SENDING_METHODS
from storning.vocabulary import INCIDENT_KINDS, VERIFICATION

if TYPE_CHECKING:
    KindId: TypeAlias = str
    VerifiedId: TypeAlias = str
    MethodId: TypeAlias = str
else:  # the ids of the vocabulary, so the OpenAPI document lists them
    KindId = Literal[tuple(INCIDENT_KINDS)]
    VerifiedId = Literal[tuple(VERIFICATION)]
    MethodId = Literal[tuple(SENDING_METHODS)]
TrackId = Literal["legal", "authority", "customer"]
MAX_INT = 2**31 - 1
EARLIEST, LATEST = EARLIEST_YEAR, LATEST_YEAR
# A typed time, as a person or an integration writes it: `2026-03-01T23:40`, with or without an offset,
# or a bare date. The services give it its meaning (`storning.clock.fact_instant`).
TypedTime = Field(min_length=10, max_length=40, examples=["2026-03-01T23:40:00+01:00"])


def _no_nul(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("får inte innehålla NUL-tecken")
    if isinstance(value, dict):
        for key, item in value.items():
            _no_nul(key)
            _no_nul(item)
    if isinstance(value, list):
        for item in value:
            _no_nul(item)
    return value


def _sane_time(value: datetime | date | None) -> None:
    if value is not None and not EARLIEST <= value.year <= LATEST:
        raise ValueError(f"årtalet måste ligga mellan {EARLIEST} och {LATEST}")


class Body(BaseModel):
    """Common rules: unknown fields are refused, no NUL characters, years within reason."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _clean(cls, data: Any) -> Any:
        return _no_nul(data)

    @model_validator(mode="after")
    def _years(self) -> Body:
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, datetime | date):
                _sane_time(value)
        return self


class ComplainantIn(Body):
    name: str = Field(min_length=1, max_length=200)
    protected: bool = False
    address: str | None = Field(
        default=None, max_length=400, description="Postadress, en rad per adressrad."
    )
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200)


class NewComplainantIn(ComplainantIn):
    """A complainant added to an open case (POST /api/cases/{ref}/complainants)."""

    expected_version: int = Field(ge=1, le=MAX_INT, description="Ärendets version som du såg.")


class ComplainantChangesIn(Body):
    """A correction of a complainant's details (PATCH /api/cases/{ref}/complainants/{id}): only the
    fields given change; null or "" clears an optional one. The journal names the fields, not the
    values. Lifting `protected` needs a chef."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    protected: bool | None = None
    address: str | None = Field(default=None, max_length=400)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200)
    expected_version: int = Field(ge=1, le=MAX_INT, description="Ärendets version som du såg.")


class CaseIn(Body):
    """A complaint that becomes a case (POST /api/cases)."""

    type: str = Field(default="storning", max_length=40, examples=["storning"])
    tenant: str = Field(min_length=1, max_length=200, examples=["Kim Hyresgäst"])
    address: str = Field(min_length=1, max_length=200, examples=["Storgatan 1"])
    apartment: str = Field(min_length=1, max_length=40, examples=["1102"])
    co_tenants: list[str] = Field(default_factory=list, max_length=10)
    postal_code: str | None = Field(default=None, max_length=20)
    city: str | None = Field(default=None, max_length=100)
    municipality: str | None = Field(default=None, max_length=100)
    contract: str | None = Field(default=None, max_length=80)
    personnummer: str | None = Field(
        default=None,
        max_length=13,
        examples=["19850312-1231"],
        description="Hyresgästens personnummer (ÅÅÅÅMMDD-NNNN eller ÅÅMMDD-NNNN), kontrollsiffran "
        "kontrolleras; visas sedan bara maskerat (ÅÅÅÅMMDD-****).",
    )
    complainants: list[ComplainantIn] = Field(default_factory=list, max_length=20)
    due_date: date | None = Field(default=None, description="Hyresskuld: förfallodag.")
    amount: str | None = Field(
        default=None, max_length=30, examples=["8450.50"], description="Hyresskuld, kronor."
    )
    owner: str | None = Field(default=None, max_length=80, description="Standard: du.")
    source: str | None = Field(
        default=None,
        max_length=20,
        examples=["granne"],
        description="Varifrån anmälan kom: granne, storningsjour, personal, polis eller annan.",
    )
    children: int | None = Field(
        default=None, ge=0, le=30, description="Antal barn i hushållet (ett antal, aldrig namn)."
    )

    @field_validator("co_tenants")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        if any(len(v) > 200 for v in value):
            raise ValueError("ett namn får ha högst 200 tecken")
        return [v.strip() for v in value if v.strip()]


class EventIn(Body):
    """An officer's event (POST /api/cases/{ref}/events)."""

    event: str = Field(min_length=1, max_length=60, examples=["issue_uppmaning"])
    track: TrackId | None = None
    params: dict[str, str | int | bool] | None = Field(default=None, max_length=20)
    reason: str | None = Field(default=None, max_length=100_000)
    override: str | None = Field(default=None, max_length=100_000)
    expected_version: int = Field(ge=1, le=MAX_INT, description="Ärendets version som du såg.")

    @field_validator("params")
    @classmethod
    def _short(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value and any(len(k) > 60 or len(str(v)) > 1000 for k, v in value.items()):
            raise ValueError("parameternamn högst 60 tecken, värden högst 1000")
        return value


class IncidentIn(Body):
    """A disturbance (POST /api/cases/{ref}/incidents), e.g. from a störningsjour."""

    at: str = TypedTime
    kind: KindId = Field(examples=["noise"])
    text: str = Field(max_length=100_000, examples=["Hög musik, hördes i trapphuset"])
    verified_by: VerifiedId | None = Field(default=None, examples=["jour"])
    reporter: str | None = Field(default=None, max_length=100_000)
    place: str | None = Field(default=None, max_length=100_000)
    ends_at: str | None = Field(default=None, max_length=40, description="När det slutade.")
    expected_version: int = Field(ge=1, le=MAX_INT, description="Ärendets version som du såg.")


class CorrectionIn(Body):
    """A correction of an incident (POST /api/cases/{ref}/incidents/{id}/correction): only the values
    that change, and why."""

    reason: str = Field(min_length=1, max_length=100_000)
    at: str | None = Field(default=None, max_length=40)
    ends_at: str | None = Field(default=None, max_length=40)
    kind: KindId | None = None
    text: str | None = Field(default=None, max_length=100_000)
    place: str | None = Field(default=None, max_length=100_000)
    verified_by: VerifiedId | None = None
    reporter: str | None = Field(default=None, max_length=100_000)
    expected_version: int = Field(ge=1, le=MAX_INT, description="Ärendets version som du såg.")


class SentIn(Body):
    method: MethodId = Field(examples=["rekommenderat"])
    at: str | None = Field(
        default=None,
        min_length=10,
        max_length=40,
        description="Standard: nu. Ett datum utan tid räknas som dagens slut.",
    )
    delivered_on: str | None = Field(default=None, min_length=10, max_length=10)
    expected_version: int = Field(ge=1, le=MAX_INT, description="Ärendets version som du såg.")


class StepSentIn(Body):
    """Every letter not yet sent from the step that drafted a letter, sent on one day."""

    method: MethodId = Field(examples=["rekommenderat"])
    at: str | None = Field(
        default=None,
        min_length=10,
        max_length=40,
        description="Standard: nu. Ett datum utan tid räknas som dagens slut.",
    )
    expected_version: int = Field(ge=1, le=MAX_INT, description="Ärendets version som du såg.")


class ServedIn(Body):
    at: str = Field(
        min_length=10,
        max_length=40,
        description="Delgivningsdagen (och tid om känd); ett datum utan tid räknas som dagens slut.",
    )
    proof: str | None = Field(default=None, max_length=100_000)
    expected_version: int = Field(ge=1, le=MAX_INT, description="Ärendets version som du såg.")


class ReissueIn(Body):
    """A new draft of a letter (the original never changes), e.g. dated the day it is really sent."""

    expected_version: int = Field(ge=1, le=MAX_INT, description="Ärendets version som du såg.")


class DetailsIn(Body):
    """A correction or completion of the tenant's and the flat's details (PATCH /api/cases/{ref}):
    only the fields given change; the journal keeps the values before and after."""

    tenant_name: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=200)
    postal_code: str | None = Field(default=None, max_length=20)
    city: str | None = Field(default=None, max_length=100)
    apartment: str | None = Field(default=None, max_length=40)
    municipality: str | None = Field(default=None, max_length=100)
    contract: str | None = Field(default=None, max_length=80)
    personnummer: str | None = Field(default=None, max_length=20)
    co_tenants: list[str] | None = Field(
        default=None,
        max_length=10,
        description='Alla medhyresgäster (ersätter listan): "Namn" eller "Namn, ÅÅÅÅMMDD-NNNN".',
    )
    expected_version: int = Field(ge=1, le=MAX_INT, description="Ärendets version som du såg.")


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    """Every API error: a stable code and one sentence saying what is wrong and what to do."""

    error: ErrorDetail
