"""The rules the office trips over in its first year (issue 13, points 1-10 and the office's
own evidence), each walked through the gateway as the county's staff would."""

from __future__ import annotations

from typing import Any

import pytest

from deploy.stack import Stack
from tests.client import Client, eventually, unique_ref
from tests.integration.test_sources import PNG

pytestmark = pytest.mark.integration


def types(history: list[dict]) -> list[str]:
    return [e["type"] for e in history]


def of_type(history: list[dict], name: str) -> list[dict[str, Any]]:
    return [e for e in history if e["type"] == name]


def signed(supervisor: Client, handler_factory, unit: str, **fields: Any) -> dict[str, Any]:
    """An instruction assigned to `unit` and signed for by it."""
    item = supervisor.register(external_ref=unique_ref("year"), **fields)
    supervisor.assign(item["id"], unit)
    handler_factory(unit).post(f"/api/v1/items/{item['id']}/acknowledge")
    return supervisor.item(item["id"])


# 1. A due date on a rest day is refused wherever a date is set -------------------------


def test_a_rest_day_is_refused_at_registration_as_at_assignment(
    supervisor: Client, handler_factory
):
    supervisor.set_clock("2026-01-05T09:00:00+08:00")
    refused = supervisor.post(
        "/api/v1/items",
        {
            "source": "meeting",
            "title": "周六到期",
            "content": "x",
            "due_date": "2026-01-10",
            "details": {
                "meeting_name": "常务会议",
                "meeting_date": "2026-01-05",
                "decision_number": "1",
            },
        },
    )
    assert refused.status_code == 422
    assert refused.json()["message"] == "办理时限：2026年1月10日是休息日，请选择一个工作日"
    item = signed(supervisor, handler_factory, "water")
    asked = handler_factory("water").post(
        f"/api/v1/items/{item['id']}/extension-requests",
        {"reason": "需要更多时间", "proposed_due_date": "2026-01-31"},  # a Saturday
    )
    assert (asked.status_code, asked.json()["error"]) == (422, "not_a_working_day")


# 2. Overdue means overdue now; the record keeps that it was, and whose -------------------


def test_an_extension_and_closing_clear_the_overdue_flag_and_the_record_keeps_it(
    supervisor: Client, handler_factory
):
    supervisor.set_clock("2026-09-28T09:00:00+08:00")
    item = signed(supervisor, handler_factory, "forestry")
    assert item["due_date"] == "2026-10-13"
    supervisor.set_clock("2026-10-14T09:00:00+08:00")
    late = eventually(lambda: (i := supervisor.item(item["id"]))["overdue"] and i)
    assert (late["was_overdue"], late["overdue_unit"]) == (True, "forestry")
    forestry = handler_factory("forestry")
    forestry.post(
        f"/api/v1/items/{item['id']}/extension-requests",
        {"reason": "需协调省级部门", "proposed_due_date": "2026-10-23"},
    )
    extended = supervisor.post(
        f"/api/v1/items/{item['id']}/extension-decision",
        {"decision": "grant", "comment": "同意"},
    ).json()
    assert (extended["due_date"], extended["overdue"], extended["was_overdue"]) == (
        "2026-10-23",
        False,
        True,
    )
    overdue_now = supervisor.get("/api/v1/items", overdue="true", limit=500).json()["items"]
    assert item["id"] not in [i["id"] for i in overdue_now]
    (mark,) = of_type(supervisor.history(item["id"]), "Overdue")
    assert (mark["data"]["due_date"], mark["data"]["unit"]) == ("2026-10-13", "forestry")
    forestry.post(f"/api/v1/items/{item['id']}/feedback", {"content": "已办结"})
    closed = supervisor.post(
        f"/api/v1/items/{item['id']}/review", {"decision": "accept", "comment": "同意"}
    ).json()
    assert (closed["status"], closed["overdue"], closed["was_overdue"]) == ("closed", False, True)


# 3. The office's own delay is the office's, never the unit's -----------------------------


def test_a_hotline_period_starts_when_the_unit_gets_it_and_the_office_s_delay_is_its_own(
    supervisor: Client,
):
    supervisor.set_clock("2026-01-20T09:00:00+08:00")
    item = supervisor.register(
        source="hotline",
        title="12345：路灯不亮",
        content="x",
        complexity="simple",
        external_ref=unique_ref("12345"),
    )
    assert supervisor.item(item["id"])["dispatch_due_date"] == "2026-01-21"
    supervisor.set_clock("2026-01-27T09:00:00+08:00")
    assigned = supervisor.assign(item["id"], "urban-management")
    # 3 working days from 1/27, the day it reached the unit: not 1/25, before it did
    assert assigned["due_date"] == "2026-01-30"
    assert (assigned["dispatched_late"], assigned["overdue"]) == (True, False)
    reminder = of_type(supervisor.history(item["id"]), "ReminderIssued")
    assert [(r["data"]["kind"], r["data"]["unit"]) for r in reminder] == [("dispatch", None)]
    limits = supervisor.get("/api/v1/admin/time-limits").json()["limits"]
    assert limits["dispatch_working_days"]["hotline"] == 1
    assert limits["dispatch_working_days"]["instruction"] == 3


# 4. A reassignment leaves the old unit's record with it ----------------------------------


def test_a_new_lead_unit_starts_clean(supervisor: Client, handler_factory):
    supervisor.set_clock("2026-09-28T09:00:00+08:00")
    item = signed(supervisor, handler_factory, "civil-affairs")
    supervisor.set_clock("2026-10-17T09:00:00+08:00")  # overdue and escalated
    eventually(lambda: supervisor.item(item["id"])["escalation_level"] == 1)
    supervisor.set_clock("2026-10-19T09:00:00+08:00")
    moved = supervisor.post(f"/api/v1/items/{item['id']}/reassign", {"lead_unit": "health"}).json()
    assert (moved["lead_unit"], moved["overdue"], moved["escalation_level"]) == (
        "health",
        False,
        0,
    )
    assert (moved["penalty"], moved["escalated_to"], moved["due_date"]) == (
        None,
        None,
        "2026-10-28",  # 7 working days from 10/19
    )
    history = supervisor.history(item["id"])
    assert [e["data"]["unit"] for e in of_type(history, "Overdue")] == ["civil-affairs"]
    assert [e["data"]["unit"] for e in of_type(history, "EscalatedToLeader")] == ["civil-affairs"]


# 5. Escalation names a county leader, never nobody -------------------------------------


def escalate(supervisor: Client, handler_factory, unit: str, **fields: Any) -> dict:
    supervisor.set_clock("2026-09-28T09:00:00+08:00")
    item = signed(supervisor, handler_factory, unit, **fields)
    supervisor.set_clock("2026-10-17T09:00:00+08:00")  # 3 working days overdue
    escalated = eventually(lambda: of_type(supervisor.history(item["id"]), "EscalatedToLeader"))
    return escalated[0]["data"]


def test_an_instruction_escalates_to_the_county_leader_who_issued_it(
    supervisor: Client, handler_factory
):
    data = escalate(supervisor, handler_factory, "water", issued_by="县长")
    assert (data["leader"], data["leader_code"], data["leader_user"]) == (
        "县长王建国",
        "county-head",
        "leader",
    )


def test_anything_else_escalates_to_the_lead_unit_s_leader_in_charge(
    supervisor: Client, handler_factory
):
    # a city leader's instruction is no county leader's: the unit's leader in charge takes it
    data = escalate(supervisor, handler_factory, "water", issued_by="市长")
    assert (data["leader"], data["leader_user"]) == ("副县长赵强", "leader-agriculture")
    units = {u["code"]: u for u in supervisor.get("/api/v1/units").json()["units"]}
    assert units["water"]["leader_in_charge"] == "deputy-agriculture"


def test_the_register_of_leaders_is_kept_through_the_api_with_who_and_why(supervisor: Client):
    register = supervisor.get("/api/v1/admin/leaders").json()
    assert register["default"] == "executive-deputy"
    assert {e["code"] for e in register["leaders"]} >= {"county-head", "executive-deputy"}
    unknown = supervisor.session.put(
        f"{supervisor.base_url}/api/v1/admin/units/water/leader",
        json={"leader": "nobody", "reason": "测试"},
        timeout=10,
    )
    assert unknown.status_code == 422
    assert unknown.json()["message"].startswith("县领导：没有编码为 nobody 的县领导")


# 6. The whole penalty ladder, and a penalty recommended by hand --------------------------


def test_the_office_recommends_any_of_the_four_penalties_with_reasons(
    supervisor: Client, handler_factory
):
    supervisor.set_clock("2026-09-28T09:00:00+08:00")
    item = signed(supervisor, handler_factory, "emergency")
    for penalty in ("organisational_handling", "disciplinary_action"):
        answer = supervisor.post(
            f"/api/v1/items/{item['id']}/penalties",
            {"penalty": penalty, "unit": "emergency", "reasons": "虚报整改情况"},
        )
        assert answer.status_code == 200, answer.text
    stranger = supervisor.post(
        f"/api/v1/items/{item['id']}/penalties",
        {"penalty": "work_interview", "unit": "finance", "reasons": "x"},
    )
    assert (stranger.status_code, stranger.json()["error"]) == (422, "unit_not_involved")
    recorded = of_type(supervisor.history(item["id"]), "PenaltyRecommended")
    assert [(e["data"]["penalty"], e["data"]["unit"], e["data"]["level"]) for e in recorded] == [
        ("organisational_handling", "emergency", None),
        ("disciplinary_action", "emergency", None),
    ]
    policy = supervisor.get("/api/v1/admin/time-limits").json()["limits"]
    policy["escalation"] += [
        {"after_working_days": 30, "action": "organisational_handling"},
        {"after_working_days": 40, "action": "disciplinary_action"},
    ]
    changed = supervisor.session.put(
        f"{supervisor.base_url}/api/v1/admin/time-limits",
        json={"limits": policy, "reason": "问责阶梯补全"},
        timeout=10,
    )
    assert changed.status_code == 200, changed.text
    policy["escalation"] = policy["escalation"][:3]
    supervisor.session.put(
        f"{supervisor.base_url}/api/v1/admin/time-limits",
        json={"limits": policy, "reason": "恢复默认阶梯"},
        timeout=10,
    ).raise_for_status()


# 7. One verdict per answer ---------------------------------------------------------------


def test_satisfaction_is_recorded_once_per_answer(supervisor: Client, handler_factory):
    supervisor.set_clock("2026-09-28T09:00:00+08:00")
    item = signed(
        supervisor,
        handler_factory,
        "transport",
        source="hotline",
        title="热线",
        content="x",
        complexity="simple",
    )
    transport = handler_factory("transport")
    transport.post(f"/api/v1/items/{item['id']}/feedback", {"content": "已处理"})
    supervisor.post(f"/api/v1/items/{item['id']}/review", {"decision": "accept", "comment": "好"})
    first = supervisor.post(
        f"/api/v1/items/{item['id']}/satisfaction",
        {"verdict": "unsatisfied", "comment": "未解决", "due_date": "2026-10-16"},
    )
    assert first.json()["status"] == "returned"
    again = supervisor.post(
        f"/api/v1/items/{item['id']}/satisfaction", {"verdict": "basically_satisfied"}
    )
    assert (again.status_code, again.json()["error"]) == (409, "wrong_state")
    transport.post(f"/api/v1/items/{item['id']}/feedback", {"content": "再次处理"})
    supervisor.post(f"/api/v1/items/{item['id']}/review", {"decision": "accept", "comment": "好"})
    assert (
        supervisor.post(
            f"/api/v1/items/{item['id']}/satisfaction", {"verdict": "satisfied"}
        ).json()["satisfaction"]
        == "satisfied"
    )
    twice = supervisor.post(f"/api/v1/items/{item['id']}/satisfaction", {"verdict": "unsatisfied"})
    assert (twice.status_code, twice.json()["error"]) == (409, "verdict_recorded")
    verdicts = of_type(supervisor.history(item["id"]), "SatisfactionRecorded")
    assert [v["data"]["verdict"] for v in verdicts] == ["unsatisfied", "satisfied"]


# 8. The unit signs first -----------------------------------------------------------------


def test_a_unit_signs_before_it_reports_and_an_unsigned_item_is_reminded(
    supervisor: Client, handler_factory
):
    supervisor.set_clock("2026-09-28T09:00:00+08:00")
    item = supervisor.register(title="须先签收", external_ref=unique_ref("sign"))
    supervisor.assign(item["id"], "veterans")
    veterans = handler_factory("veterans")
    early = veterans.post(f"/api/v1/items/{item['id']}/progress", {"content": "进展"})
    assert (early.status_code, early.json()["error"]) == (409, "sign_first")
    assert early.json()["message"].startswith("请先签收")
    supervisor.set_clock("2026-09-30T09:00:00+08:00")  # a working day after 9/28 has passed
    reminded = eventually(lambda: (i := supervisor.item(item["id"]))["unsigned_reminded"] and i)
    assert reminded["status"] == "assigned"
    (reminder,) = of_type(supervisor.history(item["id"]), "ReminderIssued")
    assert (reminder["data"]["kind"], reminder["data"]["unit"]) == ("unsigned", "veterans")
    veterans.post(f"/api/v1/items/{item['id']}/acknowledge")
    assert (
        veterans.post(f"/api/v1/items/{item['id']}/progress", {"content": "进展"}).status_code
        == 200
    )


# 9. Work Report indicators and tasks ----------------------------------------------------


def test_every_month_s_figure_is_kept_and_a_missing_month_is_reminded(
    supervisor: Client, handler_factory
):
    supervisor.set_clock("2026-03-02T09:00:00+08:00")
    item = supervisor.register(
        source="work_report",
        title="规模以上工业增加值增长",
        content="x",
        external_ref=unique_ref("indicator"),
        details={"year": 2026, "number": "9", "kind": "indicator", "target": 8.0, "measure": "%"},
    )
    supervisor.assign(item["id"], "statistics")
    stats = handler_factory("statistics")
    stats.post(f"/api/v1/items/{item['id']}/acknowledge")
    path = f"/api/v1/items/{item['id']}/indicator-figures"
    stats.post(path, {"month": "2026-01", "value": 6.5})
    stats.post(path, {"month": "2026-02", "value": 7.0})
    corrected = stats.post(path, {"month": "2026-01", "value": 6.8}).json()
    assert corrected["indicator"]["month"] == "2026-02"  # the latest month, not the last sent
    assert corrected["indicator"]["figures"] == {"2026-01": 6.8, "2026-02": 7.0}
    for month, error in (("2025-12", "month_outside_year"), ("2026-04", "month_in_future")):
        refused = stats.post(path, {"month": month, "value": 1.0})
        assert (refused.status_code, refused.json()["error"]) == (422, error)
    supervisor.set_clock("2026-04-11T09:00:00+08:00")  # March missing after 4/10
    reminded = eventually(
        lambda: [
            r
            for r in of_type(supervisor.history(item["id"]), "ReminderIssued")
            if r["data"]["kind"] == "indicator"
        ]
    )
    assert [r["data"]["period"] for r in reminded] == ["2026-03"]


def test_a_task_s_progress_names_its_quarter_and_is_reminded_at_the_quarter_s_end(
    supervisor: Client, handler_factory
):
    supervisor.set_clock("2026-05-06T09:00:00+08:00")
    item = supervisor.register(
        source="work_report",
        title="建成县城污水处理厂",
        content="x",
        external_ref=unique_ref("task"),
        details={"year": 2026, "number": "12", "kind": "task", "target": "年内建成投用"},
    )
    supervisor.assign(item["id"], "housing-construction")
    housing = handler_factory("housing-construction")
    housing.post(f"/api/v1/items/{item['id']}/acknowledge")
    path = f"/api/v1/items/{item['id']}/progress"
    assert housing.post(path, {"content": "主体完工", "period": "2026-Q2"}).status_code == 200
    wrong_year = housing.post(path, {"content": "x", "period": "2025-Q4"})
    assert (wrong_year.status_code, wrong_year.json()["error"]) == (422, "period_outside_year")
    assert housing.post(path, {"content": "x", "period": "2026-Q5"}).status_code == 400
    supervisor.set_clock("2026-09-30T09:00:00+08:00")
    reminded = eventually(lambda: of_type(supervisor.history(item["id"]), "ReminderIssued"))
    assert [(r["data"]["kind"], r["data"]["period"]) for r in reminded] == [("progress", "2026-Q3")]


# 10. Undo a mistake: cancel or merge, on the record ----------------------------------------


def test_a_mistaken_item_is_cancelled_and_a_duplicate_merged_and_both_stay_on_record(
    supervisor: Client,
):
    supervisor.set_clock("2026-09-28T09:00:00+08:00")
    mistake = supervisor.register(source="finding", title="误登记", external_ref=unique_ref("x"))
    cancelled = supervisor.post(
        f"/api/v1/items/{mistake['id']}/cancel", {"reason": "登记错误"}
    ).json()
    assert (cancelled["status"], cancelled["status_label"]) == ("cancelled", "已撤销")
    original = supervisor.register(title="原事项", external_ref=unique_ref("x"))
    duplicate = supervisor.register(title="重复事项", external_ref=unique_ref("x"))
    merged = supervisor.post(
        f"/api/v1/items/{duplicate['id']}/merge",
        {"into": original["id"], "reason": "同一批示重复登记"},
    ).json()
    assert (merged["status"], merged["merged_into"]) == ("merged", original["id"])
    listed = [i["id"] for i in supervisor.get("/api/v1/items", limit=500).json()["items"]]
    assert mistake["id"] not in listed and duplicate["id"] not in listed
    assert original["id"] in listed
    shown = supervisor.get("/api/v1/items", status="cancelled", limit=500).json()["items"]
    assert mistake["id"] in [i["id"] for i in shown]
    assert types(supervisor.history(mistake["id"]))[-1] == "ItemCancelled"
    again = supervisor.post(f"/api/v1/items/{mistake['id']}/cancel", {"reason": "x"})
    assert (again.status_code, again.json()["error"]) == (409, "wrong_state")


# 13. The office's own evidence on a return and at closing --------------------------------


def test_the_office_attaches_its_own_photos_which_the_item_s_units_alone_may_read(
    stack: Stack, supervisor: Client, handler_factory
):
    supervisor.set_clock("2026-09-28T09:00:00+08:00")
    item = supervisor.register(external_ref=unique_ref("year"))
    supervisor.assign(item["id"], "agriculture", co_units=["xihe"])
    agriculture = handler_factory("agriculture")
    agriculture.post(f"/api/v1/items/{item['id']}/acknowledge")
    agriculture.post(f"/api/v1/items/{item['id']}/feedback", {"content": "完成"})

    def office_photo(photo: bytes) -> str:
        return supervisor.session.post(
            f"{stack.gateway_url}/api/v1/files",
            files={"file": ("IMG_0001.png", photo)},
            timeout=30,
        ).json()["sha"]

    site = PNG + b"site"
    sha = office_photo(site)
    returned = supervisor.post(
        f"/api/v1/items/{item['id']}/review",
        {
            "decision": "return",
            "comment": "现场核查未完成",
            "evidence": [{"sha": sha, "name": "现场照片.png"}],
        },
    )
    assert returned.status_code == 200, returned.text
    (event,) = of_type(supervisor.history(item["id"]), "FeedbackReturned")
    assert event["data"]["evidence"] == [
        {"sha": sha, "name": "现场照片.png", "size": len(site), "content_type": "image/png"}
    ]
    for unit in ("agriculture", "xihe"):  # the lead unit and the co-unit
        assert handler_factory(unit).get(f"/api/v1/files/{sha}").content == site
    other = handler_factory("finance").get(f"/api/v1/files/{sha}")
    assert (other.status_code, other.json()["error"]) == (404, "file_not_found")

    agriculture.post(f"/api/v1/items/{item['id']}/feedback", {"content": "已整改完毕"})
    done = PNG + b"done"
    closing_photo = office_photo(done)
    accepted = supervisor.post(
        f"/api/v1/items/{item['id']}/review",
        {
            "decision": "accept",
            "comment": "现场复核合格",
            "evidence": [{"sha": closing_photo, "name": "复核照片.png"}],
        },
    )
    assert (accepted.status_code, accepted.json()["status"]) == (200, "closed")
    (closing,) = of_type(supervisor.history(item["id"]), "FeedbackAccepted")
    assert [f["sha"] for f in closing["data"]["evidence"]] == [closing_photo]
    assert agriculture.get(f"/api/v1/files/{closing_photo}").content == done
    assert handler_factory("finance").get(f"/api/v1/files/{closing_photo}").status_code == 404
