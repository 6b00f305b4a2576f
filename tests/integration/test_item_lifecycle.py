"""The item ledger through the gateway, as the office and the units use it."""

from __future__ import annotations

import pytest

from tests.client import Client, eventually, stored_types, unique_ref

pytestmark = pytest.mark.integration


def event_types(history: list[dict]) -> list[str]:
    return [e["type"] for e in history]


def test_an_instruction_goes_from_registration_to_closing(supervisor: Client, handler_factory):
    supervisor.set_clock("2026-09-28T09:00:00+08:00")
    item = supervisor.register(
        source="instruction", title="关于防汛工作的批示", content="请做好防汛准备", issued_by="县长"
    )
    # read-your-writes: the registration is visible at once
    assert supervisor.item(item["id"])["status"] == "registered"

    assigned = supervisor.assign(item["id"], "water", co_units=["emergency", "chengguan"])
    assert assigned["status"] == "assigned"
    assert assigned["lead_unit"] == "water"
    assert assigned["co_units"] == ["emergency", "chengguan"]
    # 7 working days from Monday 2026-09-28, National Day and the 10/10 make-up Saturday
    assert assigned["due_date"] == "2026-10-13"
    assert assigned["due_at"] == "2026-10-13T16:00:00+00:00"  # 24:00 Asia/Shanghai

    water = handler_factory("water")
    assert water.post(f"/api/v1/items/{item['id']}/acknowledge").json()["status"] == "acknowledged"
    response = water.post(f"/api/v1/items/{item['id']}/feedback", {"content": "已完成河道清淤"})
    assert response.json()["status"] == "feedback_submitted"

    returned = supervisor.post(
        f"/api/v1/items/{item['id']}/review",
        {"decision": "return", "comment": "缺少照片佐证", "due_date": "2026-10-20"},
    ).json()
    assert returned["status"] == "returned"
    assert returned["due_date"] == "2026-10-20"

    water.post(f"/api/v1/items/{item['id']}/feedback", {"content": "已补充照片"})
    closed = supervisor.post(
        f"/api/v1/items/{item['id']}/review", {"decision": "accept", "comment": "同意办结"}
    ).json()
    assert closed["status"] == "closed"

    history = supervisor.history(item["id"])
    assert event_types(history) == [
        "ItemReceived",
        "DispatchDeadlineSet",
        "Assigned",
        "DeadlineSet",
        "Acknowledged",
        "FeedbackSubmitted",
        "FeedbackReturned",
        "DeadlineSet",
        "FeedbackSubmitted",
        "FeedbackAccepted",
        "ReportedBack",
        "Closed",
    ]
    assert [e["version"] for e in history] == list(range(1, 13))
    assert {k: history[4]["actor"][k] for k in ("user", "role", "unit")} == {
        "user": "handler-water",
        "role": "handler",
        "unit": "water",
    }
    assert all(len(e["hash"]) == 64 for e in history)
    assert len({e["hash"] for e in history}) == len(history)


def test_a_finding_is_crossed_off_when_its_rectification_is_accepted(
    supervisor: Client, handler_factory
):
    item = supervisor.register(
        source="finding", title="园区道路破损", content="督查发现", due_date="2027-06-30"
    )
    supervisor.assign(item["id"], "industrial-park")
    park = handler_factory("industrial-park")
    park.post(f"/api/v1/items/{item['id']}/acknowledge")
    park.post(f"/api/v1/items/{item['id']}/feedback", {"content": "已修复"})
    supervisor.post(f"/api/v1/items/{item['id']}/review", {"decision": "accept", "comment": "销号"})
    assert event_types(supervisor.history(item["id"]))[-4:] == [
        "FeedbackAccepted",
        "Rectified",
        "ReportedBack",
        "Closed",
    ]


def test_the_same_external_reference_registers_one_item(supervisor: Client):
    ref = unique_ref("12345")
    first = supervisor.post(
        "/api/v1/items",
        {"source": "hotline", "title": "噪音投诉", "content": "夜间施工", "external_ref": ref},
    )
    again = supervisor.post(
        "/api/v1/items",
        {
            "source": "hotline",
            "title": "噪音投诉（重复）",
            "content": "夜间施工",
            "external_ref": ref,
        },
    )
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["title"] == "噪音投诉"
    listed = supervisor.get("/api/v1/items", source="hotline").json()["items"]
    assert [i["external_ref"] for i in listed].count(ref) == 1


def test_lists_filter_by_status_unit_source_and_overdue(supervisor: Client):
    item = supervisor.register(source="special", title="专项任务", content="急事")
    supervisor.assign(item["id"], "statistics", co_units=["finance"])
    by_co_unit = supervisor.get("/api/v1/items", unit="finance", status="assigned").json()
    assert item["id"] in [i["id"] for i in by_co_unit["items"]]
    others = supervisor.get("/api/v1/items", unit="health").json()["items"]
    assert item["id"] not in [i["id"] for i in others]
    not_overdue = supervisor.get("/api/v1/items", source="special", overdue="false").json()
    assert item["id"] in [i["id"] for i in not_overdue["items"]]


def test_units_list_the_demo_county(supervisor: Client):
    units = supervisor.get("/api/v1/units").json()["units"]
    kinds = [u["kind"] for u in units]
    assert kinds.count("town") == 10
    assert kinds.count("zone") == 2
    assert kinds.count("department") == 26
    assert len({u["code"] for u in units}) == len(units)


def test_an_item_is_overdue_once(supervisor: Client, app_conninfo: str):
    supervisor.set_clock("2026-09-28T09:00:00+08:00")
    item = supervisor.register(source="instruction", title="逾期测试", content="...")
    assert supervisor.assign(item["id"], "transport")["due_date"] == "2026-10-13"

    supervisor.set_clock("2026-10-13T23:59:00+08:00")
    assert not supervisor.item(item["id"])["overdue"]

    supervisor.set_clock("2026-10-14T00:00:01+08:00")
    eventually(lambda: supervisor.item(item["id"])["overdue"])
    supervisor.set_clock("2026-10-15T10:00:00+08:00")
    supervisor.set_clock("2026-10-20T10:00:00+08:00")
    # each move of the clock scanned at once: the deadline service itself issued it once
    assert stored_types(app_conninfo, "deadline", item["id"]).count("Overdue") == 1

    overdue = [e for e in supervisor.history(item["id"]) if e["type"] == "Overdue"]
    assert len(overdue) == 1
    assert overdue[0]["data"]["due_date"] == "2026-10-13"
    assert overdue[0]["actor"]["user"] == "system:deadline"
    listed = supervisor.get("/api/v1/items", overdue="true").json()["items"]
    assert item["id"] in [i["id"] for i in listed]


def test_an_answer_in_time_is_never_overdue(supervisor: Client, handler_factory, app_conninfo: str):
    supervisor.set_clock("2026-09-28T09:00:00+08:00")
    item = supervisor.register(source="instruction", title="按时反馈", content="...")
    supervisor.assign(item["id"], "veterans")
    veterans = handler_factory("veterans")
    veterans.post(f"/api/v1/items/{item['id']}/acknowledge")
    veterans.post(f"/api/v1/items/{item['id']}/feedback", {"content": "已办理"})
    # the answer stops the clock (once the deadline service has heard of it) ...
    eventually(lambda: stored_types(app_conninfo, "deadline", item["id"])[-1] == "ClockStopped")
    supervisor.set_clock("2026-10-20T10:00:00+08:00")
    # ... so the scan (run by the clock's move, before it answered) issues nothing
    assert stored_types(app_conninfo, "deadline", item["id"]) == [
        "ClockOpened",
        "DispatchDeadlineSet",
        "HandedTo",
        "DeadlineSet",
        "Signed",
        "ClockStopped",
    ]
    assert "Overdue" not in event_types(supervisor.history(item["id"]))
    assert not supervisor.item(item["id"])["overdue"]


def test_the_demo_items_that_make_run_seeds_are_accepted(stack, supervisor: Client):
    from deploy.run import seed_demo_items

    supervisor.set_clock("2026-11-27T09:00:00+08:00")
    seed_demo_items(stack.gateway_url, stack.settings.demo_password)
    seed_demo_items(stack.gateway_url, stack.settings.demo_password)  # idempotent
    demo = [
        i
        for i in supervisor.get("/api/v1/items", limit=500).json()["items"]
        if (i["external_ref"] or "").startswith("demo-")
    ]
    assert len(demo) == 4
