"""Reminders to people, written to the outbox in the event's transaction and delivered after commit."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from ipaddress import ip_address
from typing import Any, Protocol, TypeVar

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storning.access import Account, CaseScope, can_read, principal_of
from storning.config import Settings
from storning.due import open_item, week_end
from storning.runtime import Runtime
from storning.store.models import Case, Outbox, Timer, User, table


class Person(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def email(self) -> str | None: ...


P = TypeVar("P", bound=Person)


def may_read(person: Account, owner: str, team: str | None) -> bool:
    """Whether `person` may read a case owned by `owner` in `team`: notices about a case (its
    reference, tenant and address) go only to people who may read it."""
    return can_read(principal_of(person), CaseScope(owner, team))


def choose_recipients(owner: P, supervisor: P | None, roles: Iterable[str]) -> list[P]:
    """'owner' is the case's officer; 'supervisor' is the owner's chef (the owner when none is set).
    Each person once, in the order the roles name them."""
    chosen: dict[int, P] = {}
    for role in roles:
        person = owner if role == "owner" else (supervisor or owner)
        chosen[person.id] = person
    return list(chosen.values())


def outbox_rows(
    person: Person,
    case_id: int | None,
    subject: str,
    body: str,
    now: datetime,
    dedupe_key: str | None = None,
) -> list[dict[str, Any]]:
    """One in-app row for the person, plus an e-mail row when they have an address."""
    return [
        {
            "user_id": person.id,
            "case_id": case_id,
            "channel": channel,
            "subject": subject,
            "body": body or subject,
            "created_at": now,
            "status": "pending",
            "sent_at": None,
            "dedupe_key": f"{dedupe_key}:{person.id}:{channel}" if dedupe_key else None,
        }
        for channel in ["inapp"] + (["email"] if person.email else [])
    ]


def notify_case_people(
    session: Session,
    case: Case,
    roles: list[str],
    subject: str,
    now: datetime,
    body: str = "",
    dedupe_key: str | None = None,
) -> None:
    """Write the notice to the outbox (in the caller's transaction) for the case's owner/supervisor."""
    owner = case.owner
    boss = session.get(User, owner.supervisor_id) if owner.supervisor_id else None
    if boss is not None and not may_read(boss, owner.username, case.team):
        boss = None  # a chef of another team gets nothing of the case: the owner is told instead
    rows = [
        row
        for person in choose_recipients(owner, boss, roles)
        for row in outbox_rows(person, case.id, subject, body, now, dedupe_key)
    ]
    if rows:
        session.execute(insert(table(Outbox)), rows)


# --- delivery after commit -----------------------------------------------------------------------------


@dataclass
class Mailer:
    """SMTP settings; `None` host means e-mail is off and e-mail rows stay pending.

    `tls` (STORNING_SMTP_TLS): `starttls` (the default) upgrades the connection and checks the server's
    certificate against the system's trusted roots and its host name; a server that does not offer
    STARTTLS is refused, unless it is on this machine (localhost), where the mail never crosses a
    network. `tls` connects with TLS from the start (port 465). `off` never encrypts: an explicit
    choice, since reminders carry tenants' names and addresses.
    """

    host: str
    port: int
    tls: str
    user: str
    password: str
    sender: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Mailer | None:
        if not settings.smtp_host:
            return None
        return cls(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_tls,
            settings.smtp_user,
            settings.smtp_password,
            settings.mail_from,
        )

    def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message.set_content(body)
        with self._connect() as smtp:
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(message)

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()  # verifies the certificate and the host name
        if self.tls == "tls":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=30, context=context)
        smtp = smtplib.SMTP(self.host, self.port, timeout=30)
        try:
            if self.tls == "starttls":
                smtp.ehlo()
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=context)
                    smtp.ehlo()
                elif not is_loopback(self.host):
                    raise smtplib.SMTPNotSupportedError(
                        f"SMTP-servern {self.host} erbjuder inte STARTTLS."
                    )
        except BaseException:
            smtp.close()
            raise
        return smtp


def is_loopback(host: str) -> bool:
    """`localhost` or a loopback address: a connection that never leaves this machine."""
    if host.strip().lower().rstrip(".") == "localhost":
        return True
    try:
        return ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def deliver_email(app: Runtime, now: datetime, *, limit: int = 100) -> int:
    """Send pending e-mail rows, each at most once: a row is marked `sending` and committed before the
    SMTP call, so a crash after sending can never send it again (it stays `sending` for an operator)."""
    mailer = Mailer.from_settings(app.settings)
    if mailer is None:
        return 0
    with app.db.write() as session:
        query = (
            select(Outbox)
            .where(Outbox.channel == "email", Outbox.status == "pending")
            .order_by(Outbox.id)
        )
        if not app.db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        rows = list(session.scalars(query.limit(limit)))
        jobs = []
        for row in rows:
            row.status = "sending"
            person = session.get(User, row.user_id)
            jobs.append((row.id, person.email if person else None, row.subject, row.body))
    sent = 0
    for row_id, address, subject, body in jobs:
        try:
            if not address:
                raise ValueError("no address")
            mailer.send(address, subject, body)
            status = "sent"
            sent += 1
        except (OSError, smtplib.SMTPException, ValueError):
            status = "failed"
        with app.db.write() as session:
            sent_row = session.get(Outbox, row_id)
            assert sent_row is not None
            sent_row.status, sent_row.sent_at = status, now
    return sent


def send_digests(app: Runtime, now: datetime) -> int:
    """Each officer's morning digest of what is due this week and overdue; once per officer and day,
    however many workers run it (the unique `dedupe_key` decides)."""
    today = now.astimezone(app.zone).date()
    horizon = week_end(today)  # "this week" as every list means it (storning.due)
    made = 0
    with app.db.write() as session:
        officers = session.scalars(
            select(User).where(User.active.is_(True), User.username != "system")
        )
        for officer in officers:
            items = session.execute(
                select(Timer.due_on, Timer.label, Case.ref)
                .join(Case, Case.id == Timer.case_id)
                .where(
                    Timer.owner_id == officer.id,
                    open_item(),
                    Timer.due_on <= horizon,
                    Case.status == "open",
                )
                .order_by(Timer.due_on)
            ).all()
            if not items:
                continue
            lines = [
                f"{'FÖRSENAT ' if due < today else ''}{due.isoformat()}  {ref}  {label}"
                for due, label, ref in items
            ]
            subject = f"Storning: {len(items)} att göra ({today.isoformat()})"
            body = (
                "Det här förfaller denna vecka eller har passerat:\n\n"
                + "\n".join(lines)
                + f"\n\n{app.settings.base_url}/\n"
            )
            for channel in ["inapp"] + (["email"] if officer.email else []):
                try:
                    with session.begin_nested():
                        session.add(
                            Outbox(
                                user_id=officer.id,
                                channel=channel,
                                subject=subject,
                                body=body,
                                created_at=now,
                                status="pending",
                                dedupe_key=f"digest:{today.isoformat()}:{officer.id}:{channel}",
                            )
                        )
                        session.flush()
                    made += 1
                except IntegrityError:
                    pass  # another worker made today's digest already
    return made


def reminders_for(
    app: Runtime, username: str, *, include_read: bool = False
) -> list[dict[str, Any]]:
    """'Mina påminnelser': the in-app rows for one person, newest first."""
    with app.db.read() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            return []
        query = select(Outbox).where(Outbox.user_id == user.id, Outbox.channel == "inapp")
        if not include_read:
            query = query.where(Outbox.status == "pending")
        rows = session.scalars(query.order_by(Outbox.id.desc()).limit(200))
        return [
            {
                "id": r.id,
                "at": r.created_at.astimezone(app.zone).isoformat(timespec="seconds"),
                "subject": r.subject,
                "read": r.status == "read",
            }
            for r in rows
        ]


def mark_read(app: Runtime, username: str, reminder_id: int) -> None:
    with app.db.write() as session:
        row = session.get(Outbox, reminder_id)
        user = session.scalar(select(User).where(User.username == username))
        if row is None or user is None or row.user_id != user.id:
            from storning.errors import NotFound

            raise NotFound(f"Det finns ingen påminnelse {reminder_id} för {username}.")
        row.status = "read"
