"""Bad input is refused with a clear reason, and nothing is half-written."""

from __future__ import annotations

import pytest
import requests

from tests.client import Client

pytestmark = pytest.mark.integration


def test_missing_and_malformed_fields_are_named(supervisor: Client):
    response = supervisor.post(
        "/api/v1/items", {"source": "gossip", "content": "", "due_date": "next week"}
    )
    assert response.status_code == 400
    fields = {f["field"]: f["message"] for f in response.json()["fields"]}
    assert set(fields) == {"source", "title", "content", "due_date"}
    assert fields["title"] == "标题：必填，请填写"
    assert fields["due_date"].startswith("办理时限：")


def test_a_body_that_is_not_an_object_is_refused(supervisor: Client):
    response = supervisor.request(
        "POST", "/api/v1/items", data="[]", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400


def test_no_token_or_a_wrong_one_is_401(stack):
    assert requests.get(f"{stack.gateway_url}/api/v1/items", timeout=10).status_code == 401
    wrong = requests.get(
        f"{stack.gateway_url}/api/v1/items",
        headers={"Authorization": "Bearer not-a-token"},
        timeout=10,
    )
    assert wrong.status_code == 401
    assert wrong.json()["message"]
    bad_login = requests.post(
        f"{stack.gateway_url}/api/v1/auth/token",
        json={"username": "supervisor", "password": "wrong"},
        timeout=10,
    )
    assert bad_login.status_code == 401


def test_an_unknown_unit_is_refused_and_the_item_stays_registered(supervisor: Client):
    item = supervisor.register(title="单位不存在")
    response = supervisor.post(f"/api/v1/items/{item['id']}/assign", {"lead_unit": "no-such-unit"})
    assert response.status_code == 422
    assert "no-such-unit" in response.json()["message"]
    assert response.json()["message_en"]
    assert supervisor.item(item["id"])["status"] == "registered"
    assert [e["type"] for e in supervisor.history(item["id"])] == [
        "ItemReceived",
        "DispatchDeadlineSet",
    ]


def test_an_action_in_the_wrong_state_is_409(supervisor: Client):
    item = supervisor.register(title="状态不对")
    response = supervisor.post(f"/api/v1/items/{item['id']}/review", {"decision": "accept"})
    assert response.status_code == 409
    assert response.json()["message"] == (
        "事项当前状态为“待交办”，不能审核通过；此状态下可以：交办、撤销、合并"
    )
    assert len(supervisor.history(item["id"])) == 2  # registered, and the office's time to assign


def test_a_due_date_in_the_past_is_refused(supervisor: Client):
    supervisor.set_clock("2026-11-02T09:00:00+08:00")
    item = supervisor.register(title="时限已过")
    response = supervisor.post(
        f"/api/v1/items/{item['id']}/assign", {"lead_unit": "health", "due_date": "2026-10-09"}
    )
    assert response.status_code == 422
    assert "早于今天" in response.json()["message"]
    holiday = supervisor.post(
        f"/api/v1/items/{item['id']}/assign", {"lead_unit": "health", "due_date": "2026-12-12"}
    )
    assert holiday.status_code == 422
    assert holiday.json()["error"] == "not_a_working_day"
    assert supervisor.item(item["id"])["status"] == "registered"
    registered = supervisor.post(
        "/api/v1/items",
        {
            "source": "meeting",
            "title": "会议",
            "content": "x",
            "due_date": "2026-10-01",
            "details": {
                "meeting_name": "县政府常务会议",
                "meeting_date": "2026-09-20",
                "decision_number": "2026-18-3",
            },
        },
    )
    assert registered.status_code == 422


def test_a_handler_cannot_act_for_another_unit(supervisor: Client, handler_factory):
    item = supervisor.register(title="他单位事项")
    supervisor.assign(item["id"], "justice", co_units=["veterans"])
    # a unit that never had the item is told nothing about it
    response = handler_factory("forestry").post(f"/api/v1/items/{item['id']}/acknowledge")
    assert response.status_code == 404
    # a co-unit sees it, and may not sign for the lead unit
    response = handler_factory("veterans").post(f"/api/v1/items/{item['id']}/acknowledge")
    assert (response.status_code, response.json()["error"]) == (403, "not_lead_unit")
    assert supervisor.item(item["id"])["status"] == "assigned"


def test_a_handler_cannot_register_items(handler_factory):
    response = handler_factory("water").post(
        "/api/v1/items", {"source": "instruction", "title": "x", "content": "y"}
    )
    assert response.status_code == 403


def test_the_test_clock_route_needs_the_manual_clock(stack):
    # This stack runs with CLOCK=manual; the route's absence otherwise is checked in-process.
    from gateway.app import create_app
    from services.kernel.config import Settings

    app = create_app(Settings.from_env({**stack.env, "CLOCK": "system"}))
    assert "/api/v1/_test/clock" not in {r.rule for r in app.url_map.iter_rules()}


# Found by the fuzz test (test_fuzz_api.py) or while writing it; each was a 5xx or worse.


def test_text_that_cannot_be_stored_is_refused_naming_the_field(supervisor: Client):
    # was a 500: PostgreSQL text cannot hold NUL, and half a surrogate pair is no UTF-8
    item = supervisor.register(title="不可保存的字符")
    response = supervisor.post(
        f"/api/v1/items/{item['id']}/assign", {"lead_unit": "water", "co_units": ["a\x00"]}
    )
    assert response.status_code == 400
    assert response.json()["fields"][0]["field"] == "co_units.0"
    assert response.json()["fields"][0]["message"].startswith("配合单位第 1 项：含有无法保存的字符")
    surrogate = supervisor.request(
        "POST",
        "/api/v1/items",
        data='{"source": "special", "title": "\\ud800", "content": "x"}',
        headers={"content-type": "application/json"},
    )
    assert surrogate.status_code == 400
    assert [f["field"] for f in surrogate.json()["fields"]] == ["title"]
    listed = supervisor.get("/api/v1/items", group="a\x00")
    assert listed.status_code == 400
    assert supervisor.item(item["id"])["status"] == "registered"


def test_a_file_that_is_not_a_workbook_is_refused(supervisor: Client):
    # was a 500: bytes that are not even a zip file escaped openpyxl as zipfile.BadZipFile
    response = supervisor.session.post(
        f"{supervisor.base_url}/api/v1/imports/proposals",
        params={"session_year": 2033},
        files={"file": ("list.xlsx", b"not a spreadsheet")},
        timeout=30,
    )
    assert response.status_code == 422
    assert response.json()["error"] == "not_xlsx"
    assert supervisor.get("/api/v1/reports/proposals/2033").json()["committees"] == []


def test_numbers_that_are_no_numbers_are_refused(supervisor: Client):
    # NaN was taken, became null in the event, and the services parked that event as poison
    # (the item's later events then waited behind it for good)
    response = supervisor.request(
        "POST",
        "/api/v1/items",
        data='{"source": "work_report", "title": "指标", "content": "x", "details":'
        ' {"year": 2030, "number": "NaN-1", "kind": "indicator", "target": NaN}}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["fields"][0]["field"] == "details.target"
    assert "有限的数值" in response.json()["fields"][0]["message"]


def test_dates_and_numbers_out_of_any_plausible_range_are_refused(supervisor: Client):
    # a due date near 9999-12-31 was accepted, then overflowed the deadline service's
    # arithmetic: the item never got its due date
    item = supervisor.register(title="万年以后")
    far = supervisor.post(
        f"/api/v1/items/{item['id']}/assign", {"lead_unit": "water", "due_date": "9999-12-30"}
    )
    assert far.status_code == 400
    assert far.json()["fields"][0]["message"] == (
        "办理时限：须在 2000-01-01 至 2100-12-31 之间，请检查年份"
    )
    assert supervisor.item(item["id"])["status"] == "registered"
    # an offset beyond PostgreSQL's bigint was a 500
    assert supervisor.get("/api/v1/items", offset=10**23).status_code == 400
    assert supervisor.get("/api/v1/admin/calendar/99999").status_code == 400
    # "²" passes str.isdigit() but not int(): was a 500
    superscript = supervisor.session.post(
        f"{supervisor.base_url}/api/v1/imports/work-report",
        params={"year": "²"},
        files={"file": ("list.xlsx", b"x")},
        timeout=30,
    )
    assert superscript.status_code == 400
    assert superscript.json()["fields"][0]["field"] == "year"
