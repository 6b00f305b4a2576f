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
    """Something the clock must do at `at`: "reminder:<kind>[:<period>]", "overdue" or
    "escalation:<level>"."""

    at: datetime
    kind: str


# When a month's indicator figure is missing: flagged after this day of the next month.
INDICATOR_DAY = 10
OFFICE = None  # a reminder to the office names no unit


class Clock(Aggregate):
    """One item's clock: the office's time to assign it (派单), then the lead unit's period
    (from assignment), its reminders, the overdue mark and the escalation ladder."""

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
        details: dict[str, Any] | None = None,
    ) -> None:
        self.source = source
        self.complexity = complexity
        self.requested_due_date = requested_due_date
        self.issued_by = issued_by
        self.details = details or {}
        self.received_on = business_date(at)
        self.dispatch_due: date | None = None
        self.assigned = False
        self.signed = False
        self.lead_unit: str | None = None
        self.running = False
        self.due_date: date | None = None
        self.due_at: datetime | None = None
        self.original_due_date: date | None = None
        self.period: str | None = None
        self.period_start: date | None = None
        self.assigned_on: date | None = None
        self.done: list[str] = []
        self.reported: list[str] = []  # months with a figure, quarters with progress

    # --- commands ---

    def open(self, calendar: WorkingCalendar, limits: TimeLimits, at: datetime) -> None:
        """Sets the office's own time to assign the item, from its receipt."""
        days = limits.dispatch_working_days[self.source]
        self._dispatch_deadline_set(
            due_date=calendar.add_working_days(self.received_on, days),
            working_days=days,
            actor=SYSTEM,
            at=at,
        )

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
        """(Re)start on assignment, return for rework or reopening: the unit's period counts
        from the day the item reaches it, never from when the office received it."""
        if lead_unit:
            self._handed_to(unit=lead_unit, assigned_on=start, actor=actor, at=at)
        due = due_date_for(self.source, self.complexity, named_date, start, calendar, limits)
        self._set(due, start, calendar, False, at, actor)

    def hand_over(
        self,
        named_date: date | None,
        start: date,
        lead_unit: str,
        calendar: WorkingCalendar,
        limits: TimeLimits,
        at: datetime,
        actor: dict[str, Any] = SYSTEM,
    ) -> None:
        """改派: the new lead unit starts clean, with a period of its own from the day it gets
        the item; what the previous unit ran late stays in the record under its name."""
        self._handed_to(unit=lead_unit, assigned_on=start, actor=actor, at=at, fresh=True)
        due = due_date_for(self.source, self.complexity, named_date, start, calendar, limits)
        self._set(due, start, calendar, False, at, actor)

    def sign(self, at: datetime, actor: dict[str, Any] = SYSTEM) -> None:
        if not self.signed:
            self._signed(actor=actor, at=at)

    def note_reported(self, period: str, at: datetime, actor: dict[str, Any] = SYSTEM) -> None:
        """A month's indicator figure or a quarter's progress has come in."""
        if period not in self.reported:
            self._reported(period=period, actor=actor, at=at)

    def extend(
        self,
        new_date: date,
        granted_on: date,
        calendar: WorkingCalendar,
        at: datetime,
        actor: dict[str, Any] = SYSTEM,
    ) -> None:
        due = DueDate(new_date, "批准延期", "named")
        self._set(due, granted_on, calendar, True, at, actor)

    def recount(self, calendar: WorkingCalendar, at: datetime) -> bool:
        """Counts the current period again on a new calendar; returns whether it moved."""
        if not self.running or self.period in (None, "named") or self.period_start is None:
            return False
        due = count_period(self.period, self.period_start, calendar)
        if due.due_date == self.due_date:
            return False
        due = DueDate(due.due_date, f"{due.basis}（按载入的节假日安排重新计算）", due.period)
        self._set(due, self.period_start, calendar, False, at, SYSTEM)
        return True

    def stop(self, reason: str, at: datetime, actor: dict[str, Any] = SYSTEM) -> None:
        if self.running or (self.dispatch_due is not None and not self.assigned):
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
        basis = due.basis if official else f"{due.basis}（该年尚无国务院节假日安排，仅按周末计算）"
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
        """Every action the clock has now, in time order (done or not)."""
        if not self.assigned:
            if self.dispatch_due is None:
                return []
            return [Action(end_of_business_day(self.dispatch_due), "reminder:dispatch")]
        if self.due_date is None or self.due_at is None or self.period_start is None:
            return []
        actions = []
        if not self.signed and self.assigned_on is not None:
            sign_by = calendar.add_working_days(self.assigned_on, 1)
            actions.append(Action(end_of_business_day(sign_by), "reminder:unsigned"))
        before = calendar.working_days_before(self.due_date, limits.reminder_working_days_before)
        if before > self.period_start:
            actions.append(Action(start_of_business_day(before), "reminder:before"))
        actions.append(Action(start_of_business_day(self.due_date), "reminder:due_today"))
        actions.append(Action(self.due_at, "overdue"))
        for level, step in enumerate(limits.escalation, start=1):
            day = calendar.add_working_days(self.due_date, step.after_working_days)
            actions.append(Action(end_of_business_day(day), f"escalation:{level}"))
        actions += self._work_report_checks(calendar)
        return sorted(actions, key=lambda a: a.at)

    def _work_report_checks(self, calendar: WorkingCalendar) -> list[Action]:
        """月调度 and 季督查: an indicator's figure for each month of its year, checked after the
        10th of the next month; a task's progress for each quarter, checked on the quarter's
        last working day. Only months and quarters after the item reached its unit."""
        if self.source != "work_report" or self.assigned_on is None:
            return []
        year = int(self.details.get("year") or self.assigned_on.year)
        checks = []
        if self.details.get("kind") == "indicator":
            for month in range(1, 13):
                due = date(year + month // 12, month % 12 + 1, INDICATOR_DAY)
                if date(year, month, 1) >= self.assigned_on.replace(day=1):
                    period = f"{year}-{month:02d}"
                    checks.append(Action(end_of_business_day(due), f"reminder:indicator:{period}"))
        else:
            for quarter in range(1, 5):
                last = calendar.last_working_day_of_quarter(year, quarter)
                if last >= self.assigned_on:
                    period = f"{year}-Q{quarter}"
                    checks.append(
                        Action(start_of_business_day(last), f"reminder:progress:{period}")
                    )
        return [a for a in checks if a.kind.rsplit(":", 1)[1] not in self.reported]

    def pending(self, calendar: WorkingCalendar, limits: TimeLimits) -> list[Action]:
        if self.assigned and not self.running:
            return []
        return [a for a in self.schedule(calendar, limits) if self._key(a) not in self.done]

    def next_action_at(self, calendar: WorkingCalendar, limits: TimeLimits) -> datetime | None:
        pending = self.pending(calendar, limits)
        return pending[0].at if pending else None

    def act(self, now: datetime, calendar: WorkingCalendar, limits: TimeLimits) -> list[str]:
        """Issues every action due by `now`, once each; returns what it issued
        ("reminder:<kind>", "overdue", "escalation:<action>").

        A reminder of the coming due date whose moment has passed together with the due date
        itself is not sent late: the overdue mark says more.
        """
        issued: list[str] = []
        for action in self.pending(calendar, limits):
            if action.at > now:
                break
            kind, _, detail = action.kind.partition(":")
            if kind == "reminder":
                reminder, _, period = detail.partition(":")
                late = self.due_at is not None and now >= self.due_at
                if reminder in ("before", "due_today") and late:
                    self._action_skipped(key=self._key(action), actor=SYSTEM, at=now)
                    continue
                self._reminder_issued(
                    kind=reminder,
                    due_date=self.dispatch_due if reminder == "dispatch" else self.due_date,
                    unit=OFFICE if reminder == "dispatch" else self.lead_unit,
                    period=period or None,
                    actor=SYSTEM,
                    at=now,
                )
                issued.append(f"reminder:{reminder}")
            elif kind == "overdue":
                self._overdue(due_date=self.due_date, unit=self.lead_unit, actor=SYSTEM, at=now)
                issued.append("overdue")
            else:
                level = int(detail)
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
        if action.kind == "reminder:dispatch":
            return f"{action.kind}@{self.dispatch_due}"
        if action.kind.count(":") == 2:  # a month's or a quarter's check
            return action.kind
        return f"{action.kind}@{self.due_date}"

    # --- events ---

    @event("DispatchDeadlineSet")
    def _dispatch_deadline_set(
        self, due_date: date, working_days: int, actor: dict[str, Any], at: datetime
    ) -> None:
        self.dispatch_due = due_date

    @event("HandedTo")
    def _handed_to(
        self,
        unit: str,
        assigned_on: date,
        actor: dict[str, Any],
        at: datetime,
        fresh: bool = False,
    ) -> None:
        self.assigned = True
        self.lead_unit = unit
        self.assigned_on = assigned_on
        self.signed = False
        if fresh:  # another unit: its own original due date and its own ladder
            self.original_due_date = None

    @event("Signed")
    def _signed(self, actor: dict[str, Any], at: datetime) -> None:
        self.signed = True

    @event("Reported")
    def _reported(self, period: str, actor: dict[str, Any], at: datetime) -> None:
        self.reported = [*self.reported, period]

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
        self.assigned = True  # (clocks set before assignment was its own event)

    @event("ClockStopped")
    def _clock_stopped(self, reason: str, actor: dict[str, Any], at: datetime) -> None:
        self.running = False
        if not self.assigned:
            self.dispatch_due = None  # withdrawn before it was assigned: nothing to dispatch

    @event("ReminderIssued")
    def _reminder_issued(
        self,
        kind: str,
        due_date: date | None,
        unit: str | None,
        actor: dict[str, Any],
        at: datetime,
        period: str | None = None,
    ) -> None:
        # a month's or a quarter's check is once for good; the others once per due date
        key = f"reminder:{kind}:{period}" if period else f"reminder:{kind}@{due_date}"
        self.done = [*self.done, key]

    @event("ActionSkipped")
    def _action_skipped(self, key: str, actor: dict[str, Any], at: datetime) -> None:
        self.done = [*self.done, key]

    @event("Overdue")
    def _overdue(
        self, due_date: date, actor: dict[str, Any], at: datetime, unit: str | None = None
    ) -> None:
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
