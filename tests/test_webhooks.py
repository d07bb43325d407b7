"""Events out (issue 16 item 5): the polling feed and webhooks signed with HMAC-SHA256, delivered to a
local HTTP receiver started by the test: signature verified, retry after a failure with back-off, no
duplicate delivery, dead letter after the last attempt, re-delivery by command; an endpoint that never
answers times out without delaying the others. The feed carries no personal data.

alice (officer) and carl (chef) are in team norr, bob (officer) in team syd; admin holds every role.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from storning import services
from storning.app import App
from storning.errors import InvalidInput, PermissionDenied
from storning.integrations import webhooks
from storning.services import integrations
from storning.store.models import WebhookDelivery
from tests.conftest import T0, at

TENANT = "Kim Hyresgäst"
SECRET_NAME = "Hemlig Granne"
SECRET = "a-shared-secret-of-some-length"


@dataclass
class Receiver:
    """A local HTTP endpoint: answers `statuses` in turn (then 200), or sleeps `delay` seconds."""

    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    location: str | None = None  # sent with every answer (a redirect with a 3xx status)
    received: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


@pytest.fixture
def receivers() -> Iterator[Any]:
    servers: list[ThreadingHTTPServer] = []
    stop = threading.Event()

    def start(receiver: Receiver) -> Receiver:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # the http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.delay:
                    stop.wait(receiver.delay)  # never answers in time
                receiver.received.append(
                    {"headers": dict(self.headers), "body": body, "at": time.monotonic()}
                )
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        receiver.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return receiver

    yield start
    stop.set()
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def hook_app(app: App) -> App:
    """The app with a one-second webhook timeout, three attempts before the dead letter, and the
    receivers on this machine allowed (STORNING_WEBHOOK_ALLOW_LOCAL)."""
    settings = replace(
        app.settings, webhook_timeout=1, webhook_attempts=3, webhook_allow_local=True
    )
    return App(settings, app.db, app.registry, app.engine)


def open_case(app: App, *, user: str = "alice", now: Any = T0) -> str:
    new = services.NewCase(
        case_type="storning", tenant=TENANT, address="Storgatan 1", apartment="1102",
        municipality="Norrköping", postal_code="602 20", city="Norrköping",
        complainants=[services.ComplainantDetails(name=SECRET_NAME, protected=True)],
    )  # fmt: skip
    return str(services.open_case(app, user, now, new)["ref"])


def deliveries(app: App) -> list[WebhookDelivery]:
    with app.db.read() as session:
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


# --- the feed ---------------------------------------------------------------------------------------


def test_the_polling_feed_has_case_events_and_no_personal_data(app):
    ref = open_case(app)
    feed = integrations.list_events(app, "admin", at(hours=2))
    [opened] = feed["events"]
    assert opened["event"] == "case_opened" and opened["case"] == {"ref": ref, "type": "storning"}
    assert opened["team"] == "norr" and opened["at"] == T0.isoformat()
    assert set(opened) == {"id", "event", "label", "at", "case", "team"}
    text = json.dumps(feed, ensure_ascii=False)
    for personal in (TENANT, SECRET_NAME, "Storgatan", "alice", "Alice"):
        assert personal not in text
    again = integrations.list_events(app, "admin", at(hours=2), after=feed["next"])
    assert again["events"] == [] and again["next"] == feed["next"]


def test_a_poller_sees_only_the_events_of_cases_it_may_read(app):
    norr = open_case(app, user="alice")
    syd = open_case(app, user="bob", now=at(hours=1))

    def refs(user: str) -> list[str]:
        return [e["case"]["ref"] for e in integrations.list_events(app, user, at(2))["events"]]

    assert refs("alice") == [norr] and refs("bob") == [syd]
    assert refs("admin") == [norr, syd]


def test_the_feed_refuses_a_bad_after_or_limit(app):
    with pytest.raises(InvalidInput):
        integrations.list_events(app, "admin", T0, after=-1)
    with pytest.raises(InvalidInput):
        integrations.list_events(app, "admin", T0, limit=0)


def test_the_feed_pages_with_next(app):
    refs = [open_case(app, now=at(hours=n)) for n in range(3)]
    first = integrations.list_events(app, "admin", at(1), limit=2)
    second = integrations.list_events(app, "admin", at(1), after=first["next"], limit=2)
    assert [e["case"]["ref"] for e in first["events"] + second["events"]] == refs


# --- webhooks ---------------------------------------------------------------------------------------


def test_only_an_administrator_manages_webhooks_and_urls_are_checked(app):
    with pytest.raises(PermissionDenied):
        integrations.add_subscription(app, "alice", T0, "https://example.se/hook")
    for bad in ("ftp://example.se/x", "file:///etc/passwd", "example.se", "https://"):
        with pytest.raises(InvalidInput):
            integrations.add_subscription(app, "admin", T0, bad)
    with pytest.raises(InvalidInput):
        integrations.add_subscription(app, "admin", T0, "https://example.se/h", secret="short")
    made = integrations.add_subscription(app, "admin", T0, "https://example.se/h")
    integrations.add_subscription(app, "admin", T0, "http://10.0.0.7:8080/fastighet")  # internal
    integrations.add_subscription(app, "admin", T0, "https://fast:hemligt@example.se/in")
    listed = [w["url"] for w in integrations.list_subscriptions(app, "admin", T0)]
    assert "https://fast:***@example.se/in" in listed and "hemligt" not in repr(listed)
    assert len(made["secret"]) >= 32  # made here, shown once
    assert "secret" not in integrations.list_subscriptions(app, "admin", T0)[0]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",  # this machine
        "http://localhost/hook",
        "http://app.localhost/hook",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://127.1/hook",  # the old numeric forms of 127.0.0.1
        "http://2130706433/hook",
        "http://0x7f000001/hook",
        "http://0/hook",
        "http://169.254.169.254/latest/meta-data/",  # link-local: cloud metadata
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",  # multicast
        "https://example.se/a hook",  # a space
        "https://example.se/\x00",
        "https://example.se:99999/hook",
    ],
)
def test_a_webhook_to_this_machine_or_a_link_local_address_is_refused(app, url):
    with pytest.raises(InvalidInput) as refused:
        integrations.add_subscription(app, "admin", T0, url)
    assert "Webhooken kan inte läggas till" in str(refused.value)


def test_a_name_that_resolves_to_this_machine_is_not_posted_to(app, receivers):
    """Checked again before each attempt, after the name is looked up (localhost stands for any
    name that points inward); with the setting on, the same receiver gets it."""
    receiver = receivers(Receiver())
    local = receiver.url.replace("127.0.0.1", "localhost")
    allowed = App(replace(app.settings, webhook_allow_local=True), app.db, app.registry, app.engine)
    integrations.add_subscription(allowed, "admin", T0, local, secret=SECRET)
    open_case(app)
    webhooks.run_webhooks(app, T0 + timedelta(minutes=1))
    [refused] = deliveries(app)
    assert receiver.received == [] and refused.status == "pending"
    assert refused.last_error.startswith("Inte skickad: den egna maskinen")
    webhooks.run_webhooks(allowed, T0 + timedelta(hours=1))
    assert len(receiver.received) == 1


def test_a_redirect_is_a_failed_delivery_and_is_not_followed(hook_app, receivers):
    elsewhere = receivers(Receiver())
    redirecting = receivers(Receiver(statuses=[307], location=elsewhere.url))
    integrations.add_subscription(hook_app, "admin", T0, redirecting.url, secret=SECRET)
    open_case(hook_app, now=at(hours=1))
    webhooks.run_webhooks(hook_app, at(hours=2))
    [failed] = deliveries(hook_app)
    assert len(redirecting.received) == 1 and elsewhere.received == []
    assert (failed.status, failed.last_error) == ("pending", "HTTP 307")


def test_a_delivery_is_signed_and_the_signature_verifies(hook_app, receivers):
    receiver = receivers(Receiver())
    integrations.add_subscription(hook_app, "admin", T0, receiver.url, secret=SECRET)
    ref = open_case(hook_app, now=at(hours=1))
    assert webhooks.run_webhooks(hook_app, at(hours=2)) == 1
    [got] = receiver.received
    headers, body = got["headers"], got["body"]
    assert headers["X-Storning-Event"] == "case_opened"
    assert json.loads(body)["case"]["ref"] == ref
    stamp = headers["X-Storning-Timestamp"]
    assert int(stamp) == int(at(hours=2).timestamp())
    assert webhooks.verify(SECRET, stamp, headers["X-Storning-Signature"], body, int(stamp))
    assert not webhooks.verify("another-secret-xx", stamp, headers["X-Storning-Signature"], body,
                               int(stamp))  # fmt: skip
    assert not webhooks.verify(SECRET, stamp, headers["X-Storning-Signature"], body + b" ",
                               int(stamp))  # fmt: skip
    # a replay ten minutes later is refused by the receiver's clock check
    assert not webhooks.verify(SECRET, stamp, headers["X-Storning-Signature"], body,
                               int(stamp) + 600)  # fmt: skip
    assert TENANT not in body.decode() and SECRET_NAME not in body.decode()


def test_no_event_is_delivered_twice(hook_app, receivers):
    receiver = receivers(Receiver())
    integrations.add_subscription(hook_app, "admin", T0, receiver.url, secret=SECRET)
    open_case(hook_app, now=at(hours=1))
    webhooks.run_webhooks(hook_app, at(hours=2))
    webhooks.run_webhooks(hook_app, at(hours=3))
    assert webhooks.enqueue(hook_app, at(hours=4)) == 0  # a second worker adds nothing
    webhooks.run_webhooks(hook_app, at(hours=5))
    assert len(receiver.received) == 1
    assert [d.status for d in deliveries(hook_app)] == ["delivered"]


def test_a_failed_delivery_is_retried_after_a_back_off(hook_app, receivers):
    receiver = receivers(Receiver(statuses=[500]))
    integrations.add_subscription(hook_app, "admin", T0, receiver.url, secret=SECRET)
    open_case(hook_app, now=at(hours=1))
    first = at(hours=2)
    assert webhooks.run_webhooks(hook_app, first) == 0
    [delivery] = deliveries(hook_app)
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.last_error == "HTTP 500"
    assert delivery.next_attempt_at == first + timedelta(seconds=30)  # the first back-off
    assert webhooks.run_webhooks(hook_app, first + timedelta(seconds=29)) == 0  # not yet due
    assert len(receiver.received) == 1
    assert webhooks.run_webhooks(hook_app, first + timedelta(seconds=30)) == 1
    assert len(receiver.received) == 2
    # the retry is the same delivery: the receiver dedupes on X-Storning-Delivery
    ids = {r["headers"]["X-Storning-Delivery"] for r in receiver.received}
    assert ids == {str(delivery.id)}


def test_back_off_doubles_up_to_six_hours():
    assert [webhooks.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert webhooks.backoff(30) == timedelta(hours=6)


def test_the_last_failure_makes_a_dead_letter_that_can_be_redelivered(hook_app, receivers):
    receiver = receivers(Receiver(statuses=[503, 503, 503]))
    integrations.add_subscription(hook_app, "admin", T0, receiver.url, secret=SECRET)
    open_case(hook_app, now=at(hours=1))
    moment = at(hours=2)
    for _ in range(3):  # webhook_attempts = 3
        webhooks.run_webhooks(hook_app, moment)
        moment += timedelta(hours=7)  # past any back-off
    [dead] = integrations.list_deliveries(hook_app, "admin", moment, status="dead")
    assert dead["attempts"] == 3 and dead["last_error"] == "HTTP 503"
    webhooks.run_webhooks(hook_app, moment)
    assert len(receiver.received) == 3  # a dead letter is not retried by itself
    with pytest.raises(PermissionDenied):
        integrations.redeliver(hook_app, "alice", moment, dead["id"])
    again = integrations.redeliver(hook_app, "admin", moment, dead["id"])
    assert again["status"] == "pending" and again["attempts"] == 0
    assert webhooks.run_webhooks(hook_app, moment) == 1
    assert [d.status for d in deliveries(hook_app)] == ["delivered"]


def test_an_endpoint_that_never_answers_times_out_without_delaying_the_others(hook_app, receivers):
    silent = receivers(Receiver(delay=5.0))
    fast = [receivers(Receiver()) for _ in range(3)]
    integrations.add_subscription(hook_app, "admin", T0, silent.url, secret=SECRET)
    for receiver in fast:
        integrations.add_subscription(hook_app, "admin", T0, receiver.url, secret=SECRET)
    open_case(hook_app, now=at(hours=1))
    started = time.monotonic()
    delivered = webhooks.run_webhooks(hook_app, at(hours=2))
    elapsed = time.monotonic() - started
    assert delivered == 3
    assert elapsed < 4.0  # the one-second timeout, not the five-second sleep
    for receiver in fast:  # each arrived at once, not after the silent one gave up
        assert receiver.received[0]["at"] - started < 0.9
    silent_delivery = [d for d in deliveries(hook_app) if d.status != "delivered"]
    [waiting] = silent_delivery
    assert waiting.status == "pending" and "timed out" in (waiting.last_error or "").lower()
    assert waiting.next_attempt_at == at(hours=2) + timedelta(seconds=30)  # retried later


def test_a_removed_webhook_gets_nothing_more(hook_app, receivers):
    receiver = receivers(Receiver())
    made = integrations.add_subscription(hook_app, "admin", T0, receiver.url, secret=SECRET)
    integrations.remove_subscription(hook_app, "admin", at(hours=1), made["id"])
    open_case(hook_app, now=at(hours=1))
    assert webhooks.run_webhooks(hook_app, at(hours=2)) == 0 and receiver.received == []


def test_a_new_webhook_starts_from_now_unless_asked_for_the_history(hook_app, receivers):
    open_case(hook_app)
    later = receivers(Receiver())
    history = receivers(Receiver())
    integrations.add_subscription(hook_app, "admin", at(1), later.url, secret=SECRET)
    integrations.add_subscription(hook_app, "admin", at(1), history.url, secret=SECRET,
                                  from_start=True)  # fmt: skip
    webhooks.run_webhooks(hook_app, at(2))
    assert later.received == [] and len(history.received) == 1


# --- the doors: the API feed, the CLI's webhook commands ------------------------------------------


@pytest.fixture
def doors(hook_app, db_url, monkeypatch):
    from tests.doors import open_doors

    with open_doors(hook_app, db_url, monkeypatch) as d:
        yield d


def test_the_api_feed_pages_and_holds_no_personal_data(hook_app, doors):
    ref = open_case(hook_app)
    response = doors.api("alice", "GET", "/api/events", now="2026-03-02T10:00",
                         params={"after": 0, "limit": 10})  # fmt: skip
    assert response.status_code == 200
    body = response.json()
    assert [e["case"]["ref"] for e in body["events"]] == [ref]
    assert TENANT not in response.text and SECRET_NAME not in response.text
    empty = doors.api("bob", "GET", "/api/events", now="2026-03-02T10:00")
    assert empty.json()["events"] == []  # team syd reads nothing of team norr
    bad = doors.api("alice", "GET", "/api/events", now="2026-03-02T10:00", params={"limit": 0})
    assert bad.status_code == 422


def test_the_cli_adds_lists_redelivers_and_removes_webhooks(
    hook_app, doors, receivers, monkeypatch
):
    monkeypatch.setenv("STORNING_WEBHOOK_ATTEMPTS", "3")
    monkeypatch.setenv("STORNING_WEBHOOK_TIMEOUT", "1")
    monkeypatch.setenv("STORNING_WEBHOOK_ALLOW_LOCAL", "true")
    receiver = receivers(Receiver(statuses=[500, 500, 500]))
    made = doors.cli_json("webhook", "add", receiver.url, "--secret", SECRET, now="2026-03-02T08:00",
                          user=None)  # fmt: skip
    refused = doors.cli("webhook", "add", receiver.url, now="2026-03-02T08:00", user="alice")
    assert refused.exit_code == 1 and "administratör" in refused.stderr
    open_case(hook_app)
    for hour in ("10", "17", "23"):
        result = doors.cli("webhook", "run", now=f"2026-03-02T{hour}:00", user=None)
        assert result.exit_code == 0, result.stderr
    [dead] = doors.cli_json("webhook", "deliveries", "--status", "dead", now="2026-03-03T08:00",
                            user=None)  # fmt: skip
    again = doors.cli_json(
        "webhook", "redeliver", str(dead["id"]), now="2026-03-03T08:00", user=None
    )
    assert again["status"] == "pending"
    doors.cli("webhook", "run", now="2026-03-03T08:01", user=None)
    assert len(receiver.received) == 4
    assert [
        w["id"] for w in doors.cli_json("webhook", "list", now="2026-03-03T09:00", user=None)
    ] == [made["id"]]
    removed = doors.cli_json(
        "webhook", "remove", str(made["id"]), now="2026-03-03T09:00", user=None
    )
    assert removed["active"] is False
    missing = doors.cli("webhook", "redeliver", "9999", now="2026-03-03T09:00", user=None)
    assert missing.exit_code == 1 and len(missing.stderr.strip().splitlines()) == 1
