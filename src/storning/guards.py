"""Named guards: the statutory and practice conditions an action must meet, each explaining itself.

Every guard has an id (used in the workflow YAML), a Swedish message for the officer, the legal reference
where there is one, and whether a user with the right role may override it with a written reason
(DESIGN invariant 7). A guard is a predicate over the `EventContext`; it never writes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from storning.context import EventContext
from storning.errors import BlockedReason

OWN_VERIFICATION = frozenset({"staff", "jour", "inspection"})


@dataclass(frozen=True)
class Guard:
    id: str
    message: str
    law: str | None
    overridable: bool
    check: Callable[[EventContext], bool]
    # what exactly is missing in this case (e.g. who has not been served), added to the message
    detail: Callable[[EventContext], str | None] | None = None

    def reason(self, ctx: EventContext | None = None) -> BlockedReason:
        extra = self.detail(ctx) if self.detail is not None and ctx is not None else None
        message = f"{self.message}: {extra}" if extra else self.message
        return BlockedReason(self.id, message, self.law, self.overridable)


GUARDS: dict[str, Guard] = {}


def guard(
    id: str,
    message: str,
    law: str | None = None,
    *,
    overridable: bool = False,
    detail: Callable[[EventContext], str | None] | None = None,
) -> Callable[[Callable[[EventContext], bool]], Callable[[EventContext], bool]]:
    def register(check: Callable[[EventContext], bool]) -> Callable[[EventContext], bool]:
        GUARDS[id] = Guard(id, message, law, overridable, check, detail)
        return check

    return register


# The terminations that go to each contract holder, and the fact that says who still lacks theirs.
TERMINATION_LETTERS = ("uppsagning", "uppsagning_hyresskuld")


def _unserved_holders(ctx: EventContext) -> str | None:
    for template in TERMINATION_LETTERS:
        pending = ctx.facts.get(f"{template}_pending") or {}
        names = pending.get("unserved") or []
        if names:
            return "ännu inte delgiven " + _and_list(names)
    return None


def _and_list(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} och {names[-1]}"


@guard(
    "has_incident",
    "Ärendet saknar registrerad störning; registrera minst en händelse innan uppmaning ges",
    "12 kap. 25 a § jordabalken",
)
def _has_incident(ctx: EventContext) -> bool:
    return bool(ctx.incidents)


@guard(
    "own_verification",
    "Ingen händelse är verifierad av egen personal, störningsjour eller besiktning; "
    "en uppmaning som bara vilar på grannars uppgifter har inte räckt som bevisning",
    "RH 2018:23",
    overridable=True,
)
def _own_verification(ctx: EventContext) -> bool:
    return any(i.verified_by in OWN_VERIFICATION for i in ctx.incidents)


@guard(
    "severe_incident",
    "Ingen registrerad händelse är av särskilt allvarligt slag (våld, hot, anlagd brand, brott)",
    "12 kap. 42 § fjärde stycket jordabalken",
    overridable=True,
)
def _severe_incident(ctx: EventContext) -> bool:
    return any(i.kind in ctx.severe_kinds for i in ctx.incidents)


@guard(
    "social_services_notified",
    "Socialnämnden har inte underrättats: underrättelsen måste vara skickad, med datum, "
    "innan avtalet sägs upp på grund av störningar",
    "12 kap. 42 § tredje stycket jordabalken",
)
def _social_services_notified(ctx: EventContext) -> bool:
    notified = ctx.fact_date("social_services_notified_on")
    return notified is not None and notified <= ctx.today


@guard(
    "not_approved_subtenant",
    "Den som stört är en godkänd andrahandshyresgäst: uppmaning och underrättelse till "
    "socialnämnden krävs alltid",
    "12 kap. 42 § fjärde stycket jordabalken",
)
def _not_approved_subtenant(ctx: EventContext) -> bool:
    return not ctx.facts.get("culprit_approved_subtenant", False)


@guard(
    "termination_served",
    "Uppsägningen är inte delgiven varje kontraktsinnehavare; vid förverkande räcker inte ett "
    "rekommenderat brev",
    "12 kap. 8 § jordabalken",
    detail=_unserved_holders,
)
def _termination_served(ctx: EventContext) -> bool:
    served = ctx.fact_date("termination_served_on")
    return served is not None and served <= ctx.today


@guard(
    "before_referral_deadline",
    "Fristen för att hänskjuta tvisten till hyresnämnden har gått ut; uppsägningen är då utan verkan",
    "12 kap. 49 § jordabalken",
)
def _before_referral_deadline(ctx: EventContext) -> bool:
    deadline = ctx.fact_date("referral_deadline")
    return deadline is not None and ctx.today <= deadline


@guard(
    "social_services_notified_or_copy",
    "Socialnämnden har varken underrättats före uppsägningen eller fått en kopia av den",
    "12 kap. 42 § tredje och fjärde styckena jordabalken",
)
def _notified_or_copy(ctx: EventContext) -> bool:
    return _social_services_notified(ctx) or ctx.fact_date("kopia_uppsagning_sent_on") is not None


@guard(
    "other_tracks_final",
    "Myndighetsprocessen och kundprocessen måste vara avslutade innan ärendet avslutas",
)
def _other_tracks_final(ctx: EventContext) -> bool:
    return all(
        track.is_final(ctx.state_of(name))
        for name, track in ctx.workflow.tracks.items()
        if name != ctx.track.name
    )


def _consent_detail(ctx: EventContext) -> str | None:
    """Why consent does not hold: none recorded, or the day it ran out (until a new one is recorded).
    Only voluntary information sharing needs it: the statutory notices to socialnämnden (12 kap.
    25 a, 42 and 44 §§ JB) are sent without consent and are never blocked by this guard."""
    expires = ctx.fact_date("consent_expires_on")
    if expires is None:
        return "inget samtycke är registrerat; registrera samtycke innan uppgifter delas"
    if ctx.today > expires:
        return (
            f"samtycket gick ut {expires.isoformat()}; registrera ett nytt samtycke innan "
            "uppgifter delas med socialtjänsten"
        )
    return None


@guard(
    "consent_recorded",
    "Hyresgästens skriftliga samtycke till informationsutbyte med socialtjänsten saknas "
    "eller har gått ut",
    "26 kap. 1 § och 12 kap. 2 § offentlighets- och sekretesslagen (2009:400)",
    detail=_consent_detail,
)
def _consent_recorded(ctx: EventContext) -> bool:
    expires = ctx.fact_date("consent_expires_on")
    return expires is not None and ctx.today <= expires


@guard(
    "incident_after_uppmaning",
    "Händelsen inträffade inte efter att uppmaningen gavs",
    "12 kap. 42 § första stycket 9 jordabalken",
)
def _incident_after_uppmaning(ctx: EventContext) -> bool:
    given = ctx.fact_instant("uppmaning_given_at")
    return given is not None and ctx.incident is not None and ctx.incident.at > given


@guard(
    "ground_after_uppmaning",
    "Ingen registrerad störning inträffade efter att uppmaningen gavs; utan en sådan är hyresrätten "
    "inte förverkad",
    "12 kap. 42 § första stycket 9 jordabalken",
)
def _ground_after_uppmaning(ctx: EventContext) -> bool:
    given = ctx.fact_instant("uppmaning_given_at")
    return given is not None and any(i.at > given for i in ctx.incidents)


@guard(
    "forfeiture_ground",
    "Hyresrätten är inte förverkad på grund av störningar: ingen registrerad störning inträffade "
    "efter uppmaningen, och ärendet är inte bedömt som särskilt allvarligt",
    "12 kap. 42 § första stycket 9 och fjärde stycket jordabalken",
)
def _forfeiture_ground(ctx: EventContext) -> bool:
    return bool(ctx.facts.get("severe")) or _ground_after_uppmaning(ctx)


def blocked_by(ctx: EventContext, guard_ids: tuple[str, ...]) -> list[Guard]:
    """The guards among `guard_ids` that do not pass, in declaration order."""
    return [GUARDS[g] for g in guard_ids if not GUARDS[g].check(ctx)]
