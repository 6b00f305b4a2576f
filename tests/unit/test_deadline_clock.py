"""One item's clock, event by event: what it records (every field), when each reminder, overdue
mark and escalation falls due, and that each is issued once.

Dates are counted by hand from /work/shared/calendar-cn-2026.md: from Monday 2026-09-28 the
working days are 9/29, 9/30, 10/8, 10/9, 10/10 (Saturday, 上班), 10/12, 10/13, 10/14, 10/15,
10/16, 10/19, … A day ends at 24:00 in Shanghai, 16:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

from services.deadline.calendar import WorkingCalendar, YearSchedule
from services.deadline.domain import SYSTEM, Clock
from services.deadline.policy import TimeLimits
from tests.recorded import recorded

CALENDAR = WorkingCalendar()
LIMITS = TimeLimits.defaults()
OFFICE = {"user": "supervisor", "role": "supervisor", "unit": None}
MOVED_BY = {**SYSTEM, "correlation_id": "c-1"}  # the service that told the clock
AT = datetime(2026, 9, 28, 2, tzinfo=UTC)  # Monday 10:00 in Shanghai
MONDAY = date(2026, 9, 28)


def end_of(day: date) -> datetime:
    """24:00 of `day` in Shanghai."""
    return datetime(day.year, day.month, day.day, 16, tzinfo=UTC)


def start_of(day: date) -> datetime:
    """00:00 of `day` in Shanghai."""
    return end_of(day) - timedelta(days=1)


def opened(source: str = "instruction", **fields: Any) -> Clock:
    clock = Clock(
        id=uuid4(),
        source=source,
        complexity=fields.pop("complexity", None),
        requested_due_date=None,
        issued_by=fields.pop("issued_by", None),
        actor=OFFICE,
        at=AT,
        details=fields.pop("details", None),
    )
    clock.open(CALENDAR, LIMITS, AT)
    return clock


def started(source: str = "instruction", named: date | None = None, **fields: Any) -> Clock:
    """Received and assigned to water on Monday 9/28; what it recorded so far is collected."""
    clock = opened(source, **fields)
    clock.start(named, MONDAY, "water", CALENDAR, LIMITS, AT, MOVED_BY)
    recorded(clock)
    return clock


def deadline(**fields: Any) -> tuple[str, dict[str, Any]]:
    """A DeadlineSet of the instruction assigned on 9/28, with `fields` changed."""
    return (
        "DeadlineSet",
        {
            "due_date": date(2026, 10, 13),
            "due_at": end_of(date(2026, 10, 13)),
            "basis": "7个工作日",
            "official_calendar": True,
            "original_due_date": date(2026, 10, 13),
            "extension": False,
            "period": "working_days:7",
            "period_start": MONDAY,
            "co_unit_due_date": date(2026, 10, 9),  # half the period, rounded up: 4 days
            "actor": MOVED_BY,
            "at": AT,
            **fields,
        },
    )


def test_a_received_item_opens_its_clock_with_the_office_s_time_to_assign():
    clock = opened("instruction", issued_by="县长", details={"number": "7"})
    assert recorded(clock) == [
        (
            "ClockOpened",
            {
                "source": "instruction",
                "complexity": None,
                "requested_due_date": None,
                "issued_by": "县长",
                "actor": OFFICE,
                "at": AT,
                "details": {"number": "7"},
            },
        ),
        # 3 working days for an instruction: 9/29, 9/30, 10/8
        (
            "DispatchDeadlineSet",
            {"due_date": date(2026, 10, 8), "working_days": 3, "actor": SYSTEM, "at": AT},
        ),
    ]


def test_an_assignment_hands_the_item_to_its_unit_and_sets_the_due_date():
    clock = opened()
    recorded(clock)
    clock.start(None, MONDAY, "water", CALENDAR, LIMITS, AT, MOVED_BY)
    assert recorded(clock) == [
        (
            "HandedTo",
            {"unit": "water", "assigned_on": MONDAY, "actor": MOVED_BY, "at": AT, "fresh": False},
        ),
        deadline(),
    ]


def test_a_return_for_rework_restarts_the_period_without_a_new_hand_over():
    clock = started()
    clock.start(None, date(2026, 10, 9), None, CALENDAR, LIMITS, AT, MOVED_BY)
    # 7 working days from 10/9: 10/10, 10/12 … 10/19; the first due date stays on record
    assert recorded(clock) == [
        deadline(
            due_date=date(2026, 10, 19),
            due_at=end_of(date(2026, 10, 19)),
            period_start=date(2026, 10, 9),
            co_unit_due_date=date(2026, 10, 14),
        )
    ]


def test_a_new_lead_unit_gets_its_own_period_counted_by_the_item_s_complexity():
    clock = started("hotline", complexity="simple")  # 3 working days: due 10/8
    clock.hand_over(None, date(2026, 10, 9), "health", CALENDAR, LIMITS, AT, MOVED_BY)
    assert recorded(clock) == [
        (
            "HandedTo",
            {
                "unit": "health",
                "assigned_on": date(2026, 10, 9),
                "actor": MOVED_BY,
                "at": AT,
                "fresh": True,
            },
        ),
        # 3 working days from 10/9: 10/10, 10/12, 10/13; its own original due date
        deadline(
            due_date=date(2026, 10, 13),
            due_at=end_of(date(2026, 10, 13)),
            basis="3个工作日（简单问题）",
            original_due_date=date(2026, 10, 13),
            period="working_days:3",
            period_start=date(2026, 10, 9),
            co_unit_due_date=date(2026, 10, 12),
        ),
    ]
    assert clock.lead_unit == "health"


def test_a_new_lead_unit_keeps_the_date_the_issuer_named():
    clock = started()
    clock.hand_over(date(2026, 10, 30), date(2026, 10, 9), "health", CALENDAR, LIMITS, AT)
    assert recorded(clock)[1] == deadline(
        due_date=date(2026, 10, 30),
        due_at=end_of(date(2026, 10, 30)),
        basis="交办时指定的日期",
        original_due_date=date(2026, 10, 30),
        period="named",
        period_start=date(2026, 10, 9),
        co_unit_due_date=date(2026, 10, 20),  # 16 working days: the 8th
        actor=SYSTEM,
    )


def test_an_extension_moves_the_due_date_and_keeps_the_original_on_record():
    clock = started()
    clock.extend(date(2026, 10, 23), date(2026, 10, 12), CALENDAR, AT, MOVED_BY)
    # from 10/12 to 10/23: 9 working days, the co-units' half is 5 (10/19)
    assert recorded(clock) == [
        deadline(
            due_date=date(2026, 10, 23),
            due_at=end_of(date(2026, 10, 23)),
            basis="批准延期",
            extension=True,
            period="named",
            period_start=date(2026, 10, 12),
            co_unit_due_date=date(2026, 10, 19),
        )
    ]
    assert clock.schedule(CALENDAR, LIMITS)[-4].at == end_of(date(2026, 10, 23))  # overdue


def test_the_co_units_date_is_half_the_period_rounded_up_or_the_due_date_itself():
    cases = {
        MONDAY: MONDAY,  # due the same day: nothing to halve
        date(2026, 9, 29): date(2026, 9, 29),  # one working day
        date(2026, 9, 30): date(2026, 9, 29),  # two: one
        date(2026, 10, 16): date(2026, 10, 10),  # ten: five, the make-up Saturday
    }
    for due, co_unit_due in cases.items():
        clock = opened()
        clock.start(due, MONDAY, "water", CALENDAR, LIMITS, AT)
        assert recorded(clock)[-1][1]["co_unit_due_date"] == co_unit_due, due


def test_signing_and_a_period_s_report_are_recorded_once():
    clock = started("work_report", details={"year": 2026, "kind": "task"})
    clock.sign(AT, MOVED_BY)
    clock.sign(AT, MOVED_BY)
    clock.note_reported("2026-Q3", AT, MOVED_BY)
    clock.note_reported("2026-Q3", AT, MOVED_BY)
    assert recorded(clock) == [
        ("Signed", {"actor": MOVED_BY, "at": AT}),
        ("Reported", {"period": "2026-Q3", "actor": MOVED_BY, "at": AT}),
    ]


def test_an_answer_stops_a_running_clock_once():
    clock = started()
    clock.stop("feedback submitted", AT, MOVED_BY)
    clock.stop("closed", AT, MOVED_BY)  # the office closes the answered item: nothing more
    assert recorded(clock) == [
        ("ClockStopped", {"reason": "feedback submitted", "actor": MOVED_BY, "at": AT})
    ]
    assert clock.pending(CALENDAR, LIMITS) == []


def test_an_item_withdrawn_before_assignment_stops_the_office_s_clock():
    clock = opened()
    recorded(clock)
    clock.stop("cancelled or merged", AT, MOVED_BY)
    clock.stop("cancelled or merged", AT, MOVED_BY)
    assert recorded(clock) == [
        ("ClockStopped", {"reason": "cancelled or merged", "actor": MOVED_BY, "at": AT})
    ]
    assert clock.schedule(CALENDAR, LIMITS) == []  # no dispatch reminder for it


def test_a_new_schedule_recounts_a_counted_period_and_keeps_the_first_due_date():
    clock = opened()
    clock.start(None, date(2027, 1, 4), "water", CALENDAR, LIMITS, AT, MOVED_BY)
    assert recorded(clock)[-1][1]["basis"] == "7个工作日（该年尚无国务院节假日安排，仅按周末计算）"
    rest = [f"2027-01-{d:02d}" for d in range(11, 16)]  # an imagined week of rest
    loaded = CALENDAR.with_schedule(
        YearSchedule.from_dict({"year": 2027, "rest_days": rest, "working_weekends": []})
    )
    assert clock.recount(loaded, AT) is True
    # 1/5, 1/6, 1/7, 1/8, then 1/18, 1/19, 1/20
    assert recorded(clock) == [
        deadline(
            due_date=date(2027, 1, 20),
            due_at=end_of(date(2027, 1, 20)),
            basis="7个工作日（按载入的节假日安排重新计算）",
            original_due_date=date(2027, 1, 13),
            period_start=date(2027, 1, 4),
            co_unit_due_date=date(2027, 1, 8),
            actor=SYSTEM,
        )
    ]
    assert clock.recount(loaded, AT) is False  # counted again: the same date
    assert recorded(clock) == []


def test_a_named_date_or_a_stopped_clock_is_not_recounted():
    named = started(named=date(2026, 10, 30))
    stopped = started()
    stopped.stop("closed", AT)
    recorded(stopped)
    assert (named.recount(CALENDAR, AT), stopped.recount(CALENDAR, AT)) == (False, False)
    assert recorded(named) + recorded(stopped) == []


def test_the_schedule_of_a_signed_instruction():
    clock = started()
    clock.sign(AT)
    assert [(a.at, a.kind) for a in clock.schedule(CALENDAR, LIMITS)] == [
        (start_of(date(2026, 10, 10)), "reminder:before"),  # 2 working days before: 10/12, 10/10
        (start_of(date(2026, 10, 13)), "reminder:due_today"),
        (end_of(date(2026, 10, 13)), "overdue"),
        (end_of(date(2026, 10, 16)), "escalation:1"),  # 3 working days late
        (end_of(date(2026, 10, 27)), "escalation:2"),  # 10
        (end_of(date(2026, 11, 10)), "escalation:3"),  # 20
    ]


def test_no_early_reminder_when_the_period_is_too_short_for_one():
    clock = started(named=date(2026, 9, 30))  # 2 working days: the reminder day is 9/28 itself
    clock.sign(AT)
    kinds = [a.kind for a in clock.schedule(CALENDAR, LIMITS)]
    assert kinds[:2] == ["reminder:due_today", "overdue"]


def test_an_unsigned_item_is_reminded_to_its_unit_and_an_unassigned_one_to_the_office():
    waiting = opened()
    recorded(waiting)
    assert waiting.act(end_of(date(2026, 10, 8)), CALENDAR, LIMITS) == ["reminder:dispatch"]
    unsigned = started()
    assert unsigned.act(end_of(date(2026, 9, 29)), CALENDAR, LIMITS) == ["reminder:unsigned"]
    assert recorded(waiting) + recorded(unsigned) == [
        (
            "ReminderIssued",
            {
                "kind": "dispatch",
                "due_date": date(2026, 10, 8),
                "unit": None,  # the office
                "actor": SYSTEM,
                "at": end_of(date(2026, 10, 8)),
                "period": None,
            },
        ),
        (
            "ReminderIssued",
            {
                "kind": "unsigned",
                "due_date": date(2026, 10, 13),
                "unit": "water",
                "actor": SYSTEM,
                "at": end_of(date(2026, 9, 29)),
                "period": None,
            },
        ),
    ]


def test_reminders_before_the_due_time_are_sent_and_the_overdue_mark_waits():
    clock = started()
    clock.sign(AT)
    recorded(clock)
    now = end_of(date(2026, 10, 13)) - timedelta(microseconds=1)
    assert clock.act(now, CALENDAR, LIMITS) == ["reminder:before", "reminder:due_today"]
    assert [(t, e["kind"], e["due_date"], e["unit"]) for t, e in recorded(clock)] == [
        ("ReminderIssued", "before", date(2026, 10, 13), "water"),
        ("ReminderIssued", "due_today", date(2026, 10, 13), "water"),
    ]


def test_at_the_due_time_itself_the_item_is_overdue_and_late_reminders_are_skipped():
    clock = started()
    clock.sign(AT)
    recorded(clock)
    due_at = end_of(date(2026, 10, 13))
    assert clock.act(due_at, CALENDAR, LIMITS) == ["overdue"]
    assert recorded(clock) == [
        (
            "ActionSkipped",
            {"key": "reminder:before@2026-10-13", "actor": SYSTEM, "at": due_at},
        ),
        (
            "ActionSkipped",
            {"key": "reminder:due_today@2026-10-13", "actor": SYSTEM, "at": due_at},
        ),
        (
            "Overdue",
            {"due_date": date(2026, 10, 13), "unit": "water", "actor": SYSTEM, "at": due_at},
        ),
    ]
    assert clock.act(due_at + timedelta(hours=1), CALENDAR, LIMITS) == []
    assert recorded(clock) == []


def test_the_ladder_goes_to_the_issuing_leader_then_to_the_office_each_step_once():
    clock = started(issued_by="县长")
    clock.sign(AT)
    clock.act(end_of(date(2026, 10, 13)), CALENDAR, LIMITS)
    recorded(clock)
    first = end_of(date(2026, 10, 16))
    assert clock.act(first, CALENDAR, LIMITS) == ["escalation:escalate_to_leader"]
    last = end_of(date(2026, 11, 10))
    assert clock.act(last, CALENDAR, LIMITS) == [
        "escalation:circulate_criticism",
        "escalation:work_interview",
    ]
    assert clock.act(last + timedelta(days=30), CALENDAR, LIMITS) == []
    step = {"due_date": date(2026, 10, 13), "unit": "water", "actor": SYSTEM}
    assert recorded(clock) == [
        (
            "Escalated",
            {
                **step,
                "level": 1,
                "action": "escalate_to_leader",
                "overdue_working_days": 3,
                "recipient": "县长",
                "at": first,
            },
        ),
        (
            "Escalated",
            {
                **step,
                "level": 2,
                "action": "circulate_criticism",
                "overdue_working_days": 10,
                "recipient": "office",
                "at": last,
            },
        ),
        (
            "Escalated",
            {
                **step,
                "level": 3,
                "action": "work_interview",
                "overdue_working_days": 20,
                "recipient": "office",
                "at": last,
            },
        ),
    ]


def checks(clock: Clock) -> list[tuple[datetime, str]]:
    """The work report's monthly and quarterly checks in its schedule."""
    return [
        (a.at, a.kind)
        for a in clock.schedule(CALENDAR, LIMITS)
        if a.kind.startswith(("reminder:indicator", "reminder:progress"))
    ]


def test_an_indicator_is_checked_from_the_month_it_was_assigned_after_the_10th_of_the_next():
    clock = started("work_report", details={"year": 2026, "kind": "indicator"})
    assert checks(clock) == [
        (end_of(date(2026, 10, 10)), "reminder:indicator:2026-09"),
        (end_of(date(2026, 11, 10)), "reminder:indicator:2026-10"),
        (end_of(date(2026, 12, 10)), "reminder:indicator:2026-11"),
        (end_of(date(2027, 1, 10)), "reminder:indicator:2026-12"),
    ]


def test_next_year_s_report_assigned_in_december_is_checked_for_each_of_its_months():
    clock = opened("work_report", details={"year": 2027, "kind": "indicator"})
    clock.start(None, date(2026, 12, 21), "water", CALENDAR, LIMITS, AT)
    months = checks(clock)
    assert [kind for _, kind in months] == [
        f"reminder:indicator:2027-{m:02d}" for m in range(1, 13)
    ]
    assert (months[0][0], months[-1][0]) == (end_of(date(2027, 2, 10)), end_of(date(2028, 1, 10)))


def test_a_task_is_checked_on_each_quarter_s_last_working_day_from_the_day_it_was_assigned():
    on_the_day = opened("work_report", details={"year": 2026, "kind": "task"})
    on_the_day.start(None, date(2026, 9, 30), "water", CALENDAR, LIMITS, AT)
    assert checks(on_the_day) == [
        (start_of(date(2026, 9, 30)), "reminder:progress:2026-Q3"),
        (start_of(date(2026, 12, 31)), "reminder:progress:2026-Q4"),
    ]
    next_year = opened("work_report", details={"year": 2027, "kind": "task"})
    next_year.start(None, date(2026, 12, 21), "water", CALENDAR, LIMITS, AT)
    assert checks(next_year) == [
        (start_of(date(2027, 3, 31)), "reminder:progress:2027-Q1"),
        (start_of(date(2027, 6, 30)), "reminder:progress:2027-Q2"),
        (start_of(date(2027, 9, 30)), "reminder:progress:2027-Q3"),
        (start_of(date(2027, 12, 31)), "reminder:progress:2027-Q4"),
    ]


def test_a_task_of_the_assignment_s_own_year_without_its_year_counts_that_year():
    clock = opened("work_report", details={"kind": "task"})
    clock.start(None, date(2026, 9, 30), "water", CALENDAR, LIMITS, AT)
    assert [kind for _, kind in checks(clock)] == [
        "reminder:progress:2026-Q3",
        "reminder:progress:2026-Q4",
    ]
