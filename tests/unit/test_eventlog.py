"""A service's log read as envelopes: private events stay home, and each published event
names the stream's previous published one, however the log is read."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from services.deadline.calendar import WorkingCalendar
from services.deadline.domain import Clock
from services.deadline.policy import TimeLimits
from services.kernel import eventlog
from services.kernel.eventlog import EventLog
from services.kernel.store import LedgerApplication, memory_env

AT = datetime(2026, 9, 28, 2, tzinfo=UTC)
OFFICE = {"user": "supervisor", "role": "supervisor", "unit": None}


def a_clock_log() -> tuple[LedgerApplication, Clock]:
    """v1 ClockOpened, v2 HandedTo, v3 DeadlineSet, v4 ClockStopped, v5 DeadlineSet: only the
    deadlines are shared."""
    app = LedgerApplication(memory_env())
    clock = Clock(
        id=uuid4(),
        source="instruction",
        complexity=None,
        requested_due_date=None,
        issued_by=None,
        actor=OFFICE,
        at=AT,
    )
    calendar, limits = WorkingCalendar(), TimeLimits.defaults()
    clock.start(None, date(2026, 9, 28), "water", calendar, limits, AT)
    clock.stop("feedback submitted", AT)
    clock.start(None, date(2026, 10, 9), None, calendar, limits, AT)
    app.save(clock)
    return app, clock


def test_only_contract_events_travel_each_naming_the_last_one_before_it():
    app, _ = a_clock_log()
    envelopes, last = EventLog(app.recorder, "deadline").read(1, 100)
    assert last == 5
    assert [(e.type, e.stream_version, e.previous_version) for e in envelopes] == [
        ("DeadlineSet", 3, 0),
        ("DeadlineSet", 5, 3),
    ]


def test_a_log_read_from_the_middle_asks_the_store_for_the_previous_published_event():
    app, _ = a_clock_log()
    envelopes, _ = EventLog(app.recorder, "deadline").read(4, 100)
    assert [(e.stream_version, e.previous_version) for e in envelopes] == [(5, 3)]


def test_reading_a_batch_again_after_a_failed_publish_gives_the_same_envelopes():
    app, _ = a_clock_log()
    log = EventLog(app.recorder, "deadline")
    first, _ = log.read(1, 100)
    again, _ = log.read(1, 100)
    assert [e.model_dump() for e in again] == [e.model_dump() for e in first]


def test_an_event_that_no_longer_fits_its_contract_is_set_aside_and_the_rest_travel(
    monkeypatch: pytest.MonkeyPatch,
):
    """Its stream's next event still names it as predecessor: consumers wait for it."""
    app, clock = a_clock_log()
    fitting = eventlog.envelope_from_state

    def v3_lost_its_fields(origin, position, stream, version, type_name, state, previous):
        state = {} if version == 3 else state
        return fitting(origin, position, stream, version, type_name, state, previous)

    monkeypatch.setattr(eventlog, "envelope_from_state", v3_lost_its_fields)
    log = EventLog(app.recorder, "deadline")
    envelopes, last = log.read(1, 100)
    assert last == 5
    assert [(e.type, e.stream_version, e.previous_version) for e in envelopes] == [
        ("DeadlineSet", 5, 3)
    ]
    assert [(u.position, u.stream, u.version, u.type) for u in log.unpublishable] == [
        (3, clock.id, 3, "DeadlineSet")
    ]
    assert "Field required" in log.unpublishable[0].error
    log.read(6, 100)
    assert log.unpublishable == []
