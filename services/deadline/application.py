"""Deadline's commands, its reactions to item events, and the scan for what falls due."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import cache, singledispatchmethod
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.deadline.adapters import DueIndex, PostgresDueIndex
from services.deadline.calendar import WorkingCalendar, YearSchedule
from services.deadline.domain import SYSTEM, CalendarSchedules, Clock, TimeLimitPolicy
from services.deadline.policy import (
    TimeLimits,
    check_named_date,
    check_working_day,
    due_date_for,
)
from services.kernel.clock import Clock as TimeSource
from services.kernel.consumer import Reaction
from services.kernel.contracts import (
    Acknowledged,
    Assigned,
    Closed,
    Contract,
    Envelope,
    ExtensionGranted,
    FeedbackReturned,
    FeedbackSubmitted,
    IndicatorReported,
    ItemCancelled,
    ItemMerged,
    ItemReceived,
    ProgressReported,
    Reassigned,
    Rectified,
    Reopened,
    ReturnedByUnit,
)
from services.kernel.dates import DUE_DATE, business_date
from services.kernel.errors import Refused
from services.kernel.store import LedgerApplication, Projection


class Rules(NamedTuple):
    limits: TimeLimits
    calendar: WorkingCalendar


# A handler asks for the rules only if it needs them (most item events leave the clock alone).
LazyRules = Callable[[], Rules]


class Deadline(LedgerApplication):
    name = "deadline"

    def __init__(
        self, time: TimeSource, env: dict[str, str], due_index: DueIndex | None = None
    ) -> None:
        super().__init__(env)
        self.time = time
        self.due_index = due_index or PostgresDueIndex(self.ledger)
        self._rules_version: dict[UUID, int] | None = None
        self._rules: Rules | None = None

    def rules(self) -> Rules:
        """The policy and the calendar, rebuilt only when either aggregate has changed (any
        copy of the service may change them, so the versions are asked every time)."""
        versions = self.ledger.stream_versions([TimeLimitPolicy.ID, CalendarSchedules.ID])
        if self._rules is None or versions != self._rules_version:
            self._rules = Rules(self._load_limits(), self._load_calendar())
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
            raise Refused(
                "reason_required", "理由：必填，请写明修改时限设置的依据", "a change needs a reason"
            )
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
            raise Refused(
                "reason_required",
                "理由：必填，请写明载入的依据，如国务院办公厅通知的文号",
                "loading needs a reason",
            )
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
        rules, now = self.rules(), self.time.now()
        moved = []
        for item_id in self.due_index.all():
            clock: Clock = self.repository.get(item_id)
            if clock.recount(rules.calendar, now):
                self.save(clock, projection=self._filed(clock, rules))
                moved.append(str(item_id))
        return moved

    def _filed(self, clock: Clock, rules: Rules) -> Projection:
        """Keeps the scan's index (when does this clock next need attention) in its save."""
        limits, calendar = rules
        return self.due_index.place(clock.id, clock.next_action_at(calendar, limits))

    def return_window_end(self, assigned_on: date, rules: Rules | None = None) -> date:
        """The last day a unit may return an item as not its business (default 3 working days)."""
        limits, calendar = rules or self.rules()
        return calendar.add_working_days(assigned_on, limits.return_window_working_days)

    def due_window(self, working_days: int) -> tuple[date, date]:
        """What "due within N working days" covers: from today to the N-th working day after
        it (today not counted, as in every period)."""
        today = business_date(self.time.now())
        return today, self.calendar().add_working_days(today, working_days)

    def check_due_date(
        self,
        source: str,
        due_date: date | None,
        explicit: bool,
        rules: Rules | None = None,
        label: str = DUE_DATE,
    ) -> None:
        """Refuses a date the office may not set: a rest day, or none where one is required;
        `label` names the date in the refusal."""
        limits, calendar = rules or self.rules()
        if explicit:
            check_working_day(due_date, calendar, label)
        check_named_date(source, due_date, limits)

    def countdowns(self, due_dates: list[date]) -> tuple[date, dict[date, int]]:
        """Today, and each date's working-day countdown from it (`WorkingCalendar.countdown`)."""
        today, calendar = business_date(self.time.now()), self.calendar()
        return today, {due: calendar.countdown(today, due) for due in due_dates}

    def due_date_preview(
        self, source: str, complexity: str | None, due_date: date | None
    ) -> dict[str, Any]:
        """The due date an assignment made today would set, and how it was counted, refusing
        a date the office may not set, as the assignment itself would."""
        limits, calendar = rules = self.rules()
        self.check_due_date(source, due_date, due_date is not None, rules)
        today = business_date(self.time.now())
        due = due_date_for(source, complexity, due_date, today, calendar, limits)
        return {
            "assigned_on": today.isoformat(),
            "due_date": due.due_date.isoformat(),
            "basis": due.basis,
            "working_days": calendar.countdown(today, due.due_date),
        }

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
        """Opens, starts, moves or stops the item's clock; an event about an item without a
        clock is refused (and parked at the delivery limit)."""
        contract = envelope.contract()
        rules: LazyRules = cache(self.rules)
        if isinstance(contract, ItemReceived):
            clock = Clock(
                id=envelope.item_id,
                source=contract.source,
                complexity=contract.complexity,
                requested_due_date=contract.due_date,
                issued_by=contract.issued_by,
                actor=envelope.actor.model_dump(),
                at=envelope.occurred_at,
                details=contract.details or {},
            )
            limits, calendar = rules()
            clock.open(calendar, limits, self.time.now())
        else:
            clock = self.repository.get(envelope.item_id)
            actor = {**SYSTEM, "correlation_id": envelope.correlation_id}
            if not self._move(contract, clock, rules, self.time.now(), actor):
                return Reaction()  # nothing for the clock
        return Reaction([clock], self._filed(clock, rules()))

    @singledispatchmethod
    def _move(
        self, contract: Contract, clock: Clock, rules: LazyRules, now: datetime, actor: dict
    ) -> bool:
        """What an item event does to its clock; False: nothing."""
        return False

    @_move.register
    def _(
        self, contract: Assigned, clock: Clock, rules: LazyRules, now: datetime, actor: dict
    ) -> bool:
        limits, calendar = rules()
        named, unit = contract.due_date, contract.lead_unit
        clock.start(named, contract.assigned_on, unit, calendar, limits, now, actor)
        return True

    @_move.register
    def _(
        self, contract: Reassigned, clock: Clock, rules: LazyRules, now: datetime, actor: dict
    ) -> bool:
        limits, calendar = rules()
        named, unit = contract.due_date or clock.requested_due_date, contract.lead_unit
        clock.hand_over(named, contract.assigned_on, unit, calendar, limits, now, actor)
        return True

    @_move.register
    def _(
        self, contract: FeedbackReturned, clock: Clock, rules: LazyRules, now: datetime, actor: dict
    ) -> bool:
        limits, calendar = rules()
        clock.start(contract.due_date, contract.returned_on, None, calendar, limits, now, actor)
        return True

    @_move.register
    def _(
        self, contract: Reopened, clock: Clock, rules: LazyRules, now: datetime, actor: dict
    ) -> bool:
        limits, calendar = rules()
        clock.start(contract.due_date, contract.reopened_on, None, calendar, limits, now, actor)
        return True

    @_move.register
    def _(
        self, contract: ExtensionGranted, clock: Clock, rules: LazyRules, now: datetime, actor: dict
    ) -> bool:
        clock.extend(contract.due_date, contract.granted_on, rules().calendar, now, actor)
        return True

    @_move.register
    def _(
        self, contract: ReturnedByUnit, clock: Clock, rules: LazyRules, now: datetime, actor: dict
    ) -> bool:
        clock.stop("returned by the unit", now, actor)
        return True

    @_move.register
    def _(
        self,
        contract: FeedbackSubmitted,
        clock: Clock,
        rules: LazyRules,
        now: datetime,
        actor: dict,
    ) -> bool:
        clock.stop("feedback submitted", now, actor)
        return True

    @_move.register
    def _(
        self, contract: Acknowledged, clock: Clock, rules: LazyRules, now: datetime, actor: dict
    ) -> bool:
        clock.sign(now, actor)
        return True

    @_move.register
    def _(
        self, contract: ProgressReported, clock: Clock, rules: LazyRules, now: datetime, actor: dict
    ) -> bool:
        if contract.period is None:
            return False
        clock.note_reported(contract.period, now, actor)
        return True

    @_move.register
    def _(
        self,
        contract: IndicatorReported,
        clock: Clock,
        rules: LazyRules,
        now: datetime,
        actor: dict,
    ) -> bool:
        clock.note_reported(contract.month, now, actor)
        return True

    @_move.register
    def _(
        self,
        contract: ItemCancelled | ItemMerged,
        clock: Clock,
        rules: LazyRules,
        now: datetime,
        actor: dict,
    ) -> bool:
        clock.stop("cancelled or merged", now, actor)
        return True

    @_move.register
    def _(
        self,
        contract: Closed | Rectified,
        clock: Clock,
        rules: LazyRules,
        now: datetime,
        actor: dict,
    ) -> bool:
        clock.stop("closed", now, actor)
        return True

    def scan(self, now: datetime | None = None, limit: int = 500) -> list[tuple[str, str]]:
        """Issues every reminder, overdue mark and escalation due by `now`; returns what it
        issued as (source, action) pairs."""
        now = now or self.time.now()
        rules = self.rules()
        issued: list[tuple[str, str]] = []
        for item_id in self.due_index.due(now, limit):
            clock: Clock = self.repository.get(item_id)
            actions = clock.act(now, rules.calendar, rules.limits)
            try:
                self.save(clock, projection=self._filed(clock, rules))
            except IntegrityError:
                continue  # the clock changed meanwhile; the next scan sees its new state
            issued += [(clock.source, a) for a in actions]
        return issued
