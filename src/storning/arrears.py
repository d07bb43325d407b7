"""Rent arrears (hyresskuld): the payment ledger, forfeiture and the 12:44 recovery period.

Registers the guards and effects the `hyresskuld` workflow names. Amounts are Decimals stored as strings;
the payment date (not the day the money arrives) is what counts (12 kap. 20 § andra–tredje styckena).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from storning.context import EventContext
from storning.effects import LoadScope, effect
from storning.errors import InvalidInput
from storning.guards import guard

RECOVERY_PERIOD_WEEKS = 3
FURTHER_WEEKDAYS = 2


def balance(facts: dict[str, Any]) -> Decimal:
    """What is still owed: the case amount less every payment in the ledger."""
    owed = Decimal(facts.get("amount") or "0")
    paid = sum((Decimal(p["amount"]) for p in facts.get("payments", [])), Decimal("0"))
    return owed - paid


def settled_on(facts: dict[str, Any]) -> str | None:
    """The payment date on which the payments, taken in date order, first covered the debt."""
    owed, paid = Decimal(facts.get("amount") or "0"), Decimal("0")
    for payment in sorted(facts.get("payments", []), key=lambda p: p["on"]):
        paid += Decimal(payment["amount"])
        if paid >= owed:
            return str(payment["on"])
    return None


# --- guards -----------------------------------------------------------------------------------------


@guard(
    "forfeiture_period_passed",
    "Hyran är inte mer än en vecka försenad ännu; hyresrätten är inte förverkad",
    "12 kap. 42 § första stycket 1 jordabalken",
)
def _forfeiture_period_passed(ctx: EventContext) -> bool:
    last_day = ctx.fact_date("forfeiture_last_day")
    return last_day is not None and ctx.today > last_day and balance(ctx.facts) > 0


@guard(
    "rent_unpaid",
    "Hyran är betald; betalning innan uppsägningen gör att hyresrätten inte längre är förverkad",
    "12 kap. 43 § jordabalken",
)
def _rent_unpaid(ctx: EventContext) -> bool:
    return balance(ctx.facts) > 0


@guard(
    "social_services_notice_given",
    "Meddelandet om uppsägningen till socialnämnden är inte registrerat som lämnat",
    "12 kap. 44 § första stycket 1 jordabalken",
)
def _social_services_notice_given(ctx: EventContext) -> bool:
    return ctx.fact_date("social_services_notified_on") is not None


@guard(
    "paid_within_recovery_period",
    "Hela skulden betalades inte inom återvinningsfristen",
    "12 kap. 44 § första stycket jordabalken",
)
def _paid_within_recovery_period(ctx: EventContext) -> bool:
    """The day the payments first covered the debt (by payment date, 20 § 2–3 st) is on or before the
    period's last day; before the period has started any full payment is in time."""
    settled_on, deadline = ctx.fact_date("settled_on"), ctx.fact_date("recovery_deadline")
    return settled_on is not None and (deadline is None or settled_on <= deadline)


@guard(
    "recovery_period_open",
    "Återvinningsfristen har redan löpt ut",
    "12 kap. 44 § första stycket jordabalken",
)
def _recovery_period_open(ctx: EventContext) -> bool:
    deadline = ctx.fact_date("recovery_deadline")
    return deadline is not None and ctx.today <= deadline


@guard(
    "within_recovery_period",
    "Socialnämndens åtagande lämnades efter återvinningsfristens utgång",
    "12 kap. 44 § fjärde stycket 1 jordabalken",
)
def _within_recovery_period(ctx: EventContext) -> bool:
    """Within the period, or before it has started (a commitment may come early)."""
    deadline = ctx.fact_date("recovery_deadline")
    given = ctx.params.get("committed_on")
    day = date.fromisoformat(given) if given else ctx.today
    return deadline is None or day <= deadline


@guard(
    "recovery_notices_proven",
    "Båda underrättelserna måste vara bevisade: delgivningen av underrättelsen till hyresgästen och "
    "meddelandet till socialnämnden",
    "12 kap. 44 § jordabalken; NJA 1988 s. 420, RH 2015:16",
)
def _recovery_notices_proven(ctx: EventContext) -> bool:
    return _termination_served(ctx) and _social_services_notice_given(ctx)


@guard(
    "eviction_date_computed",
    "Tidigaste dag för beslut om avhysning (två vardagar efter återvinningsfristen) är inte beräknad",
    "12 kap. 44 § andra stycket jordabalken",
)
def _eviction_date_computed(ctx: EventContext) -> bool:
    return ctx.fact_date("earliest_eviction_decision") is not None


def _termination_served(ctx: EventContext) -> bool:
    return ctx.fact_date("termination_served_on") is not None


# --- effects ----------------------------------------------------------------------------------------


def _no_arg(arg: Any, _scope: LoadScope) -> list[str]:
    return [] if arg in (True, None, {}) else ["takes no argument (write `true`)"]


@effect("record_payment", _no_arg)
def _record_payment(ctx: EventContext, _arg: Any) -> None:
    """Add the payment (params amount, paid_on) to the ledger and update balance and `settled`."""
    amount = Decimal(str(ctx.params.get("amount", "0")))
    if not amount.is_finite() or amount <= 0:
        raise InvalidInput("Beloppet måste vara större än noll.")
    paid_on = ctx.params.get("paid_on") or ctx.today.isoformat()
    if date.fromisoformat(paid_on) > ctx.today:
        raise InvalidInput(f"Betaldagen {paid_on} ligger i framtiden.")
    payments = [*ctx.facts.get("payments", []), {"on": paid_on, "amount": str(amount)}]
    ctx.set_fact("payments", payments)
    ctx.set_fact("last_payment_on", paid_on)
    owed = balance(ctx.facts)
    ctx.set_fact("balance", str(owed))
    ctx.set_fact("settled", owed <= 0)
    ctx.set_fact("settled_on", settled_on(ctx.facts))


@effect("compute_recovery_period", _no_arg)
def _compute_recovery_period(ctx: EventContext, _arg: Any) -> None:
    """Three weeks from the later of the tenant's service and the notice to socialnämnden, rolled
    forward under lag (1930:173) 2 §; the earliest eviction decision after two further weekdays."""
    from storning.calendar import Period

    served, notified = (
        ctx.fact_date("termination_served_on"),
        ctx.fact_date("social_services_notified_on"),
    )
    if served is None or notified is None:
        return
    start = max(served, notified)
    last_day = ctx.calendar.statutory_last_day(start, Period(RECOVERY_PERIOD_WEEKS, "weeks"))
    ctx.set_fact("recovery_starts_from", start)
    ctx.set_fact("recovery_deadline", last_day)
    ctx.set_fact(
        "earliest_eviction_decision",
        ctx.calendar.earliest_after_further_weekdays(last_day, FURTHER_WEEKDAYS),
    )


def _plan_args(arg: Any, _scope: LoadScope) -> list[str]:
    return [] if arg in (True, None, {}) else ["takes no argument (write `true`)"]


@effect("plan_instalments", _plan_args)
def _plan_instalments(ctx: EventContext, _arg: Any) -> None:
    """A payment plan: `count` instalments of the balance, monthly from `first_due_on`; each becomes a
    reminder to the officer on its due day (params count, first_due_on)."""
    from dateutil.relativedelta import relativedelta

    count = int(ctx.params["count"])
    if not 1 <= count <= 36:
        raise InvalidInput("En avbetalningsplan har 1–36 delbetalningar.")
    first = date.fromisoformat(ctx.params["first_due_on"])
    owed = balance(ctx.facts)
    if owed <= 0:
        raise InvalidInput("Det finns ingen skuld att dela upp.")
    each = (owed / count).quantize(Decimal("1"))
    if each < 1:
        raise InvalidInput(
            f"Skulden {owed} kr räcker inte till {count} delbetalningar; välj färre."
        )
    plan = []
    for n in range(count):
        due_on = first + relativedelta(months=n)
        amount = each if n < count - 1 else owed - each * (count - 1)
        plan.append({"due_on": due_on.isoformat(), "amount": str(amount)})
        ctx.operations.start_reminder(
            ctx, "instalment", f"Avbetalning {n + 1} av {count} ({amount} kr) förfaller", due_on
        )
    ctx.set_fact("instalments", plan)
    ctx.set_fact("instalments_paid", 0)
