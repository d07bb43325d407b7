"""Demo data: a landlord's officers and a dozen realistic cases in different states, dated relative to
`now` so the worklist always has something due this week. Idempotent: does nothing if cases exist."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select

from storning import services
from storning.app import App
from storning.store.models import Case

DEMO_PASSWORD = "demo-losenord"
# The officers' direct numbers, printed in their letters (made up).
DEMO_PHONES = {"anna": "011-00 00 11", "erik": "011-00 00 12", "maria": "011-00 00 10"}
DEMO_USERS = (
    ("anna", "Anna Lind", ["handlaggare"], "city", "maria", "anna@example.se"),
    ("erik", "Erik Berg", ["handlaggare"], "vast", "maria", "erik@example.se"),
    ("maria", "Maria Chef", ["chef", "handlaggare"], "city", None, "maria@example.se"),
    ("lars", "Lars Läsare", ["lasare"], "city", None, None),
)


class Story:
    """One case told step by step, each step a little later than the last."""

    def __init__(self, app: App, officer: str, start: datetime) -> None:
        self.app, self.officer, self.now = app, officer, start
        self.ref = ""

    def tick(self, days: float = 0, hours: float = 1) -> datetime:
        self.now += timedelta(days=days, hours=hours)
        return self.now

    def open(self, tenant: str, address: str, apartment: str, **extra: object) -> Story:
        new = services.NewCase(
            case_type=str(extra.pop("case_type", "storning")),
            tenant=tenant,
            address=address,
            apartment=apartment,
            municipality="Norrköping",
            postal_code="602 20",
            city="Norrköping",
            owner=self.officer,
            **extra,  # type: ignore[arg-type]
        )
        self.ref = services.open_case(self.app, self.officer, self.tick(), new)["ref"]
        return self

    def incident(
        self, kind: str, text: str, verified_by: str | None = None, days_ago: float = 0.3
    ) -> Story:
        now = self.tick(hours=2)
        services.add_incident(
            self.app,
            self.officer,
            now,
            self.ref,
            at=now - timedelta(days=days_ago),
            kind=kind,
            text=text,
            verified_by=verified_by,
            document=False,
        )
        return self

    def fire(
        self, event: str, track: str | None = None, reason: str | None = None, **params: str
    ) -> Story:
        services.fire_event(
            self.app,
            self.officer,
            self.tick(),
            self.ref,
            event,
            track=track,
            params=params or None,
            reason=reason,
            document=False,
        )
        return self

    def send(self, template: str, method: str = "rekommenderat") -> Story:
        """Send the latest letter of `template` — to every contract holder when there is one each."""
        for letter in self._letters(template):
            services.mark_letter_sent(self.app, self.officer, self.tick(), letter, method=method)
        return self

    def serve(self, template: str, proof: str = "Delgivningskvitto") -> Story:
        now = self.tick(days=2)
        for letter in self._letters(template):
            services.mark_letter_served(self.app, self.officer, now, letter, at=now, proof=proof)
        return self

    def _letters(self, template: str) -> list[int]:
        """The newest letter of `template`, or one to each contract holder from the newest round."""
        letters = [
            x
            for x in services.list_letters(self.app, self.officer, self.now, self.ref)
            if x["template"] == template
        ]
        newest = letters[-1]
        if newest["to"] is None:
            return [int(newest["id"])]
        holders: dict[str, int] = {}
        for letter in letters:  # the newest letter to each holder
            holders[letter["to"]] = int(letter["id"])
        return list(holders.values())


def load_demo(app: App, now: datetime) -> list[str]:
    """Create the demo users and cases (if there are no cases yet); returns the case references."""
    with app.db.read() as session:
        if session.scalar(select(Case.id).limit(1)) is not None:
            return []
    from storning.security import hash_password

    for username, name, roles, team, _boss, email in DEMO_USERS:
        if username != "maria":
            continue
        services.add_user(
            app,
            username,
            name,
            roles,
            team=team,
            email=email,
            phone=DEMO_PHONES.get(username),
            password_hash=hash_password(DEMO_PASSWORD),
        )
    for username, name, roles, team, boss, email in DEMO_USERS:
        if username == "maria":
            continue
        services.add_user(
            app,
            username,
            name,
            roles,
            team=team,
            supervisor=boss,
            email=email,
            phone=DEMO_PHONES.get(username),
            password_hash=hash_password(DEMO_PASSWORD),
        )
    refs = []
    for n, build in enumerate(STORIES):
        story = Story(app, "erik" if n % 4 == 3 else "anna", now - timedelta(days=70 - n))
        build(story)
        refs.append(story.ref)
    from storning.timers import run_due

    run_due(app, now)  # what the worker would have done while these cases ran
    from storning.intake.demo import load_intake_demo

    load_intake_demo(app, now)  # issue 16: the tenancy register and last night's jour reports
    from storning.outcomes.history import add_demo_history

    add_demo_history(app, now)  # issue 14: a year of made-up history behind the outcomes dashboard
    return refs


def _new_noise(s: Story) -> None:
    s.open(
        "Kim Andersson",
        "Storgatan 12",
        "1102",
        contract="1102-01",
        complainants=[("Greta Granne", True)],
    ).incident("noise", "Hög musik efter kl. 23 enligt granne", None)


def _uppmaning_sent(s: Story) -> None:
    (
        s.open(
            "Johan Nilsson",
            "Kungsgatan 4",
            "0803",
            contract="0803-02",
            complainants=[("Per Persson", True)],
        )
        .incident("noise", "Fest och skrik till kl. 03, hördes i trapphuset", "jour")
        .fire("issue_uppmaning")
        .send("uppmaning")
        .fire("record_contact", channel="phone")
    )


def _termination_ready(s: Story) -> None:
    (
        s.open(
            "Sara Ek",
            "Drottninggatan 20",
            "1201",
            contract="1201-07",
            co_tenants=["Ali Ek"],
            personnummer="19900514-2386",  # made up, with a valid check digit
        )
        .incident("harassment", "Trakasserier mot granne i tvättstugan", "staff")
        .fire("issue_uppmaning")
        .send("uppmaning")
        .send("underrattelse_socialnamnd")
    )
    s.tick(days=6)
    s.incident(
        "harassment", "Nya trakasserier i trapphuset, bevittnat av fastighetsskötare", "staff", 1
    )


# Why the landlord terminates the lease of the harassment case (every termination needs a reason).
GROUND = "Nya trakasserier mot grannar efter uppmaningen att vidta rättelse; grund för förverkande."


def _terminated(s: Story) -> None:
    _termination_ready(s)
    s.fire("terminate", reason=GROUND)


def _severe(s: Story) -> None:
    (
        s.open("Mikael Holm", "Järnvägsgatan 3", "0402", contract="0402-11").incident(
            "violence", "Misshandel av granne i entrén, polisanmält", "police"
        )
    )
    s.fire("classify_severe")


def _monitoring(s: Story) -> None:
    (
        s.open("Eva Lund", "Slottsgatan 9", "0301", contract="0301-03")
        .incident("smell", "Stark lukt av sopor från lägenheten", "inspection")
        .fire("issue_uppmaning")
        .send("uppmaning")
        .fire("mark_rectified")
        .fire("record_contact", channel="visit")
        .fire("hold_meeting")
        .fire("agree_plan")
    )


def _term_end(s: Story) -> None:
    (
        s.open("Oskar Berg", "Hamngatan 7", "0205", contract="0205-09")
        .incident("noise", "Återkommande buller nattetid, störningsjouren på plats", "jour")
        .fire("issue_uppmaning")
        .send("uppmaning")
        .send("underrattelse_socialnamnd")
    )
    s.fire(
        "terminate_term_end",
        reason="Återkommande buller nattetid trots uppmaningen; hyresavtalet bör inte förlängas.",
    )


def _kronofogden(s: Story) -> None:
    _termination_ready(s)
    s.fire("terminate", reason=GROUND).serve("uppsagning").fire("record_service")
    s.fire("apply_eviction")


def _collaboration(s: Story) -> None:
    (
        s.open(
            "Lena Strand",
            "Vattengatan 2",
            "0101",
            contract="0101-04",
            complainants=[("Bo Bengtsson", False)],
        )
        .incident("neglect", "Vanvård: vattenskada från lägenheten", "inspection")
        .fire("notify_social_services")
        .send("underrattelse_socialnamnd")
        .fire(
            "record_consent",
            scope="Socialtjänsten och boendestödet",
            expires_on=(s.now + timedelta(days=180)).date().isoformat(),
        )
        .fire("start_collaboration")
        .fire("record_support", kind="boendestod")
    )


def _unreachable(s: Story) -> None:
    s.open("Peter Sand", "Norra Promenaden 40", "0907", contract="0907-01").incident(
        "clutter", "Sopor i trapphuset utanför dörren", "staff"
    ).fire("mark_unreachable")


def _closed(s: Story) -> None:
    s.open("Nora Dahl", "Skolgatan 5", "0602").incident("noise", "Enstaka fest", None)
    s.fire("close", track="authority").fire("record_contact", channel="phone").fire("resolve").fire(
        "close", track="legal", outcome="dialog"
    )


def _moved(s: Story) -> None:
    s.open("Ahmed Ali", "Bergsgatan 11", "0702").incident(
        "drugs", "Misstänkt narkotikahandel", "police"
    ).fire("tenant_moved")


def _arrears(
    s: Story, tenant: str, address: str, flat: str, amount: str, days_overdue: int
) -> Story:
    due = (s.now - timedelta(days=days_overdue)).date()
    return s.open(
        tenant,
        address,
        flat,
        case_type="hyresskuld",
        contract=f"{flat}-05",
        facts={"due_date": due.isoformat(), "amount": amount},
    )


def _arrears_new(s: Story) -> None:
    _arrears(s, "Fatima Yilmaz", "Storgatan 30", "0504", "8450", 3).fire("send_reminder")


def _arrears_plan(s: Story) -> None:
    _arrears(s, "Jonas Ek", "Kvarngatan 8", "0210", "12600", 2)
    s.fire("record_contact", channel="phone").fire(
        "agree_payment_plan",
        count="3",
        first_due_on=(s.now + timedelta(days=10)).date().isoformat(),
    )


def _arrears_recovery(s: Story) -> None:
    _arrears(s, "Maja Lind", "Hagagatan 14", "0607", "9200", 9)
    s.tick(days=9)
    reason = "Hyran är obetald sedan förfallodagen och hyresgästen har inte hört av sig."
    s.fire("forfeit").fire("terminate", reason=reason).serve("uppsagning_hyresskuld").send(
        "meddelande_socialnamnd_44"
    )
    s.fire("record_service").fire(
        "record_consent",
        scope="Socialtjänsten, ekonomiskt bistånd",
        expires_on=(s.now + timedelta(days=90)).date().isoformat(),
    )


STORIES: list[Callable[[Story], None]] = [
    _arrears_new,
    _arrears_plan,
    _arrears_recovery,
    _new_noise,
    _uppmaning_sent,
    _termination_ready,
    _terminated,
    _severe,
    _monitoring,
    _term_end,
    _kronofogden,
    _collaboration,
    _unreachable,
    _closed,
    _moved,
]
