"""The office's time-limit policy: each bad entry refused whole, naming its field (the office
changes the policy through the admin API and reads these messages), and how each source's
period is counted."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from services.deadline.calendar import WorkingCalendar
from services.deadline.policy import (
    DueDate,
    EscalationStep,
    TimeLimits,
    check_named_date,
    check_working_day,
    count_period,
    due_date_for,
)
from tests.recorded import refusal

LIMITS = TimeLimits.defaults()
CALENDAR = WorkingCalendar()
MONDAY = date(2026, 9, 28)

Change = Callable[[dict[str, Any]], Any]


def changed(change: Change) -> Any:
    """The defaults with one change made (`change` returns the whole policy)."""
    return change(LIMITS.to_dict())


def put(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Sets `value` at a dotted `path` ("sources.hotline"); a value of ... removes it."""
    *parents, key = path.split(".")
    node = data
    for name in parents:
        node = node[name]
    if value is ...:
        del node[key]
    else:
        node[key] = value
    return data


@pytest.mark.parametrize(
    ("change", "zh", "en"),
    [
        (
            lambda d: [d],
            "时限设置：须为 JSON 对象，请按当前设置的格式填写",
            "limits: must be an object",
        ),
        (
            lambda d: {**d, "zzz": 1, "aaa": 2},
            (
                "时限设置的“aaa”：不是可接受的项，请删除；可填写的项：sources（各来源"
                "办理时限）、dispatch_working_days（各来源派单时限（工作日）"
                "）、default_complexity（默认复杂程度）、reminder_wo"
                "rking_days_before（到期前提醒（工作日））、return_win"
                "dow_working_days（退回期限（工作日））、escalation（督"
                "办升级）"
            ),
            "aaa: unknown field",
        ),
        (
            lambda d: put(d, "default_complexity", "hard"),
            (
                "默认复杂程度：“hard”不是可选的取值，请选择以下之一：simple（简单）、co"
                "mplex（复杂）、difficult（疑难）"
            ),
            "default_complexity: unknown complexity",
        ),
        (
            lambda d: put(d, "sources", ...),
            "各来源办理时限：必填，须为对象，每个事项来源一项",
            "sources: required object",
        ),
        (
            lambda d: put(d, "dispatch_working_days", [3]),
            "各来源派单时限（工作日）：必填，须为对象，每个事项来源一项",
            "dispatch_working_days: required object",
        ),
        (
            lambda d: put(d, "sources.gossip", {"working_days": 3}),
            (
                "各来源办理时限的“gossip”：不是事项来源，请删除或改为以下之一：instr"
                "uction（领导批示和交办事项）、meeting（重要会议议定事项）、work"
                "_report（《政府工作报告》重点任务）、decision（重大决策部署和重点"
                "工作）、proposal（人大代表建议和政协委员提案）、netizen（网民留言"
                "）、hotline（12345 热线投诉）、petition（重点信访案件）、f"
                "inding（督查发现问题）、upper_inspection（上级督查反馈问题"
                "）、special（阶段性工作和急事要事）"
            ),
            "sources.gossip: unknown source",
        ),
        (
            lambda d: put(put(d, "sources.petition", ...), "sources.meeting", ...),
            "各来源办理时限：缺少“重要会议议定事项”（meeting）一项，请补上",
            "sources.meeting: missing source",
        ),
        (
            lambda d: put(d, "dispatch_working_days.hotline", 0),
            "各来源派单时限（工作日）（12345 热线投诉）：须为 1 至 366 的整数，请改正",
            "dispatch_working_days.hotline: must be an integer from 1 to 366",
        ),
        (
            lambda d: put(d, "reminder_working_days_before", True),
            "到期前提醒（工作日）：须为 1 至 366 的整数，请改正",
            "reminder_working_days_before: must be an integer from 1 to 366",
        ),
        (
            lambda d: put(d, "reminder_working_days_before", "2"),
            "到期前提醒（工作日）：须为 1 至 366 的整数，请改正",
            "reminder_working_days_before: must be an integer from 1 to 366",
        ),
        (
            lambda d: put(d, "reminder_working_days_before", 367),
            "到期前提醒（工作日）：须为 1 至 366 的整数，请改正",
            "reminder_working_days_before: must be an integer from 1 to 366",
        ),
        (
            lambda d: put(d, "return_window_working_days", 0),
            "退回期限（工作日）：须为 1 至 366 的整数，请改正",
            "return_window_working_days: must be an integer from 1 to 366",
        ),
        (
            lambda d: put(d, "sources.hotline", {"working_days": 3, "months": 1}),
            (
                "各来源办理时限（12345 热线投诉）：须且只须指定一种时限，请选择以下之一：w"
                "orking_days（工作日数）、months（月数）、by_complexi"
                "ty（按复杂程度分别给出工作日数）、named_date_required（以通"
                "知指定的日期为准）、quarterly_progress（按季度督查进展，年底办"
                "结）"
            ),
            (
                "sources.hotline: exactly one of working_"
                "days, months, by_complexity, named_date_"
                "required, quarterly_progress"
            ),
        ),
        (
            lambda d: put(d, "sources.hotline", ["working_days"]),
            (
                "各来源办理时限（12345 热线投诉）：须且只须指定一种时限，请选择以下之一：w"
                "orking_days（工作日数）、months（月数）、by_complexi"
                "ty（按复杂程度分别给出工作日数）、named_date_required（以通"
                "知指定的日期为准）、quarterly_progress（按季度督查进展，年底办"
                "结）"
            ),
            (
                "sources.hotline: exactly one of working_"
                "days, months, by_complexity, named_date_"
                "required, quarterly_progress"
            ),
        ),
        (
            lambda d: put(d, "sources.hotline", {"by_complexity": {"simple": 3, "hard": 9}}),
            (
                "各来源办理时限（12345 热线投诉）：须分别给出每种复杂程度的工作日数：si"
                "mple（简单）、complex（复杂）、difficult（疑难）"
            ),
            "sources.hotline.by_complexity: needs simple, complex and difficult",
        ),
        (
            lambda d: put(d, "sources.hotline.by_complexity.difficult", 0),
            "各来源办理时限（12345 热线投诉）的疑难问题工作日数：须为 1 至 366 的整数，请改正",
            "sources.hotline.by_complexity.difficult: must be an integer from 1 to 366",
        ),
        (
            lambda d: put(d, "sources.finding", {"named_date_required": False}),
            "各来源办理时限（督查发现问题）：“以通知指定的日期为准”只能填 true",
            "sources.finding.named_date_required: must be true",
        ),
        (
            lambda d: put(d, "sources.proposal", {"months": 0}),
            "各来源办理时限（人大代表建议和政协委员提案）的月数：须为 1 至 366 的整数，请改正",
            "sources.proposal.months: must be an integer from 1 to 366",
        ),
        (
            lambda d: put(d, "escalation", {}),
            "督办升级：必填，须为列表，每级一项",
            "escalation: required list",
        ),
        (
            lambda d: put(d, "escalation", [*d["escalation"][:1], {"after_working_days": 5}]),
            "督办升级第 2 级：须且只须填写：after_working_days（逾期工作日数）、action（措施）",
            "escalation[1]: needs both fields",
        ),
        (
            lambda d: put(d, "escalation", [{"after_working_days": 3, "action": "fine"}]),
            (
                "督办升级第 1 级的措施：“fine”不是可选的措施，请选择以下之一：escal"
                "ate_to_leader（提请县领导督促）、circulate_critici"
                "sm（通报批评）、work_interview（工作约谈）、organisati"
                "onal_handling（组织处理（移交组织部门））、disciplinary"
                "_action（纪律处分（移交纪检监察机关））"
            ),
            "escalation[0].action: unknown action",
        ),
        (
            lambda d: put(d, "escalation", [{"after_working_days": 0, "action": "work_interview"}]),
            "督办升级第 1 级的逾期工作日数：须为 1 至 366 的整数，请改正",
            "escalation[0].after_working_days: must be an integer from 1 to 366",
        ),
        (
            lambda d: put(
                d,
                "escalation",
                [
                    {"after_working_days": 3, "action": "escalate_to_leader"},
                    {"after_working_days": 3, "action": "circulate_criticism"},
                ],
            ),
            "督办升级第 2 级的逾期工作日数：须多于上一级的 3 个工作日，请逐级递增",
            "escalation[1].after_working_days: must increase",
        ),
    ],
)
def test_a_bad_policy_is_refused_naming_its_first_bad_field(change: Change, zh: str, en: str):
    assert refusal(lambda: TimeLimits.from_dict(changed(change))) == ("invalid_policy", zh, en, 422)


def test_a_policy_may_leave_out_the_default_complexity_and_the_return_window():
    policy = TimeLimits.from_dict(
        changed(lambda d: put(put(d, "default_complexity", ...), "return_window_working_days", ...))
    )
    assert (policy.default_complexity, policy.return_window_working_days) == ("complex", 3)


def test_a_policy_keeps_what_the_office_set():
    policy = TimeLimits.from_dict(
        changed(
            lambda d: {
                **d,
                "default_complexity": "simple",
                "return_window_working_days": 5,
                "reminder_working_days_before": 366,  # the longest allowed
                "escalation": [{"after_working_days": 4, "action": "work_interview"}],
            }
        )
    )
    assert (
        policy.default_complexity,
        policy.return_window_working_days,
        policy.reminder_working_days_before,
        policy.escalation,
    ) == ("simple", 5, 366, (EscalationStep(4, "work_interview"),))


@pytest.mark.parametrize(
    ("source", "complexity", "named", "due"),
    [
        (
            "finding",
            None,
            date(2026, 10, 30),
            DueDate(date(2026, 10, 30), "交办时指定的日期", "named"),
        ),
        (
            "hotline",
            "simple",
            None,
            DueDate(date(2026, 10, 8), "3个工作日（简单问题）", "working_days:3"),
        ),
        # no complexity given: the policy's default, complex (10 working days)
        (
            "netizen",
            None,
            None,
            DueDate(date(2026, 10, 16), "10个工作日（复杂问题）", "working_days:10"),
        ),
        ("proposal", None, None, DueDate(date(2027, 3, 29), "6个月", "months:6")),
        (
            "work_report",
            None,
            None,
            DueDate(date(2026, 12, 31), "当年最后一个工作日（按季度督查进展）", "year_end"),
        ),
    ],
)
def test_each_source_s_period_from_monday_28_september(
    source: str, complexity: str | None, named: date | None, due: DueDate
):
    assert due_date_for(source, complexity, named, MONDAY, CALENDAR, LIMITS) == due


def test_a_period_that_cannot_be_counted_is_an_error_not_a_date():
    with pytest.raises(ValueError, match=r"^cannot count period 'weeks:2'$"):
        count_period("weeks:2", MONDAY, CALENDAR)


def test_a_finding_needs_the_date_on_its_notice():
    assert refusal(lambda: check_named_date("upper_inspection", None, LIMITS)) == (
        "due_date_required",
        "办理时限：“上级督查反馈问题”须填写办理时限，请按督办通知或上级反馈的整改时限填写",
        "this source needs the due date from its notice (due_date)",
        422,
    )
    check_named_date("upper_inspection", date(2026, 10, 30), LIMITS)
    check_named_date("instruction", None, LIMITS)


def test_a_date_set_by_a_person_must_be_a_working_day():
    assert refusal(lambda: check_working_day(date(2026, 10, 3), CALENDAR)) == (
        "not_a_working_day",
        "办理时限：2026年10月3日是休息日，请选择一个工作日",
        "due date 2026-10-03 is not a working day",
        422,
    )
    check_working_day(date(2026, 10, 10), CALENDAR)  # the make-up Saturday
    check_working_day(None, CALENDAR)  # no date set: the source's period applies
