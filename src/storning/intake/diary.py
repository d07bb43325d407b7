"""The complainant's personal diary link: how it is signed, read back and drawn as a QR code.

A link is a row (`DiaryLink`: case, complainant, a random nonce, expiry, revocation) and a token
`<id>.<nonce>.<signature>`, where the signature is HMAC-SHA256 over `<id>.<nonce>` with a key derived
from the database's secret (STORNING_SECRET_KEY when set, otherwise the per-database key in
`app_secrets`). A token whose signature does not match is *tampered* (nothing is looked up); a row
that is revoked or past `expires_at` makes the token *revoked* or *expired*. The row is read on every
use, so revoking takes effect at once.

Who may issue or revoke a link, and what a complainant may see through one, is decided in
`storning.services.diary` (DESIGN invariant 9).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
import secrets
import smtplib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from storning.notifications import Mailer
from storning.runtime import Runtime
from storning.store.models import AppSecret, Case, Complainant, DiaryLink

LINK_PATH = "/dagbok/"  # the form, under STORNING_BASE_URL
KEY_NAME = "diary_link_key"  # the per-database secret in app_secrets, when no STORNING_SECRET_KEY
_TOKEN = re.compile(r"(\d{1,12})\.([A-Za-z0-9_-]{16,64})\.([0-9a-f]{64})")

Problem = Literal["tampered", "expired", "revoked"]


@dataclass(frozen=True)
class LinkProblem(Exception):
    """Why a token opens nothing."""

    problem: Problem


def signing_key(session: Session, configured: str, now: datetime, *, create: bool) -> bytes | None:
    """The key diary tokens are signed with: derived from STORNING_SECRET_KEY (`configured`) when
    set, else from a secret stored once in the database (made here when `create`, in the caller's
    write transaction). None when there is none and it may not be made."""
    if configured:
        base = configured
    else:
        stored = session.get(AppSecret, KEY_NAME)
        if stored is None:
            if not create:
                return None
            stored = AppSecret(name=KEY_NAME, value=secrets.token_urlsafe(48), created_at=now)
            session.add(stored)
            session.flush()
        base = stored.value
    return hmac.new(base.encode(), b"storning.diary-link", hashlib.sha256).digest()


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def token_for(key: bytes, link_id: int, nonce: str) -> str:
    message = f"{link_id}.{nonce}"
    return f"{message}.{_signature(key, message)}"


def _signature(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def link_of(session: Session, key: bytes | None, token: str, now: datetime) -> DiaryLink:
    """The link a token opens, or `LinkProblem`. The signature is checked in constant time before
    anything is looked up; a revoked link says so before an expired one."""
    match = _TOKEN.fullmatch(token.strip())
    if key is None or match is None:
        raise LinkProblem("tampered")
    link_id, nonce, signature = match.groups()
    if not hmac.compare_digest(signature, _signature(key, f"{link_id}.{nonce}")):
        raise LinkProblem("tampered")
    link = session.get(DiaryLink, int(link_id))
    if link is None or not hmac.compare_digest(link.nonce, nonce):
        raise LinkProblem("tampered")
    if link.revoked_at is not None:
        raise LinkProblem("revoked")
    if link.expires_at <= now:
        raise LinkProblem("expired")
    return link


def status_of(link: DiaryLink | Row[Any], now: datetime) -> str:
    """active, revoked or expired."""
    if link.revoked_at is not None:
        return "revoked"
    return "expired" if link.expires_at <= now else "active"


def qr_svg(url: str) -> str:
    """The URL as a QR code, an SVG document (segno: pure Python; error correction M)."""
    import segno

    out = io.BytesIO()
    segno.make_qr(url, error="m").save(out, kind="svg", scale=4, border=2, xmldecl=False)
    return out.getvalue().decode()


# --- the worker: e-mail the links ---------------------------------------------------------------


def deliver_link_emails(app: Runtime, now: datetime, *, limit: int = 50) -> int:
    """Send pending link e-mails to the complainants, each at most once (marked `sending` and
    committed before the SMTP call, as the outbox does); returns how many were sent."""
    mailer = Mailer.from_settings(app.settings)
    if mailer is None:
        return 0
    jobs: list[tuple[int, str, str]] = []
    with app.db.write() as session:
        query = select(DiaryLink).where(DiaryLink.email_status == "pending").order_by(DiaryLink.id)
        if not app.db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        key = signing_key(session, app.settings.secret_key, now, create=False)
        for link in session.scalars(query.limit(limit)):
            complainant = session.get(Complainant, link.complainant_id)
            case = session.get(Case, link.case_id)
            link.email_status = "sending"
            if key is None or complainant is None or case is None or not complainant.email:
                link.email_status = "failed"
                continue
            url = app.settings.base_url + LINK_PATH + token_for(key, link.id, link.nonce)
            expires = link.expires_at.astimezone(app.zone).date().isoformat()
            jobs.append((link.id, complainant.email, _mail_body(case.ref, url, expires)))
    sent = 0
    for link_id, address, body in jobs:
        try:
            mailer.send(address, "Din störningsdagbok / Your disturbance diary", body)
            status, sent = "sent", sent + 1
        except (OSError, smtplib.SMTPException):
            status = "failed"
        with app.db.write() as session:
            row = session.get(DiaryLink, link_id)
            assert row is not None
            row.email_status = status
    return sent


def _mail_body(ref: str, url: str, expires: str) -> str:
    return (
        f"Hej!\n\nHär är din personliga länk till störningsdagboken för ärende {ref}. Skriv ner "
        "varje störning där: datum, klockslag, vad du hörde och var det kom ifrån. Länken är "
        f"personlig; dela den inte. Den gäller till och med {expires}.\n\n{url}\n\n"
        f"Your personal link to the disturbance diary for case {ref} (valid until {expires}); "
        "please do not share it.\n"
    )


def letter_diary(
    session: Session, secret_key: str, base_url: str, complainant_id: int, now: datetime
) -> dict[str, str] | None:
    """For the confirmation letter to a complainant: the newest active link issued for print
    (delivery letter), as its URL and a QR code (SVG); None when there is none."""
    link = session.scalar(
        select(DiaryLink)
        .where(
            DiaryLink.complainant_id == complainant_id,
            DiaryLink.delivery == "letter",
            DiaryLink.revoked_at.is_(None),
            DiaryLink.expires_at > now,
        )
        .order_by(DiaryLink.id.desc())
        .limit(1)
    )
    key = signing_key(session, secret_key, now, create=False) if link else None
    if link is None or key is None:
        return None
    url = base_url + LINK_PATH + token_for(key, link.id, link.nonce)
    return {"url": url, "qr_svg": qr_svg(url)}
