"""Deadlines through the gateway with the manual clock: reminders, escalation, extensions,
admin-loaded schedules and the time-limit policy."""

from __future__ import annotations

import pytest
import requests

from deploy.stack import Stack
from tests.client import Client, eventually, stored_types

pytestmark = pytest.mark.integration


def types(history: list[dict]) -> list[str]:
    return [e["type"] for e in history]


def test_the_escalation_ladder_end_to_end(
    stack: Stack, supervisor: Client, handler_factory, app_conninfo: str
):
    supervisor.set_clock("2026-09-28T09:00:00+08:00")
    item = supervisor.register(title="督办阶梯", content="...", issued_by="县长")
    assert supervisor.assign(item["id"], "agriculture")["due_date"] == "2026-10-13"
    handler_factory("agriculture").post(f"/api/v1/items/{item['id']}/acknowledge")

    steps = [
        ("2026-10-10T10:00:00+08:00", "ReminderIssued"),  # 2 working days before: Sat 10/10 上班
        ("2026-10-13T08:00:00+08:00", "ReminderIssued"),  # the due day
        ("2026-10-14T00:00:01+08:00", "Overdue"),
        ("2026-10-17T00:00:01+08:00", "EscalatedToLeader"),  # 3 working days overdue
        ("2026-10-28T01:00:00+08:00", "PenaltyRecommended"),  # 10: 通报批评
        ("2026-11-11T01:00:00+08:00", "PenaltyRecommended"),  # 20: 约谈
    ]
    expected = ["ItemReceived", "DispatchDeadlineSet", "Assigned", "DeadlineSet", "Acknowledged"]
    for moment, event_type in steps:
        supervisor.set_clock(moment)
        expected.append(event_type)
        eventually(lambda e=list(expected): types(supervisor.history(item["id"])) == e)
    supervisor.set_clock("2026-12-01T10:00:00+08:00")  # nothing repeats
    assert stored_types(app_conninfo, "deadline", item["id"]) == [
        "ClockOpened",
        "DispatchDeadlineSet",
        "HandedTo",
        "DeadlineSet",
        "Signed",
        "ReminderIssued",
        "ReminderIssued",
        "Overdue",
        "Escalated",
        "Escalated",
        "Escalated",
    ]
    history = supervisor.history(item["id"])
    assert types(history) == expected
    (leader,) = [e for e in history if e["type"] == "EscalatedToLeader"]
    assert (leader["data"]["leader"], leader["data"]["leader_user"]) == ("县长王建国", "leader")
    assert [e["data"]["penalty"] for e in history if e["type"] == "PenaltyRecommended"] == [
        "circulate_criticism",
        "work_interview",
    ]
    assert [e["data"]["kind"] for e in history if e["type"] == "ReminderIssued"] == [
        "before",
        "due_today",
    ]
    row = eventually(lambda: (r := supervisor.item(item["id"]))["escalation_level"] == 3 and r)
    assert row["reminders"] == 2
    assert row["penalty"] == "work_interview"
    assert row["overdue"] is True

    metrics = requests.get(
        f"http://127.0.0.1:{stack.metrics_port('deadline')}/metrics", timeout=10
    ).text
    assert 'supervision_deadline_overdue_total{source="instruction"}' in metrics
    assert 'supervision_deadline_reminders_total{kind="before"}' in metrics
    assert 'supervision_deadline_escalations_total{action="work_interview"}' in metrics


def test_an_extension_keeps_the_original_date_on_record(
    supervisor: Client, handler_factory, app_conninfo: str
):
    supervisor.set_clock("2026-09-28T09:00:00+08:00")
    item = supervisor.register(title="申请延期")
    supervisor.assign(item["id"], "forestry")
    forestry = handler_factory("forestry")
    forestry.post(f"/api/v1/items/{item['id']}/acknowledge")
    requested = forestry.post(
        f"/api/v1/items/{item['id']}/extension-requests",
        {"reason": "需协调省级部门", "proposed_due_date": "2026-10-30"},
    )
    assert requested.status_code == 200, requested.text
    again = forestry.post(
        f"/api/v1/items/{item['id']}/extension-requests",
        {"reason": "再次申请", "proposed_due_date": "2026-11-30"},
    )
    assert again.status_code == 409
    granted = supervisor.post(
        f"/api/v1/items/{item['id']}/extension-decision",
        {"decision": "grant", "due_date": "2026-10-23", "comment": "同意延期至10月23日"},
    ).json()
    assert granted["due_date"] == "2026-10-23"
    assert granted["original_due_date"] == "2026-10-13"
    assert granted["extended"] is True
    deadlines = [e for e in supervisor.history(item["id"]) if e["type"] == "DeadlineSet"]
    assert [(d["data"]["due_date"], d["data"]["extension"]) for d in deadlines] == [
        ("2026-10-13", False),
        ("2026-10-23", True),
    ]
    supervisor.set_clock("2026-10-20T10:00:00+08:00")
    feedback = forestry.post(f"/api/v1/items/{item['id']}/feedback", {"content": "已办结"})
    submitted = [e for e in supervisor.history(item["id"]) if e["type"] == "FeedbackSubmitted"]
    assert feedback.status_code == 200
    # late under the original date, on time under the extension: scoring can tell
    assert submitted[0]["data"]["on_time"] is True
    assert submitted[0]["data"]["original_due_date"] == "2026-10-13"
    assert submitted[0]["data"]["due_date"] == "2026-10-23"
    eventually(lambda: stored_types(app_conninfo, "deadline", item["id"])[-1] == "ClockStopped")
    supervisor.set_clock("2026-10-26T10:00:00+08:00")  # past the extended date: nothing issued
    assert "Overdue" not in stored_types(app_conninfo, "deadline", item["id"])


def test_an_extension_on_a_closed_item_is_refused(supervisor: Client, handler_factory):
    item = supervisor.register(title="已办结事项")
    supervisor.assign(item["id"], "veterans")
    veterans = handler_factory("veterans")
    veterans.post(f"/api/v1/items/{item['id']}/acknowledge")
    veterans.post(f"/api/v1/items/{item['id']}/feedback", {"content": "完成"})
    supervisor.post(f"/api/v1/items/{item['id']}/review", {"decision": "accept", "comment": "ok"})
    before = len(supervisor.history(item["id"]))
    response = veterans.post(
        f"/api/v1/items/{item['id']}/extension-requests",
        {"reason": "x", "proposed_due_date": "2027-06-30"},
    )
    assert response.status_code == 409
    assert len(supervisor.history(item["id"])) == before


def test_month_end_and_leap_year_through_the_gateway(supervisor: Client):
    supervisor.set_clock("2026-08-31T10:00:00+08:00")
    details = {"session_year": 2026, "number": "M-1", "author": "王代表", "kind": "suggestion"}
    proposal = supervisor.register(source="proposal", title="月末交办的建议", details=details)
    assert supervisor.assign(proposal["id"], "education")["due_date"] == "2027-03-01"
    supervisor.set_clock("2027-08-29T10:00:00+08:00")
    leap = supervisor.register(
        source="proposal", title="闰年", details={**details, "session_year": 2027}
    )
    assert supervisor.assign(leap["id"], "health")["due_date"] == "2028-02-29"


def test_a_finding_needs_the_date_from_its_notice(supervisor: Client):
    item = supervisor.register(source="finding", title="无整改时限的问题")
    response = supervisor.post(f"/api/v1/items/{item['id']}/assign", {"lead_unit": "water"})
    assert response.status_code == 422
    assert response.json()["error"] == "due_date_required"
    assert supervisor.item(item["id"])["status"] == "registered"


def test_loading_a_new_years_schedule_recounts_open_deadlines(supervisor: Client):
    supervisor.set_clock("2026-12-28T09:00:00+08:00")
    item = supervisor.register(title="跨年事项")
    assert supervisor.assign(item["id"], "commerce")["due_date"] == "2027-01-06"
    first = next(e for e in supervisor.history(item["id"]) if e["type"] == "DeadlineSet")
    assert first["data"]["official_calendar"] is False
    assert first["data"]["basis"].endswith("（该年尚无国务院节假日安排，仅按周末计算）")
    assert supervisor.get("/api/v1/admin/calendar/2027").json()["official"] is False

    bad = supervisor.request(
        "PUT",
        "/api/v1/admin/calendar/2027",
        json={"rest_days": ["2027-01-01"], "working_weekends": ["2027-01-06"], "reason": "x"},
    )
    assert bad.status_code == 422  # 2027-01-06 is a Wednesday, not a weekend
    loaded = supervisor.request(
        "PUT",
        "/api/v1/admin/calendar/2027",
        json={
            "rest_days": ["2027-01-01"],
            "working_weekends": [],
            "reason": "国务院办公厅关于2027年部分节假日安排的通知",
        },
    ).json()
    assert loaded["official"] is True
    assert item["id"] in loaded["recounted"]
    eventually(lambda: supervisor.item(item["id"])["due_date"] == "2027-01-07")
    last = [e for e in supervisor.history(item["id"]) if e["type"] == "DeadlineSet"][-1]
    assert last["data"]["due_date"] == "2027-01-07"
    assert last["data"]["basis"].endswith("（按载入的节假日安排重新计算）")


def test_the_time_limit_policy_is_changed_with_who_and_why(supervisor: Client):
    current = supervisor.get("/api/v1/admin/time-limits").json()
    limits = current["limits"]
    assert limits["sources"]["instruction"] == {"working_days": 7}
    bad = dict(limits, sources={**limits["sources"], "rumour": {"working_days": 1}})
    refused = supervisor.request(
        "PUT", "/api/v1/admin/time-limits", json={"limits": bad, "reason": "x"}
    )
    assert refused.status_code == 422
    assert refused.json()["message"].startswith(
        "各来源办理时限的“rumour”：不是事项来源，请删除或改为以下之一：instruction（领导批示"
    )
    assert refused.json()["message_en"] == "sources.rumour: unknown source"
    assert supervisor.get("/api/v1/admin/time-limits").json() == current

    faster = dict(limits, sources={**limits["sources"], "instruction": {"working_days": 5}})
    try:
        changed = supervisor.request(
            "PUT",
            "/api/v1/admin/time-limits",
            json={"limits": faster, "reason": "县长办公会要求提速"},
        ).json()
        assert changed["changes"][-1]["reason"] == "县长办公会要求提速"
        assert changed["changes"][-1]["actor"]["user"] == "supervisor"
        supervisor.set_clock("2026-09-28T09:00:00+08:00")
        item = supervisor.register(title="新时限")
        # 5 working days: 9/29, 9/30, 10/8, 10/9, 10/10 (Sat, 上班)
        assert supervisor.assign(item["id"], "justice")["due_date"] == "2026-10-10"
    finally:
        supervisor.request(
            "PUT", "/api/v1/admin/time-limits", json={"limits": limits, "reason": "恢复默认"}
        )


def test_spring_festival_and_labour_day_through_the_gateway(supervisor: Client):
    supervisor.set_clock("2026-02-10T09:00:00+08:00")
    spring = supervisor.register(title="春节前交办")
    # 2/11, 2/12, 2/13, 2/14 (Sat, 上班), then the holiday until 2/23: 2/24, 2/25, 2/26
    assert supervisor.assign(spring["id"], "emergency")["due_date"] == "2026-02-26"
    supervisor.set_clock("2026-04-30T09:00:00+08:00")
    labour = supervisor.register(
        source="hotline", title="五一前热线", content="...", complexity="simple"
    )
    assert supervisor.assign(labour["id"], "transport")["due_date"] == "2026-05-08"
    supervisor.set_clock("2026-05-09T00:00:01+08:00")
    eventually(lambda: supervisor.item(labour["id"])["overdue"])
    overdue = [e for e in supervisor.history(spring["id"]) if e["type"] == "Overdue"]
    assert [e["data"]["due_date"] for e in overdue] == ["2026-02-26"]
