"""The time limit of each source (dates from the official 2026 arrangement)."""

from __future__ import annotations

from datetime import date

import pytest

from services.deadline.calendar import WorkingCalendar
from services.deadline.policy import TimeLimits, due_date_for

CALENDAR = WorkingCalendar()
LIMITS = TimeLimits.defaults()


@pytest.mark.parametrize(
    ("source", "complexity", "start", "due"),
    [
        ("instruction", None, date(2026, 9, 28), date(2026, 10, 13)),
        ("hotline", "simple", date(2026, 4, 30), date(2026, 5, 8)),
        ("netizen", "complex", date(2026, 9, 28), date(2026, 10, 16)),
        ("proposal", None, date(2026, 8, 31), date(2027, 3, 1)),
        ("work_report", None, date(2026, 3, 2), date(2026, 12, 31)),
    ],
)
def test_default_periods(source: str, complexity: str | None, start: date, due: date):
    assert due_date_for(source, complexity, None, start, CALENDAR, LIMITS).due_date == due


def test_a_date_named_by_the_issuer_wins():
    named = date(2026, 11, 30)
    result = due_date_for("instruction", None, named, date(2026, 11, 2), CALENDAR, LIMITS)
    assert result.due_date == named
    assert result.basis == "交办时指定的日期"
