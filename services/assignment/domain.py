"""The item: its whole accountability history, from registration to closing.

Every rule about what may happen to an item, and in which state, is here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.deadline.policy import check_not_past
from services.kernel.errors import Refused

# status -> Chinese label, as staff see it
STATUSES = {
    "registered": "待交办",
    "assigned": "已交办",
    "acknowledged": "已签收",
    "feedback_submitted": "已反馈",
    "returned": "退回重办",
    "closed": "已办结",
}
RECTIFIABLE_SOURCES = ("finding", "upper_inspection")


def _wrong_state(action_zh: str, action_en: str, status: str) -> Refused:
    return Refused(
        "wrong_state",
        f"事项当前状态为“{STATUSES[status]}”，不能{action_zh}",
        f"cannot {action_en} an item in status {status}",
        409,
    )


class Item(Aggregate):
    @event("ItemReceived")
    def __init__(
        self,
        id: UUID,
        source: str,
        title: str,
        content: str,
        external_ref: str | None,
        due_date: date | None,
        complexity: str | None,
        issued_by: str | None,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        self.source = source
        self.title = title
        self.content = content
        self.external_ref = external_ref
        self.requested_due_date = due_date
        self.complexity = complexity
        self.issued_by = issued_by
        self.registered_at = at
        self.status = "registered"
        self.lead_unit: str | None = None
        self.co_units: list[str] = []
        self.due_date: date | None = None
        self.due_at: datetime | None = None
        self.overdue = False
        self.overdue_dates: list[date] = []
        self.feedback_at: datetime | None = None
        self.original_due_date: date | None = None
        self.extension_requested: date | None = None
        self.reminders = 0
        self.escalation_level = 0
        self.penalty: str | None = None

    # --- commands (check, then record) ---

    def assign(
        self,
        lead_unit: str,
        co_units: list[str],
        due_date: date | None,
        today: date,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        if self.status != "registered":
            raise _wrong_state("交办", "assign", self.status)
        if lead_unit in co_units:
            raise Refused(
                "lead_unit_in_co_units",
                "牵头单位不能同时作为配合单位",
                "the lead unit cannot also be a co-unit",
            )
        check_not_past(due_date, today)
        self._assigned(
            lead_unit=lead_unit,
            co_units=list(dict.fromkeys(co_units)),
            due_date=due_date or self.requested_due_date,
            assigned_on=today,
            actor=actor,
            at=at,
        )

    def acknowledge(self, actor: dict[str, Any], at: datetime) -> None:
        self._check_lead_unit(actor)
        if self.status != "assigned":
            raise _wrong_state("签收", "acknowledge", self.status)
        self._acknowledged(unit=self.lead_unit, actor=actor, at=at)

    def submit_feedback(self, content: str, actor: dict[str, Any], at: datetime) -> None:
        self._check_lead_unit(actor)
        if self.status not in ("acknowledged", "returned"):
            raise _wrong_state("反馈办理结果", "submit feedback on", self.status)
        self._feedback_submitted(
            unit=self.lead_unit,
            content=content,
            due_date=self.due_date,
            original_due_date=self.original_due_date,
            on_time=None if self.due_at is None else at <= self.due_at,
            actor=actor,
            at=at,
        )

    def accept(self, comment: str, actor: dict[str, Any], at: datetime) -> None:
        if self.status != "feedback_submitted":
            raise _wrong_state("审核通过", "accept feedback on", self.status)
        self._feedback_accepted(comment=comment, actor=actor, at=at)
        if self.source in RECTIFIABLE_SOURCES:
            # 整改一件，销号一件: an accepted rectification crosses the problem off the ledger.
            self._rectified(note=comment, actor=actor, at=at)
        self._closed(actor=actor, at=at)

    def return_for_rework(
        self,
        comment: str,
        due_date: date | None,
        today: date,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        if self.status != "feedback_submitted":
            raise _wrong_state("退回重办", "return", self.status)
        if not comment.strip():
            raise Refused("comment_required", "退回重办须说明理由", "a return needs a reason")
        check_not_past(due_date, today)
        self._feedback_returned(
            comment=comment, due_date=due_date, returned_on=today, actor=actor, at=at
        )

    def request_extension(
        self, reason: str, proposed_due_date: date, today: date, actor: dict[str, Any], at: datetime
    ) -> None:
        self._check_lead_unit(actor)
        if self.status not in ("assigned", "acknowledged", "returned"):
            raise _wrong_state("申请延期", "request an extension on", self.status)
        if self.extension_requested is not None:
            raise Refused(
                "extension_pending", "已有待审批的延期申请", "an extension request is pending", 409
            )
        if not reason.strip():
            raise Refused("reason_required", "延期申请须说明理由", "a request needs a reason")
        check_not_past(proposed_due_date, today)
        self._extension_requested(
            unit=self.lead_unit,
            reason=reason,
            proposed_due_date=proposed_due_date,
            actor=actor,
            at=at,
        )

    def decide_extension(
        self,
        grant: bool,
        due_date: date | None,
        comment: str,
        today: date,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        if self.extension_requested is None:
            raise Refused(
                "no_extension_request", "没有待审批的延期申请", "no extension request pending", 409
            )
        if self.status not in ("assigned", "acknowledged", "returned"):
            raise _wrong_state("审批延期", "decide an extension on", self.status)
        if not grant:
            self._extension_denied(comment=comment, actor=actor, at=at)
            return
        granted = due_date or self.extension_requested
        check_not_past(granted, today)
        self._extension_granted(
            due_date=granted, comment=comment, granted_on=today, actor=actor, at=at
        )

    # --- what other services told the item ---

    def record_deadline(
        self, deadline: dict[str, Any], actor: dict[str, Any], at: datetime
    ) -> None:
        self._deadline_set(**deadline, actor=actor, at=at)

    def record_reminder(
        self, kind: str, due_date: date, actor: dict[str, Any], at: datetime
    ) -> None:
        if self.status != "closed":
            self._reminder_issued(
                kind=kind, due_date=due_date, unit=self.lead_unit, actor=actor, at=at
            )

    def record_escalation(
        self,
        level: int,
        action: str,
        due_date: date,
        overdue_working_days: int,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        if self.status == "closed" or level <= self.escalation_level:
            return
        if action == "escalate_to_leader":
            self._escalated_to_leader(
                level=level,
                leader=self.issued_by,
                due_date=due_date,
                overdue_working_days=overdue_working_days,
                actor=actor,
                at=at,
            )
        else:
            self._penalty_recommended(
                level=level,
                penalty=action,
                unit=self.lead_unit,
                due_date=due_date,
                overdue_working_days=overdue_working_days,
                actor=actor,
                at=at,
            )

    def record_overdue(self, due_date: date, actor: dict[str, Any], at: datetime) -> bool:
        """Records `Overdue` once per due date, unless an answer came in time; returns
        whether it was recorded."""
        if due_date in self.overdue_dates or self.status == "closed":
            return False
        answered_in_time = (
            self.status == "feedback_submitted"
            and self.feedback_at is not None
            and self.due_at is not None
            and self.feedback_at <= self.due_at
        )
        if answered_in_time:
            return False
        self._overdue(due_date=due_date, actor=actor, at=at)
        return True

    def _check_lead_unit(self, actor: dict[str, Any]) -> None:
        if actor.get("role") == "handler" and actor.get("unit") != self.lead_unit:
            raise Refused(
                "not_lead_unit",
                "只有牵头单位可以办理此事项",
                "only the lead unit may act on this item",
                403,
            )

    # --- events ---

    @event("Assigned")
    def _assigned(
        self,
        lead_unit: str,
        co_units: list[str],
        due_date: date | None,
        assigned_on: date,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        self.lead_unit = lead_unit
        self.co_units = co_units
        self.status = "assigned"

    @event("Acknowledged")
    def _acknowledged(self, unit: str, actor: dict[str, Any], at: datetime) -> None:
        self.status = "acknowledged"

    @event("FeedbackSubmitted")
    def _feedback_submitted(
        self,
        unit: str,
        content: str,
        due_date: date | None,
        original_due_date: date | None,
        on_time: bool | None,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        self.status = "feedback_submitted"
        self.feedback_at = at

    @event("FeedbackAccepted")
    def _feedback_accepted(self, comment: str, actor: dict[str, Any], at: datetime) -> None:
        self.status = "feedback_accepted"

    @event("FeedbackReturned")
    def _feedback_returned(
        self,
        comment: str,
        due_date: date | None,
        returned_on: date,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        self.status = "returned"
        self.feedback_at = None

    @event("Rectified")
    def _rectified(self, note: str, actor: dict[str, Any], at: datetime) -> None:
        pass

    @event("Closed")
    def _closed(self, actor: dict[str, Any], at: datetime) -> None:
        self.status = "closed"

    @event("ExtensionRequested")
    def _extension_requested(
        self, unit: str, reason: str, proposed_due_date: date, actor: dict[str, Any], at: datetime
    ) -> None:
        self.extension_requested = proposed_due_date

    @event("ExtensionGranted")
    def _extension_granted(
        self, due_date: date, comment: str, granted_on: date, actor: dict[str, Any], at: datetime
    ) -> None:
        self.extension_requested = None

    @event("ExtensionDenied")
    def _extension_denied(self, comment: str, actor: dict[str, Any], at: datetime) -> None:
        self.extension_requested = None

    @event("DeadlineSet")
    def _deadline_set(
        self,
        due_date: date,
        due_at: datetime,
        basis: str,
        official_calendar: bool,
        original_due_date: date | None,
        extension: bool,
        period: str | None,
        period_start: date | None,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        self.due_date = due_date
        self.due_at = due_at
        self.original_due_date = original_due_date or self.original_due_date or due_date

    @event("ReminderIssued")
    def _reminder_issued(
        self, kind: str, due_date: date, unit: str | None, actor: dict[str, Any], at: datetime
    ) -> None:
        self.reminders += 1

    @event("EscalatedToLeader")
    def _escalated_to_leader(
        self,
        level: int,
        leader: str | None,
        due_date: date,
        overdue_working_days: int,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        self.escalation_level = level

    @event("PenaltyRecommended")
    def _penalty_recommended(
        self,
        level: int,
        penalty: str,
        unit: str | None,
        due_date: date,
        overdue_working_days: int,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        self.escalation_level = level
        self.penalty = penalty

    @event("Overdue")
    def _overdue(self, due_date: date, actor: dict[str, Any], at: datetime) -> None:
        self.overdue = True
        self.overdue_dates = [*self.overdue_dates, due_date]

    def view(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "version": self.version,
            "source": self.source,
            "title": self.title,
            "content": self.content,
            "external_ref": self.external_ref,
            "complexity": self.complexity,
            "issued_by": self.issued_by,
            "status": self.status,
            "status_label": STATUSES.get(self.status, self.status),
            "lead_unit": self.lead_unit,
            "co_units": self.co_units,
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "original_due_date": (
                self.original_due_date.isoformat() if self.original_due_date else None
            ),
            "overdue": self.overdue,
            "registered_at": self.registered_at.isoformat(),
        }
