"""The tables. Times are stored as UTC and handed out timezone-aware; days are dates.

A case row carries a version (optimistic locking, invariant 8); track state lives in `case_tracks` and is
written only by `engine.fire` (invariant 1); `journal` is append-only (invariant 3).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storning.store.types import UTCDateTime


class Base(DeclarativeBase):
    """The declarative base; `table(Model)` gives a model's Core table for prepared statements."""

    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads it as a class attribute
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


class WorkflowVersion(Base):
    """A workflow definition exactly as loaded; cases point at (workflow_id, version) forever."""

    __tablename__ = "workflow_versions"
    workflow_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text)
    source_file: Mapped[str] = mapped_column(String(400))
    digest: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime]


def role_set(roles: str) -> frozenset[str]:
    """The roles of a user as stored in `users.roles` (comma-separated)."""
    return frozenset(r for r in roles.split(",") if r)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))  # printed in the officer's letters
    roles: Mapped[str] = mapped_column(
        String(200)
    )  # comma-separated: handlaggare,chef,admin,lasare
    team: Mapped[str | None] = mapped_column(String(80))
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    api_token_hash: Mapped[str | None] = mapped_column(String(128), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    @property
    def role_set(self) -> frozenset[str]:
        return role_set(self.roles)


class Case(Base):
    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(40), unique=True)
    case_type: Mapped[str] = mapped_column(String(40))
    workflow_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | closed
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    team: Mapped[str | None] = mapped_column(String(80))
    tenant_name: Mapped[str] = mapped_column(String(200))
    co_tenants: Mapped[list[Any]] = mapped_column(default=list)
    address: Mapped[str] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(100))
    apartment: Mapped[str] = mapped_column(String(40))
    municipality: Mapped[str | None] = mapped_column(String(100))
    contract: Mapped[str | None] = mapped_column(String(80))
    # ÅÅÅÅMMDD-NNNN, checked (storning.validation.personnummer); shown masked everywhere but in the
    # application to Kronofogden
    personnummer: Mapped[str | None] = mapped_column(String(13))
    # Issue 14 (migration 0009): where the complaint came from, the number of children in the household
    # (a count, never names; None = unknown) and the outcome set when the case closes. Codes and Swedish
    # labels in storning.vocabulary (COMPLAINT_SOURCES, OUTCOMES).
    source: Mapped[str | None] = mapped_column(String(20))
    children: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(30))
    facts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    opened_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    last_event_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    # Issue 13 (migration 0016): the day of the earliest open item (`due.next_due_value`), kept by the
    # one writer (`store.cases.refresh_next_due`), so the worklist sorts without a subquery per case.
    next_due: Mapped[date | None]
    # Issue 15 (migration 0010): when gallring removed the personal data, and the decision it rested on.
    erased_at: Mapped[datetime | None]
    erasure_decision: Mapped[str | None] = mapped_column(String(400))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    tracks: Mapped[list[CaseTrack]] = relationship(
        back_populates="case", order_by="CaseTrack.track", lazy="selectin"
    )
    owner: Mapped[User] = relationship(lazy="select")

    # Bumped once per committed change by the service layer; the UPDATE checks the old value.
    __mapper_args__ = {  # noqa: RUF012
        "version_id_col": version,
        "version_id_generator": False,
    }
    # the worklist: an officer's open cases by next deadline, read in index order (migration 0018)
    __table_args__ = (Index("ix_cases_owner_status_due", "owner_id", "status", "next_due"),)

    def track_state(self, track: str) -> CaseTrack:
        for row in self.tracks:
            if row.track == track:
                return row
        raise KeyError(track)


class CaseTrack(Base):
    """The current state of one track of one case. Only engine.fire writes `state`."""

    __tablename__ = "case_tracks"
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    track: Mapped[str] = mapped_column(String(20), primary_key=True)
    state: Mapped[str] = mapped_column(String(60))
    since: Mapped[datetime]
    case: Mapped[Case] = relationship(back_populates="tracks")

    __table_args__ = (Index("ix_case_tracks_track_state", "track", "state"),)


class Complainant(Base):
    __tablename__ = "complainants"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)  # postal address, one line per row
    # for the officer's updates to the complainant; protected like the name
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    # when a complainant was added after the case was opened (None: named at the opening)
    added_at: Mapped[datetime | None]
    protected: Mapped[bool] = mapped_column(Boolean, default=False)


class Incident(Base):
    __tablename__ = "incidents"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text)
    place: Mapped[str | None] = mapped_column(String(200))
    verified_by: Mapped[str | None] = mapped_column(String(20))
    reporter: Mapped[str | None] = mapped_column(String(200))
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(80))
    # When it ended, if known; False when only the day is known ("tid okänd": `at` is then 00:00).
    ends_at: Mapped[datetime | None]
    time_known: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # The last correction (each one is journaled with the values before and after, and why).
    corrected_at: Mapped[datetime | None]
    corrected_by: Mapped[str | None] = mapped_column(String(80))


class JournalEntry(Base):
    """Append-only. `track`/`from_state`/`to_state` are null for case-level records (incident, letter)."""

    __tablename__ = "journal"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(80))
    track: Mapped[str | None] = mapped_column(String(20))
    event: Mapped[str] = mapped_column(String(60))
    from_state: Mapped[str | None] = mapped_column(String(60))
    to_state: Mapped[str | None] = mapped_column(String(60))
    reason: Mapped[str | None] = mapped_column(Text)
    override: Mapped[str | None] = mapped_column(Text)
    overridden: Mapped[list[Any] | None] = mapped_column(JSON)
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    caused_by: Mapped[int | None] = mapped_column(ForeignKey("journal.id"))
    timer_id: Mapped[int | None] = mapped_column(ForeignKey("timers.id"), unique=True)

    __table_args__ = (
        Index("ix_journal_case", "case_id", "id"),
        # issue 14 (migrations 0009, 0017): the outcome measures find each case's first milestone
        # rows by event from the index alone
        Index("ix_journal_event_case", "event", "case_id", "at", "track"),
    )


class Timer(Base):
    """A deadline or reminder as a row (invariant 5). Scope `state` dies when the track leaves the state."""

    __tablename__ = "timers"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    track: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))  # fires | reminds | before | escalate
    fires: Mapped[str | None] = mapped_column(String(60))
    recipients: Mapped[list[Any]] = mapped_column(default=list)
    scope: Mapped[str] = mapped_column(String(10))  # state | case
    scope_state: Mapped[str | None] = mapped_column(String(60))
    due_on: Mapped[date] = mapped_column(Date)  # the deadline's day
    due_at: Mapped[datetime]  # when the worker acts
    every: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[datetime]
    fired_at: Mapped[datetime | None]
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        Index("ix_timers_due", "status", "due_at"),
        Index("ix_timers_owner_due", "owner_id", "status", "due_on"),
        # the worklist's next deadline; also a case's timers (case_id leads: migration 0019)
        Index("ix_timers_case_due", "case_id", "status", "due_on"),
    )


class Letter(Base):
    """A letter: a draft until issued; once issued its PDF and data never change (invariant 6)."""

    __tablename__ = "letters"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    template: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(10), default="draft")  # draft|issued|sent|served
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(80))
    journal_id: Mapped[int | None] = mapped_column(ForeignKey("journal.id"))
    template_version: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    sha256: Mapped[str | None] = mapped_column(String(64))
    issued_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    sent_method: Mapped[str | None] = mapped_column(String(20))
    delivered_on: Mapped[date | None] = mapped_column(Date)
    served_at: Mapped[datetime | None]
    proof: Mapped[str | None] = mapped_column(Text)


class Outbox(Base):
    """Notifications written in the event's transaction, delivered after commit, each at most once."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    channel: Mapped[str] = mapped_column(String(10))  # inapp | email
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(
        String(10), default="pending"
    )  # pending|sending|sent|failed|read
    sent_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_outbox_user", "user_id", "status"),)


class AccessLog(Base):
    """Who read or exported what, when (GDPR art. 5.2, 32)."""

    __tablename__ = "access_log"
    __table_args__ = (  # who read a case, what a user read, and gallring by age (migration 0014)
        Index("ix_access_log_case_at", "case_id", "at"),
        Index("ix_access_log_actor_at", "actor", "at"),
        Index("ix_access_log_at", "at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(80))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(Text)


class CaseCounter(Base):
    """The last number used for a reference prefix and year (S-2026-0001)."""

    __tablename__ = "case_counters"
    prefix: Mapped[str] = mapped_column(String(10), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


# --- accounts: web sessions, API tokens, login attempts, per-database secrets (migration 0006) ---------


class WebSession(Base):
    """A logged-in browser. The cookie holds only a random token; the row holds its sha256, so a copy
    of the database opens no session. Valid while not revoked, before `expires_at` (the absolute
    limit) and within the idle limit of `last_seen_at`, and while its user is active."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(20))  # logout|password|disabled|…
    client_address: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(200))
    flash: Mapped[str | None] = mapped_column(Text)  # a message shown once on the next page


class ApiToken(Base):
    """A bearer token of a user (`storning user token`), stored as its sha256; optionally expiring."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class LoginAttempt(Base):
    """One attempt to log in (`door` password) or a refused API token (`door` token), shared by every
    process for throttling. `account_key` is the sha256 of the typed user name (never the name: people
    type passwords into that field); `outcome` is pending (being checked), failed or ok."""

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    door: Mapped[str] = mapped_column(String(10))
    account_key: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(10))

    __table_args__ = (
        Index("ix_login_attempts_account", "account_key", "at"),
        Index("ix_login_attempts_address", "address", "at"),
    )


class AppSecret(Base):
    """A secret made once per database (the key that signs the session cookie)."""

    __tablename__ = "app_secrets"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class IdempotencyKey(Base):
    """A request that must take effect once: an API call with an `Idempotency-Key` header, or an HTML
    form's one-time token. `owner` is the sha256 of the caller's credential (token or session
    cookie); `fingerprint` the sha256 of the request; the response is kept for 24 hours."""

    __tablename__ = "idempotency_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(10))  # api | form
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10))  # pending | done
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)  # JSON, or a form's redirect location
    created_at: Mapped[datetime] = mapped_column(index=True)
    completed_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("owner", "scope", "key", name="uq_idempotency_key"),)


# --- retention: legal holds and gallring runs (issue 15, migration 0010) -----------------------------


class LegalHold(Base):
    """A legal hold on a case: while it is not lifted, gallring leaves the case alone. Placed and lifted
    explicitly, each with who and when; the reason is free text and is itself erased with the case."""

    __tablename__ = "legal_holds"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(80))
    placed_at: Mapped[datetime]
    lifted_by: Mapped[str | None] = mapped_column(String(80))
    lifted_at: Mapped[datetime | None]


class GallringRun(Base):
    """One gallring run: when, by whom, under which policy (its sha256 and decision) and how many rows
    of each kind it erased or deleted. Holds no personal data."""

    __tablename__ = "gallring_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    actor: Mapped[str] = mapped_column(String(80))
    policy_digest: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(Text)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)


def table(model: type[Base]) -> Table:
    """The Core `Table` of a mapped class, typed as such (for prepared Core statements)."""
    return cast(Table, model.__table__)


__all__ = [
    "AccessLog",
    "ApiToken",
    "AppSecret",
    "Base",
    "Case",
    "CaseCounter",
    "CaseTrack",
    "Complainant",
    "GallringRun",
    "IdempotencyKey",
    "Incident",
    "JournalEntry",
    "LegalHold",
    "Letter",
    "LoginAttempt",
    "Outbox",
    "Timer",
    "User",
    "WebSession",
    "WorkflowVersion",
    "table",
]


# --- intake: the tenancy register and the intake queue (issue 16, migration 0012) --------------------


class RegisterApartment(Base):
    """An apartment of the tenancy register (hyresregistret), one per address and number."""

    __tablename__ = "register_apartments"
    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(200))
    number: Mapped[str] = mapped_column(String(40))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(100))
    municipality: Mapped[str | None] = mapped_column(String(100))
    property: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (UniqueConstraint("address", "number", name="uq_register_apartment"),)


class RegisterContract(Base):
    """A tenancy (hyreskontrakt) by its contract number; `digest` is the sha256 of the imported values,
    so a re-import that changes nothing is recognised without comparing each column."""

    __tablename__ = "register_contracts"
    id: Mapped[int] = mapped_column(primary_key=True)
    contract: Mapped[str] = mapped_column(String(80), unique=True)
    apartment_id: Mapped[int] = mapped_column(ForeignKey("register_apartments.id"))
    tenant_name: Mapped[str] = mapped_column(String(200))
    personnummer: Mapped[str | None] = mapped_column(String(13))
    co_tenants: Mapped[list[Any]] = mapped_column(default=list)
    move_in: Mapped[date | None] = mapped_column(Date)
    move_out: Mapped[date | None] = mapped_column(Date)
    digest: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(200))

    __table_args__ = (Index("ix_register_contracts_apartment", "apartment_id"),)


class RegisterLogEntry(Base):
    """What an import or an API upsert changed in the register, and from which file or client."""

    __tablename__ = "register_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(String(200))
    contract: Mapped[str | None] = mapped_column(String(80))  # None: the import's summary row
    action: Mapped[str] = mapped_column(String(20))  # created | updated | import
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (Index("ix_register_log_contract", "contract", "id"),)


class IntakeItem(Base):
    """Something that arrived from outside (a night-patrol report, a complainant's diary entry) for an
    officer to attach to a case, open a case from, or dismiss. `status`: open | attached | opened |
    dismissed; a jour report matched on arrival is stored `attached` by `system`."""

    __tablename__ = "intake_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # jour | dagbok
    external_id: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime]
    observed_at: Mapped[datetime | None]
    address: Mapped[str | None] = mapped_column(String(200))
    apartment: Mapped[str | None] = mapped_column(String(40))
    contract: Mapped[str | None] = mapped_column(String(80))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    team: Mapped[str | None] = mapped_column(String(80))
    protected: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10), default="open")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(Text)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))

    __table_args__ = (
        UniqueConstraint("kind", "external_id", name="uq_intake_external"),
        Index("ix_intake_items_status_team", "status", "team"),
        Index("ix_intake_items_case", "case_id"),
    )


# --- issue 16 (migration 0013): diary links, evidence files, the outbound event feed ---------------


class DiaryLink(Base):
    """A complainant's personal link to their own diary form (`storning.intake.diary`): signed with the
    database's key over (id, nonce), valid until `expires_at` unless revoked. `delivery` is email,
    letter (a QR code on the confirmation letter) or manual; `email_status` follows an e-mail link
    (pending, sending, sent, failed) as the outbox does its rows."""

    __tablename__ = "diary_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    complainant_id: Mapped[int] = mapped_column(ForeignKey("complainants.id"))
    nonce: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(80))
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(80))
    delivery: Mapped[str] = mapped_column(String(10))
    email_status: Mapped[str | None] = mapped_column(String(10), index=True)
    last_used_at: Mapped[datetime | None]


class DiaryEntry(Base):
    """What a complainant wrote through their link, kept to show them their own earlier entries; the
    officer's copy is the intake item (`intake_item_id`)."""

    __tablename__ = "diary_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("diary_links.id"))
    submitted_at: Mapped[datetime]
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    kind: Mapped[str] = mapped_column(String(30))
    place: Mapped[str | None] = mapped_column(String(200))
    disturbed: Mapped[str | None] = mapped_column(String(200))
    witnesses: Mapped[str | None] = mapped_column(String(200))
    police_ref: Mapped[str | None] = mapped_column(String(60))
    text: Mapped[str] = mapped_column(Text)
    intake_item_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_diary_entries_link", "link_id", "submitted_at"),)


class EvidenceFile(Base):
    """A photo, recording or document attached to a case (and perhaps one of its incidents); its type
    was read from the content, its bytes are stored under the data directory by sha256 (`storage`
    file) or in `data` (`storage` db)."""

    __tablename__ = "evidence_files"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    extension: Mapped[str] = mapped_column(String(10))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage: Mapped[str] = mapped_column(String(10))  # file | db
    # deferred: lists of evidence show metadata; only a download reads the bytes
    data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    note: Mapped[str | None] = mapped_column(Text)
    uploaded_at: Mapped[datetime]
    uploaded_by: Mapped[str] = mapped_column(String(80))


class WebhookSubscription(Base):
    """An endpoint that receives the event feed, signed with its `secret`; `cursor` is the last
    journal id the worker has turned into deliveries for it."""

    __tablename__ = "webhook_subscriptions"
    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(Boolean)
    cursor: Mapped[int] = mapped_column(Integer)


class WebhookDelivery(Base):
    """One event to one subscription: pending until delivered, retried with back-off, `dead` after
    the last attempt (re-delivered by command). Unique per (subscription, event): never twice."""

    __tablename__ = "webhook_deliveries"
    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id"))
    event_id: Mapped[int] = mapped_column(ForeignKey("journal.id"))
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(10))  # pending|sending|delivered|dead
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    last_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id", name="uq_webhook_delivery"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )


# --- privacy: redacted releases of case files (issue 15, migration 0011) -----------------------------


class CaseRelease(Base):
    """A decision to release a case file under offentlighetsprincipen (OSL 2 kap. 3 §) with fields
    masked: who decided, when, the request's reference, which fields were masked and under which OSL
    provision, and the sha256 of the PDF handed out. Holds field ids, never the masked values."""

    __tablename__ = "case_releases"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(80))
    request_ref: Mapped[str] = mapped_column(String(100))
    masked: Mapped[list[Any]] = mapped_column(default=list)  # [{"field": id, "reason": OSL key}]
    sha256: Mapped[str] = mapped_column(String(64))
