"""Business dates: the county works in Asia/Shanghai; instants are stored in UTC."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from services.kernel.errors import Refused

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")


def business_date(instant: datetime) -> date:
    """The Asia/Shanghai calendar date of an aware datetime."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("instant must carry a time zone")
    return instant.astimezone(BUSINESS_TZ).date()


def written(day: date) -> str:
    """A date as people write it: 2026年10月13日."""
    return f"{day.year}年{day.month}月{day.day}日"


# The Chinese labels of the dates people set, as their refusals name them.
DUE_DATE = "办理时限"
PROPOSED_DUE_DATE = "申请延期至"
RECTIFICATION_DEADLINE = "整改时限"  # on a supervision notice (督办通知)


def check_not_past(due_date: date | None, today: date, label: str = DUE_DATE) -> None:
    """A due date set by a person may not lie before today."""
    if due_date is not None and due_date < today:
        raise Refused(
            "due_date_in_past",
            f"{label}：{written(due_date)}早于今天（{written(today)}），请选择今天或以后的日期",
            f"due date {due_date} is before today {today}",
        )
