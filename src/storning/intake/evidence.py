"""Evidence files: what they may be, how an upload is read, and where the bytes are kept.

The type is read from the content (`filetype`, the file's magic numbers), never from the name or the
browser's Content-Type, and must be on the whitelist below; the name's extension must agree with it
(a PDF named `bild.jpg` is refused, a JPEG named `foto.jpeg` is fine). The size is checked twice: the
declared length first (a 2 GB upload is refused before one byte is read), then by counting while the
stream is written to a temporary file, which is abandoned the moment the count passes the limit. So
nothing larger than the limit is ever held in memory, and nothing partial is ever kept.

Stored by sha256: `storage` file puts the bytes at `<data dir>/evidence/<sha[:2]>/<sha>` (the same
content once, however often it is attached); `storage` db keeps them in the row.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import filetype
from sqlalchemy import select
from sqlalchemy.orm import Session

from storning.config import Settings
from storning.errors import InvalidInput, StorningError
from storning.store.models import EvidenceFile

SNIFF_BYTES = 8192  # what filetype reads

# extension found in the content -> (safe Content-Type, Swedish label, the name extensions it may have)
ALLOWED: dict[str, tuple[str, str, frozenset[str]]] = {
    "jpg": ("image/jpeg", "JPEG-bild", frozenset({"jpg", "jpeg", "jpe"})),
    "png": ("image/png", "PNG-bild", frozenset({"png"})),
    "heic": ("image/heic", "HEIC-bild", frozenset({"heic", "heif"})),
    "mp3": ("audio/mpeg", "MP3-ljud", frozenset({"mp3"})),
    "m4a": ("audio/mp4", "M4A-ljud", frozenset({"m4a", "mp4", "aac"})),
    "wav": ("audio/wav", "WAV-ljud", frozenset({"wav"})),
    "ogg": ("audio/ogg", "Ogg-ljud", frozenset({"ogg", "oga", "opus"})),
    "mp4": ("video/mp4", "MP4-video", frozenset({"mp4", "m4v"})),
    "mov": ("video/quicktime", "QuickTime-video", frozenset({"mov", "qt"})),
    "pdf": ("application/pdf", "PDF-dokument", frozenset({"pdf"})),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "Word-dokument",
        frozenset({"docx"}),
    ),
}
WHAT_IS_ALLOWED = (
    "foton (JPEG, PNG, HEIC), ljud (MP3, M4A, WAV, Ogg), video (MP4, MOV), PDF och Word"
)


class TooLarge(StorningError):
    """An upload over the size limit (HTTP 413)."""

    code = "too_large"


@dataclass(frozen=True)
class Received:
    """An upload read in full into a temporary file, checked: type, size and hash."""

    path: Path  # the temporary file (the caller stores or deletes it)
    filename: str
    extension: str
    content_type: str
    size: int
    sha256: str


def data_dir(settings: Settings) -> Path:
    """STORNING_DATA_DIR; unset: beside the SQLite file (`<file>.files`), else ./storning-data."""
    if settings.data_dir is not None:
        return settings.data_dir
    prefix = "sqlite:///"
    if settings.db_url.startswith(prefix) and settings.db_url != "sqlite:///:memory:":
        return Path(settings.db_url[len(prefix) :] + ".files")
    return Path("storning-data")


def max_bytes(settings: Settings) -> int:
    return settings.evidence_max_mb * 1024 * 1024


def too_large(settings: Settings) -> TooLarge:
    return TooLarge(
        f"Filen är större än {settings.evidence_max_mb} MB, som är gränsen för bevisfiler; "
        "dela upp den eller minska den."
    )


def check_declared(settings: Settings, declared: int | None) -> None:
    """Refuse at once an upload whose declared length (Content-Length) is over the limit."""
    if declared is not None and declared > max_bytes(settings):
        raise too_large(settings)


def clean_name(filename: str) -> str:
    """The file's own name without any folder part, control characters or more than 200 characters."""
    base = PureWindowsPath(PurePosixPath(filename or "").name).name
    base = "".join(c for c in base if c.isprintable() and c not in '<>:"/\\|?*').strip(" .")
    if not base:
        raise InvalidInput(
            "Filen saknar namn; välj en fil med ett namn som slutar på till "
            "exempel .jpg eller .pdf."
        )
    if len(base) > 200:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 200 - len(ext) - 1] + dot + ext) if dot else base[:200]
    return base


def receive(
    settings: Settings, filename: str, chunks: Iterable[bytes], declared: int | None = None
) -> Received:
    """Read an upload into a temporary file under the data directory, hashing and counting as it
    goes; refuse it (and delete what was written) when too large or not an allowed type."""
    name = clean_name(filename)
    check_declared(settings, declared)
    limit = max_bytes(settings)
    spool = data_dir(settings) / "tmp"
    spool.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    head = b""
    handle, temp = tempfile.mkstemp(dir=spool, prefix="upload-")
    path = Path(temp)
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise too_large(settings)
                if len(head) < SNIFF_BYTES:
                    head += chunk[: SNIFF_BYTES - len(head)]
                digest.update(chunk)
                out.write(chunk)
        extension, content_type = check_type(name, head, size)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Received(path, name, extension, content_type, size, digest.hexdigest())


def check_type(name: str, head: bytes, size: int) -> tuple[str, str]:
    """The file's type from its first bytes, on the whitelist and agreeing with its name."""
    if size == 0:
        raise InvalidInput(f"Filen {name} är tom; välj en fil med innehåll.")
    kind = filetype.guess(head)
    if kind is None or kind.extension not in ALLOWED:
        raise InvalidInput(
            f"Innehållet i {name} är ingen filtyp som tas emot som bevis; tillåtna är "
            f"{WHAT_IS_ALLOWED}."
        )
    content_type, label, names = ALLOWED[kind.extension]
    given = name.rpartition(".")[2].lower() if "." in name else ""
    if given not in names:
        raise InvalidInput(
            f"Filen heter {name} men innehållet är en {label}; byt namn så att det slutar på "
            f".{kind.extension}, eller välj rätt fil."
        )
    return kind.extension, content_type


def stored_path(settings: Settings, sha256: str) -> Path:
    return data_dir(settings) / "evidence" / sha256[:2] / sha256


def keep(settings: Settings, received: Received) -> bool:
    """Move the checked upload into place by its hash; True when this call created the file (so a
    failed database write can take it away again)."""
    target = stored_path(settings, received.sha256)
    if target.exists():
        received.path.unlink(missing_ok=True)
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(received.path, target)
    return True


def read_stored(settings: Settings, sha256: str) -> bytes:
    path = stored_path(settings, sha256)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise StorningError(
            "Bevisfilen saknas i datamappen (STORNING_DATA_DIR); kontakta administratören."
        ) from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise StorningError(
            "Bevisfilen i datamappen har ändrats sedan den laddades upp; kontakta administratören."
        )
    return data


def evidence_for_report(
    session: Session, case_id: int, zone: Any, *, disclose: bool = False
) -> list[dict[str, Any]]:
    """The report's appendix: each file's number, type, size, hash and upload day; its name only
    when the report discloses identities (a file's name often names the person who recorded it)."""
    return [
        {
            "id": row.id,
            "filename": row.filename if disclose else f"bevis-{row.id}.{row.extension}",
            "type": ALLOWED.get(row.extension, ("", row.extension, None))[1],
            "size": row.size,
            "sha256": row.sha256,
            "incident": row.incident_id,
            "uploaded_on": row.uploaded_at.astimezone(zone).date().isoformat(),
        }
        for row in session.scalars(
            select(EvidenceFile).where(EvidenceFile.case_id == case_id).order_by(EvidenceFile.id)
        )
    ]
