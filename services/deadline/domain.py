"""Deadline's aggregates: one clock per item, the time-limit policy, the loaded schedules.

A clock knows its due date and how it was counted, and decides which reminders, overdue
marks and escalations are due at a given time, each at most once per due date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.deadline.calendar import (
    WorkingCalendar,
    YearSchedule,
    end_of_business_day,
    start_of_business_day,
)
from services.deadline.policy import (
    RECEIPT_SOURCES,
    DueDate,
    TimeLimits,
    count_period,
    due_date_for,
)
from services.kernel.dates import business_date

SYSTEM = {"user": "system:deadline", "role": "system", "unit": None}
SINGLETONS = UUID("5b0f7c0e-2f7e-4c57-8f0e-3d2a1b4c5d6e")


@dataclass(frozen=True)
class Action:
    """Something the clock must do at `at` about its current due date."""

    at: datetime
    kind: str  # "reminder:before", "reminder:due_today", "overdue", "escalation:<n>"


class Clock(Aggregate):
    @event("ClockOpened")
    def __init__(
        self,
        id: UUID,
        source: str,
        complexity: str | None,
        requested_due_date: date | None,
        issued_by: str | None,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        self.source = source
        self.complexity = complexity
        self.requested_due_date = requested_due_date
        self.issued_by = issued_by
        self.received_on = business_date(at)
        self.lead_unit: str | None = None
        self.running = False
        self.due_date: date | None = None
        self.due_at: datetime | None = None
        self.original_due_date: date | None = None
        self.period: str | None = None
        self.period_start: date | None = None
        self.done: list[str] = []

    # --- commands ---

    def start(
        self,
        named_date: date | None,
        start: date,
        lead_unit: str | None,
        calendar: WorkingCalendar,
        limits: TimeLimits,
        at: datetime,
        actor: dict[str, Any] = SYSTEM,
    ) -> None:
        """(Re)start on assignment, reassignment, return for rework or reopening."""
        if lead_unit:
            self.lead_unit = lead_unit
        if self.source in RECEIPT_SOURCES and self.original_due_date is None:
            start = min(start, self.received_on)  # 接诉即办: counted from receipt
        due = due_date_for(self.source, self.complexity, named_date, start, calendar, limits)
        self._set(due, start, calendar, False, at, actor)

    def extend(
        self,
        new_date: date,
        granted_on: date,
        calendar: WorkingCalendar,
        at: datetime,
        actor: dict[str, Any] = SYSTEM,
    ) -> None:
        due = DueDate(new_date, "extension granted", "named")
        self._set(due, granted_on, calendar, True, at, actor)

    def recount(self, calendar: WorkingCalendar, at: datetime) -> bool:
        """Counts the current period again on a new calendar; returns whether it moved."""
        if not self.running or self.period in (None, "named") or self.period_start is None:
            return False
        due = count_period(self.period, self.period_start, calendar)
        if due.due_date == self.due_date:
            return False
        due = DueDate(due.due_date, f"{due.basis}; recounted on the loaded schedule", due.period)
        self._set(due, self.period_start, calendar, False, at, SYSTEM)
        return True

    def stop(self, reason: str, at: datetime, actor: dict[str, Any] = SYSTEM) -> None:
        if self.running:
            self._clock_stopped(reason=reason, actor=actor, at=at)

    def _set(
        self,
        due: DueDate,
        start: date,
        calendar: WorkingCalendar,
        extension: bool,
        at: datetime,
        actor: dict[str, Any],
    ) -> None:
        official = not calendar.years_without_official_schedule(
            min(start, due.due_date), due.due_date
        )
        basis = due.basis if official else f"{due.basis}; counted without the official schedule"
        span = calendar.working_days_between(start, due.due_date)
        co_unit_due = (
            calendar.add_working_days(start, (span + 1) // 2) if span > 1 else due.due_date
        )
        self._deadline_set(
            due_date=due.due_date,
            due_at=end_of_business_day(due.due_date),
            basis=basis,
            official_calendar=official,
            original_due_date=self.original_due_date or due.due_date,
            extension=extension,
            period=due.period,
            period_start=start,
            co_unit_due_date=co_unit_due,
            actor=actor,
            at=at,
        )

    # --- what falls due ---

    def schedule(self, calendar: WorkingCalendar, limits: TimeLimits) -> list[Action]:
        """Every action of the current due date, in time order (done or not)."""
        if self.due_date is None or self.due_at is None:
            return []
        actions = []
        if self.period_start is not None:
            before = calendar.working_days_before(
                self.due_date, limits.reminder_working_days_before
            )
            if before > self.period_start:
                actions.append(Action(start_of_business_day(before), "reminder:before"))
        actions.append(Action(start_of_business_day(self.due_date), "reminder:due_today"))
        actions.append(Action(self.due_at, "overdue"))
        for level, step in enumerate(limits.escalation, start=1):
            day = calendar.add_working_days(self.due_date, step.after_working_days)
            actions.append(Action(end_of_business_day(day), f"escalation:{level}"))
        return actions

    def pending(self, calendar: WorkingCalendar, limits: TimeLimits) -> list[Action]:
        if not self.running:
            return []
        return [a for a in self.schedule(calendar, limits) if self._key(a) not in self.done]

    def next_action_at(self, calendar: WorkingCalendar, limits: TimeLimits) -> datetime | None:
        pending = self.pending(calendar, limits)
        return pending[0].at if pending else None

    def act(self, now: datetime, calendar: WorkingCalendar, limits: TimeLimits) -> list[str]:
        """Issues every action due by `now`, once each; returns what it issued
        ("reminder:<kind>", "overdue", "escalation:<action>").

        A reminder whose moment has passed together with the due date itself is not sent
        late: the overdue mark says more.
        """
        issued: list[str] = []
        for action in self.pending(calendar, limits):
            if action.at > now:
                break
            assert self.due_date is not None and self.due_at is not None
            if action.kind.startswith("reminder:"):
                if now < self.due_at:
                    self._reminder_issued(
                        kind=action.kind.split(":")[1],
                        due_date=self.due_date,
                        unit=self.lead_unit,
                        actor=SYSTEM,
                        at=now,
                    )
                    issued.append(action.kind)
                else:
                    self._action_skipped(key=self._key(action), actor=SYSTEM, at=now)
            elif action.kind == "overdue":
                self._overdue(due_date=self.due_date, actor=SYSTEM, at=now)
                issued.append("overdue")
            else:
                level = int(action.kind.split(":")[1])
                step = limits.escalation[level - 1]
                self._escalated(
                    level=level,
                    action=step.action,
                    due_date=self.due_date,
                    overdue_working_days=step.after_working_days,
                    recipient=self.issued_by if step.action == "escalate_to_leader" else "office",
                    unit=self.lead_unit,
                    actor=SYSTEM,
                    at=now,
                )
                issued.append(f"escalation:{step.action}")
        return issued

    def _key(self, action: Action) -> str:
        return f"{action.kind}@{self.due_date}"

    # --- events ---

    @event("DeadlineSet")
    def _deadline_set(
        self,
        due_date: date,
        due_at: datetime,
        basis: str,
        official_calendar: bool,
        original_due_date: date,
        extension: bool,
        period: str,
        period_start: date,
        actor: dict[str, Any],
        at: datetime,
        co_unit_due_date: date | None = None,
    ) -> None:
        self.due_date = due_date
        self.due_at = due_at
        self.original_due_date = original_due_date
        self.period = period
        self.period_start = period_start
        self.running = True

    @event("ClockStopped")
    def _clock_stopped(self, reason: str, actor: dict[str, Any], at: datetime) -> None:
        self.running = False

    @event("ReminderIssued")
    def _reminder_issued(
        self, kind: str, due_date: date, unit: str | None, actor: dict[str, Any], at: datetime
    ) -> None:
        self.done = [*self.done, f"reminder:{kind}@{due_date}"]

    @event("ActionSkipped")
    def _action_skipped(self, key: str, actor: dict[str, Any], at: datetime) -> None:
        self.done = [*self.done, key]

    @event("Overdue")
    def _overdue(self, due_date: date, actor: dict[str, Any], at: datetime) -> None:
        self.done = [*self.done, f"overdue@{due_date}"]

    @event("Escalated")
    def _escalated(
        self,
        level: int,
        action: str,
        due_date: date,
        overdue_working_days: int,
        recipient: str | None,
        unit: str | None,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        self.done = [*self.done, f"escalation:{level}@{due_date}"]


class TimeLimitPolicy(Aggregate):
    """The office's time limits; each change records who made it and why."""

    ID = uuid5(SINGLETONS, "time-limits")

    @event("PolicyCreated")
    def __init__(self, id: UUID, limits: dict[str, Any], actor: dict, at: datetime) -> None:
        self.limits = limits
        self.changes: list[dict[str, Any]] = []

    @event("PolicyChanged")
    def change(self, limits: dict[str, Any], reason: str, actor: dict, at: datetime) -> None:
        self.limits = limits
        self.changes = [*self.changes, {"reason": reason, "actor": actor, "at": at.isoformat()}]


class CalendarSchedules(Aggregate):
    """Official arrangements loaded by an administrator for years the package does not know."""

    ID = uuid5(SINGLETONS, "calendar-schedules")

    @event("SchedulesCreated")
    def __init__(self, id: UUID, actor: dict, at: datetime) -> None:
        self.years: dict[str, dict[str, Any]] = {}

    @event("ScheduleLoaded")
    def load(self, schedule: dict[str, Any], reason: str, actor: dict, at: datetime) -> None:
        self.years = {**self.years, str(schedule["year"]): schedule}

    def calendar(self) -> WorkingCalendar:
        return WorkingCalendar(YearSchedule.from_dict(s) for s in self.years.values())
