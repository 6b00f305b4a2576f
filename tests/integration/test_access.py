"""Each unit sees only its own: a handler reads and acts on an item only while its unit is, or
has been, its lead or a co-unit; everywhere else the item does not exist for it (404)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import jsonschema
import psycopg
import pytest
import schemathesis
from schemathesis.core import NOT_SET

from deploy.stack import Stack
from gateway.idempotency import HEADER as IDEMPOTENCY_KEY
from gateway.openapi import openapi_document
from gateway.routes import served
from tests.client import Client, eventually, unique_ref
from tests.integration.test_sources import PNG
from tests.stores import Stores

pytestmark = pytest.mark.integration

DOCUMENT = openapi_document(served(manual_clock=True))
# every route that names an item, a file or a unit
NAMING = re.compile(r"\{(item_id|sha)\}")


@pytest.fixture(scope="module")
def water_item(supervisor: Client, handler_factory) -> dict[str, Any]:
    """An item of the water bureau (lead) and 西河镇 (co-unit), with evidence attached."""
    water = handler_factory("water")
    sha = water.session.post(
        f"{water.base_url}/api/v1/files", files={"file": ("现场.png", PNG)}, timeout=30
    ).json()["sha"]
    item = supervisor.register(title="水务局的事项", external_ref=unique_ref("access"))
    supervisor.assign(item["id"], "water", co_units=["xihe"])
    water.post(f"/api/v1/items/{item['id']}/acknowledge")
    water.post(
        f"/api/v1/items/{item['id']}/progress",
        {"content": "已到现场", "evidence": [{"sha": sha, "name": "现场.png"}]},
    )
    return {**supervisor.item(item["id"]), "sha": sha}


def test_a_handler_of_another_unit_is_told_the_item_does_not_exist(
    water_item: dict[str, Any], handler_factory
):
    finance = handler_factory("finance")
    item_id = water_item["id"]
    assert finance.get(f"/api/v1/items/{item_id}").status_code == 404
    assert finance.get(f"/api/v1/items/{item_id}/history").status_code == 404
    assert finance.get(f"/api/v1/files/{water_item['sha']}").status_code == 404
    for query in ({}, {"unit": "water"}, {"status": water_item["status"]}):
        listed = finance.get("/api/v1/items", **query, limit=500).json()["items"]
        assert item_id not in [i["id"] for i in listed], query


def test_the_lead_and_the_co_unit_see_it_and_its_evidence(
    water_item: dict[str, Any], handler_factory
):
    for unit in ("water", "xihe"):
        handler = handler_factory(unit)
        assert handler.item(water_item["id"])["title"] == "水务局的事项"
        assert [e["type"] for e in handler.history(water_item["id"])][:3] == [
            "ItemReceived",
            "DispatchDeadlineSet",
            "Assigned",
        ]
        assert handler.get(f"/api/v1/files/{water_item['sha']}").content == PNG
        listed = handler.get("/api/v1/items", limit=500).json()["items"]
        assert water_item["id"] in [i["id"] for i in listed]


def test_leaders_and_auditors_read_everything(stack: Stack, water_item: dict[str, Any]):
    for user in ("leader", "auditor"):
        reader = Client(stack.gateway_url).login(user, stack.settings.demo_password)
        assert reader.item(water_item["id"])["lead_unit"] == "water"
        assert reader.get(f"/api/v1/files/{water_item['sha']}").status_code == 200


def test_a_unit_that_had_the_item_keeps_seeing_it_after_a_reassignment(
    supervisor: Client, handler_factory
):
    item = supervisor.register(title="改派前后", external_ref=unique_ref("access"))
    supervisor.assign(item["id"], "transport")
    supervisor.post(f"/api/v1/items/{item['id']}/reassign", {"lead_unit": "emergency"})
    eventually(lambda: supervisor.item(item["id"])["lead_unit"] == "emergency")
    assert handler_factory("transport").item(item["id"])["lead_unit"] == "emergency"
    assert handler_factory("emergency").item(item["id"])["lead_unit"] == "emergency"
    assert handler_factory("finance").get(f"/api/v1/items/{item['id']}").status_code == 404


def test_an_item_not_yet_assigned_is_seen_by_no_unit(supervisor: Client, handler_factory):
    item = supervisor.register(title="尚未交办", external_ref=unique_ref("access"))
    assert handler_factory("water").get(f"/api/v1/items/{item['id']}").status_code == 404


def test_an_uploaded_file_is_read_by_its_uploader_alone_until_it_is_attached(
    stack: Stack, handler_factory
):
    own = PNG + b"own upload"
    sha = (
        handler_factory("forestry")
        .session.post(
            f"{stack.gateway_url}/api/v1/files", files={"file": ("草稿.png", own)}, timeout=30
        )
        .json()["sha"]
    )
    assert handler_factory("forestry").get(f"/api/v1/files/{sha}").content == own
    assert handler_factory("water").get(f"/api/v1/files/{sha}").status_code == 404


def test_the_proposal_summary_shows_a_handler_its_own_unit_s_figures(
    supervisor: Client, handler_factory
):
    year = 2031
    for number, unit in (("1", "education"), ("2", "health"), ("3", "health")):
        item = supervisor.register(
            source="proposal",
            title=f"提案{number}",
            external_ref=f"access-{year}-{number}-{unique_ref()}",
            details={"session_year": year, "number": number, "author": "委员", "kind": "proposal"},
        )
        supervisor.assign(item["id"], unit)

    def total(client: Client) -> int:
        report = client.get(f"/api/v1/reports/proposals/{year}").json()
        return sum(c["total"] for c in report["committees"])

    assert total(supervisor) == 3
    assert total(handler_factory("health")) == 2
    assert total(handler_factory("education")) == 1
    assert total(handler_factory("water")) == 0


def test_a_leader_registers_the_instructions_it_issues_and_nothing_else(stack: Stack):
    leader = Client(stack.gateway_url).login("leader", stack.settings.demo_password)
    instruction = leader.post(
        "/api/v1/items",
        {
            "source": "instruction",
            "title": "县长批示",
            "content": "请抓紧办理",
            "issued_by": "县长",
        },
    )
    assert instruction.status_code == 201
    hotline = leader.post("/api/v1/items", {"source": "hotline", "title": "热线", "content": "x"})
    assert (hotline.status_code, hotline.json()["error"]) == (403, "forbidden")


# --- every route that names an item or a file, from the document -------------------------

ROUTES = {f"{r.method} {r.openapi_path}": r for r in served(manual_clock=True)}
NAMING_ROUTES = [name for name in ROUTES if NAMING.search(name)]
stranger_schema = schemathesis.openapi.from_dict(
    DOCUMENT,
    config=schemathesis.Config.from_dict(
        {
            "seed": 2026,
            "generation": {
                "mode": "positive",
                "max-examples": 5,
                "deterministic": True,
                "database": "none",
                "with-security-parameters": False,
            },
            "phases": {"examples": {"enabled": False}, "stateful": {"enabled": False}},
        }
    ),
).exclude(name=[name for name in ROUTES if name not in NAMING_ROUTES])


@pytest.fixture(scope="module")
def stranger(handler_factory) -> dict[str, str]:
    """A handler of a unit that never had the water bureau's item."""
    return {"Authorization": str(handler_factory("finance").session.headers["Authorization"])}


@pytest.fixture(scope="module")
def stores(stack: Stack, admin_conninfo: str, water_item: dict[str, Any]) -> Iterator[Stores]:
    with psycopg.connect(admin_conninfo, autocommit=True) as conn:
        stores = Stores(conn, stack.settings.evidence_dir, stack.settings.amqp_uri)
        stores.settle()
        yield stores


def fits(case: schemathesis.Case) -> bool:
    operation = DOCUMENT["paths"][case.path][case.method.lower()]
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if case.body is NOT_SET or body is None:
        return True
    schema = {**body["schema"], "components": DOCUMENT["components"]}
    return jsonschema.Draft202012Validator(schema).is_valid(case.body)


def test_the_generated_visit_covers_every_route_naming_an_item_or_a_file():
    # the item, its history, its 16 commands, the due-date preview, and a file
    assert len(NAMING_ROUTES) == 20, NAMING_ROUTES


@stranger_schema.parametrize()
def test_every_route_naming_another_unit_s_item_or_file_answers_404_and_changes_nothing(
    case: schemathesis.Case,
    stack: Stack,
    stranger: dict[str, str],
    water_item: dict[str, Any],
    stores: Stores,
):
    if "item_id" in case.path_parameters:
        case.path_parameters["item_id"] = water_item["id"]
    if "sha" in case.path_parameters:
        case.path_parameters["sha"] = water_item["sha"]
    if case.headers and IDEMPOTENCY_KEY in case.headers:
        # a key of its own, as a client makes one per change: the generator repeats a few
        # keys, and one used before for another request is refused (422) before anything else
        case.headers[IDEMPOTENCY_KEY] = str(uuid.uuid4())
    before = stores.snapshot()
    response = case.call(base_url=stack.gateway_url, headers=stranger)
    roles = ROUTES[f"{case.method} {case.path}"].roles
    # A route no handler may call is refused by role whatever it names; a body the document
    # does not allow is refused before the item is looked at. Neither says whether it exists.
    expected = {404} if not roles or "handler" in roles else {403}
    if not fits(case):
        expected.add(400)
    assert response.status_code in expected, (case.method, case.path, response.text[:300])
    assert stores.snapshot() == before
