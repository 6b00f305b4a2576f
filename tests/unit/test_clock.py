"""One item's clock across 2026's holidays: reminders, overdue and escalation, each once."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import uuid4

import pytest

from services.deadline.calendar import WorkingCalendar, YearSchedule
from services.deadline.domain import Clock
from services.deadline.policy import TimeLimits
from services.kernel.dates import BUSINESS_TZ
from services.kernel.errors import Refused

CALENDAR = WorkingCalendar()
LIMITS = TimeLimits.defaults()
OFFICE = {"user": "supervisor", "role": "supervisor", "unit": None}


def shanghai(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=BUSINESS_TZ)


def started(
    source: str, start: str, complexity: str | None = None, named=None, signed: bool = True
) -> Clock:
    """A clock whose item was assigned on `start` (and signed for the same day)."""
    clock = Clock(
        id=uuid4(),
        source=source,
        complexity=complexity,
        requested_due_date=named,
        issued_by="县长",
        actor=OFFICE,
        at=shanghai(start),
    )
    clock.start(named, date.fromisoformat(start), "water", CALENDAR, LIMITS, shanghai(start))
    if signed:
        clock.sign(shanghai(start))
    return clock


def issued_between(clock: Clock, first: str, last: str) -> dict[str, list[str]]:
    """Runs the clock once an hour over [first, last] and lists what each day issued."""
    out: dict[str, list[str]] = {}
    now = shanghai(first, 0)
    end = shanghai(last, 23)
    while now <= end:
        for action in clock.act(now, CALENDAR, LIMITS):
            out.setdefault(now.date().isoformat(), []).append(action)
        now += timedelta(hours=1)
    return out


def test_the_spring_festival_ladder():
    # assigned Tue 2026-02-10; 7 working days: 2/11, 2/12, 2/13, 2/14 (Sat, 上班), 2/24, 2/25, 2/26
    clock = started("instruction", "2026-02-10")
    assert clock.due_date == date(2026, 2, 26)
    assert issued_between(clock, "2026-02-10", "2026-03-20") == {
        "2026-02-24": ["reminder:before"],  # 2 working days before the due date
        "2026-02-26": ["reminder:due_today"],
        "2026-02-27": ["overdue"],  # at 24:00 on 2/26
        # 3 working days overdue: 2/27, 2/28 (Sat, 上班), 3/2 -> at 24:00 on 3/2
        "2026-03-03": ["escalation:escalate_to_leader"],
        # 10 working days overdue: ... 3/11 -> at 24:00 on 3/11
        "2026-03-12": ["escalation:circulate_criticism"],
    }


def test_labour_day_hotline_reminders():
    # simple hotline complaint assigned Thu 2026-04-30: 5/6, 5/7, 5/8
    clock = started("hotline", "2026-04-30", "simple")
    assert clock.due_date == date(2026, 5, 8)
    issued = issued_between(clock, "2026-04-30", "2026-05-09")
    assert issued == {
        "2026-05-06": ["reminder:before"],
        "2026-05-08": ["reminder:due_today"],
        "2026-05-09": ["overdue"],
    }


def test_national_day_overdue_exactly_once_even_when_asked_twice():
    clock = started("instruction", "2026-09-28")
    assert clock.due_date == date(2026, 10, 13)
    late = shanghai("2026-10-14", 0) + timedelta(seconds=1)
    assert clock.act(late, CALENDAR, LIMITS) == ["overdue"]  # late: reminders not sent late
    assert clock.act(late, CALENDAR, LIMITS) == []
    assert clock.act(late + timedelta(days=1), CALENDAR, LIMITS) == []


def test_feedback_stops_the_clock_and_nothing_more_is_issued():
    clock = started("instruction", "2026-09-28")
    clock.stop("feedback submitted", shanghai("2026-10-09"))
    assert clock.act(shanghai("2026-12-31"), CALENDAR, LIMITS) == []
    assert clock.next_action_at(CALENDAR, LIMITS) is None


def test_a_return_restarts_with_the_new_due_date_and_a_fresh_ladder():
    clock = started("instruction", "2026-09-28")
    clock.act(shanghai("2026-10-14"), CALENDAR, LIMITS)
    clock.stop("feedback submitted", shanghai("2026-10-14"))
    clock.start(
        date(2026, 10, 20), date(2026, 10, 15), None, CALENDAR, LIMITS, shanghai("2026-10-15")
    )
    assert clock.due_date == date(2026, 10, 20)
    assert clock.original_due_date == date(2026, 10, 13)
    assert clock.act(shanghai("2026-10-21"), CALENDAR, LIMITS) == ["overdue"]


def test_month_end_and_leap_year_proposals():
    assert started("proposal", "2026-08-31").due_date == date(2027, 3, 1)
    leap = started("proposal", "2027-08-29")
    assert leap.due_date == date(2028, 2, 29)


def test_a_loaded_schedule_recounts_an_open_deadline():
    clock = started("instruction", "2026-12-28")
    # 2027 has no official arrangement yet: weekends only
    assert clock.due_date == date(2027, 1, 6)
    (deadline,) = [e for e in clock.collect_events() if type(e).__name__ == "DeadlineSet"]
    assert deadline.official_calendar is False
    assert deadline.basis == "7个工作日（该年尚无国务院节假日安排，仅按周末计算）"
    with_2027 = CALENDAR.with_schedule(
        YearSchedule(2027, frozenset({date(2027, 1, 1)}), frozenset())
    )
    assert clock.recount(with_2027, shanghai("2026-12-29")) is True
    assert clock.due_date == date(2027, 1, 7)
    recounted = clock.collect_events()[-1]
    assert recounted.official_calendar is True
    assert recounted.basis == "7个工作日（按载入的节假日安排重新计算）"
    assert clock.recount(with_2027, shanghai("2026-12-29")) is False


def test_a_named_date_is_not_recounted():
    clock = started("meeting", "2026-12-28", named=date(2027, 1, 8))
    with_2027 = CALENDAR.with_schedule(
        YearSchedule(2027, frozenset({date(2027, 1, 1)}), frozenset())
    )
    assert clock.recount(with_2027, shanghai("2026-12-29")) is False


def test_the_policy_refuses_unknown_sources_and_complexities_naming_the_field():
    data = LIMITS.to_dict()
    data["sources"]["gossip"] = {"working_days": 3}
    with pytest.raises(Refused) as e:
        TimeLimits.from_dict(data)
    assert e.value.message_en.startswith("sources.gossip:")
    data = LIMITS.to_dict()
    data["sources"]["hotline"] = {"by_complexity": {"simple": 3, "hard": 9}}
    with pytest.raises(Refused) as e:
        TimeLimits.from_dict(data)
    assert e.value.message_en.startswith("sources.hotline.by_complexity:")
    data = LIMITS.to_dict()
    data["escalation"] = [
        {"after_working_days": 5, "action": "escalate_to_leader"},
        {"after_working_days": 3, "action": "circulate_criticism"},
    ]
    with pytest.raises(Refused):
        TimeLimits.from_dict(data)


def test_the_policy_file_round_trips():
    assert TimeLimits.from_dict(LIMITS.to_dict()) == LIMITS
