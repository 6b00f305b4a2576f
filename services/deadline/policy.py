"""How long an item may take, and what happens when it runs late: the one place for both.

The defaults are in `time_limits.json` beside this file; the office changes them through the
admin API, each change an event with who and why (see `TimeLimitPolicy`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from services.deadline.calendar import WorkingCalendar
from services.kernel.dates import DUE_DATE, written
from services.kernel.errors import Refused
from services.kernel.vocabulary import (
    COMPLEXITIES,
    COMPLEXITY_LABELS,
    ESCALATION_ACTIONS,
    ESCALATION_LABELS,
    SOURCE_LABELS,
    SOURCES,
    choices,
)

DEFAULTS_FILE = Path(__file__).with_name("time_limits.json")

PERIOD_KIND_LABELS = {
    "working_days": "工作日数",
    "months": "月数",
    "by_complexity": "按复杂程度分别给出工作日数",
    "named_date_required": "以通知指定的日期为准",
    "quarterly_progress": "按季度督查进展，年底办结",
}
PERIOD_KINDS = tuple(PERIOD_KIND_LABELS)
# The policy's fields as the office knows them; the refusals name each by its label.
POLICY_LABELS = {
    "sources": "各来源办理时限",
    "dispatch_working_days": "各来源派单时限（工作日）",
    "default_complexity": "默认复杂程度",
    "reminder_working_days_before": "到期前提醒（工作日）",
    "return_window_working_days": "退回期限（工作日）",
    "escalation": "督办升级",
}
STEP_LABELS = {"after_working_days": "逾期工作日数", "action": "措施"}


def invalid_policy(path: str, label: str, message_zh: str, message_en: str) -> Refused:
    """A refused policy, naming the bad field first: by its label for people, by its path for
    the log (a plain Refused, so it crosses RPC)."""
    return Refused("invalid_policy", f"{label}：{message_zh}", f"{path}: {message_en}")


@dataclass(frozen=True)
class Period:
    """A period of one source: `kind` is one of PERIOD_KINDS."""

    kind: str
    amount: int = 0
    by_complexity: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class EscalationStep:
    after_working_days: int
    action: str


@dataclass(frozen=True)
class TimeLimits:
    sources: dict[str, Period]
    default_complexity: str
    reminder_working_days_before: int
    escalation: tuple[EscalationStep, ...]
    # the office's own time to assign a registered item, per source (派单时限)
    dispatch_working_days: dict[str, int]
    return_window_working_days: int = 3

    @classmethod
    def from_dict(cls, data: Any) -> TimeLimits:
        """Parses and checks a policy; raises a refusal naming the first bad field."""
        if not isinstance(data, dict):
            raise invalid_policy(
                "limits", "时限设置", "须为 JSON 对象，请按当前设置的格式填写", "must be an object"
            )
        if unknown := sorted(set(data) - set(POLICY_FIELDS)):
            raise invalid_policy(
                unknown[0],
                f"时限设置的“{unknown[0]}”",
                f"不是可接受的项，请删除；可填写的项：{choices(POLICY_LABELS)}",
                "unknown field",
            )
        sources = _per_source("sources", data.get("sources"))
        default_complexity = data.get("default_complexity", "complex")
        if default_complexity not in COMPLEXITIES:
            raise invalid_policy(
                "default_complexity",
                POLICY_LABELS["default_complexity"],
                f"“{default_complexity}”不是可选的取值，请选择以下之一："
                f"{choices(COMPLEXITY_LABELS)}",
                "unknown complexity",
            )
        dispatch = _per_source("dispatch_working_days", data.get("dispatch_working_days"))
        return cls(
            sources={name: _period(name, spec) for name, spec in sources.items()},
            dispatch_working_days={
                name: _positive(
                    f"dispatch_working_days.{name}",
                    f"{POLICY_LABELS['dispatch_working_days']}（{SOURCE_LABELS[name]}）",
                    days,
                )
                for name, days in dispatch.items()
            },
            default_complexity=default_complexity,
            reminder_working_days_before=_positive(
                "reminder_working_days_before",
                POLICY_LABELS["reminder_working_days_before"],
                data.get("reminder_working_days_before"),
            ),
            escalation=_escalation(data.get("escalation")),
            return_window_working_days=_positive(
                "return_window_working_days",
                POLICY_LABELS["return_window_working_days"],
                data.get("return_window_working_days", 3),
            ),
        )

    @classmethod
    def defaults(cls) -> TimeLimits:
        return cls.from_dict(json.loads(DEFAULTS_FILE.read_text(encoding="utf-8")))

    def to_dict(self) -> dict[str, Any]:
        def period(p: Period) -> dict[str, Any]:
            if p.kind == "by_complexity":
                return {"by_complexity": dict(p.by_complexity)}
            if p.kind in ("named_date_required", "quarterly_progress"):
                return {p.kind: True}
            return {p.kind: p.amount}

        return {
            "sources": {name: period(p) for name, p in self.sources.items()},
            "dispatch_working_days": dict(self.dispatch_working_days),
            "default_complexity": self.default_complexity,
            "reminder_working_days_before": self.reminder_working_days_before,
            "return_window_working_days": self.return_window_working_days,
            "escalation": [
                {"after_working_days": s.after_working_days, "action": s.action}
                for s in self.escalation
            ],
        }


POLICY_FIELDS = tuple(POLICY_LABELS)


def _per_source(field: str, value: Any) -> dict[str, Any]:
    """An object with one entry for every source, and none else."""
    label = POLICY_LABELS[field]
    if not isinstance(value, dict):
        raise invalid_policy(field, label, "必填，须为对象，每个事项来源一项", "required object")
    for name in value:
        if name not in SOURCES:
            raise invalid_policy(
                f"{field}.{name}",
                f"{label}的“{name}”",
                f"不是事项来源，请删除或改为以下之一：{choices(SOURCE_LABELS)}",
                "unknown source",
            )
    if missing := [s for s in SOURCES if s not in value]:
        raise invalid_policy(
            f"{field}.{missing[0]}",
            label,
            f"缺少“{SOURCE_LABELS[missing[0]]}”（{missing[0]}）一项，请补上",
            "missing source",
        )
    return value


def _positive(path: str, label: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 366:
        raise invalid_policy(
            path, label, "须为 1 至 366 的整数，请改正", "must be an integer from 1 to 366"
        )
    return value


def _period(source: str, spec: Any) -> Period:
    path, label = f"sources.{source}", f"{POLICY_LABELS['sources']}（{SOURCE_LABELS[source]}）"
    if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in PERIOD_KINDS:
        raise invalid_policy(
            path,
            label,
            f"须且只须指定一种时限，请选择以下之一：{choices(PERIOD_KIND_LABELS)}",
            f"exactly one of {', '.join(PERIOD_KINDS)}",
        )
    kind, value = next(iter(spec.items()))
    if kind == "by_complexity":
        if not isinstance(value, dict) or set(value) != set(COMPLEXITIES):
            raise invalid_policy(
                f"{path}.by_complexity",
                label,
                f"须分别给出每种复杂程度的工作日数：{choices(COMPLEXITY_LABELS)}",
                "needs simple, complex and difficult",
            )
        days = tuple(
            (
                c,
                _positive(
                    f"{path}.by_complexity.{c}",
                    f"{label}的{COMPLEXITY_LABELS[c]}问题工作日数",
                    value[c],
                ),
            )
            for c in COMPLEXITIES
        )
        return Period(kind, by_complexity=days)
    if kind in ("named_date_required", "quarterly_progress"):
        if value is not True:
            raise invalid_policy(
                f"{path}.{kind}",
                label,
                f"“{PERIOD_KIND_LABELS[kind]}”只能填 true",
                "must be true",
            )
        return Period(kind)
    return Period(kind, _positive(f"{path}.{kind}", f"{label}的{PERIOD_KIND_LABELS[kind]}", value))


def _escalation(steps: Any) -> tuple[EscalationStep, ...]:
    label = POLICY_LABELS["escalation"]
    if not isinstance(steps, list):
        raise invalid_policy("escalation", label, "必填，须为列表，每级一项", "required list")
    out: list[EscalationStep] = []
    for i, step in enumerate(steps):
        path, level = f"escalation[{i}]", f"{label}第 {i + 1} 级"
        if not isinstance(step, dict) or set(step) != set(STEP_LABELS):
            raise invalid_policy(
                path, level, f"须且只须填写：{choices(STEP_LABELS)}", "needs both fields"
            )
        if step["action"] not in ESCALATION_ACTIONS:
            raise invalid_policy(
                f"{path}.action",
                f"{level}的措施",
                f"“{step['action']}”不是可选的措施，请选择以下之一：{choices(ESCALATION_LABELS)}",
                "unknown action",
            )
        after = _positive(
            f"{path}.after_working_days", f"{level}的逾期工作日数", step["after_working_days"]
        )
        if out and after <= out[-1].after_working_days:
            raise invalid_policy(
                f"{path}.after_working_days",
                f"{level}的逾期工作日数",
                f"须多于上一级的 {out[-1].after_working_days} 个工作日，请逐级递增",
                "must increase",
            )
        out.append(EscalationStep(after, step["action"]))
    return tuple(out)


@dataclass(frozen=True)
class DueDate:
    due_date: date
    basis: str
    period: str  # how it was counted, so a new calendar can count it again: "named",
    # "working_days:7", "months:6", "year_end"


def due_date_for(
    source: str,
    complexity: str | None,
    named_date: date | None,
    start: date,
    calendar: WorkingCalendar,
    limits: TimeLimits,
) -> DueDate:
    """The due date of an item whose period starts on `start` (assignment or return).

    A date named by the issuer (the instruction, the meeting, the notice) wins; otherwise the
    source's period from `limits`, counted by the Civil Code rule in `calendar`.
    """
    check_named_date(source, named_date, limits)
    if named_date is not None:
        return DueDate(named_date, "交办时指定的日期", "named")
    period = limits.sources[source]
    if period.kind == "by_complexity":
        level = complexity or limits.default_complexity
        days = dict(period.by_complexity)[level]
        label = COMPLEXITY_LABELS[level]
        return count_period(f"working_days:{days}", start, calendar, f"（{label}问题）")
    if period.kind == "quarterly_progress":
        return count_period("year_end", start, calendar)
    return count_period(f"{period.kind}:{period.amount}", start, calendar)


def count_period(period: str, start: date, calendar: WorkingCalendar, note: str = "") -> DueDate:
    """Counts a stored period from `start` on `calendar` (again, after a new schedule)."""
    kind, _, amount = period.partition(":")
    if kind == "working_days":
        due = calendar.add_working_days(start, int(amount))
        return DueDate(due, f"{amount}个工作日{note}", period)
    if kind == "months":
        return DueDate(calendar.add_months(start, int(amount)), f"{amount}个月", period)
    if kind == "year_end":
        due = calendar.last_working_day_of_year(start.year)
        return DueDate(due, "当年最后一个工作日（按季度督查进展）", period)
    raise ValueError(f"cannot count period {period!r}")


def check_named_date(source: str, named_date: date | None, limits: TimeLimits) -> None:
    """Sources whose limit is the date on their notice cannot go without one."""
    if named_date is None and limits.sources[source].kind == "named_date_required":
        raise Refused(
            "due_date_required",
            f"办理时限：“{SOURCE_LABELS[source]}”须填写办理时限，"
            "请按督办通知或上级反馈的整改时限填写",
            "this source needs the due date from its notice (due_date)",
        )


def check_working_day(
    due_date: date | None, calendar: WorkingCalendar, label: str = DUE_DATE
) -> None:
    """A due date set by a person must be a working day."""
    if due_date is not None and not calendar.is_working_day(due_date):
        raise Refused(
            "not_a_working_day",
            f"{label}：{written(due_date)}是休息日，请选择一个工作日",
            f"due date {due_date} is not a working day",
        )
