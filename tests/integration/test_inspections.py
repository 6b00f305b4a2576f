"""Inspections end to end through the gateway (issue 15): a campaign from its plan to findings
issued with supervision notices, rectified, rejected and crossed off (销号); the penalty ladder
for a problem left unrectified; an upper level's campaign and its figures; a problem found
again; who sees what; and the ledger rebuilt from the events."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import psycopg
import pytest

from deploy.stack import Stack
from tests.client import Client, eventually, stored_types
from tests.integration.test_operations import consumer_counts_depth
from tests.integration.test_sources import PNG

pytestmark = pytest.mark.integration

NOTICE = re.compile(r"督办〔2026〕(\d+)号")


def upload(client: Client, data: bytes, name: str) -> dict[str, str]:
    response = client.session.post(
        f"{client.base_url}/api/v1/files", files={"file": (name, data)}, timeout=30
    )
    assert response.status_code == 201, response.text
    return {"sha": response.json()["sha"], "name": name}


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()


def new_campaign(supervisor: Client, kind: str = "random", **fields: Any) -> dict[str, Any]:
    body = {"kind": kind, "title": f"{kind} 督查", **fields}
    campaign = ok(supervisor.post("/api/v1/campaigns", body), 201)
    return ok(supervisor.post(f"/api/v1/campaigns/{campaign['id']}/start"))


def find(supervisor: Client, campaign_id: str, unit: str, **fields: Any) -> str:
    body = {
        "title": "问题",
        "facts": "现场发现的问题",
        "unit": unit,
        "severity": "general",
        **fields,
    }
    view = ok(supervisor.post(f"/api/v1/campaigns/{campaign_id}/findings", body), 201)
    return view["findings"][-1]["finding_id"]


def notify(
    supervisor: Client, campaign_id: str, finding_id: str, due_date: str = "2026-03-20"
) -> dict[str, Any]:
    body = {"task": "立行立改", "measures": "限期整改到位", "due_date": due_date}
    path = f"/api/v1/campaigns/{campaign_id}/findings/{finding_id}/notice"
    return ok(supervisor.post(path, body), 201)["item"]


def rectify(supervisor: Client, handler: Client, item_id: str) -> dict[str, Any]:
    ok(handler.post(f"/api/v1/items/{item_id}/acknowledge"))
    ok(handler.post(f"/api/v1/items/{item_id}/feedback", {"content": "已整改到位"}))
    review = {"decision": "accept", "comment": "核查属实，销号"}
    return ok(supervisor.post(f"/api/v1/items/{item_id}/review", review))


def types(client: Client, item_id: str) -> list[str]:
    return [e["type"] for e in client.history(item_id)]


def test_a_periodic_campaign_from_its_plan_to_a_crossed_off_finding(
    supervisor: Client, handler_factory
):
    supervisor.set_clock("2026-03-02T09:00:00+08:00")
    drafts = ok(supervisor.get("/api/v1/campaigns", year=2026, kind="periodic"))["campaigns"]
    assert [(c["month"], c["title"]) for c in drafts] == [
        (3, "2026年3月定期综合督查"),
        (6, "2026年6月定期综合督查"),
        (9, "2026年9月定期综合督查"),
        (12, "2026年12月定期综合督查"),
    ]
    # March's is this test's own (the browser test takes June's through the console)
    march = drafts[0]
    assert march["status"] == "draft"
    assert march["plan"]["themes"][:2] == [
        "重要会议精神学习贯彻和安排部署",
        "经济社会发展重点任务分解落实",
    ]
    assert march["plan"]["scope"] == ["town", "zone", "department"]

    # the office edits the pre-filled plan, then starts; the plan is fixed from then on
    plan = {
        **march["plan"],
        "themes": ["春季安全生产", "重点项目开复工"],
        "team": ["王督查", "李督查"],
    }
    path = f"/api/v1/campaigns/{march['id']}"
    edit = {"title": "2026年3月定期综合督查", "plan": plan, "reason": "聚焦安全生产"}
    assert ok(supervisor.request("PUT", f"{path}/plan", json=edit))["plan"]["team"] == [
        "王督查",
        "李督查",
    ]
    ok(supervisor.post(f"{path}/start"))
    late = supervisor.request("PUT", f"{path}/plan", json=edit)
    assert late.status_code == 409
    assert late.json()["message"] == (
        "督查当前状态为“督查中”，不能修改方案；只有方案草稿的督查可以修改方案"
    )

    # the park's handler knows nothing of the campaign until a finding is issued to it
    park = handler_factory("industrial-park")
    assert park.get(path).status_code == 404
    assert march["id"] not in {c["id"] for c in ok(park.get("/api/v1/campaigns"))["campaigns"]}

    # an unannounced visit with a photo, and a finding from it
    photo = upload(supervisor, PNG + b"site", "现场.png")
    visit = {
        "place": "工业园区纬二路",
        "visited_at": "2026-03-02T10:30:00+08:00",
        "team": ["王督查", "李督查"],
        "found": "路面破损，无围挡",
        "evidence": [photo],
    }
    visited = ok(supervisor.post(f"{path}/visits", visit), 201)
    assert visited["visits"][0]["place"] == "工业园区纬二路"
    assert visited["visits"][0]["evidence"][0]["sha"] == photo["sha"]
    finding_id = find(
        supervisor,
        march["id"],
        "industrial-park",
        visit_id=visited["visits"][0]["visit_id"],
        title="纬二路路面破损",
        facts="纬二路 30 米路面破损，未设围挡",
        person="园区建设科 张三",
        severity="serious",
        evidence=[photo],
    )
    assert park.get(path).status_code == 404  # recorded, not yet issued

    # the notice: numbered in the same yearly register as transfer notices, prefix 督办
    before = supervisor.assign(supervisor.register(title="比对编号")["id"], "water")
    item = notify(supervisor, march["id"], finding_id)
    transfer = int(re.fullmatch(r"督转〔2026〕(\d+)号", before["notice_number"]).group(1))
    assert int(NOTICE.fullmatch(item["notice_number"]).group(1)) > transfer
    assert (item["source"], item["lead_unit"], item["due_date"]) == (
        "finding",
        "industrial-park",
        "2026-03-20",
    )
    assert (item["campaign_id"], item["severity"], item["group"]) == (
        march["id"],
        "serious",
        f"campaign:{march['id']}",
    )
    assert item["details"]["task"] == "立行立改"
    assert item["details"]["responsible_person"] == "园区建设科 张三"
    # the same notice sent again is the same item, numbered once
    again = supervisor.post(
        f"{path}/findings/{finding_id}/notice",
        {"task": "立行立改", "measures": "限期整改到位", "due_date": "2026-03-20"},
    )
    assert again.status_code == 200
    assert again.json()["item"]["notice_number"] == item["notice_number"]

    # now the unit sees the campaign, its finding with the photo, and no visits
    seen = ok(park.get(path))
    assert [f["finding_id"] for f in seen["findings"]] == [finding_id]
    assert seen["visits"] == []
    assert park.get(f"/api/v1/files/{photo['sha']}").content == PNG + b"site"
    listed = ok(park.get("/api/v1/responsibility-list"))
    assert listed["unit"] == "industrial-park"
    assert [(i["id"], i["due_date"], i["status"]) for i in listed["items"]] == [
        (item["id"], "2026-03-20", "assigned")
    ]

    # rectification: progress, a report the office rejects with reasons and a new date, a
    # second report the office verifies on site with its own photo and crosses off
    item_path = f"/api/v1/items/{item['id']}"
    ok(park.post(f"{item_path}/acknowledge"))
    ok(park.post(f"{item_path}/progress", {"content": "已设围挡，正在施工"}))
    proof = upload(park, PNG + b"fixed", "整改后.png")
    ok(park.post(f"{item_path}/feedback", {"content": "已修复", "evidence": [proof]}))
    rejected = ok(
        supervisor.post(
            f"{item_path}/review",
            {
                "decision": "return",
                "comment": "排水未处理，整改不彻底",
                "due_date": "2026-03-27",
                "verification": "paper",
            },
        )
    )
    assert (rejected["status"], rejected["due_date"], rejected["returns"]) == (
        "returned",
        "2026-03-27",
        1,
    )
    ok(park.post(f"{item_path}/feedback", {"content": "排水已疏通", "evidence": [proof]}))
    check = upload(supervisor, PNG + b"verified", "核查.png")
    crossed = ok(
        supervisor.post(
            f"{item_path}/review",
            {
                "decision": "accept",
                "comment": "现场核查属实，销号",
                "evidence": [check],
                "verification": "site",
            },
        )
    )
    assert (crossed["status"], crossed["rectified"], crossed["rectified_on_time"]) == (
        "closed",
        True,
        True,
    )
    assert types(supervisor, item["id"])[-5:] == [
        "FeedbackSubmitted",
        "FeedbackAccepted",
        "Rectified",
        "ReportedBack",
        "Closed",
    ]
    decided = {
        e["type"]: (e["data"]["verification"], [f["sha"] for f in e["data"]["evidence"]])
        for e in supervisor.history(item["id"])
        if e["type"] in ("FeedbackReturned", "FeedbackAccepted")
    }
    assert decided == {
        "FeedbackReturned": ("paper", []),
        "FeedbackAccepted": ("site", [check["sha"]]),
    }
    assert ok(park.get("/api/v1/responsibility-list"))["items"] == []
    figures = ok(supervisor.get(f"{path}/figures"))
    assert figures == {
        "campaign_id": march["id"],
        "found": 1,
        "rectified_on_time": 1,
        "rectified_late": 0,
        "rejected": 1,
        "open": 0,
        "overdue": 0,
    }
    ledger = ok(supervisor.get("/api/v1/ledger", campaign=march["id"]))
    assert [(i["id"], i["status"], i["notice_number"]) for i in ledger["items"]] == [
        (item["id"], "closed", item["notice_number"])
    ]


def test_a_problem_left_unrectified_climbs_the_penalty_ladder(supervisor: Client, handler_factory):
    supervisor.set_clock("2026-03-02T09:00:00+08:00")
    campaign = new_campaign(supervisor, "random", title="日常随机督查：秸秆焚烧")
    item = notify(supervisor, campaign["id"], find(supervisor, campaign["id"], "xihe"))
    ok(handler_factory("xihe").post(f"/api/v1/items/{item['id']}/acknowledge"))
    supervisor.set_clock("2026-03-20T09:00:00+08:00")  # the due day: a reminder
    # ten working days past 20 March (Qingming, 4-6 April, is a rest): 通报批评
    supervisor.set_clock("2026-04-07T09:00:00+08:00")

    def penalised() -> list[dict[str, Any]]:
        return [e for e in supervisor.history(item["id"]) if e["type"] == "PenaltyRecommended"]

    penalty = eventually(penalised)[0]["data"]
    assert (penalty["penalty"], penalty["unit"]) == ("circulate_criticism", "xihe")
    assert penalty["reasons"].startswith("逾期")
    happened = types(supervisor, item["id"])
    assert happened.index("ReminderIssued") < happened.index("Overdue")
    assert happened.index("Overdue") < happened.index("EscalatedToLeader")
    assert happened.index("EscalatedToLeader") < happened.index("PenaltyRecommended")
    figures = ok(supervisor.get(f"/api/v1/campaigns/{campaign['id']}/figures"))
    assert (figures["found"], figures["open"], figures["overdue"]) == (1, 1, 1)
    overdue = ok(supervisor.get("/api/v1/ledger", campaign=campaign["id"], overdue="true"))
    assert [(i["id"], i["penalty"]) for i in overdue["items"]] == [
        (item["id"], "circulate_criticism")
    ]


def test_an_upper_level_campaigns_findings_are_tracked_and_counted(
    supervisor: Client, handler_factory
):
    supervisor.set_clock("2026-03-02T09:00:00+08:00")
    refused = supervisor.post("/api/v1/campaigns", {"kind": "upper", "title": "省督查反馈"})
    assert refused.status_code == 422
    assert refused.json()["message"].startswith("上级督查机关：承接上级督查须注明来自哪一级")
    campaign = new_campaign(
        supervisor, "upper", title="省政府第三督查组反馈问题", upper_level="province"
    )
    water_item = notify(supervisor, campaign["id"], find(supervisor, campaign["id"], "water"))
    health_item = notify(
        supervisor, campaign["id"], find(supervisor, campaign["id"], "health", severity="grave")
    )
    assert (water_item["source"], health_item["source"]) == ("upper_inspection", "upper_inspection")
    assert NOTICE.fullmatch(water_item["notice_number"])
    rectify(supervisor, handler_factory("water"), water_item["id"])
    figures = ok(supervisor.get(f"/api/v1/campaigns/{campaign['id']}/figures"))
    assert figures == {
        "campaign_id": campaign["id"],
        "found": 2,
        "rectified_on_time": 1,
        "rectified_late": 0,
        "rejected": 0,
        "open": 1,
        "overdue": 0,
    }
    grave = ok(supervisor.get("/api/v1/ledger", campaign=campaign["id"], severity="grave"))
    assert [i["id"] for i in grave["items"]] == [health_item["id"]]
    listed = ok(supervisor.get("/api/v1/campaigns", kind="upper"))["campaigns"]
    mine = next(c for c in listed if c["id"] == campaign["id"])
    assert (mine["upper_level"], mine["findings"], mine["issued"]) == ("province", 2, 2)

    # each unit sees the campaign and only its own finding; a third unit sees nothing
    water = handler_factory("water")
    seen = ok(water.get(f"/api/v1/campaigns/{campaign['id']}"))
    assert [f["item_id"] for f in seen["findings"]] == [water_item["id"]]
    assert ok(water.get(f"/api/v1/campaigns/{campaign['id']}/figures"))["found"] == 1
    assert ok(water.get("/api/v1/ledger", campaign=campaign["id"]))["total"] == 1
    assert water.get(f"/api/v1/items/{health_item['id']}").status_code == 404
    assert water.get("/api/v1/responsibility-list", unit="health").status_code == 404
    finance = handler_factory("finance")
    assert finance.get(f"/api/v1/campaigns/{campaign['id']}").status_code == 404
    assert finance.get(f"/api/v1/campaigns/{campaign['id']}/figures").status_code == 404
    assert ok(finance.get("/api/v1/ledger", campaign=campaign["id"]))["total"] == 0
    office_list = ok(supervisor.get("/api/v1/responsibility-list", unit="health"))
    assert health_item["id"] in [i["id"] for i in office_list["items"]]

    # the campaign ends; its open problem goes on being followed as an item
    closing = {"reason": "反馈问题均已交办"}
    closed = ok(supervisor.post(f"/api/v1/campaigns/{campaign['id']}/close", closing))
    assert (closed["status"], closed["status_label"]) == ("closed", "已结束")
    late = supervisor.post(
        f"/api/v1/campaigns/{campaign['id']}/findings",
        {"title": "补记", "facts": "补记问题", "unit": "water", "severity": "general"},
    )
    assert late.status_code == 409
    assert late.json()["message"] == (
        "督查当前状态为“已结束”，不能记录发现问题；只有督查中的督查可以记录发现问题"
    )
    assert supervisor.item(health_item["id"])["status"] == "assigned"


def test_a_problem_found_again_is_a_new_finding_linked_to_the_crossed_off_one(
    supervisor: Client, handler_factory
):
    supervisor.set_clock("2026-03-02T09:00:00+08:00")
    campaign = new_campaign(supervisor, "special", title="专项督查：占道经营")
    first = notify(supervisor, campaign["id"], find(supervisor, campaign["id"], "chengguan"))
    open_again = supervisor.post(
        f"/api/v1/campaigns/{campaign['id']}/findings",
        {
            "title": "占道经营回潮",
            "facts": "原处再次出现",
            "unit": "chengguan",
            "severity": "general",
            "previous_item": first["id"],
        },
    )
    assert open_again.status_code == 409
    assert open_again.json()["message"] == (
        "原销号问题：“问题”尚未销号，请在原问题上继续督办整改，不要重复记录"
    )
    rectify(supervisor, handler_factory("chengguan"), first["id"])
    later = new_campaign(supervisor, "random", title="回头看")
    again = notify(
        supervisor,
        later["id"],
        find(supervisor, later["id"], "chengguan", title="占道经营回潮", previous_item=first["id"]),
    )
    assert again["id"] != first["id"]
    assert again["previous_item"] == first["id"]
    assert again["status"] == "assigned"
    old = supervisor.item(first["id"])
    assert (old["status"], old["rectified"]) == ("closed", True)
    assert types(supervisor, first["id"])[-1] == "Closed"  # never reopened


def test_the_ledger_rebuilt_from_the_events_comes_out_the_same_and_counts_them(
    stack: Stack, supervisor: Client, handler_factory, app_conninfo: str
):
    supervisor.set_clock("2026-03-02T09:00:00+08:00")
    campaign = new_campaign(supervisor, "special", title="台账重建")
    items = [
        notify(supervisor, campaign["id"], find(supervisor, campaign["id"], unit))
        for unit in ("nanshan", "beiyuan")
    ]
    rectify(supervisor, handler_factory("nanshan"), items[0]["id"])

    def snapshot() -> tuple[list[tuple], list[tuple]]:
        with psycopg.connect(app_conninfo) as conn:
            return (
                conn.execute("SELECT * FROM reporting.items ORDER BY item_id").fetchall(),
                conn.execute("SELECT * FROM reporting.campaigns ORDER BY campaign_id").fetchall(),
            )

    eventually(lambda: sum(consumer_counts_depth(stack)) == 0)
    before = snapshot()
    result = subprocess.run(
        [sys.executable, "-m", "services.reporting.rebuild"],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert snapshot() == before
    # the ledger's figures are the events' own count
    rectified = sum(
        stored_types(app_conninfo, "assignment", i["id"]).count("Rectified") for i in items
    )
    issued = stored_types(app_conninfo, "intake", campaign["id"]).count("FindingIssued")
    figures = ok(supervisor.get(f"/api/v1/campaigns/{campaign['id']}/figures"))
    assert (figures["found"], figures["rectified_on_time"] + figures["rectified_late"]) == (
        issued,
        rectified,
    )
    assert (issued, rectified, figures["open"]) == (2, 1, 1)
