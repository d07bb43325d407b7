"""Schemathesis against /openapi.json on the ASGI app, with all its checks: whatever a client sends that
the schema allows (or nearly allows), the API answers without a server error, with a status code, a
content type, headers and a body that the schema documents, and refuses what the schema forbids.
Bounded: 20 examples per operation (the same ones every run).

One check is left out: `positive_data_acceptance` expects every schema-valid request to be accepted,
but the services refuse, with 400 and one sentence, values no JSON Schema describes (a character no
letter can print, an incident in the future, a version that is not the case's).

Each operation's Hypothesis strategy is run from inside the test (schemathesis' Python API) rather than
through `schema.parametrize()`, whose fixture-based loader does not run under pytest 9."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance
from tests.conftest import at
from tests.helpers import letter_id, open_storning

from storning import services
from storning.services.accounts import set_api_token

FUZZ = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def world(app) -> dict[str, Any]:
    """A case with letters, and alice's token."""
    doc = open_storning(app)
    services.add_incident(app, "alice", at(0), doc["ref"], at=at(-1), kind="noise", text="x",
                          verified_by="jour")  # fmt: skip
    doc = services.fire_event(app, "alice", at(0), doc["ref"], "issue_uppmaning")
    return {
        "ref": doc["ref"],
        "letter": letter_id(doc, "uppmaning"),
        "headers": {"Authorization": f"Bearer {set_api_token(app, 'alice')}"},
    }


def _fuzz(web: Any, world: dict[str, Any], *, real: bool) -> list[str]:
    """Run every operation's strategy with schemathesis' checks (a failure raises, with a curl line
    to reproduce it); return the server errors found (method, path, body)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", web)
    errors: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @FUZZ
        def check(case: Any) -> None:
            if real and case.path_parameters:
                if "ref" in case.path_parameters:
                    case.path_parameters["ref"] = world["ref"]
                if "letter_id" in case.path_parameters:
                    case.path_parameters["letter_id"] = world["letter"]
            response = case.call_and_validate(
                headers=world["headers"], excluded_checks=[positive_data_acceptance]
            )
            if response.status_code >= 500:
                errors.append(f"{case.method} {case.formatted_path}: {response.text[:300]}")

        check()
    return errors


def test_random_requests_never_cause_a_server_error(web, world):
    assert _fuzz(web, world, real=False) == []


def test_random_bodies_against_a_real_case_never_cause_a_server_error(web, world):
    assert _fuzz(web, world, real=True) == []
