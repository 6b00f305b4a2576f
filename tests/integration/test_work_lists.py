"""The lists the office works from (issue 13, point 11), through the gateway as the office and
the units use them: pending extension requests, escalated, unsigned and returned items, items
due within N working days or in a date range, by notice number, by external reference, and
by text in title and content. Each list shows exactly the items it should, and a unit sees
only its own.

Every test's items carry a word of their own in the title (or a meeting of their own), and
each list is asked together with it, so other tests' items never enter the comparison."""

from __future__ import annotations

from typing import Any

import pytest

from tests.client import Client, eventually, unique_ref

pytestmark = pytest.mark.integration

MONDAY = "2026-09-28T09:00:00+08:00"
LATER = "2026-11-30"  # a due date far enough ahead that nothing falls due meanwhile


def listed(client: Client, **filters: Any) -> set[str]:
    answer = client.get("/api/v1/items", limit=500, **filters)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["total"] == len(body["items"])
    return {item["id"] for item in body["items"]}


def assigned(supervisor: Client, mark: str, unit: str, **fields: Any) -> str:
    item = supervisor.register(title=f"{mark} 督办事项", external_ref=unique_ref("list"))
    supervisor.assign(item["id"], unit, **fields)
    return item["id"]


def signed(supervisor: Client, handler: Client, mark: str, unit: str, **fields: Any) -> str:
    item_id = assigned(supervisor, mark, unit, **fields)
    assert handler.post(f"/api/v1/items/{item_id}/acknowledge").status_code == 200
    return item_id


def closed(supervisor: Client, handler: Client, item_id: str) -> None:
    assert handler.post(f"/api/v1/items/{item_id}/feedback", {"content": "已办结"}).ok
    answer = supervisor.post(
        f"/api/v1/items/{item_id}/review", {"decision": "accept", "comment": "同意"}
    )
    assert answer.json()["status"] == "closed", answer.text


def test_the_office_lists_pending_extensions_escalated_unsigned_and_returned_items(
    supervisor: Client, handler_factory
):
    supervisor.set_clock(MONDAY)
    mark = unique_ref("wl")
    water, forestry, transport = (handler_factory(u) for u in ("water", "forestry", "transport"))
    unsigned = assigned(supervisor, mark, "water", due_date=LATER)
    signed_only = signed(supervisor, water, mark, "water", due_date=LATER)
    pending = signed(supervisor, water, mark, "water", due_date=LATER)
    decided = signed(supervisor, water, mark, "water", due_date=LATER)
    answered_meanwhile = signed(supervisor, water, mark, "water", due_date=LATER)
    for item_id in (pending, decided, answered_meanwhile):
        asked = water.post(
            f"/api/v1/items/{item_id}/extension-requests",
            {"reason": "需协调省级部门", "proposed_due_date": "2026-12-04"},
        )
        assert asked.status_code == 200, asked.text
    supervisor.post(
        f"/api/v1/items/{decided}/extension-decision", {"decision": "deny", "comment": "不同意"}
    )
    # closed with its request never decided: nothing left for the office to decide
    closed(supervisor, water, answered_meanwhile)
    returned = assigned(supervisor, mark, "forestry", due_date=LATER)
    assert forestry.post(f"/api/v1/items/{returned}/return", {"reason": "不属本单位"}).ok
    escalated = signed(supervisor, transport, mark, "transport")  # due 10/13
    supervisor.set_clock("2026-10-17T09:00:00+08:00")  # 3 working days overdue
    eventually(lambda: supervisor.item(escalated)["escalation_level"] == 1)

    assert listed(supervisor, q=mark, pending_extension="true") == {pending}
    assert listed(supervisor, q=mark, escalated="true") == {escalated}
    assert listed(supervisor, q=mark, unsigned="true") == {unsigned}
    assert listed(supervisor, q=mark, returned_by_unit="true") == {returned}
    everything = {unsigned, signed_only, pending, decided, answered_meanwhile, returned, escalated}
    assert listed(supervisor, q=mark) == everything
    assert listed(supervisor, q=mark, unsigned="false") == everything - {unsigned}
    # a unit sees only its own items in each list
    assert listed(water, q=mark, pending_extension="true") == {pending}
    assert listed(water, q=mark, escalated="true") == set()
    assert listed(transport, q=mark, escalated="true") == {escalated}
    assert listed(water, q=mark, returned_by_unit="true") == set()
    assert listed(forestry, q=mark, returned_by_unit="true") == {returned}
    assert listed(forestry, q=mark, unsigned="true") == set()


def test_items_due_within_n_working_days_are_counted_on_the_official_calendar(
    supervisor: Client, handler_factory
):
    supervisor.set_clock(MONDAY)
    mark = unique_ref("due")
    water, finance = handler_factory("water"), handler_factory("finance")
    due = {
        day: signed(supervisor, water, mark, "water", due_date=day)
        for day in ("2026-09-29", "2026-09-30", "2026-10-08", "2026-10-09")
    }
    answered = signed(supervisor, water, mark, "water", due_date="2026-09-30")
    assert water.post(f"/api/v1/items/{answered}/feedback", {"content": "已办结"}).ok
    done = signed(supervisor, water, mark, "water", due_date="2026-09-29")
    closed(supervisor, water, done)
    elsewhere = signed(supervisor, finance, mark, "finance", due_date="2026-09-30")

    # three working days from Monday 9/28: 9/29, 9/30 and, after National Day, 10/8
    assert listed(supervisor, q=mark, due_within=3) == {
        due["2026-09-29"],
        due["2026-09-30"],
        due["2026-10-08"],
        elsewhere,
    }
    assert listed(supervisor, q=mark, due_within=1) == {due["2026-09-29"]}
    assert listed(water, q=mark, due_within=3) == {
        due["2026-09-29"],
        due["2026-09-30"],
        due["2026-10-08"],
    }
    # a range of due dates, whatever the item's state
    assert listed(supervisor, q=mark, due_from="2026-09-30", due_to="2026-10-08") == {
        due["2026-09-30"],
        due["2026-10-08"],
        answered,
        elsewhere,
    }
    assert listed(supervisor, q=mark, due_from="2026-10-09") == {due["2026-10-09"]}
    assert listed(supervisor, q=mark, due_to="2026-09-29") == {due["2026-09-29"], done}
    assert listed(supervisor, q=mark, due_from="2026-10-09", due_to="2026-09-29") == set()


def test_search_finds_two_character_words_in_title_and_content_and_nothing_else(
    supervisor: Client, handler_factory
):
    supervisor.set_clock(MONDAY)
    meeting = {"meeting_name": f"县长办公会议{unique_ref('')}", "meeting_date": "2026-09-25"}
    group = f"meeting:{meeting['meeting_name']}:{meeting['meeting_date']}"

    def decided(title: str, content: str, unit: str) -> str:
        item = supervisor.register(
            source="meeting",
            title=title,
            content=content,
            due_date=LATER,
            details={**meeting, "decision_number": unique_ref("")},
        )
        supervisor.assign(item["id"], unit)
        return item["id"]

    road = decided("城区道路破损修复", "东环路多处坑洼", "transport")
    in_content = decided("村级公路养护", "通村道路年内完成硬化", "water")
    heating = decided("冬季供暖保障", "确保居民室温达标", "housing-construction")
    apart = decided("道口安全整治", "加装路灯和警示标志", "transport")  # 道 and 路, apart
    wide = decided("ＡＢＣ小区物业整改", "业主反映ｗｉｆｉ信号差", "water")

    assert listed(supervisor, group=group, q="道路") == {road, in_content}
    assert listed(supervisor, group=group, q="供暖") == {heating}
    assert listed(supervisor, group=group, q="路") == {road, in_content, apart}
    assert listed(supervisor, group=group, q="道路破损") == {road}
    # words typed apart are each looked for, in title or content
    assert listed(supervisor, group=group, q="破损 道路") == {road}
    assert listed(supervisor, group=group, q="道路 硬化") == {in_content}
    assert listed(supervisor, group=group, q="破损 硬化") == set()
    assert listed(supervisor, group=group, q="abc") == {wide}
    assert listed(supervisor, group=group, q="WiFi") == {wide}
    assert listed(supervisor, group=group, q="路灯和") == {apart}
    assert listed(supervisor, group=group, q="不存在的词") == set()
    # a unit finds only its own items
    assert listed(handler_factory("water"), group=group, q="道路") == {in_content}
    assert listed(handler_factory("finance"), group=group, q="道路") == set()


def test_an_item_is_found_by_each_notice_it_was_sent_with_and_by_its_reference(
    supervisor: Client, handler_factory
):
    supervisor.set_clock(MONDAY)
    ref = unique_ref("12345")
    item = supervisor.register(title="转办编号查询", external_ref=ref)
    first = supervisor.assign(item["id"], "commerce")["notice_number"]
    moved = supervisor.post(
        f"/api/v1/items/{item['id']}/reassign", {"lead_unit": "market-regulation"}
    ).json()
    second = moved["notice_number"]
    assert first != second
    assert sorted(moved["notice_numbers"]) == sorted([first, second])

    assert listed(supervisor, notice_number=first) == {item["id"]}
    assert listed(supervisor, notice_number=second) == {item["id"]}
    assert listed(supervisor, external_ref=ref) == {item["id"]}
    assert listed(supervisor, external_ref=ref[:-1]) == set()
    # the unit that had it and the unit that has it find it; another unit does not
    assert listed(handler_factory("commerce"), notice_number=first) == {item["id"]}
    assert listed(handler_factory("market-regulation"), external_ref=ref) == {item["id"]}
    assert listed(handler_factory("water"), notice_number=first) == set()
    assert listed(handler_factory("water"), external_ref=ref) == set()


CHOOSE = "请选择以下之一：true（是）、false（否）"
DATE = "须为有效的日期，格式如 2026-01-05，请检查年、月、日"


@pytest.mark.parametrize(
    ("filters", "field", "message"),
    [
        ({"q": "道" * 51}, "q", "搜索词：不能超过 50 个字符（现有 51 个），请删减"),
        ({"q": " "}, "q", "搜索词：不能为空，请填写"),
        ({"due_within": "0"}, "due_within", "几个工作日内到期：不能小于 1，请改为 1 或更大的数"),
        (
            {"due_within": "61"},
            "due_within",
            "几个工作日内到期：不能大于 60，请改为 60 或更小的数",
        ),
        ({"due_within": "三"}, "due_within", "几个工作日内到期：须为整数，请填写不带小数的数字"),
        ({"due_from": "2026-13-01"}, "due_from", f"办理时限起：{DATE}"),
        ({"due_to": "2026-02-30"}, "due_to", f"办理时限止：{DATE}"),
        ({"pending_extension": "maybe"}, "pending_extension", f"延期待审批：{CHOOSE}"),
        ({"escalated": "是"}, "escalated", f"已提请督促：{CHOOSE}"),
        ({"unsigned": "2"}, "unsigned", f"未签收：{CHOOSE}"),
        ({"returned_by_unit": "x"}, "returned_by_unit", f"单位退回待改派：{CHOOSE}"),
        (
            {"notice_number": "督" * 51},
            "notice_number",
            "交办通知编号：不能超过 50 个字符（现有 51 个），请删减",
        ),
        (
            {"external_ref": "x" * 101},
            "external_ref",
            "外部编号：不能超过 100 个字符（现有 101 个），请删减",
        ),
    ],
)
def test_a_bad_filter_is_refused_in_chinese_naming_the_field(
    handler_factory, filters: dict[str, str], field: str, message: str
):
    answer = handler_factory("water").get("/api/v1/items", **filters)
    assert answer.status_code == 400
    body = answer.json()
    assert body["error"] == "invalid_request"
    assert [(f["field"], f["message"]) for f in body["fields"]] == [(field, message)]
