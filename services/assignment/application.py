"""Assignment's commands and queries over the item, and its reactions to other services."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from functools import singledispatchmethod
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.assignment.adapters import PostgresUnitDirectory, UnitDirectory
from services.assignment.county import CountyLeaders
from services.assignment.domain import Item, NoticeRegister
from services.kernel.clock import Clock
from services.kernel.consumer import Reaction
from services.kernel.contracts import (
    Contract,
    DeadlineSet,
    DispatchDeadlineSet,
    Envelope,
    Escalated,
    ItemReceived,
    Overdue,
    ReminderIssued,
)
from services.kernel.dates import PROPOSED_DUE_DATE, business_date
from services.kernel.errors import NotFound, Refused
from services.kernel.ledger import first_break
from services.kernel.ports import DueDateRules
from services.kernel.store import LedgerApplication, event_type, transcoder
from services.kernel.vocabulary import REVIEW_OUTCOME_LABELS, STATUS_LABELS, choices

SYSTEM_ACTORS = {
    "deadline": {"user": "system:deadline", "role": "system", "unit": None},
    "assignment": {"user": "system:assignment", "role": "system", "unit": None},
}
# what a history entry shows of an event besides its own fields
_ENVELOPE_FIELDS = ("originator_topic", "timestamp", "actor", "at")


# The year's notice register is one stream that every assignment appends to. Within a process
# assignments take turns at it (waiting is cheaper than conflicting and replaying); an
# assignment by another copy of the service makes the save conflict, and the whole step is
# retried on fresh state.
NOTICE_RETRIES = 40


class Assignment(LedgerApplication):
    name = "assignment"
    # every assignment appends to the year's notice register: load it from a snapshot
    snapshotting_intervals: ClassVar[dict[type, int]] = {NoticeRegister: 50}

    def __init__(
        self, clock: Clock, env: dict[str, str], units: UnitDirectory | None = None
    ) -> None:
        super().__init__(env)
        self.clock = clock
        self.units = units or PostgresUnitDirectory(self.ledger)
        self._numbering = threading.Lock()
        self._transcoder = transcoder()

    # --- queries ---

    def item(self, item_id: UUID) -> Item:
        try:
            return self.repository.get(item_id)
        except AggregateNotFoundError:
            raise NotFound("事项", "item") from None

    def history(self, item_id: UUID) -> list[dict[str, Any]]:
        """Every event of the item in order, with who, when, its place in the hash chain and
        whether the chain holds up to it (`verified`: false from the first break on)."""
        rows = self.ledger.chain_rows(item_id)
        if not rows:
            raise NotFound("事项", "item")
        broken = first_break(item_id, rows)
        entries = []
        for row in rows:
            state = self._transcoder.decode(row.state)
            entries.append(
                {
                    "type": event_type(row.topic),
                    "version": row.version,
                    "at": state["at"].isoformat(),
                    "recorded_at": state["timestamp"].isoformat(),
                    "actor": state["actor"],
                    "data": {
                        k: _jsonable(v) for k, v in state.items() if k not in _ENVELOPE_FIELDS
                    },
                    "hash": bytes(row.stored_hash or b"").hex(),
                    "verified": broken is None or row.version < broken.version,
                }
            )
        return entries

    def list_units(self) -> list[dict[str, Any]]:
        """The units, each with its leader in charge (分管县领导) where one is named."""
        county = self.county()
        return [
            {**unit, "leader_in_charge": county.in_charge.get(unit["code"])}
            for unit in self.units.units()
        ]

    def county(self) -> CountyLeaders:
        try:
            return self.repository.get(CountyLeaders.ID)
        except AggregateNotFoundError:
            return CountyLeaders(
                id=CountyLeaders.ID, actor=SYSTEM_ACTORS["assignment"], at=self.clock.now()
            )

    def leaders(self) -> dict[str, Any]:
        return self.county().view()

    def record_leader(
        self,
        code: str,
        name: str,
        title: str,
        username: str | None,
        reason: str,
        actor: dict[str, Any],
    ) -> dict[str, Any]:
        """Adds or corrects a county leader (each change an event with who and why)."""
        return self._change_county(
            lambda county, now: county.record_leader(
                code, name, title, username, reason, actor, now
            )
        )

    def put_in_charge(
        self, unit: str, leader: str, reason: str, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Names the county leader in charge of a unit (分管县领导)."""
        self._known_units([unit])
        return self._change_county(
            lambda county, now: county.put_in_charge(unit, leader, reason, actor, now)
        )

    def make_default_leader(
        self, leader: str, reason: str, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """The leader an escalation goes to when no other is named (the executive deputy)."""
        return self._change_county(
            lambda county, now: county.make_default(leader, reason, actor, now)
        )

    def _change_county(self, act: Callable[[CountyLeaders, datetime], bool]) -> dict[str, Any]:
        county = self.county()
        if act(county, self.clock.now()):
            self.save(county)
        return county.view()

    def _known_units(self, codes: list[str]) -> None:
        if unknown := self.units.unknown(codes):
            raise Refused(
                "unknown_unit",
                f"单位：没有编码为 {'、'.join(unknown)} 的承办单位，请在单位列表中选择",
                f"unknown unit: {', '.join(unknown)}",
            )

    # --- commands ---

    def assign(
        self,
        item_id: UUID,
        lead_unit: str,
        co_units: list[str],
        due_date: date | None,
        actor: dict[str, Any],
        rules: DueDateRules,
        reassign: bool = False,
    ) -> dict[str, Any]:
        """交办, or 改派 (`reassign`): numbers the transfer notice in the year's register."""
        self._known_units([lead_unit, *co_units])
        terms: dict[tuple[Any, ...], date] = {}  # the deadline service's answer, per question
        for attempt in range(NOTICE_RETRIES):
            item = self.item(item_id)
            now = self.clock.now()
            today = business_date(now)
            named = due_date or item.requested_due_date
            question = (item.source, _iso(named), due_date is not None, today.isoformat())
            if question not in terms:
                terms[question] = date.fromisoformat(rules.assignment_terms(*question))
            try:
                with self._numbering:
                    register = self._notice_register(today.year, actor, now)
                    register.issue(item.id, actor, now)
                    item.assign(
                        lead_unit,
                        co_units,
                        due_date,
                        register.current(item.source),
                        terms[question],
                        today,
                        actor,
                        now,
                        reassign=reassign,
                    )
                    self.save(item, register)
                return item.view()
            except IntegrityError:
                if attempt == NOTICE_RETRIES - 1:
                    raise
                time.sleep(random.uniform(0.002, 0.02) * (1 + attempt % 5))
        raise AssertionError("unreachable")

    def _notice_register(self, year: int, actor: dict[str, Any], now: datetime) -> NoticeRegister:
        try:
            return self.repository.get(NoticeRegister.id_for(year))
        except AggregateNotFoundError:
            return NoticeRegister(id=NoticeRegister.id_for(year), year=year, actor=actor, at=now)

    def _change(self, item_id: UUID, act: Callable[[Item, datetime], None]) -> dict:
        """Load the item, give it one command at the clock's time, save it."""
        item = self.item(item_id)
        act(item, self.clock.now())
        self.save(item)
        return item.view()

    def return_to_office(self, item_id: UUID, reason: str, actor: dict[str, Any]) -> dict:
        return self._change(
            item_id, lambda item, now: item.return_to_office(reason, business_date(now), actor, now)
        )

    def report_progress(
        self,
        item_id: UUID,
        content: str,
        evidence: list[dict[str, Any]],
        period: str | None,
        actor: dict[str, Any],
    ) -> dict[str, Any]:
        return self._change(
            item_id, lambda item, now: item.report_progress(content, evidence, period, actor, now)
        )

    def submit_co_unit_opinion(
        self, item_id: UUID, content: str, evidence: list[dict[str, Any]], actor: dict[str, Any]
    ) -> dict[str, Any]:
        return self._change(
            item_id, lambda item, now: item.submit_co_unit_opinion(content, evidence, actor, now)
        )

    def record_indicator(
        self, item_id: UUID, month: str, value: float, actor: dict[str, Any]
    ) -> dict[str, Any]:
        return self._change(
            item_id,
            lambda item, now: item.record_indicator(month, value, business_date(now), actor, now),
        )

    def recommend_penalty(
        self, item_id: UUID, penalty: str, unit: str, reasons: str, actor: dict[str, Any]
    ) -> dict[str, Any]:
        return self._change(
            item_id, lambda item, now: item.recommend_penalty(penalty, unit, reasons, actor, now)
        )

    def commend(
        self, item_id: UUID, unit: str, reasons: str, actor: dict[str, Any]
    ) -> dict[str, Any]:
        return self._change(item_id, lambda item, now: item.commend(unit, reasons, actor, now))

    def cancel(self, item_id: UUID, reason: str, actor: dict[str, Any]) -> dict[str, Any]:
        return self._change(item_id, lambda item, now: item.cancel(reason, actor, now))

    def merge(
        self, item_id: UUID, into: UUID, reason: str, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """合并: into an original that exists and is itself still on the lists."""
        original = self.item(into)
        if original.status in ("cancelled", "merged"):
            raise Refused(
                "merge_into_withdrawn",
                f"合并到：原事项已{STATUS_LABELS[original.status]}，请合并到仍在办理的事项",
                "the original is cancelled or merged itself",
                409,
            )
        return self._change(item_id, lambda item, now: item.merge(into, reason, actor, now))

    def record_satisfaction(
        self,
        item_id: UUID,
        verdict: str,
        comment: str,
        due_date: date | None,
        actor: dict[str, Any],
        rules: DueDateRules,
    ) -> dict[str, Any]:
        def act(item: Item, now: datetime) -> None:
            if due_date is not None:
                rules.check_due_date(item.source, _iso(due_date), True)
            item.record_satisfaction(verdict, comment, due_date, business_date(now), actor, now)

        return self._change(item_id, act)

    def acknowledge(self, item_id: UUID, actor: dict[str, Any]) -> dict[str, Any]:
        return self._change(item_id, lambda item, now: item.acknowledge(actor, now))

    def submit_feedback(
        self,
        item_id: UUID,
        content: str,
        actor: dict[str, Any],
        evidence: list[dict[str, Any]] | None = None,
        reply_class: str | None = None,
    ) -> dict[str, Any]:
        return self._change(
            item_id,
            lambda item, now: item.submit_feedback(content, actor, now, evidence, reply_class),
        )

    def review(
        self,
        item_id: UUID,
        decision: str,
        comment: str,
        due_date: date | None,
        actor: dict[str, Any],
        rules: DueDateRules,
        evidence: list[dict[str, Any]] | None = None,
        verification: str | None = None,
    ) -> dict[str, Any]:
        """审核: accept (办结) or return for rework (退回重办); `verification`: how the office
        checked (on paper or on site)."""

        def act(item: Item, now: datetime) -> None:
            if decision == "accept":
                item.accept(comment, actor, now, evidence, verification)
                return
            if decision != "return":
                raise Refused(
                    "unknown_decision",
                    f"审核结论：{decision} 不是可选的取值，请选择以下之一："
                    f"{choices(REVIEW_OUTCOME_LABELS)}",
                    f"decision must be accept or return, got: {decision}",
                )
            if due_date is not None:
                rules.check_due_date(item.source, _iso(due_date), True)
            item.return_for_rework(
                comment, due_date, business_date(now), actor, now, evidence, verification
            )

        return self._change(item_id, act)

    def request_extension(
        self,
        item_id: UUID,
        reason: str,
        proposed_due_date: date,
        actor: dict[str, Any],
        rules: DueDateRules,
    ) -> dict[str, Any]:
        def act(item: Item, now: datetime) -> None:
            rules.check_due_date(
                item.source, proposed_due_date.isoformat(), True, label=PROPOSED_DUE_DATE
            )
            item.request_extension(reason, proposed_due_date, business_date(now), actor, now)

        return self._change(item_id, act)

    def decide_extension(
        self,
        item_id: UUID,
        decision: str,
        due_date: date | None,
        comment: str,
        actor: dict[str, Any],
        rules: DueDateRules,
    ) -> dict[str, Any]:
        grant = decision == "grant"

        def act(item: Item, now: datetime) -> None:
            if grant:
                named = due_date or item.extension_requested
                rules.check_due_date(item.source, _iso(named), due_date is not None)
            item.decide_extension(grant, due_date, comment, business_date(now), actor, now)

        return self._change(item_id, act)

    # --- reactions ---

    def react(self, envelope: Envelope) -> Reaction:
        return self._react(envelope.contract(), envelope)

    @singledispatchmethod
    def _react(self, contract: Contract, envelope: Envelope) -> Reaction:
        return Reaction()  # nothing the item records

    @_react.register
    def _(self, contract: ItemReceived, envelope: Envelope) -> Reaction:
        try:
            self.repository.get(envelope.item_id)
            return Reaction()
        except AggregateNotFoundError:
            pass
        item = Item(
            id=envelope.item_id,
            source=contract.source,
            title=contract.title,
            content=contract.content,
            external_ref=contract.external_ref,
            due_date=contract.due_date,
            complexity=contract.complexity,
            issued_by=contract.issued_by,
            actor=envelope.actor.model_dump(),
            at=envelope.occurred_at,
            details=contract.details or {},
            group=contract.group,
            evidence=[f.model_dump() for f in contract.evidence],
        )
        return Reaction([item])

    @_react.register
    def _(self, contract: DeadlineSet, envelope: Envelope) -> Reaction:
        item = self.item(envelope.item_id)
        fields = contract.model_dump(exclude={"schema_version"})
        item.record_deadline(fields, _system(envelope), envelope.occurred_at)
        return Reaction([item])

    @_react.register
    def _(self, contract: ReminderIssued, envelope: Envelope) -> Reaction:
        item = self.item(envelope.item_id)
        item.record_reminder(
            contract.kind,
            contract.due_date,
            contract.unit,
            contract.period,
            _system(envelope),
            envelope.occurred_at,
        )
        return Reaction([item])

    @_react.register
    def _(self, contract: Escalated, envelope: Envelope) -> Reaction:
        item = self.item(envelope.item_id)
        leader = self.county().leader_for(item.source, item.issued_by, item.lead_unit)
        item.record_escalation(
            contract.level,
            contract.action,
            contract.due_date,
            contract.overdue_working_days,
            leader,
            _system(envelope),
            envelope.occurred_at,
        )
        return Reaction([item])

    @_react.register
    def _(self, contract: Overdue, envelope: Envelope) -> Reaction:
        item = self.item(envelope.item_id)
        item.record_overdue(
            contract.due_date, contract.unit, _system(envelope), envelope.occurred_at
        )
        return Reaction([item])

    @_react.register
    def _(self, contract: DispatchDeadlineSet, envelope: Envelope) -> Reaction:
        item = self.item(envelope.item_id)
        item.record_dispatch_deadline(
            contract.due_date, contract.working_days, _system(envelope), envelope.occurred_at
        )
        return Reaction([item])


def _system(envelope: Envelope) -> dict[str, Any]:
    """The service that told the item, as the actor of what the item records."""
    return {**SYSTEM_ACTORS[envelope.origin], "correlation_id": envelope.correlation_id}


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value
