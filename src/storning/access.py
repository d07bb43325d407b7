"""Who may do what with which case: small pure functions over a `Principal` and a `CaseScope`.

The services ask these, for the acting principal, inside the use case's transaction (DESIGN invariant
9); the CLI, the web pages, the API and the worker never decide access themselves. This module holds the
one definition of each role set.

The rules (DOMAIN §7: role-based access, complainants protected):

| role          | read                        | act (fire, incidents, letters) | override | reassign      |
|---------------|-----------------------------|--------------------------------|----------|---------------|
| `handlaggare` | own cases and own team's    | own cases and own team's       | –        | –             |
| `chef`        | own cases and own team's    | own cases and own team's       | same     | within team   |
| `admin`       | every case                  | every case                     | every    | every         |
| `lasare`      | own team's cases            | –                              | –        | –             |
| `dataskydd`   | – (no case pages)           | –                              | –        | –             |

Privacy work (issue 15: the access log, registerutdrag under GDPR art. 15, redacted release of a
case file under OSL 2 kap. 3 §) is a separate right: the privacy officer (`dataskydd`,
dataskyddsombud) and the administrator for every case, a chef for the own team's cases
(`can_handle_privacy`, `privacy_visibility`). `dataskydd` is not an acting role: it changes no case.

Disclosing complainants' identities in a report needs the override right (a chef of the team, or an
admin).

A user with several roles gets the union. A case a user may not read does not exist for that user: the
interfaces answer 404, the same as for an unknown reference, so nothing leaks. Protected complainants
(skyddad identitet) are shown only to those who may act on the case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

ACTING_ROLES = frozenset({"handlaggare", "chef", "admin"})
OVERRIDING_ROLES = frozenset({"chef", "admin"})
READING_ROLES = frozenset({"lasare"})
PRIVACY_ROLES = frozenset({"dataskydd"})  # the privacy officer: access log, extracts, releases
ALL_ROLES = ACTING_ROLES | READING_ROLES | PRIVACY_ROLES

Visibility = Literal["all", "team", "own", "none"]


@dataclass(frozen=True)
class Principal:
    """The person (or integration) making a request."""

    username: str
    roles: frozenset[str]
    team: str | None = None
    name: str = ""

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def is_chef(self) -> bool:
        return "chef" in self.roles


class Account(Protocol):
    """What a stored user offers to become a principal (the `User` model has these)."""

    @property
    def username(self) -> str: ...

    @property
    def team(self) -> str | None: ...

    @property
    def name(self) -> str: ...

    @property
    def role_set(self) -> frozenset[str]: ...


def principal_of(user: Account) -> Principal:
    return Principal(user.username, user.role_set, user.team, user.name)


@dataclass(frozen=True)
class CaseScope:
    """What the rules need to know about a case: who owns it and which team it belongs to."""

    owner: str
    team: str | None


def _same_team(principal: Principal, case: CaseScope) -> bool:
    return principal.team is not None and principal.team == case.team


def _own_or_team(principal: Principal, case: CaseScope) -> bool:
    return case.owner == principal.username or _same_team(principal, case)


def may_act_at_all(principal: Principal) -> bool:
    """Holds an acting role: may open cases and change the ones in reach."""
    return bool(ACTING_ROLES & principal.roles)


def can_read(principal: Principal, case: CaseScope) -> bool:
    if principal.is_admin:
        return True
    if may_act_at_all(principal) and _own_or_team(principal, case):
        return True
    return "lasare" in principal.roles and _same_team(principal, case)


def can_act(principal: Principal, case: CaseScope) -> bool:
    """Fire events, record incidents, mark letters sent or served, issue letters."""
    if principal.is_admin:
        return True
    return may_act_at_all(principal) and _own_or_team(principal, case)


def can_override(principal: Principal, case: CaseScope) -> bool:
    """Give a written override of an overridable guard (the engine also requires chef or admin)."""
    if principal.is_admin:
        return True
    return principal.is_chef and _own_or_team(principal, case)


def can_reassign(principal: Principal, case: CaseScope, new_owner: Principal) -> bool:
    """Move a case to another officer: a chef within the team, an admin to any acting officer."""
    if not may_act_at_all(new_owner):
        return False
    if principal.is_admin:
        return True
    return (
        principal.is_chef
        and _same_team(principal, case)
        and new_owner.team is not None
        and new_owner.team == principal.team
    )


def can_open_for(principal: Principal, owner: Principal) -> bool:
    """Open a case owned by `owner`: oneself, or (chef) a team member, or (admin) anyone who acts."""
    if not may_act_at_all(principal) or not may_act_at_all(owner):
        return False
    if owner.username == principal.username or principal.is_admin:
        return True
    return principal.is_chef and principal.team is not None and owner.team == principal.team


def can_see_protected(principal: Principal, case: CaseScope) -> bool:
    """Names and contact details of complainants with skyddad identitet."""
    return can_act(principal, case)


def can_disclose(principal: Principal, case: CaseScope) -> bool:
    """Name the reporters in a compiled report (an export outside the landlord)."""
    return can_override(principal, case)


def can_manage_users(principal: Principal) -> bool:
    return principal.is_admin


def visibility(principal: Principal) -> Visibility:
    """The widest set of cases a principal may read, for list queries.

    `all`: every case; `team`: own team's cases plus own cases; `own`: own cases only (an officer with
    no team); `none`: nothing (a reader with no team, or no role).
    """
    if principal.is_admin:
        return "all"
    if may_act_at_all(principal):
        return "team" if principal.team else "own"
    if "lasare" in principal.roles and principal.team:
        return "team"
    return "none"


def team_only(principal: Principal) -> bool:
    """Readers see only their team's cases, not cases they happen to own elsewhere."""
    return not may_act_at_all(principal)


def privacy_visibility(principal: Principal) -> Visibility:
    """Whose cases a principal may handle privacy work for (read the access log, produce a
    registerutdrag or a redacted release): `all` for the privacy officer and the administrator,
    `team` for a chef with a team, else `none` (officers and readers never read the access log)."""
    if principal.is_admin or PRIVACY_ROLES & principal.roles:
        return "all"
    if principal.is_chef and principal.team:
        return "team"
    return "none"


def can_handle_privacy(principal: Principal, case: CaseScope) -> bool:
    """Read the case's access log, release it redacted, include it in a registerutdrag."""
    reach = privacy_visibility(principal)
    return reach == "all" or (reach == "team" and _same_team(principal, case))
