"""The deadline application on the in-memory store: item events open, start and stop an
item's clock, and the scan issues what falls due exactly once."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.deadline.adapters import MemoryDueIndex
from services.deadline.application import Deadline
from services.kernel.contracts import Envelope
from services.kernel.errors import Refused
from services.kernel.store import memory_env

OFFICE = {"user": "supervisor", "role": "supervisor", "unit": None}


class Clock:
    def __init__(self) -> None:
        self.instant = datetime(2026, 9, 28, 2, tzinfo=UTC)

    def now(self) -> datetime:
        return self.instant


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(clock: Clock) -> Deadline:
    return Deadline(clock, memory_env(), due_index=MemoryDueIndex())  # type: ignore[arg-type]


class Stream:
    """One item's events as the assignment service publishes them."""

    def __init__(self, app: Deadline) -> None:
        self.app, self.item_id, self.version = app, uuid4(), 0

    def send(self, type_name: str, **data: Any) -> str:
        self.version += 1
        envelope = Envelope(
            event_id=uuid4(),
            type=type_name,
            schema_version=1,
            origin="assignment",
            position=self.version,
            item_id=self.item_id,
            stream_version=self.version,
            occurred_at=datetime(2026, 9, 28, 2, tzinfo=UTC),
            actor=OFFICE,
            data=data,
        )
        reaction = self.app.react(envelope)
        self.app.save(*reaction.aggregates, projection=reaction.projection)
        return type_name


def last_event(app: Deadline, item_id: UUID) -> Any:
    (stored,) = app.recorder.select_events(item_id, desc=True, limit=1)
    return app.mapper.to_domain_event(stored)


def clock_events(app: Deadline, item_id: UUID) -> list[str]:
    return [r.topic.rsplit(".", 1)[-1] for r in app.ledger.chain_rows(item_id)]


def assigned(app: Deadline, source: str = "instruction") -> Stream:
    """An item received and assigned on Monday 2026-09-28 (not yet signed for)."""
    stream = Stream(app)
    stream.send("ItemReceived", source=source, title="t", content="c")
    stream.send(
        "Assigned", lead_unit="water", co_units=[], assigned_on="2026-09-28", return_by=None
    )
    return stream


def test_an_assignment_sets_the_due_date_by_the_official_calendar(app):
    stream = assigned(app)
    clock = app.repository.get(stream.item_id)
    assert clock.due_date == date(2026, 10, 13)  # 7 working days across National Day
    assert clock_events(app, stream.item_id) == [
        "ClockOpened",
        "DispatchDeadlineSet",
        "HandedTo",
        "DeadlineSet",
    ]


def test_the_office_has_its_own_time_to_assign_and_is_reminded_not_the_unit(app, clock):
    stream = Stream(app)
    stream.send("ItemReceived", source="hotline", title="t", content="c")
    assert app.repository.get(stream.item_id).dispatch_due == date(2026, 9, 29)  # 1 day
    clock.instant = datetime(2026, 9, 29, 16, 0, 1, tzinfo=UTC)  # after 24:00 on 9/29
    assert app.scan() == [("hotline", "reminder:dispatch")]
    assert app.scan() == []
    reminder = last_event(app, stream.item_id)
    assert (reminder.kind, reminder.unit, reminder.due_date) == (
        "dispatch",
        None,  # the office
        date(2026, 9, 29),
    )


def test_the_unit_s_period_starts_when_the_item_reaches_it_not_at_receipt(app, clock):
    stream = Stream(app)
    stream.send("ItemReceived", source="hotline", title="t", content="c", complexity="simple")
    stream.send("Assigned", lead_unit="water", co_units=[], assigned_on="2026-10-12")
    # received 9/28, assigned 10/12: 3 working days from 10/12 (not from receipt)
    assert app.repository.get(stream.item_id).due_date == date(2026, 10, 15)


def test_the_scan_marks_an_unanswered_item_overdue_once(app, clock):
    stream = assigned(app)
    stream.send("Acknowledged", unit="water")
    clock.instant = datetime(2026, 10, 13, 16, 0, 1, tzinfo=UTC)  # just after 24:00 Shanghai
    assert app.scan() == [("instruction", "overdue")]
    assert app.scan() == []
    assert clock_events(app, stream.item_id).count("Overdue") == 1


def test_an_item_not_signed_a_working_day_after_assignment_is_reminded_once(app, clock):
    assigned(app)  # assigned Monday 9/28
    clock.instant = datetime(2026, 9, 29, 15, tzinfo=UTC)  # 23:00 on Tuesday: not yet
    assert app.scan() == []
    clock.instant = datetime(2026, 9, 29, 16, 0, 1, tzinfo=UTC)
    assert app.scan() == [("instruction", "reminder:unsigned")]
    assert app.scan() == []
    signed = assigned(app)
    signed.send("Acknowledged", unit="water")
    assert app.scan() == []


def test_an_answer_stops_the_clock_and_nothing_falls_due_after_it(app, clock):
    stream = assigned(app)
    stream.send("Acknowledged", unit="water")
    stream.send("FeedbackSubmitted", unit="water", content="已办结")
    clock.instant = datetime(2026, 11, 30, 2, tzinfo=UTC)
    assert app.scan() == []
    assert clock_events(app, stream.item_id)[-2:] == ["Signed", "ClockStopped"]


def test_events_that_leave_the_clock_alone_record_nothing(app):
    stream = assigned(app)
    stream.send("Acknowledged", unit="water")
    before = clock_events(app, stream.item_id)
    stream.send("ProgressReported", unit="water", content="进展")  # no quarter named
    stream.send("CoUnitOpinionSubmitted", unit="xihe", content="意见")
    assert clock_events(app, stream.item_id) == before


def test_a_new_lead_unit_gets_a_period_and_a_ladder_of_its_own(app, clock):
    stream = assigned(app)
    stream.send("Acknowledged", unit="water")
    clock.instant = datetime(2026, 10, 13, 16, 0, 1, tzinfo=UTC)
    assert app.scan() == [("instruction", "overdue")]
    stream.send(
        "Reassigned",
        lead_unit="health",
        co_units=[],
        assigned_on="2026-10-14",
        notice_number="督转〔2026〕2号",
        return_by="2026-10-19",
        previous_lead_unit="water",
    )
    moved = app.repository.get(stream.item_id)
    assert (moved.lead_unit, moved.due_date, moved.original_due_date) == (
        "health",
        date(2026, 10, 23),
        date(2026, 10, 23),
    )
    assert moved.signed is False


def test_a_work_report_indicator_is_reminded_for_each_month_without_its_figure(app, clock):
    stream = Stream(app)
    details = {"year": 2026, "kind": "indicator", "number": "3", "target": 8.5}
    stream.send("ItemReceived", source="work_report", title="t", content="c", details=details)
    stream.send("Assigned", lead_unit="statistics", co_units=[], assigned_on="2026-09-28")
    stream.send("Acknowledged", unit="statistics")
    stream.send("IndicatorReported", month="2026-09", value=7.1, target=8.5, gap=1.4)
    clock.instant = datetime(2026, 11, 10, 16, 0, 1, tzinfo=UTC)  # after 24:00 on 11/10
    # September came in; October's did not by the 10th of November
    assert app.scan() == [("work_report", "reminder:indicator")]
    (reminder,) = [e for e in app.repository.get(stream.item_id).pending_events] or [None]
    assert reminder is None
    assert app.scan() == []


def test_a_work_report_task_is_reminded_at_each_quarter_s_end_without_its_progress(app, clock):
    stream = Stream(app)
    details = {"year": 2026, "kind": "task", "number": "7"}
    stream.send("ItemReceived", source="work_report", title="t", content="c", details=details)
    stream.send("Assigned", lead_unit="water", co_units=[], assigned_on="2026-05-06")
    stream.send("Acknowledged", unit="water")
    stream.send("ProgressReported", unit="water", content="二季度进展", period="2026-Q2")
    clock.instant = datetime(2026, 9, 30, 2, tzinfo=UTC)  # the last working day of Q3
    assert app.scan() == [("work_report", "reminder:progress")]
    assert app.scan() == []
    assert (last_event(app, stream.item_id).kind, last_event(app, stream.item_id).period) == (
        "progress",
        "2026-Q3",
    )


def test_a_date_on_a_rest_day_is_refused_and_a_finding_needs_its_notice_date(app):
    with pytest.raises(Refused) as refused:
        app.check_due_date("instruction", date(2026, 10, 3), explicit=True)
    assert refused.value.code == "not_a_working_day"
    with pytest.raises(Refused) as refused:
        app.check_due_date("finding", None, explicit=False)
    assert refused.value.code == "due_date_required"


def test_loading_a_year_recounts_the_open_deadlines_it_moves(app):
    stream = Stream(app)
    stream.send("ItemReceived", source="instruction", title="t", content="c")
    stream.send("Assigned", lead_unit="water", co_units=[], assigned_on="2027-01-04")
    assert app.repository.get(stream.item_id).due_date == date(2027, 1, 13)
    rest = [f"2027-01-{d:02d}" for d in range(11, 16)]  # an imagined week of rest
    result = app.load_schedule(
        {"year": 2027, "rest_days": rest, "working_weekends": []}, "国务院通知", OFFICE
    )
    assert result["recounted"] == [str(stream.item_id)]
    assert app.repository.get(stream.item_id).due_date == date(2027, 1, 20)


def test_due_within_n_working_days_runs_from_today_across_the_holiday(app, clock):
    # Monday 9/28: three working days on are 9/29, 9/30 and, after National Day, 10/8
    assert app.due_window(3) == (date(2026, 9, 28), date(2026, 10, 8))
    clock.instant = datetime(2026, 10, 3, 2, tzinfo=UTC)  # a holiday
    assert app.due_window(1) == (date(2026, 10, 3), date(2026, 10, 8))
