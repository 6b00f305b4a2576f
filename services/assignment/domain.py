"""The item: its whole accountability history, from registration to closing.

Every rule about what may happen to an item, and in which state, is here: `ALLOWED_STATES`
says which statuses allow each command, `services/kernel/access.py` who may give it, and
`Item._guard` checks both before any command records anything.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.kernel.access import ITEM_COMMANDS
from services.kernel.dates import check_not_past
from services.kernel.errors import Refused
from services.kernel.vocabulary import (
    RECTIFIABLE_SOURCES,
    REPLY_CLASS_LABELS,
    SATISFACTION_SOURCES,
    STATUS_AFTER,
    STATUS_LABELS,
    STATUSES,
    VERDICT_LABELS,
    Status,
)

NOTICE_NAMESPACE = UUID("1f7d5a2c-9b0e-4d3f-8a6c-2e4b6d8f0a13")
Evidence = list[dict[str, Any]]

OPEN_FOR_WORK: tuple[Status, ...] = ("assigned", "acknowledged", "returned")
# command -> the statuses that allow it: the one table of the item's life.
ALLOWED_STATES: dict[str, tuple[Status, ...]] = {
    "assign": ("registered",),
    "reassign": ("returned_by_unit", "assigned", "acknowledged"),
    "acknowledge": ("assigned",),
    "report_progress": OPEN_FOR_WORK,
    "submit_co_unit_opinion": OPEN_FOR_WORK,
    "record_indicator": tuple(s for s in STATUSES if s != "closed"),
    "return_to_office": ("assigned", "acknowledged"),
    "submit_feedback": ("acknowledged", "returned"),
    "accept": ("feedback_submitted",),
    "return_for_rework": ("feedback_submitted",),
    "request_extension": OPEN_FOR_WORK,
    "decide_extension": OPEN_FOR_WORK,
    "record_satisfaction": ("closed",),
}
# command -> how staff name it in a refusal ("不能……")
COMMAND_LABELS: dict[str, str] = {
    "assign": "交办",
    "reassign": "改派",
    "acknowledge": "签收",
    "report_progress": "报送进展",
    "submit_co_unit_opinion": "报送配合意见",
    "record_indicator": "报送月度数据",
    "return_to_office": "退回",
    "submit_feedback": "反馈办理结果",
    "accept": "审核通过",
    "return_for_rework": "退回重办",
    "request_extension": "申请延期",
    "decide_extension": "审批延期",
    "record_satisfaction": "记录满意度",
}


def notice_number(year: int, number: int) -> str:
    """The transfer notice's number, as printed on 《转办通知》."""
    return f"督转〔{year}〕{number}号"


def report_recipient(source: str, issued_by: str | None, details: dict[str, Any]) -> str:
    """一事一督、一督一报: who the answer goes back to."""
    if source == "instruction":
        return issued_by or "交办领导"
    if source in ("netizen", "hotline", "petition"):
        return {"netizen": "网民留言平台", "hotline": "12345 热线平台", "petition": "信访部门"}[
            source
        ]
    if source == "proposal":
        return str(details.get("author") or "代表委员")
    return issued_by or "县政府"


class Item(Aggregate):
    class Event(Aggregate.Event):
        def apply(self, aggregate: Any) -> None:
            # Runs after each event's own method: the status it leads to is the kernel's
            # STATUS_AFTER, the same table every read model follows.
            status = STATUS_AFTER.get(type(self).__name__)
            if status is not None:
                aggregate.status = status

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
        details: dict[str, Any] | None = None,
        group: str | None = None,
    ) -> None:
        self.source = source
        self.title = title
        self.content = content
        self.external_ref = external_ref
        self.requested_due_date = due_date
        self.complexity = complexity
        self.issued_by = issued_by
        self.details = details or {}
        self.group = group
        self.registered_at = at
        self.notice_number: str | None = None
        self.return_by: date | None = None
        self.reopened = False
        self.answer: str | None = None
        self.lead_unit: str | None = None
        self.co_units: list[str] = []
        self.due_date: date | None = None
        self.due_at: datetime | None = None
        self.overdue = False
        self.overdue_dates: list[date] = []
        self.feedback_at: datetime | None = None
        self.original_due_date: date | None = None
        self.extension_requested: date | None = None
        self.escalation_level = 0

    # --- commands (check, then record) ---

    def _guard(self, command: str, actor: dict[str, Any]) -> None:
        """The one check before every command: the item's status allows it (409), the actor's
        role may give it and a handler belongs to the unit it needs (403)."""
        if self.status not in ALLOWED_STATES[command]:
            raise Refused(
                "wrong_state",
                f"事项当前状态为“{STATUS_LABELS[self.status]}”，不能{COMMAND_LABELS[command]}",
                f"cannot {command} an item in status {self.status}",
                409,
            )
        permission = ITEM_COMMANDS[command]
        role = actor.get("role")
        if role not in permission.roles:
            raise Refused("forbidden", "无权执行此操作", f"role {role} may not {command}", 403)
        if role != "handler" or permission.unit is None:
            return
        unit = actor.get("unit")
        if permission.unit == "lead" and unit != self.lead_unit:
            raise Refused(
                "not_lead_unit",
                "只有牵头单位可以办理此事项",
                "only the lead unit may act on this item",
                403,
            )
        if permission.unit == "co" and unit not in self.co_units:
            raise Refused(
                "not_co_unit",
                "只有配合单位可以报送配合意见",
                "only a co-unit may send an opinion",
                403,
            )

    def assign(
        self,
        lead_unit: str,
        co_units: list[str],
        due_date: date | None,
        notice: str,
        return_by: date,
        today: date,
        actor: dict[str, Any],
        at: datetime,
        *,
        reassign: bool = False,
    ) -> None:
        """交办, or 改派 (`reassign`): the item goes to a lead unit (and co-units) with a
        numbered transfer notice; a reassignment may come after the unit returned it, or at
        any time before an answer."""
        self._guard("reassign" if reassign else "assign", actor)
        if lead_unit in co_units:
            raise Refused(
                "lead_unit_in_co_units",
                "牵头单位不能同时作为配合单位",
                "the lead unit cannot also be a co-unit",
            )
        check_not_past(due_date, today)
        terms: dict[str, Any] = {
            "lead_unit": lead_unit,
            "co_units": list(dict.fromkeys(co_units)),
            "due_date": due_date or self.requested_due_date,
            "assigned_on": today,
            "notice_number": notice,
            "return_by": return_by,
            "actor": actor,
            "at": at,
        }
        if reassign:
            self._reassigned(**terms, previous_lead_unit=self.lead_unit)
        else:
            self._assigned(**terms)

    def return_to_office(
        self, reason: str, today: date, actor: dict[str, Any], at: datetime
    ) -> None:
        """退回: the lead unit says the item is not its business, within the window."""
        self._guard("return_to_office", actor)
        if not reason.strip():
            raise Refused("reason_required", "退回须说明理由", "a return needs a reason")
        if self.return_by is not None and today > self.return_by:
            raise Refused(
                "return_window_passed",
                f"已超过退回期限（{self.return_by}），如确非本单位职责请联系督查室改派",
                f"the return window ended on {self.return_by}; ask the office to reassign",
                409,
            )
        self._returned_by_unit(unit=self.lead_unit, reason=reason, actor=actor, at=at)

    def report_progress(
        self,
        content: str,
        evidence: Evidence,
        period: str | None,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        self._guard("report_progress", actor)
        self._progress_reported(
            unit=self.lead_unit,
            content=content,
            evidence=evidence,
            period=period,
            actor=actor,
            at=at,
        )

    def submit_co_unit_opinion(
        self, content: str, evidence: Evidence, actor: dict[str, Any], at: datetime
    ) -> None:
        self._guard("submit_co_unit_opinion", actor)
        self._co_unit_opinion_submitted(
            unit=actor.get("unit"), content=content, evidence=evidence, actor=actor, at=at
        )

    def record_indicator(
        self, month: str, value: float, actor: dict[str, Any], at: datetime
    ) -> None:
        """月调度: an economic indicator's figure for a month, against its annual target."""
        self._guard("record_indicator", actor)
        if self.source != "work_report" or self.details.get("kind") != "indicator":
            raise Refused(
                "not_an_indicator", "只有主要经济指标可以报送月度数据", "not an indicator", 409
            )
        target = float(self.details.get("target") or 0)
        self._indicator_reported(
            month=month,
            value=value,
            target=target,
            gap=round(target - value, 4),
            actor=actor,
            at=at,
        )

    def record_satisfaction(
        self,
        verdict: str,
        comment: str,
        due_date: date | None,
        today: date,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        """回访: the author's or citizen's verdict; 不满意 reopens the item once."""
        self._guard("record_satisfaction", actor)
        if self.source not in SATISFACTION_SOURCES:
            raise Refused(
                "no_satisfaction", "该类事项不做满意度回访", "this source has no satisfaction", 409
            )
        if verdict not in VERDICT_LABELS:
            raise Refused(
                "unknown_verdict", f"未知的满意度：{verdict}", f"unknown verdict {verdict}"
            )
        check_not_past(due_date, today)
        self._satisfaction_recorded(verdict=verdict, comment=comment, actor=actor, at=at)
        if verdict == "unsatisfied" and not self.reopened:
            self._reopened(reason=comment, due_date=due_date, reopened_on=today, actor=actor, at=at)

    def acknowledge(self, actor: dict[str, Any], at: datetime) -> None:
        self._guard("acknowledge", actor)
        self._acknowledged(unit=self.lead_unit, actor=actor, at=at)

    def submit_feedback(
        self,
        content: str,
        actor: dict[str, Any],
        at: datetime,
        evidence: Evidence | None = None,
        reply_class: str | None = None,
    ) -> None:
        self._guard("submit_feedback", actor)
        if self.source == "proposal" and reply_class not in REPLY_CLASS_LABELS:
            raise Refused(
                "reply_class_required",
                "建议提案的答复须注明类别（A 已解决或采纳、B 正在解决或列入计划、"
                "C 因条件限制暂不能解决、D 留作参考）",
                "a reply to a proposal needs its class A, B, C or D",
            )
        self._feedback_submitted(
            unit=self.lead_unit,
            content=content,
            evidence=evidence or [],
            reply_class=reply_class,
            due_date=self.due_date,
            original_due_date=self.original_due_date,
            on_time=None if self.due_at is None else at <= self.due_at,
            actor=actor,
            at=at,
        )

    def accept(self, comment: str, actor: dict[str, Any], at: datetime) -> None:
        self._guard("accept", actor)
        self._feedback_accepted(comment=comment, actor=actor, at=at)
        if self.source in RECTIFIABLE_SOURCES:
            # 整改一件，销号一件: an accepted rectification crosses the problem off the ledger.
            self._rectified(note=comment, actor=actor, at=at)
        self._reported_back(
            recipient=report_recipient(self.source, self.issued_by, self.details),
            answer=self.answer or "",
            actor=actor,
            at=at,
        )
        self._closed(actor=actor, at=at)

    def return_for_rework(
        self,
        comment: str,
        due_date: date | None,
        today: date,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        self._guard("return_for_rework", actor)
        if not comment.strip():
            raise Refused("comment_required", "退回重办须说明理由", "a return needs a reason")
        check_not_past(due_date, today)
        self._feedback_returned(
            comment=comment, due_date=due_date, returned_on=today, actor=actor, at=at
        )

    def request_extension(
        self, reason: str, proposed_due_date: date, today: date, actor: dict[str, Any], at: datetime
    ) -> None:
        self._guard("request_extension", actor)
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
        self._guard("decide_extension", actor)
        if self.extension_requested is None:
            raise Refused(
                "no_extension_request", "没有待审批的延期申请", "no extension request pending", 409
            )
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
        notice_number: str | None = None,
        return_by: date | None = None,
    ) -> None:
        self.lead_unit = lead_unit
        self.co_units = co_units
        self.notice_number = notice_number
        self.return_by = return_by

    @event("Reassigned")
    def _reassigned(
        self,
        lead_unit: str,
        co_units: list[str],
        due_date: date | None,
        assigned_on: date,
        notice_number: str,
        return_by: date,
        previous_lead_unit: str | None,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        self.lead_unit = lead_unit
        self.co_units = co_units
        self.notice_number = notice_number
        self.return_by = return_by

    @event("ReturnedByUnit")
    def _returned_by_unit(
        self, unit: str, reason: str, actor: dict[str, Any], at: datetime
    ) -> None:
        """Only the status moves (STATUS_AFTER)."""

    @event("ProgressReported")
    def _progress_reported(
        self,
        unit: str,
        content: str,
        evidence: Evidence,
        period: str | None,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        pass

    @event("CoUnitOpinionSubmitted")
    def _co_unit_opinion_submitted(
        self, unit: str, content: str, evidence: Evidence, actor: dict[str, Any], at: datetime
    ) -> None:
        pass

    @event("IndicatorReported")
    def _indicator_reported(
        self,
        month: str,
        value: float,
        target: float,
        gap: float,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        pass

    @event("SatisfactionRecorded")
    def _satisfaction_recorded(
        self, verdict: str, comment: str, actor: dict[str, Any], at: datetime
    ) -> None:
        pass  # the verdict is on the record; it changes nothing the item checks

    @event("Reopened")
    def _reopened(
        self,
        reason: str,
        due_date: date | None,
        reopened_on: date,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        self.reopened = True
        self.feedback_at = None

    @event("ReportedBack")
    def _reported_back(
        self, recipient: str, answer: str, actor: dict[str, Any], at: datetime
    ) -> None:
        pass

    @event("Acknowledged")
    def _acknowledged(self, unit: str, actor: dict[str, Any], at: datetime) -> None:
        """Only the status moves (STATUS_AFTER)."""

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
        evidence: Evidence | None = None,
        reply_class: str | None = None,
    ) -> None:
        self.feedback_at = at
        self.answer = content

    @event("FeedbackAccepted")
    def _feedback_accepted(self, comment: str, actor: dict[str, Any], at: datetime) -> None:
        """Only the status moves (STATUS_AFTER)."""

    @event("FeedbackReturned")
    def _feedback_returned(
        self,
        comment: str,
        due_date: date | None,
        returned_on: date,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        self.feedback_at = None

    @event("Rectified")
    def _rectified(self, note: str, actor: dict[str, Any], at: datetime) -> None:
        pass

    @event("Closed")
    def _closed(self, actor: dict[str, Any], at: datetime) -> None:
        """Only the status moves (STATUS_AFTER)."""

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
        co_unit_due_date: date | None = None,
    ) -> None:
        self.due_date = due_date
        self.due_at = due_at
        self.original_due_date = original_due_date or self.original_due_date or due_date

    @event("ReminderIssued")
    def _reminder_issued(
        self, kind: str, due_date: date, unit: str | None, actor: dict[str, Any], at: datetime
    ) -> None:
        pass

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
            "details": self.details,
            "group": self.group,
            "notice_number": self.notice_number,
            "status": self.status,
            "status_label": STATUS_LABELS[self.status],
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


class NoticeRegister(Aggregate):
    """The year's register of transfer notices (《转办通知》), numbered 1, 2, 3, …"""

    @staticmethod
    def id_for(year: int) -> UUID:
        return uuid5(NOTICE_NAMESPACE, f"transfer-notices:{year}")

    @event("NoticeRegisterOpened")
    def __init__(self, id: UUID, year: int, actor: dict[str, Any], at: datetime) -> None:
        self.year = year
        self.last = 0

    @event("NoticeNumberIssued")
    def issue(self, item_id: UUID, actor: dict[str, Any], at: datetime) -> None:
        self.last += 1

    def current(self) -> str:
        return notice_number(self.year, self.last)
