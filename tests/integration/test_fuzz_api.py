"""Fuzzing the live gateway from its own OpenAPI document (schemathesis).

Runs over every operation of `GET /api/v1/openapi.json`, as the office, again as a unit's
handler and as the administrator (on the operations each may call):

- invalid requests only (schemathesis' negative generation: missing and extra fields, wrong
  types, out-of-range values): each must be refused with a documented 4xx, never a 5xx, and a
  refused request must append nothing to any event store, the read model or the evidence store;
- valid requests: never a 5xx, every answer matches the document, and none is refused as
  malformed or forbidden (positive acceptance: only a rule of the plan may refuse one, 404,
  409 or 422; a 400, 401 or 403 to a valid request is a failure).

Both are deterministic (derandomized, a fixed seed, no example database) and bounded by
`max-examples`, so CI runs the same cases every time.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator

import jsonschema
import psycopg
import pytest
import requests
import schemathesis
from schemathesis.checks import (  # type: ignore[attr-defined]  # registered on first use
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from schemathesis.core import NOT_SET

from deploy.stack import Stack
from gateway.idempotency import HEADER as IDEMPOTENCY_KEY
from gateway.openapi import openapi_document
from gateway.routes import served
from tests.client import Client, unique_ref
from tests.stores import Stores

pytestmark = pytest.mark.integration

OPENAPI = "/api/v1/openapi.json"
# Moves every service's clock for the rest of the session; the tests that need it set it. And
# signing out (by token or the console's cookie) ends every session of the user whose token the
# fuzzer sends.
TEST_ONLY = ["/api/v1/_test/clock", "/api/v1/auth/logout", "/api/v1/auth/session"]
# A valid call changes the policy or the calendar every later test's due dates are counted
# with, so only their refusals are fuzzed.
POLICY_CHANGES = ["/api/v1/admin/time-limits", "/api/v1/admin/calendar/{year}"]
# A year no other test reports on: the work-report and proposal items a valid registration
# creates stay out of other tests' groups and year-end summaries.
FUZZ_YEAR = 2100
# what Flask's <uuid:...> converter accepts
UUID_PATH = re.compile(r"(?i)[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}")

# What may answer a request that fits the document: done, or a rule of the plan (no such item
# or file, the item's state, a date or unit the office may not set). Not 400, 401 or 403.
ACCEPTED = {200, 201, 404, 409, 422}
# ... and, for some routes, a rule of their own: a wrong name or password, or too many (a name
# locked, an address throttled); a refresh token of no session; a file whose bytes are no
# accepted type, or too many
RULE_REFUSALS = {
    "/api/v1/auth/token": {401, 423, 429},
    "/api/v1/auth/refresh": {401},
    "/api/v1/auth/session/refresh": {401},
    # a list of dates is a pattern, which cannot tell a day the month lacks (2026-02-30)
    "/api/v1/calendar/countdown": {400},
    "/api/v1/files": {413, 415},
}

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    unsupported_method,
]


def fuzzed(mode: str, max_examples: int) -> schemathesis.BaseSchema:
    config = schemathesis.Config.from_dict(
        {
            "seed": 2026,
            "generation": {
                "mode": mode,
                "max-examples": max_examples,
                "deterministic": True,
                "database": "none",
                # the session's real token is sent with every request instead
                "with-security-parameters": False,
            },
            "phases": {"examples": {"enabled": False}, "stateful": {"enabled": False}},
        }
    )
    # Tests are made at collection time, before the stack runs, so the document is built here;
    # the first test checks that the gateway serves exactly this one.
    document = openapi_document(served(manual_clock=True))
    return schemathesis.openapi.from_dict(document, config=config)


def may_not_call(role: str) -> list[str]:
    """The operations a role may not call: a valid request to one is refused 403 by role,
    which tests/unit/test_gateway_routes.py checks for every route."""
    return [
        f"{route.method} {route.openapi_path}"
        for route in served(manual_clock=True)
        if route.roles and role not in route.roles
    ]


# the administrator's own operations (what any signed-in user may call is fuzzed above)
ADMIN_ONLY = r"^/api/v1/admin/(users|api-keys|logins)"

invalid = fuzzed("negative", max_examples=20).exclude(path=TEST_ONLY)
valid = (
    fuzzed("positive", max_examples=20)
    .exclude(path=[*TEST_ONLY, *POLICY_CHANGES])
    .exclude(name=may_not_call("supervisor"))
)
invalid_as_handler = (
    fuzzed("negative", max_examples=10)
    .exclude(path=TEST_ONLY)
    .exclude(name=may_not_call("handler"))
)
valid_as_handler = (
    fuzzed("positive", max_examples=10)
    .exclude(path=[*TEST_ONLY, *POLICY_CHANGES])
    .exclude(name=may_not_call("handler"))
)
invalid_as_admin = fuzzed("negative", max_examples=10).include(path_regex=ADMIN_ONLY)
valid_as_admin = fuzzed("positive", max_examples=10).include(path_regex=ADMIN_ONLY)


@pytest.fixture(scope="module")
def item_id(supervisor: Client) -> str:
    """A real, assigned item: actions on it reach the item's rules instead of stopping at 404."""
    item = supervisor.register(title="接口模糊测试", external_ref=unique_ref("fuzz"))
    supervisor.assign(item["id"], "water")
    return item["id"]


@pytest.fixture(scope="module")
def stores(stack: Stack, admin_conninfo: str, item_id: str) -> Iterator[Stores]:
    """Settled after the real item is made, so its own events are not taken for a change."""
    with psycopg.connect(admin_conninfo, autocommit=True) as conn:
        stores = Stores(conn, stack.settings.evidence_dir, stack.settings.amqp_uri)
        stores.settle()
        yield stores


@pytest.fixture(scope="module")
def dead_before(stores: Stores) -> dict[str, int]:
    return stores.dead_letters()


def signed_in(stack: Stack, username: str) -> dict[str, str]:
    """A token of this module's own (an access token lasts 30 minutes)."""
    client = Client(stack.gateway_url).login(username, stack.settings.demo_password)
    return {"Authorization": str(client.session.headers["Authorization"])}


@pytest.fixture(scope="module")
def auth(stack: Stack) -> dict[str, str]:
    return signed_in(stack, "supervisor")


@pytest.fixture(scope="module")
def handler_auth(stack: Stack) -> dict[str, str]:
    """The lead unit's handler of the fuzzed item."""
    return signed_in(stack, "handler-water")


@pytest.fixture(scope="module")
def admin_auth(stack: Stack) -> dict[str, str]:
    return signed_in(stack, "admin")


def test_the_document_is_served_without_a_token(stack: Stack):
    # that it names every route Flask serves is tests/unit/test_gateway_routes.py's business
    served_document = requests.get(f"{stack.gateway_url}{OPENAPI}", timeout=10)
    assert served_document.status_code == 200
    document = openapi_document(served(manual_clock=True))
    assert served_document.json() == json.loads(json.dumps(document))


def on_the_real_item(case: schemathesis.Case, item_id: str) -> None:
    """A well-formed item id is replaced by the real item's; a malformed one is kept."""
    if UUID_PATH.fullmatch(str(case.path_parameters.get("item_id", ""))):
        case.path_parameters["item_id"] = item_id


def refused_and_unchanged(
    case: schemathesis.Case, stack: Stack, headers: dict[str, str], item_id: str, stores: Stores
) -> None:
    on_the_real_item(case, item_id)
    before = stores.snapshot()
    response = case.call(base_url=stack.gateway_url, headers=headers)
    case.validate_response(response, checks=[*CHECKS, negative_data_rejection], headers=headers)
    after = stores.snapshot()
    assert after == before, (
        f"{case.method} {case.formatted_path} was refused with {response.status_code} "
        f"yet changed the stores: {before} -> {after}"
    )


def accepted(case: schemathesis.Case, stack: Stack, headers: dict[str, str], item_id: str) -> None:
    on_the_real_item(case, item_id)
    details = case.body.get("details") if isinstance(case.body, dict) else None
    if case.path == "/api/v1/items" and isinstance(details, dict):
        for key in ("year", "session_year"):
            if key in details:
                details[key] = FUZZ_YEAR
    if case.headers and IDEMPOTENCY_KEY in case.headers:
        # a key of its own, as a client makes one per change: the generator repeats a few
        # keys, each of which, used again for another request, is refused (422)
        case.headers[IDEMPOTENCY_KEY] = str(uuid.uuid4())
    # The generator does not always honour a `pattern` (it sent NUL in a unit code, and a
    # lone form feed, both of which the document forbids): acceptance is asked only of a body
    # that really fits the document; every other check is asked of every case.
    response = case.call(base_url=stack.gateway_url, headers=headers)
    case.validate_response(response, checks=CHECKS, headers=headers)
    if case.body is NOT_SET or fits_the_document(case):
        allowed = ACCEPTED | RULE_REFUSALS.get(case.path, set())
        assert response.status_code in allowed, (
            f"{case.method} {case.formatted_path}: a valid request was refused "
            f"{response.status_code}: {response.text[:300]}"
        )


DOCUMENT = openapi_document(served(manual_clock=True))


def fits_the_document(case: schemathesis.Case) -> bool:
    operation = DOCUMENT["paths"][case.path][case.method.lower()]
    body = operation["requestBody"]["content"].get("application/json")
    if body is None:
        return True
    schema = {**body["schema"], "components": DOCUMENT["components"]}
    return jsonschema.Draft202012Validator(schema).is_valid(case.body)


@invalid.parametrize()
def test_invalid_requests_are_refused_and_change_nothing(
    case: schemathesis.Case,
    stack: Stack,
    auth: dict[str, str],
    item_id: str,
    stores: Stores,
    dead_before: dict[str, int],  # counted before the first request is sent
):
    refused_and_unchanged(case, stack, auth, item_id, stores)


@invalid_as_handler.parametrize()
def test_invalid_requests_from_a_handler_are_refused_and_change_nothing(
    case: schemathesis.Case,
    stack: Stack,
    handler_auth: dict[str, str],
    item_id: str,
    stores: Stores,
    dead_before: dict[str, int],
):
    refused_and_unchanged(case, stack, handler_auth, item_id, stores)


@valid.parametrize()
def test_valid_requests_are_accepted_or_refused_by_a_rule(
    case: schemathesis.Case, stack: Stack, auth: dict[str, str], item_id: str
):
    accepted(case, stack, auth, item_id)


@valid_as_handler.parametrize()
def test_valid_requests_from_a_handler_are_accepted_or_refused_by_a_rule(
    case: schemathesis.Case, stack: Stack, handler_auth: dict[str, str], item_id: str
):
    accepted(case, stack, handler_auth, item_id)


@invalid_as_admin.parametrize()
def test_invalid_requests_from_the_administrator_are_refused_and_change_nothing(
    case: schemathesis.Case,
    stack: Stack,
    admin_auth: dict[str, str],
    item_id: str,
    stores: Stores,
    dead_before: dict[str, int],
):
    refused_and_unchanged(case, stack, admin_auth, item_id, stores)


@valid_as_admin.parametrize()
def test_valid_requests_from_the_administrator_are_accepted_or_refused_by_a_rule(
    case: schemathesis.Case, stack: Stack, admin_auth: dict[str, str], item_id: str
):
    accepted(case, stack, admin_auth, item_id)


def test_nothing_the_fuzzer_sent_was_parked_as_poison(stores: Stores, dead_before: dict[str, int]):
    """A request the gateway accepts but a service then cannot process is not a 5xx: the
    message is retried and dead-lettered, and the item's later events wait behind it."""
    stores.settle()
    assert stores.dead_letters() == dead_before
