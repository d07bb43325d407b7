"""Consent (samtycke) to share information with socialtjänsten expires (issue 15 item 7).

Information from socialtjänsten reaches the landlord only with the tenant's written consent, which has
a scope and an expiry (DOMAIN §7; OSL 26 kap. 1 § and 12 kap. 2 §). The voluntary sharing in the
workflows is `start_collaboration` (guard `consent_recorded`): once the consent has run out it is
blocked, with the day it ran out, until a new consent is recorded. The statutory notices to
socialnämnden (12 kap. 25 a § JB: underrättelse; 42 § 4 st: kopia av uppsägning; 44 §: meddelande om
uppsägning för obetald hyra) do not rest on consent and are never blocked by it; their letters do not
claim consent. The letter that mentions consent (underrättelsen) says only that information *from*
socialtjänsten is received with the tenant's consent, which is right.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from storning import services
from storning.guards import GUARDS
from tests.conftest import at
from tests.helpers import action, letter_id, open_storning, states
from tests.test_guards import FakeContext

LETTERS = Path(__file__).resolve().parents[1] / "letters"


def test_an_expired_consent_names_the_day_it_ran_out():
    guard = GUARDS["consent_recorded"]
    # consent valid up to and including 9 March; on 10 March (FakeContext's today) it has run out
    expired = FakeContext(facts={"consent_expires_on": "2026-03-09"})
    assert not guard.check(expired)
    message = guard.reason(expired).message
    assert "samtycket gick ut 2026-03-09" in message and "nytt samtycke" in message
    assert "inget samtycke är registrerat" in guard.reason(FakeContext()).message
    assert guard.check(FakeContext(facts={"consent_expires_on": "2026-03-10"}))
    assert guard.law and "26 kap. 1 §" in guard.law and not guard.overridable


def test_collaboration_is_blocked_after_expiry_until_consent_is_renewed(app):
    ref = open_storning(app)["ref"]
    services.fire_event(
        app, "alice", at(0, 1), ref, "record_consent",
        params={"scope": "Socialtjänsten, boendestöd", "expires_on": "2026-03-04"},
    )  # fmt: skip
    # the statutory notice is not a consent matter: it goes out whatever the consent says
    services.fire_event(app, "alice", at(3), ref, "notify_social_services")
    doc = services.show_case(app, "alice", at(3), ref)
    services.mark_letter_sent(
        app, "alice", at(3, 1), letter_id(doc, "underrattelse_socialnamnd"), method="vanligt"
    )
    # 2 March + 3 days = Thursday 5 March: the consent ran out after Wednesday 4 March
    doc = services.show_case(app, "alice", at(3, 2), ref)
    assert states(doc)["authority"] == "notified"
    blocked = action(doc, "start_collaboration")
    assert not blocked["allowed"]
    reason = blocked["blocked_by"][0]
    assert reason["guard"] == "consent_recorded"
    assert "samtycket gick ut 2026-03-04" in reason["message"]
    services.fire_event(
        app, "alice", at(3, 3), ref, "record_consent",
        params={"scope": "Socialtjänsten, boendestöd", "expires_on": "2026-09-01"},
    )  # fmt: skip
    doc = services.fire_event(app, "alice", at(3, 4), ref, "start_collaboration")
    assert states(doc)["authority"] == "collaboration"
    assert doc["facts"]["consent_expires_on"] == date(2026, 9, 1).isoformat()


def test_statutory_notices_do_not_rest_on_consent():
    for template in ("underrattelse_socialnamnd", "kopia_uppsagning", "meddelande_socialnamnd_44"):
        text = (LETTERS / f"{template}.typ.j2").read_text(encoding="utf-8").lower()
        assert "med stöd av samtycke" not in text and "efter samtycke" not in text, template
    notice = (LETTERS / "underrattelse_socialnamnd.typ.j2").read_text(encoding="utf-8")
    assert "från socialtjänsten om hyresgästen tar vi bara emot med hyresgästens samtycke" in notice
