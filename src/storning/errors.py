"""Errors a user can cause and fix. Each message is one sentence that says what is wrong and what to do.

Interfaces (CLI, web, API) catch `StorningError` and show `str(error)`; anything else is a bug.
"""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Refusal:
    """A refused attempt to read or change case data, for the access log: who, which case, what."""

    actor: str
    case_id: int | None
    action: str
    reason: str


# A part of a message that only the command line shows — a command to run or an option to give:
# `f"…{cli(' (--track)')}…"`. The web and the API never mention CLI flags (`str(error)` leaves it out);
# the CLI prints `error.for_cli()`.
_CLI_ONLY = re.compile("\u27e6(.*?)\u27e7", re.DOTALL)


def cli(text: str) -> str:
    return f"\u27e6{text}\u27e7"


class StorningError(Exception):
    """Base for every error caused by input or state, never by a bug."""

    code = "error"
    # Set by the services when the error refuses a principal access; written to the access log after
    # the refused transaction has rolled back.
    refusal: Refusal | None = None

    def __str__(self) -> str:
        """The message as the web and the API show it: without command-line hints."""
        return _CLI_ONLY.sub("", super().__str__())

    def for_cli(self) -> str:
        """The message with its command-line hints."""
        return _CLI_ONLY.sub(r"\1", super().__str__())


class NotFound(StorningError):
    """An unknown case reference, letter id, event, track or user."""

    code = "not_found"


class InvalidInput(StorningError):
    """A value given by the user is malformed or missing."""

    code = "invalid_input"


class DefinitionError(StorningError):
    """A workflow definition is invalid; the message lists every problem with file, path and line."""

    code = "definition_error"

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class EventNotAvailable(StorningError):
    """The event has no transition from the track's current state."""

    code = "event_not_available"


@dataclass(frozen=True)
class BlockedReason:
    """Why a guard blocks an action: its id, the officer's message, the law, and whether it may be overridden."""

    guard: str
    message: str
    law: str | None
    overridable: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "guard": self.guard,
            "message": _CLI_ONLY.sub("", self.message),
            "law": self.law,
            "overridable": self.overridable,
        }

    def sentence(self) -> str:
        law = f" ({self.law})" if self.law else ""
        hint = (
            f" Kan åsidosättas med en skriftlig motivering{cli(' (--override)')}."
            if self.overridable
            else ""
        )
        return f"{self.message}{law}.{hint}"


class GuardBlocked(StorningError):
    """One or more guards block the event; the message names each rule and its paragraph."""

    code = "blocked"

    def __init__(self, event: str, reasons: list[BlockedReason], label: str = "") -> None:
        self.event = event
        self.label = label
        self.reasons = reasons
        joined = " ".join(f"[{r.guard}] {r.sentence()}" for r in reasons)
        named = f"Åtgärden '{label}' ({event})" if label else f"Händelsen '{event}'"
        super().__init__(f"{named} är spärrad: {joined}")


class PermissionDenied(StorningError):
    """The acting user lacks the role the action needs."""

    code = "forbidden"


class StaleCase(StorningError):
    """The case changed after the user loaded it; the write was refused and nothing was lost."""

    code = "stale"


class ClockError(StorningError):
    """The operation's time is earlier than the case's latest journal entry."""

    code = "clock"


# What the operating system says about a file, in Swedish (the officer reads it): the common reasons
# by errno; any other reason as the system gives it.
_FILE_REASONS = {
    errno.ENOENT: "filen eller mappen finns inte",
    errno.EACCES: "behörighet saknas",
    errno.EPERM: "behörighet saknas",
    errno.EISDIR: "det är en mapp, inte en fil",
    errno.ENOTDIR: "en del av sökvägen är ingen mapp",
    errno.ENOSPC: "disken är full",
    errno.EROFS: "filsystemet är skrivskyddat",
    errno.EEXIST: "filen finns redan",
    errno.ENAMETOOLONG: "namnet är för långt",
}


def file_reason(error: OSError) -> str:
    """Why a file could not be used, as one Swedish phrase (no final full stop)."""
    known = _FILE_REASONS.get(error.errno or 0)
    return known or (error.strerror or str(error)).rstrip(".")
