"""One clock per item: its due date, whether it runs, and when it went overdue."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.deadline.calendar import WorkingCalendar, end_of_business_day
from services.deadline.policy import due_date_for

SYSTEM = {"user": "system:deadline", "role": "system", "unit": None}


class Clock(Aggregate):
    @event("ClockOpened")
    def __init__(
        self,
        id: UUID,
        source: str,
        complexity: str | None,
        requested_due_date: date | None,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        self.source = source
        self.complexity = complexity
        self.requested_due_date = requested_due_date
        self.running = False
        self.due_date: date | None = None
        self.due_at: datetime | None = None
        self.overdue_dates: list[date] = []

    def start(
        self, named_date: date | None, start: date, calendar: WorkingCalendar, at: datetime
    ) -> None:
        """(Re)start the clock on assignment or return for rework."""
        due = due_date_for(
            self.source, self.complexity, named_date or self.requested_due_date, start, calendar
        )
        official = not calendar.years_without_official_schedule(start, due.due_date)
        basis = due.basis if official else f"{due.basis}; counted without the official schedule"
        self._deadline_set(
            due_date=due.due_date,
            due_at=end_of_business_day(due.due_date),
            basis=basis,
            official_calendar=official,
            actor=SYSTEM,
            at=at,
        )

    def stop(self, reason: str, at: datetime) -> None:
        if self.running:
            self._clock_stopped(reason=reason, actor=SYSTEM, at=at)

    def check_overdue(self, now: datetime) -> bool:
        """Marks the clock overdue once per due date; returns whether it did."""
        if (
            not self.running
            or self.due_at is None
            or now < self.due_at
            or self.due_date in self.overdue_dates
        ):
            return False
        self._overdue(due_date=self.due_date, actor=SYSTEM, at=now)
        return True

    @property
    def watching(self) -> bool:
        """Whether the scan still has to look at this clock."""
        return self.running and self.due_date not in self.overdue_dates

    @event("DeadlineSet")
    def _deadline_set(
        self,
        due_date: date,
        due_at: datetime,
        basis: str,
        official_calendar: bool,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        self.due_date = due_date
        self.due_at = due_at
        self.running = True

    @event("ClockStopped")
    def _clock_stopped(self, reason: str, actor: dict[str, Any], at: datetime) -> None:
        self.running = False

    @event("Overdue")
    def _overdue(self, due_date: date, actor: dict[str, Any], at: datetime) -> None:
        self.overdue_dates = [*self.overdue_dates, due_date]
