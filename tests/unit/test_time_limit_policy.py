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


SOURCES = (
    "instruction（领导批示和交办事项）、meeting（重要会议议定事项）、"
    "work_report（《政府工作报告》重点任务）、decision（重大决策部署和重点工作）、"
    "proposal（人大代表建议和政协委员提案）、netizen（网民留言）、hotline（12345 热线投诉）、"
    "petition（重点信访案件）、finding（督查发现问题）、upper_inspection（上级督查反馈问题）、"
    "special（阶段性工作和急事要事）"
)
ACTIONS = (
    "escalate_to_leader（提请县领导督促）、circulate_criticism（通报批评）、"
    "work_interview（工作约谈）、organisational_handling（组织处理（移交组织部门））、"
    "disciplinary_action（纪律处分（移交纪检监察机关））"
)
KINDS = "working_days、months、by_complexity、named_date_required、quarterly_progress"
INTEGER = ("须为 1 至 366 的整数", "must be an integer from 1 to 366")


@pytest.mark.parametrize(
    ("change", "field", "zh", "en"),
    [
        (lambda d: [d], "时限设置", "须为 JSON 对象", "must be an object"),
        (
            lambda d: {**d, "zzz": 1, "aaa": 2},
            "aaa",
            "不是可接受的字段，可用的字段：sources、dispatch_working_days、default_complexity、"
            "reminder_working_days_before、return_window_working_days、escalation",
            "unknown field",
        ),
        (
            lambda d: put(d, "default_complexity", "hard"),
            "default_complexity",
            "未知的复杂程度 'hard'，可选：simple、complex、difficult",
            "unknown complexity",
        ),
        (
            lambda d: put(d, "sources", ...),
            "sources",
            "必填，须为对象，每个事项来源一项",
            "required object",
        ),
        (
            lambda d: put(d, "dispatch_working_days", [3]),
            "dispatch_working_days",
            "必填，须为对象，每个事项来源一项",
            "required object",
        ),
        (
            lambda d: put(d, "sources.gossip", {"working_days": 3}),
            "sources.gossip",
            f"未知的事项来源，可选：{SOURCES}",
            "unknown source",
        ),
        (
            lambda d: put(put(d, "sources.petition", ...), "sources.meeting", ...),
            "sources.meeting",
            "缺少“重要会议议定事项”一项",
            "missing source",
        ),
        (
            lambda d: put(d, "dispatch_working_days.hotline", 0),
            "dispatch_working_days.hotline",
            *INTEGER,
        ),
        (
            lambda d: put(d, "reminder_working_days_before", True),
            "reminder_working_days_before",
            *INTEGER,
        ),
        (
            lambda d: put(d, "reminder_working_days_before", "2"),
            "reminder_working_days_before",
            *INTEGER,
        ),
        (
            lambda d: put(d, "reminder_working_days_before", 367),
            "reminder_working_days_before",
            *INTEGER,
        ),
        (lambda d: put(d, "return_window_working_days", 0), "return_window_working_days", *INTEGER),
        (
            lambda d: put(d, "sources.hotline", {"working_days": 3, "months": 1}),
            "sources.hotline",
            f"须且只须指定一种时限：{KINDS}",
            f"exactly one of {KINDS.replace('、', ', ')}",
        ),
        (
            lambda d: put(d, "sources.hotline", ["working_days"]),
            "sources.hotline",
            f"须且只须指定一种时限：{KINDS}",
            f"exactly one of {KINDS.replace('、', ', ')}",
        ),
        (
            lambda d: put(d, "sources.hotline", {"by_complexity": {"simple": 3, "hard": 9}}),
            "sources.hotline.by_complexity",
            "须分别给出 simple、complex、difficult 的工作日数",
            "needs simple, complex and difficult",
        ),
        (
            lambda d: put(d, "sources.hotline.by_complexity.difficult", 0),
            "sources.hotline.by_complexity.difficult",
            *INTEGER,
        ),
        (
            lambda d: put(d, "sources.finding", {"named_date_required": False}),
            "sources.finding.named_date_required",
            "须为 true",
            "must be true",
        ),
        (lambda d: put(d, "sources.proposal", {"months": 0}), "sources.proposal.months", *INTEGER),
        (lambda d: put(d, "escalation", {}), "escalation", "必填，须为列表", "required list"),
        (
            lambda d: put(d, "escalation", [*d["escalation"][:1], {"after_working_days": 5}]),
            "escalation[1]",
            "须含 after_working_days 与 action",
            "needs both fields",
        ),
        (
            lambda d: put(d, "escalation", [{"after_working_days": 3, "action": "fine"}]),
            "escalation[0].action",
            f"未知的督办措施，可选：{ACTIONS}",
            "unknown action",
        ),
        (
            lambda d: put(d, "escalation", [{"after_working_days": 0, "action": "work_interview"}]),
            "escalation[0].after_working_days",
            *INTEGER,
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
            "escalation[1].after_working_days",
            "须逐级递增",
            "must increase",
        ),
    ],
)
def test_a_bad_policy_is_refused_naming_its_first_bad_field(
    change: Change, field: str, zh: str, en: str
):
    assert refusal(lambda: TimeLimits.from_dict(changed(change))) == (
        "invalid_policy",
        f"{field}：{zh}",
        f"{field}: {en}",
        422,
    )


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
