"""The milestones of a case, derived from the journal (issue 14): never typed twice.

One mapping, for both workflows, from a milestone to the journal rows that mark it. A case reaches a
milestone at the `at` of the first journal row that matches (the earliest, if it was reached again after
a withdrawal). `MILESTONES` is the table the measures, the exports and the dashboard read.

| milestone        | storning                                                   | hyresskuld                          |
|------------------|------------------------------------------------------------|-------------------------------------|
| `complaint`      | `case_opened`                                              | `case_opened`                       |
| `first_contact`  | customer `record_contact`                                  | customer `record_contact`           |
| `uppmaning`      | legal `issue_uppmaning` (the uppmaning decided and drafted) | – (no uppmaning in the rent process) |
| `social_notice`  | authority → `notified` (the notice sent, 12:42 3 st / 44 §) | authority → `notified`              |
| `termination`    | legal `terminate`, `terminate_term_end`                    | legal `terminate`                   |
| `kronofogden`    | legal `apply_eviction`                                     | legal `apply_eviction`              |
| `eviction`       | legal `record_eviction`                                    | legal `record_eviction`             |

The uppmaning is dated by the decision (`issue_uppmaning`), the day the officer acted; the letter's
sending date is a fact of the case (`uppmaning_given_at`) and counts for "after the uppmaning" in the
guards, not for the officer's speed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, or_

from storning.store.models import JournalEntry


@dataclass(frozen=True)
class Milestone:
    key: str
    label: str  # Swedish, for tables and column headers
    definition: str  # one Swedish sentence


MILESTONES: dict[str, Milestone] = {
    m.key: m
    for m in (
        Milestone("complaint", "Anmälan", "Dagen ärendet öppnades (anmälan registrerad)."),
        Milestone(
            "first_contact",
            "Första kontakt",
            "Första registrerade kontakten med hyresgästen i kundprocessen.",
        ),
        Milestone("uppmaning", "Uppmaning", "Dagen då uppmaning (rättelseanmaning) gavs."),
        Milestone(
            "social_notice",
            "Underrättelse till socialnämnden",
            "Dagen då underrättelsen eller meddelandet till socialnämnden markerades som skickat.",
        ),
        Milestone(
            "termination",
            "Uppsägning",
            "Dagen hyresavtalet sades upp (förverkande eller till hyrestidens utgång).",
        ),
        Milestone(
            "kronofogden",
            "Ansökan hos Kronofogden",
            "Dagen då ansökan om avhysning gjordes hos Kronofogden.",
        ),
        Milestone("eviction", "Avhysning", "Dagen då avhysningen verkställdes."),
    )
}


def milestone_rows(key: str) -> ColumnElement[bool]:
    """The journal rows that mark milestone `key` (for both workflows)."""
    j = JournalEntry
    match key:
        case "complaint":
            return j.event == "case_opened"
        case "first_contact":
            return and_(j.track == "customer", j.event == "record_contact")
        case "uppmaning":
            return and_(j.track == "legal", j.event == "issue_uppmaning")
        case "social_notice":
            return and_(
                j.track == "authority", j.to_state == "notified", j.from_state != "notified"
            )
        case "termination":
            return and_(
                j.track == "legal", or_(j.event == "terminate", j.event == "terminate_term_end")
            )
        case "kronofogden":
            return and_(j.track == "legal", j.event == "apply_eviction")
        case "eviction":
            return and_(j.track == "legal", j.event == "record_eviction")
    raise KeyError(key)


# Legal states in which a termination or an application to Kronofogden is pending (the household may
# lose its home): both workflows.
PENDING_LOSS_STATES = frozenset(
    {
        "terminated",
        "terminated_served",
        "term_end_terminated",
        "hyresnamnd",
        "hyresnamnd_decided",
        "kronofogden",
        "recovery_period",
        "recovery_expired",
    }
)

# The outcome a final legal state implies when the case closed without one being chosen (a case closed
# by the engine: an eviction, a lease recovered, a debt paid, a tenant who moved). `close` itself
# requires the officer's choice.
OUTCOME_OF_FINAL_STATE: dict[str, str] = {
    "evicted": "avhyst",
    "recovered": "atervunnen",
    "paid": "rattelse",
}
OUTCOME_OF_EVENT: dict[str, str] = {"tenant_moved": "flyttat"}
