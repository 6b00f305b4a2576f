"""Every source, the whole life of an item, through the gateway."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import pytest
from openpyxl import Workbook

from deploy.stack import Stack
from gateway.evidence import LocalEvidenceStore
from tests.client import Client, eventually, unique_ref

pytestmark = pytest.mark.integration

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def types(history: list[dict]) -> list[str]:
    return [e["type"] for e in history]


def xlsx(header: list[str], rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client: Client, path: str, data: bytes, name: str = "list.xlsx", **params):
    return client.session.post(
        f"{client.base_url}{path}", params=params, files={"file": (name, data)}, timeout=60
    )


def close(supervisor: Client, handler: Client, item_id: str, **feedback) -> dict:
    handler.post(f"/api/v1/items/{item_id}/acknowledge")
    response = handler.post(f"/api/v1/items/{item_id}/feedback", {"content": "已办结", **feedback})
    assert response.status_code == 200, response.text
    closed = supervisor.post(
        f"/api/v1/items/{item_id}/review", {"decision": "accept", "comment": "同意办结"}
    )
    assert closed.status_code == 200, closed.text
    return closed.json()


def test_an_instruction_with_evidence_goes_back_to_the_leader(
    stack: Stack, supervisor: Client, handler_factory
):
    supervisor.set_clock("2026-11-02T09:00:00+08:00")
    item = supervisor.register(
        source="instruction",
        title="县长批示：加快城区停车场建设",
        content="请住建局牵头、城管局配合，十日内拿出方案。",
        issued_by="县长",
        details={"issued_on": "2026-11-01"},
    )
    first = supervisor.assign(item["id"], "housing-construction", co_units=["urban-management"])
    second = supervisor.assign(supervisor.register(title="另一件批示")["id"], "finance")
    number = int(re.fullmatch(r"督转〔2026〕(\d+)号", first["notice_number"]).group(1))
    assert second["notice_number"] == f"督转〔2026〕{number + 1}号"
    # 7 working days from Monday 11/2: due Wednesday 11/11; co-units answer in half of them
    assert (first["due_date"], first["co_unit_due_date"]) == ("2026-11-11", "2026-11-06")

    housing = handler_factory("housing-construction")
    housing.post(f"/api/v1/items/{item['id']}/acknowledge")
    photo = housing.session.post(
        f"{stack.gateway_url}/api/v1/files", files={"file": ("site.png", PNG)}, timeout=30
    )
    assert photo.status_code == 201, photo.text
    sha = photo.json()["sha"]
    assert photo.json()["content_type"] == "image/png"
    progress = housing.post(
        f"/api/v1/items/{item['id']}/progress",
        {"content": "已完成选址", "evidence": [{"sha": sha, "name": "选址照片.png"}]},
    )
    assert progress.json()["progress_reports"] == 1

    urban = handler_factory("urban-management")
    opinion = urban.post(f"/api/v1/items/{item['id']}/opinions", {"content": "同意，配合执法"})
    assert opinion.json()["co_unit_opinions"] == 1
    # the lead unit sees the item but is no co-unit of it; another unit is told nothing
    lead = housing.post(f"/api/v1/items/{item['id']}/opinions", {"content": "x"})
    assert (lead.status_code, lead.json()["error"]) == (403, "not_co_unit")
    stranger = handler_factory("finance").post(
        f"/api/v1/items/{item['id']}/opinions", {"content": "x"}
    )
    assert stranger.status_code == 404

    response = housing.post(
        f"/api/v1/items/{item['id']}/feedback",
        {"content": "方案已报县政府", "evidence": [{"sha": sha, "name": "方案.png"}]},
    )
    assert response.status_code == 200
    supervisor.post(f"/api/v1/items/{item['id']}/review", {"decision": "accept", "comment": "好"})

    leader = Client(stack.gateway_url).login("leader", stack.settings.demo_password)
    seen = leader.item(item["id"])
    assert seen["answer"] == "方案已报县政府"
    assert seen["reported_to"] == "县长"
    history = leader.history(item["id"])
    feedback = next(e for e in history if e["type"] == "FeedbackSubmitted")
    assert feedback["data"]["evidence"][0]["sha"] == sha
    assert leader.get(f"/api/v1/files/{sha}").content == PNG


def test_a_tampered_evidence_file_is_detected(stack: Stack, handler_factory):
    water = handler_factory("water")
    stored = water.session.post(
        f"{stack.gateway_url}/api/v1/files", files={"file": ("x.png", PNG)}, timeout=30
    ).json()
    path = LocalEvidenceStore(Path(stack.settings.evidence_dir)).path(stored["sha"])
    path.write_bytes(PNG + b"tampered")
    assert water.get(f"/api/v1/files/{stored['sha']}").status_code == 409
    path.write_bytes(PNG)
    assert water.get(f"/api/v1/files/{stored['sha']}").status_code == 200


def test_files_of_the_wrong_type_are_refused(stack: Stack, handler_factory):
    water = handler_factory("water")
    response = water.session.post(
        f"{stack.gateway_url}/api/v1/files",
        files={"file": ("evil.png", b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)))},
        timeout=30,
    )
    assert response.status_code == 415
    assert response.json()["message"].startswith("文件：只接受照片（JPEG、PNG）")


def test_one_meeting_produces_many_items_listed_together(supervisor: Client):
    meeting = {
        "meeting_name": f"县政府第{unique_ref('')}次常务会议",
        "meeting_date": "2026-11-20",
    }
    ids = [
        supervisor.register(
            source="meeting",
            title=f"议定事项{n}",
            content="...",
            due_date="2026-12-31",
            details={**meeting, "decision_number": str(n)},
        )["id"]
        for n in (1, 2, 3)
    ]
    group = f"meeting:{meeting['meeting_name']}:{meeting['meeting_date']}"
    listed = supervisor.get("/api/v1/items", group=group).json()
    assert listed["total"] == 3
    assert {i["id"] for i in listed["items"]} == set(ids)


def test_a_decision_groups_its_checks(supervisor: Client, handler_factory):
    name = f"优化营商环境三年行动{unique_ref('')}"
    item = supervisor.register(
        source="decision", title="清理拖欠企业账款", content="...", details={"decision_name": name}
    )
    supervisor.assign(item["id"], "finance")
    assert supervisor.get("/api/v1/items", group=f"decision:{name}").json()["total"] == 1
    assert close(supervisor, handler_factory("finance"), item["id"])["status"] == "closed"


WORK_REPORT_HEADER = ["编号", "类别", "标题", "内容", "年度目标", "计量单位"]


def test_work_report_import_indicators_and_quarterly_progress(supervisor: Client, handler_factory):
    year = 2031  # a year of its own, so its list is this test's
    bad = xlsx(
        WORK_REPORT_HEADER,
        [
            ["1", "任务", "建成县城污水处理厂二期", "", None, None],
            ["2", "指标", "地区生产总值增长", "", None, "%"],  # an indicator needs a target
            ["3", "其他", "", "", None, None],  # unknown kind, no title
            ["1", "任务", "重复编号", "", None, None],
        ],
    )
    rejected = upload(supervisor, "/api/v1/imports/work-report", bad, year=year)
    assert rejected.status_code == 422
    rows = {(r["row"], r["field"]) for r in rejected.json()["rows"]}
    assert (3, "details.target") in rows or (3, "details") in rows
    assert {r for r, _ in rows} == {3, 4, 5}
    assert supervisor.get("/api/v1/items", group=f"work_report:{year}").json()["total"] == 0

    good = xlsx(
        WORK_REPORT_HEADER,
        [
            ["1", "任务", "建成县城污水处理厂二期", "年底前投入运行", None, None],
            ["2", "指标", "规模以上工业增加值", "", 120000, "万元"],
        ],
    )
    first = upload(supervisor, "/api/v1/imports/work-report", good, year=year)
    assert first.status_code == 201, first.text
    assert len(first.json()["created"]) == 2
    again = upload(supervisor, "/api/v1/imports/work-report", good, year=year)
    assert again.status_code == 200
    assert again.json()["created"] == []
    assert len(again.json()["existing"]) == 2
    listed = supervisor.get("/api/v1/items", group=f"work_report:{year}").json()["items"]
    task = next(i for i in listed if i["details"]["kind"] == "task")
    indicator = next(i for i in listed if i["details"]["kind"] == "indicator")

    supervisor.set_clock("2031-03-02T09:00:00+08:00")
    assigned = supervisor.assign(task["id"], "water")
    # 2031 has no official arrangement yet: its last weekday, Wednesday 12/31
    assert assigned["due_date"] == "2031-12-31"
    supervisor.assign(indicator["id"], "statistics")
    stats = handler_factory("statistics")
    stats.post(f"/api/v1/items/{indicator['id']}/acknowledge")
    figure = stats.post(
        f"/api/v1/items/{indicator['id']}/indicator-figures", {"month": "2031-03", "value": 31000}
    ).json()
    assert figure["indicator"] == {
        "month": "2031-03",
        "value": 31000.0,
        "target": 120000,
        "gap": 89000.0,
        "figures": {"2031-03": 31000.0},
    }
    water = handler_factory("water")
    water.post(f"/api/v1/items/{task['id']}/acknowledge")
    quarterly = water.post(
        f"/api/v1/items/{task['id']}/progress", {"content": "主体完工 40%", "period": "2031-Q1"}
    ).json()
    assert quarterly["progress_reports"] == 1
    not_indicator = water.post(
        f"/api/v1/items/{task['id']}/indicator-figures", {"month": "2031-03", "value": 1}
    )
    assert not_indicator.status_code == 409


PROPOSAL_HEADER = ["编号", "类别", "提出人", "标题", "内容"]


def test_proposals_import_split_reply_satisfaction_and_year_end_summary(
    supervisor: Client, handler_factory
):
    year = 2032
    bad = xlsx(PROPOSAL_HEADER, [["12", "建议", "", "关于修缮乡村道路的建议", "..."]])
    rejected = upload(supervisor, "/api/v1/imports/proposals", bad, session_year=year)
    assert rejected.status_code == 422
    assert rejected.json()["rows"][0]["row"] == 2
    assert rejected.json()["rows"][0]["field"] == "details.author"

    good = xlsx(
        PROPOSAL_HEADER,
        [
            ["12", "建议", "王代表", "关于修缮乡村道路的建议", "多条村道破损"],
            ["7", "提案", "李委员", "关于发展乡村旅游的提案", "建议打造旅游线路"],
        ],
    )
    imported = upload(supervisor, "/api/v1/imports/proposals", good, session_year=year)
    assert imported.status_code == 201, imported.text
    items = supervisor.get("/api/v1/items", group=f"proposal:{year}:suggestion").json()["items"]
    suggestion = items[0]
    assert suggestion["details"]["author"] == "王代表"

    supervisor.set_clock("2032-03-10T09:00:00+08:00")
    split = supervisor.assign(suggestion["id"], "transport", co_units=["xihe", "dongchuan"])
    assert split["due_date"] == "2032-09-10"  # 6 months (2032 counted on weekends only)
    transport = handler_factory("transport")
    transport.post(f"/api/v1/items/{suggestion['id']}/acknowledge")
    no_class = transport.post(f"/api/v1/items/{suggestion['id']}/feedback", {"content": "已答复"})
    assert no_class.status_code == 422
    assert no_class.json()["error"] == "reply_class_required"
    transport.post(
        f"/api/v1/items/{suggestion['id']}/feedback",
        {"content": "已列入明年计划", "reply_class": "B"},
    )
    supervisor.post(
        f"/api/v1/items/{suggestion['id']}/review", {"decision": "accept", "comment": "同意"}
    )
    reopened = supervisor.post(
        f"/api/v1/items/{suggestion['id']}/satisfaction",
        {"verdict": "unsatisfied", "comment": "进度太慢", "due_date": "2032-04-30"},
    ).json()
    assert reopened["status"] == "returned"
    assert reopened["reopened"] is True
    assert reopened["due_date"] == "2032-04-30"
    transport.post(
        f"/api/v1/items/{suggestion['id']}/feedback",
        {"content": "已开工修缮", "reply_class": "A"},
    )
    supervisor.post(
        f"/api/v1/items/{suggestion['id']}/review", {"decision": "accept", "comment": "同意"}
    )
    again = supervisor.post(
        f"/api/v1/items/{suggestion['id']}/satisfaction",
        {"verdict": "unsatisfied", "comment": "仍不满意"},
    ).json()
    assert again["status"] == "closed"  # reopened once only
    history = types(supervisor.history(suggestion["id"]))
    assert history.count("Reopened") == 1
    assert history.count("SatisfactionRecorded") == 2

    summary = supervisor.get(f"/api/v1/reports/proposals/{year}").json()["committees"]
    npc = next(c for c in summary if c["committee"] == "npc_standing_committee")
    assert npc["total"] == 1
    assert npc["closed"] == 1
    assert npc["reply_classes"]["A"] == 1
    assert npc["satisfaction"]["unsatisfied"] == 1
    cppcc = next(c for c in summary if c["committee"] == "cppcc_standing_committee")
    assert cppcc["total"] == 1
    assert cppcc["closed"] == 0


def test_a_hotline_complaint_is_counted_from_the_day_the_unit_gets_it(
    supervisor: Client, handler_factory
):
    supervisor.set_clock("2026-09-24T10:00:00+08:00")
    item = supervisor.register(
        source="hotline",
        title="12345：小区供暖管道漏水",
        content="...",
        complexity="simple",
        external_ref=unique_ref("12345"),
    )
    supervisor.set_clock("2026-09-28T09:00:00+08:00")
    # received Thu 9/24, assigned Mon 9/28: 3 working days from the assignment (9/29, 9/30,
    # then National Day until 10/7: 10/8); the office's own day to assign ran out on 9/28
    assigned = supervisor.assign(item["id"], "housing-construction")
    assert (assigned["due_date"], assigned["dispatch_due_date"]) == ("2026-10-08", "2026-09-28")
    close(supervisor, handler_factory("housing-construction"), item["id"])
    recorded = supervisor.post(
        f"/api/v1/items/{item['id']}/satisfaction", {"verdict": "satisfied", "comment": "及时"}
    ).json()
    assert recorded["satisfaction"] == "satisfied"
    assert recorded["reported_to"] == "12345 热线平台"


def test_netizen_message_complexity_sets_the_limit(supervisor: Client):
    supervisor.set_clock("2026-11-02T09:00:00+08:00")
    difficult = supervisor.register(
        source="netizen", title="留言：老旧小区加装电梯", content="...", complexity="difficult"
    )
    # 20 working days from Mon 2026-11-02
    assert supervisor.assign(difficult["id"], "housing-construction")["due_date"] == "2026-11-30"


def test_a_special_task_keeps_its_own_date(supervisor: Client, handler_factory):
    supervisor.set_clock("2026-11-02T09:00:00+08:00")
    item = supervisor.register(
        source="special", title="冬季安全生产专项检查", content="...", due_date="2026-11-20"
    )
    assert supervisor.assign(item["id"], "emergency")["due_date"] == "2026-11-20"
    assert close(supervisor, handler_factory("emergency"), item["id"])["status"] == "closed"


def test_a_unit_returns_an_item_in_time_and_the_office_reassigns_it(
    supervisor: Client, handler_factory
):
    supervisor.set_clock("2026-11-02T09:00:00+08:00")
    item = supervisor.register(title="职责不清的事项")
    first = supervisor.assign(item["id"], "commerce")
    assert first["return_by"] == "2026-11-05"  # 3 working days
    commerce = handler_factory("commerce")
    returned = commerce.post(
        f"/api/v1/items/{item['id']}/return", {"reason": "属市场监管职责"}
    ).json()
    assert returned["status"] == "returned_by_unit"
    moved = supervisor.post(
        f"/api/v1/items/{item['id']}/reassign", {"lead_unit": "market-regulation"}
    ).json()
    assert moved["lead_unit"] == "market-regulation"
    assert moved["notice_number"] != first["notice_number"]
    assert commerce.post(f"/api/v1/items/{item['id']}/acknowledge").status_code == 403
    market = handler_factory("market-regulation")
    assert market.post(f"/api/v1/items/{item['id']}/acknowledge").status_code == 200
    assert "Reassigned" in types(supervisor.history(item["id"]))


def test_a_return_after_the_window_is_refused(supervisor: Client, handler_factory):
    supervisor.set_clock("2026-11-02T09:00:00+08:00")
    item = supervisor.register(title="超期退回")
    supervisor.assign(item["id"], "justice")
    supervisor.set_clock("2026-11-06T09:00:00+08:00")
    late = handler_factory("justice").post(
        f"/api/v1/items/{item['id']}/return", {"reason": "不属本单位"}
    )
    assert late.status_code == 409
    assert "督查室改派" in late.json()["message"]
    eventually(lambda: supervisor.item(item["id"])["status"] == "assigned")
