"""Deadline's commands, its reactions to item events, and the scan for what falls due."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from services.deadline.calendar import WorkingCalendar, YearSchedule
from services.deadline.domain import SYSTEM, CalendarSchedules, Clock, TimeLimitPolicy
from services.deadline.policy import TimeLimits, check_named_date, check_working_day
from services.kernel.clock import Clock as TimeSource
from services.kernel.consumer import Reaction
from services.kernel.contracts import (
    Assigned,
    Closed,
    Envelope,
    ExtensionGranted,
    FeedbackReturned,
    FeedbackSubmitted,
    ItemReceived,
    Reassigned,
    Rectified,
    Reopened,
    ReturnedByUnit,
)
from services.kernel.errors import Refused
from services.kernel.store import LedgerApplication, Projection


def next_action_index(clock: Clock, calendar: WorkingCalendar, limits: TimeLimits) -> Projection:
    """Keeps the scan's index (when does this clock next need attention) in its transaction."""
    next_at = clock.next_action_at(calendar, limits)

    def run(curs: Cursor[DictRow]) -> None:
        if next_at is not None:
            curs.execute(
                "INSERT INTO deadline.due_index (item_id, next_action_at) VALUES (%s, %s) "
                "ON CONFLICT (item_id) DO UPDATE SET next_action_at = EXCLUDED.next_action_at",
                (clock.id, next_at),
            )
        else:
            curs.execute("DELETE FROM deadline.due_index WHERE item_id = %s", (clock.id,))

    return run


# The item events that open, start, move or stop an item's clock.
CLOCK_EVENTS = (
    ItemReceived,
    Assigned,
    Reassigned,
    FeedbackReturned,
    Reopened,
    ReturnedByUnit,
    ExtensionGranted,
    FeedbackSubmitted,
    Closed,
    Rectified,
)


class Deadline(LedgerApplication):
    name = "deadline"

    def __init__(self, time: TimeSource, env: dict[str, str]) -> None:
        super().__init__(env)
        self.time = time
        self._rules_version: dict[UUID, int] | None = None
        self._rules: tuple[TimeLimits, WorkingCalendar] | None = None

    def rules(self) -> tuple[TimeLimits, WorkingCalendar]:
        """The policy and the calendar, rebuilt only when either aggregate has changed (any
        copy of the service may change them, so the versions are asked every time)."""
        with self.ledger.datastore.get_connection() as conn:
            rows = conn.execute(
                SQL(
                    "SELECT originator_id, max(originator_version) AS v FROM deadline.{}"
                    " WHERE originator_id = ANY(%s) GROUP BY originator_id"
                ).format(Identifier(self.events_table())),
                ([TimeLimitPolicy.ID, CalendarSchedules.ID],),
            ).fetchall()
        versions = {r["originator_id"]: r["v"] for r in rows}
        if self._rules is None or versions != self._rules_version:
            self._rules = (self._load_limits(), self._load_calendar())
            self._rules_version = versions
        return self._rules

    # --- policy and calendar ---

    def limits(self) -> TimeLimits:
        return self.rules()[0]

    def calendar(self) -> WorkingCalendar:
        return self.rules()[1]

    def _load_limits(self) -> TimeLimits:
        try:
            policy: TimeLimitPolicy = self.repository.get(TimeLimitPolicy.ID)
        except AggregateNotFoundError:
            return TimeLimits.defaults()
        return TimeLimits.from_dict(policy.limits)

    def policy_view(self) -> dict[str, Any]:
        try:
            policy: TimeLimitPolicy = self.repository.get(TimeLimitPolicy.ID)
            changes = policy.changes
        except AggregateNotFoundError:
            changes = []
        return {"limits": self.limits().to_dict(), "changes": changes}

    def change_policy(self, limits: Any, reason: str, actor: dict[str, Any]) -> dict[str, Any]:
        if not reason.strip():
            raise Refused("reason_required", "修改时限须说明理由", "a change needs a reason")
        checked = TimeLimits.from_dict(limits).to_dict()
        now = self.time.now()
        try:
            policy: TimeLimitPolicy = self.repository.get(TimeLimitPolicy.ID)
        except AggregateNotFoundError:
            policy = TimeLimitPolicy(
                id=TimeLimitPolicy.ID, limits=TimeLimits.defaults().to_dict(), actor=actor, at=now
            )
        policy.change(checked, reason, actor, now)
        self.save(policy)
        return self.policy_view()

    def _schedules(self) -> CalendarSchedules | None:
        try:
            return self.repository.get(CalendarSchedules.ID)
        except AggregateNotFoundError:
            return None

    def _load_calendar(self) -> WorkingCalendar:
        schedules = self._schedules()
        return schedules.calendar() if schedules else WorkingCalendar()

    def calendar_view(self, year: int) -> dict[str, Any]:
        schedules = self._schedules()
        loaded = schedules.years.get(str(year)) if schedules else None
        return {"year": year, "official": self.calendar().is_official(year), "loaded": loaded}

    def load_schedule(self, data: Any, reason: str, actor: dict[str, Any]) -> dict[str, Any]:
        """Loads a year's official arrangement and recounts the open deadlines it changes."""
        if not reason.strip():
            raise Refused("reason_required", "载入日历须说明依据", "loading needs a reason")
        try:
            schedule = YearSchedule.from_dict(data)
        except (ValueError, TypeError) as e:
            raise Refused(
                "invalid_schedule", f"节假日安排有误：{e}", f"invalid schedule: {e}"
            ) from None
        now = self.time.now()
        schedules = self._schedules() or CalendarSchedules(
            id=CalendarSchedules.ID, actor=actor, at=now
        )
        schedules.load(schedule.to_dict(), reason, actor, now)
        self.save(schedules)
        return {**self.calendar_view(schedule.year), "recounted": self.recount_open_clocks()}

    def recount_open_clocks(self) -> list[str]:
        (limits, calendar), now = self.rules(), self.time.now()
        with self.ledger.datastore.get_connection() as conn:
            ids = [r["item_id"] for r in conn.execute("SELECT item_id FROM deadline.due_index")]
        moved = []
        for item_id in ids:
            clock: Clock = self.repository.get(item_id)
            if clock.recount(calendar, now):
                self.save(clock, projection=next_action_index(clock, calendar, limits))
                moved.append(str(item_id))
        return moved

    def return_window_end(
        self, assigned_on: date, rules: tuple[TimeLimits, WorkingCalendar] | None = None
    ) -> date:
        """The last day a unit may return an item as not its business (default 3 working days)."""
        limits, calendar = rules or self.rules()
        return calendar.add_working_days(assigned_on, limits.return_window_working_days)

    def check_due_date(
        self,
        source: str,
        due_date: date | None,
        explicit: bool,
        rules: tuple[TimeLimits, WorkingCalendar] | None = None,
    ) -> None:
        """Refuses a date the office may not set: a rest day, or none where one is required."""
        limits, calendar = rules or self.rules()
        if explicit:
            check_working_day(due_date, calendar)
        check_named_date(source, due_date, limits)

    def assignment_terms(
        self, source: str, due_date: date | None, explicit: bool, assigned_on: date
    ) -> date:
        """For an assignment (交办, 改派): refuses the due date as `check_due_date` does, and
        returns the end of the unit's return window, under one reading of the rules."""
        rules = self.rules()
        self.check_due_date(source, due_date, explicit, rules)
        return self.return_window_end(assigned_on, rules)

    # --- reactions ---

    def react(self, envelope: Envelope) -> Reaction:
        if envelope.origin != "assignment":
            return Reaction()
        contract = envelope.contract()
        if isinstance(contract, ItemReceived):
            clock = Clock(
                id=envelope.item_id,
                source=contract.source,
                complexity=contract.complexity,
                requested_due_date=contract.due_date,
                issued_by=contract.issued_by,
                actor=envelope.actor.model_dump(),
                at=envelope.occurred_at,
            )
        else:
            # an event about an item without a clock is refused (parked at the delivery limit)
            clock = self.repository.get(envelope.item_id)
            if not isinstance(contract, CLOCK_EVENTS):
                return Reaction()  # nothing for the clock (its own echoes included)
        now = self.time.now()
        limits, calendar = self.rules()
        actor = {**SYSTEM, "correlation_id": envelope.correlation_id}
        if not isinstance(contract, ItemReceived):
            if isinstance(contract, Assigned):
                clock.start(
                    contract.due_date,
                    contract.assigned_on,
                    contract.lead_unit,
                    calendar,
                    limits,
                    now,
                    actor,
                )
            elif isinstance(contract, Reassigned):
                named = contract.due_date or clock.requested_due_date
                clock.start(
                    named, contract.assigned_on, contract.lead_unit, calendar, limits, now, actor
                )
            elif isinstance(contract, FeedbackReturned):
                clock.start(
                    contract.due_date, contract.returned_on, None, calendar, limits, now, actor
                )
            elif isinstance(contract, Reopened):
                clock.start(
                    contract.due_date, contract.reopened_on, None, calendar, limits, now, actor
                )
            elif isinstance(contract, ReturnedByUnit):
                clock.stop("returned by the unit", now, actor)
            elif isinstance(contract, ExtensionGranted):
                clock.extend(contract.due_date, contract.granted_on, calendar, now, actor)
            elif isinstance(contract, FeedbackSubmitted):
                clock.stop("feedback submitted", now, actor)
            else:  # Closed, Rectified
                clock.stop("closed", now, actor)
        return Reaction([clock], next_action_index(clock, calendar, limits))

    def scan(self, now: datetime | None = None, limit: int = 500) -> list[tuple[str, str]]:
        """Issues every reminder, overdue mark and escalation due by `now`; returns what it
        issued as (source, action) pairs."""
        now = now or self.time.now()
        limits, calendar = self.rules()
        with self.ledger.datastore.get_connection() as conn:
            rows = conn.execute(
                "SELECT item_id FROM deadline.due_index WHERE next_action_at <= %s "
                "ORDER BY next_action_at LIMIT %s",
                (now, limit),
            ).fetchall()
        issued: list[tuple[str, str]] = []
        for row in rows:
            clock: Clock = self.repository.get(UUID(str(row["item_id"])))
            actions = clock.act(now, calendar, limits)
            try:
                self.save(clock, projection=next_action_index(clock, calendar, limits))
            except IntegrityError:
                continue  # the clock changed meanwhile; the next scan sees its new state
            issued += [(clock.source, a) for a in actions]
        return issued
