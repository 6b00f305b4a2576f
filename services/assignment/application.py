"""Assignment's commands and queries over the item, and its reactions to other services."""

from __future__ import annotations

import random
import threading
import time
from datetime import date, datetime
from typing import Any, ClassVar, Protocol
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, StoredEvent

from services.assignment.domain import Item, NoticeRegister
from services.deadline.calendar import business_date
from services.kernel.clock import Clock
from services.kernel.consumer import Reaction
from services.kernel.contracts import (
    DeadlineSet,
    Envelope,
    Escalated,
    ItemReceived,
    Overdue,
    ReminderIssued,
)
from services.kernel.errors import NotFound, Refused
from services.kernel.store import LedgerApplication

SYSTEM_ACTORS = {
    "deadline": {"user": "system:deadline", "role": "system", "unit": None},
}


class DueDateRules(Protocol):
    """The deadline service's word on a date the office sets (it owns the calendar)."""

    def check_due_date(self, source: str, due_date: str | None, explicit: bool) -> None: ...

    def assignment_terms(
        self, source: str, due_date: str | None, explicit: bool, assigned_on: str
    ) -> str:
        """Checks the date as check_due_date does; returns the end of the return window."""
        ...


# The year's notice register is one stream that every assignment appends to. Within a process
# assignments take turns at it (waiting is cheaper than conflicting and replaying); an
# assignment by another copy of the service makes the save conflict, and the whole step is
# retried on fresh state.
NOTICE_RETRIES = 40


class Assignment(LedgerApplication):
    name = "assignment"
    # every assignment appends to the year's notice register: load it from a snapshot
    snapshotting_intervals: ClassVar[dict[type, int]] = {NoticeRegister: 50}

    def __init__(self, clock: Clock, env: dict[str, str]) -> None:
        super().__init__(env)
        self.clock = clock
        self._numbering = threading.Lock()

    # --- queries ---

    def item(self, item_id: UUID) -> Item:
        try:
            return self.repository.get(item_id)
        except AggregateNotFoundError:
            raise NotFound("事项", "item") from None

    def history(self, item_id: UUID) -> list[dict[str, Any]]:
        rows = self.ledger.chain_rows(item_id)
        if not rows:
            raise NotFound("事项", "item")
        entries = []
        for row in rows:
            e = self.mapper.to_domain_event(
                StoredEvent(row.stream_id, row.version, row.topic, row.state)
            )
            data = {
                k: _jsonable(v)
                for k, v in vars(e).items()
                if k
                not in (
                    "originator_id",
                    "originator_version",
                    "originator_topic",
                    "timestamp",
                    "actor",
                    "at",
                )
            }
            entries.append(
                {
                    "type": type(e).__name__,
                    "version": row.version,
                    "at": e.at.isoformat(),
                    "recorded_at": e.timestamp.isoformat(),
                    "actor": e.actor,
                    "data": data,
                    "hash": bytes(row.stored_hash or b"").hex(),
                }
            )
        return entries

    def units(self) -> list[dict[str, str]]:
        with self.ledger.datastore.get_connection() as conn:
            rows = conn.execute(
                "SELECT code, name, kind FROM assignment.units ORDER BY kind DESC, code"
            ).fetchall()
        return [dict(r) for r in rows]

    def _check_units(self, codes: list[str]) -> None:
        with self.ledger.datastore.get_connection() as conn:
            known = {
                r["code"]
                for r in conn.execute(
                    "SELECT code FROM assignment.units WHERE code = ANY(%s)", (codes,)
                )
            }
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise Refused(
                "unknown_unit",
                f"未知的承办单位：{'、'.join(unknown)}",
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
        """交办 (or 改派): numbers the transfer notice in the year's register."""
        self._check_units([lead_unit, *co_units])
        terms: dict[tuple[Any, ...], date] = {}  # the deadline service's answer, per question
        for attempt in range(NOTICE_RETRIES):
            item = self.item(item_id)
            named = due_date or (None if reassign else item.requested_due_date)
            now = self.clock.now()
            today = business_date(now)
            question = (item.source, _iso(named), due_date is not None, today.isoformat())
            if question not in terms:
                terms[question] = date.fromisoformat(rules.assignment_terms(*question))
            return_by = terms[question]
            step = item.reassign if reassign else item.assign
            try:
                with self._numbering:
                    register = self._notice_register(today.year, actor, now)
                    register.issue(item.id, actor, now)
                    notice = register.current()
                    step(lead_unit, co_units, due_date, notice, return_by, today, actor, now)
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

    def return_to_office(self, item_id: UUID, reason: str, actor: dict[str, Any]) -> dict:
        item = self.item(item_id)
        now = self.clock.now()
        item.return_to_office(reason, business_date(now), actor, now)
        self.save(item)
        return item.view()

    def report_progress(
        self,
        item_id: UUID,
        content: str,
        evidence: list[dict[str, Any]],
        period: str | None,
        actor: dict[str, Any],
    ) -> dict[str, Any]:
        item = self.item(item_id)
        item.report_progress(content, evidence, period, actor, self.clock.now())
        self.save(item)
        return item.view()

    def submit_co_unit_opinion(
        self, item_id: UUID, content: str, evidence: list[dict[str, Any]], actor: dict[str, Any]
    ) -> dict[str, Any]:
        item = self.item(item_id)
        item.submit_co_unit_opinion(content, evidence, actor, self.clock.now())
        self.save(item)
        return item.view()

    def record_indicator(
        self, item_id: UUID, month: str, value: float, actor: dict[str, Any]
    ) -> dict[str, Any]:
        item = self.item(item_id)
        item.record_indicator(month, value, actor, self.clock.now())
        self.save(item)
        return item.view()

    def record_satisfaction(
        self,
        item_id: UUID,
        verdict: str,
        comment: str,
        due_date: date | None,
        actor: dict[str, Any],
        rules: DueDateRules,
    ) -> dict[str, Any]:
        item = self.item(item_id)
        if due_date is not None:
            rules.check_due_date(item.source, _iso(due_date), True)
        now = self.clock.now()
        item.record_satisfaction(verdict, comment, due_date, business_date(now), actor, now)
        self.save(item)
        return item.view()

    def acknowledge(self, item_id: UUID, actor: dict[str, Any]) -> dict[str, Any]:
        item = self.item(item_id)
        item.acknowledge(actor, self.clock.now())
        self.save(item)
        return item.view()

    def submit_feedback(
        self,
        item_id: UUID,
        content: str,
        actor: dict[str, Any],
        evidence: list[dict[str, Any]] | None = None,
        reply_class: str | None = None,
    ) -> dict[str, Any]:
        item = self.item(item_id)
        item.submit_feedback(content, actor, self.clock.now(), evidence, reply_class)
        self.save(item)
        return item.view()

    def review(
        self,
        item_id: UUID,
        decision: str,
        comment: str,
        due_date: date | None,
        actor: dict[str, Any],
        rules: DueDateRules,
    ) -> dict[str, Any]:
        item = self.item(item_id)
        now = self.clock.now()
        if decision == "return" and due_date is not None:
            rules.check_due_date(item.source, _iso(due_date), True)
        if decision == "accept":
            item.accept(comment, actor, now)
        elif decision == "return":
            item.return_for_rework(comment, due_date, business_date(now), actor, now)
        else:
            raise Refused(
                "unknown_decision",
                f"审核结论须为 accept 或 return，收到：{decision}",
                f"decision must be accept or return, got: {decision}",
            )
        self.save(item)
        return item.view()

    def request_extension(
        self, item_id: UUID, reason: str, proposed_due_date: date, actor: dict[str, Any]
    ) -> dict[str, Any]:
        item = self.item(item_id)
        now = self.clock.now()
        item.request_extension(reason, proposed_due_date, business_date(now), actor, now)
        self.save(item)
        return item.view()

    def decide_extension(
        self,
        item_id: UUID,
        decision: str,
        due_date: date | None,
        comment: str,
        actor: dict[str, Any],
        rules: DueDateRules,
    ) -> dict[str, Any]:
        item = self.item(item_id)
        now = self.clock.now()
        grant = decision == "grant"
        if grant:
            rules.check_due_date(
                item.source, _iso(due_date or item.extension_requested), due_date is not None
            )
        item.decide_extension(grant, due_date, comment, business_date(now), actor, now)
        self.save(item)
        return item.view()

    # --- reactions ---

    def react(self, envelope: Envelope) -> Reaction:
        contract = envelope.contract()
        system = {**SYSTEM_ACTORS["deadline"], "correlation_id": envelope.correlation_id}
        if envelope.origin == "intake" and isinstance(contract, ItemReceived):
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
            )
            return Reaction([item])
        if envelope.origin == "deadline" and isinstance(contract, DeadlineSet):
            item = self.item(envelope.item_id)
            fields = contract.model_dump(exclude={"schema_version"})
            item.record_deadline(fields, system, envelope.occurred_at)
            return Reaction([item])
        if envelope.origin == "deadline" and isinstance(contract, ReminderIssued):
            item = self.item(envelope.item_id)
            item.record_reminder(contract.kind, contract.due_date, system, envelope.occurred_at)
            return Reaction([item])
        if envelope.origin == "deadline" and isinstance(contract, Escalated):
            item = self.item(envelope.item_id)
            item.record_escalation(
                contract.level,
                contract.action,
                contract.due_date,
                contract.overdue_working_days,
                system,
                envelope.occurred_at,
            )
            return Reaction([item])
        if envelope.origin == "deadline" and isinstance(contract, Overdue):
            item = self.item(envelope.item_id)
            item.record_overdue(contract.due_date, system, envelope.occurred_at)
            return Reaction([item])
        return Reaction()


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value
