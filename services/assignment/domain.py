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

from services.kernel.access import ITEM_COMMANDS, ROLE_LABELS
from services.kernel.dates import PROPOSED_DUE_DATE, check_not_past, written
from services.kernel.errors import Refused
from services.kernel.vocabulary import (
    FINAL_STATUSES,
    PENALTY_LABELS,
    RECTIFIABLE_SOURCES,
    REPLY_CLASS_LABELS,
    SATISFACTION_SOURCES,
    SOURCE_LABELS,
    STATUS_AFTER,
    STATUS_LABELS,
    STATUSES,
    VERDICT_LABELS,
    Status,
    choices,
)

NOTICE_NAMESPACE = UUID("1f7d5a2c-9b0e-4d3f-8a6c-2e4b6d8f0a13")
Evidence = list[dict[str, Any]]

OPEN_FOR_WORK: tuple[Status, ...] = ("assigned", "acknowledged", "returned")
# what the lead unit does once it has signed for the item (签收)
SIGNED: tuple[Status, ...] = ("acknowledged", "returned")
NOT_FINAL: tuple[Status, ...] = tuple(s for s in STATUSES if s not in FINAL_STATUSES)
# command -> the statuses that allow it: the one table of the item's life.
ALLOWED_STATES: dict[str, tuple[Status, ...]] = {
    "assign": ("registered",),
    "reassign": ("returned_by_unit", "assigned", "acknowledged"),
    "acknowledge": ("assigned",),
    "report_progress": SIGNED,
    "submit_co_unit_opinion": OPEN_FOR_WORK,
    "record_indicator": SIGNED,
    "return_to_office": ("assigned", "acknowledged"),
    "submit_feedback": SIGNED,
    "accept": ("feedback_submitted",),
    "return_for_rework": ("feedback_submitted",),
    "request_extension": SIGNED,
    "decide_extension": SIGNED,
    "record_satisfaction": ("closed",),
    # against a unit that had the item: once it was assigned, even after it closed
    "recommend_penalty": tuple(
        s for s in STATUSES if s not in ("registered", "cancelled", "merged")
    ),
    # 表扬 of a unit's work: once it had the item, even after it closed
    "commend": tuple(s for s in STATUSES if s not in ("registered", "cancelled", "merged")),
    "cancel": NOT_FINAL,
    "merge": NOT_FINAL,
}
# the commands that wait for the lead unit to sign for the item (请先签收)
SIGN_FIRST = frozenset(
    command
    for command, states in ALLOWED_STATES.items()
    if "acknowledged" in states and "assigned" not in states
)
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
    "recommend_penalty": "提出问责建议",
    "commend": "表扬",
    "cancel": "撤销",
    "merge": "合并",
}


def next_steps(status: str) -> str:
    """What may still be done to an item in `status`, as a refusal tells it."""
    possible = [COMMAND_LABELS[c] for c, states in ALLOWED_STATES.items() if status in states]
    if not possible:
        return "此状态下不能再办理"
    return f"此状态下可以：{'、'.join(possible)}"


def notice_number(year: int, number: int, source: str = "instruction") -> str:
    """The notice's number: 《督办通知》 for a problem an inspection found (督办〔2026〕N号),
    《转办通知》 for everything else (督转〔2026〕N号); one register numbers both each year."""
    prefix = "督办" if source in RECTIFIABLE_SOURCES else "督转"
    return f"{prefix}〔{year}〕{number}号"


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
        evidence: list[dict[str, Any]] | None = None,
    ) -> None:
        self.source = source
        self.title = title
        self.evidence = evidence or []  # what the office brought from the site
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
        self.overdue = False  # overdue now: past its due date with no answer
        self.overdue_dates: list[date] = []
        self.feedback_at: datetime | None = None
        self.original_due_date: date | None = None
        self.extension_requested: date | None = None
        self.escalation_level = 0
        self.units_involved: list[str] = []  # every unit that has been lead or co-unit
        self.dispatch_due: date | None = None  # the office's own time to assign it
        self.verdict_given = False  # a verdict on the current answer is on record

    # --- commands (check, then record) ---

    def _guard(self, command: str, actor: dict[str, Any]) -> None:
        """The one check before every command: the item's status allows it (409), the actor's
        role may give it and a handler belongs to the unit it needs (403)."""
        if self.status == "assigned" and command in SIGN_FIRST:
            raise Refused(
                "sign_first",
                f"请先签收：事项交办后须由牵头单位签收，签收后才能{COMMAND_LABELS[command]}",
                f"sign for the item before you {command}",
                409,
            )
        if self.status not in ALLOWED_STATES[command]:
            raise Refused(
                "wrong_state",
                f"事项当前状态为“{STATUS_LABELS[self.status]}”，不能{COMMAND_LABELS[command]}；"
                f"{next_steps(self.status)}",
                f"cannot {command} an item in status {self.status}",
                409,
            )
        permission = ITEM_COMMANDS[command]
        role = actor.get("role")
        if role not in permission.roles:
            allowed = "、".join(ROLE_LABELS[r] for r in permission.roles)
            raise Refused(
                "forbidden",
                f"无权执行此操作：{COMMAND_LABELS[command]}仅限{allowed}办理",
                f"role {role} may not {command}",
                403,
            )
        if role != "handler" or permission.unit is None:
            return
        unit = actor.get("unit")
        if permission.unit == "lead" and unit != self.lead_unit:
            raise Refused(
                "not_lead_unit",
                f"只有牵头单位可以{COMMAND_LABELS[command]}；本单位不是此事项的牵头单位，"
                "如需提出意见请报送配合意见",
                "only the lead unit may act on this item",
                403,
            )
        if permission.unit == "co" and unit not in self.co_units:
            raise Refused(
                "not_co_unit",
                "只有配合单位可以报送配合意见；牵头单位请报送进展或反馈办理结果",
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
                f"配合单位：牵头单位 {lead_unit} 不能同时作为配合单位，请从配合单位中去掉",
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
            raise Refused(
                "reason_required",
                "退回理由：必填，请写明为何不属于本单位职责",
                "a return needs a reason",
            )
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
        if self.source == "work_report" and period is not None:
            year = int(self.details.get("year") or 0)
            if not period.startswith(f"{year}-Q"):
                raise Refused(
                    "period_outside_year",
                    f"报告期：{period} 不在报告年度 {year} 年内，请填写 {year}-Q1 至 {year}-Q4",
                    f"period {period} is outside the report's year {year}",
                )
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
        self, month: str, value: float, today: date, actor: dict[str, Any], at: datetime
    ) -> None:
        """月调度: an economic indicator's figure for one month of its report's year, against
        its annual target; a month sent again is a correction of that month."""
        self._guard("record_indicator", actor)
        if self.source != "work_report" or self.details.get("kind") != "indicator":
            raise Refused(
                "not_an_indicator",
                "月份：只有《政府工作报告》主要经济指标报送月度数据，本事项是"
                f"“{SOURCE_LABELS[self.source]}”，请改为报送进展",
                "not an indicator",
                409,
            )
        year = int(self.details.get("year") or today.year)
        reported = date(int(month[:4]), int(month[5:7]), 1)
        if reported.year != year:
            raise Refused(
                "month_outside_year",
                f"月份：{month} 不在报告年度 {year} 年内，请填写 {year}-01 至 {year}-12 之间的月份",
                f"month {month} is outside the report's year {year}",
            )
        if reported > today:
            raise Refused(
                "month_in_future",
                f"月份：{month} 还未到，只能报送本月及以前月份的数据",
                f"month {month} is in the future",
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
            surveyed = "、".join(SOURCE_LABELS[s] for s in SATISFACTION_SOURCES)
            raise Refused(
                "no_satisfaction",
                f"满意度：“{SOURCE_LABELS[self.source]}”不做满意度回访，只有{surveyed}回访",
                "this source has no satisfaction",
                409,
            )
        if verdict not in VERDICT_LABELS:
            raise Refused(
                "unknown_verdict",
                f"满意度：{verdict} 不是可选的取值，请选择以下之一：{choices(VERDICT_LABELS)}",
                f"unknown verdict {verdict}",
            )
        if self.verdict_given:
            raise Refused(
                "verdict_recorded",
                "满意度：本次答复的回访结果已记录，同一答复只记录一次；如需更正请联系督查室",
                "a verdict on this answer is already on record",
                409,
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
                "答复类别：建议提案的答复须注明类别，请选择以下之一："
                f"{choices(REPLY_CLASS_LABELS)}",
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

    def accept(
        self,
        comment: str,
        actor: dict[str, Any],
        at: datetime,
        evidence: Evidence | None = None,
        verification: str | None = None,
    ) -> None:
        self._guard("accept", actor)
        self._feedback_accepted(
            comment=comment,
            evidence=evidence or [],
            verification=verification,
            actor=actor,
            at=at,
        )
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
        evidence: Evidence | None = None,
        verification: str | None = None,
    ) -> None:
        self._guard("return_for_rework", actor)
        if not comment.strip():
            raise Refused(
                "comment_required",
                "审核意见：退回重办须写明理由，告诉承办单位还差什么",
                "a return needs a reason",
            )
        check_not_past(due_date, today)
        self._feedback_returned(
            comment=comment,
            due_date=due_date,
            returned_on=today,
            evidence=evidence or [],
            verification=verification,
            actor=actor,
            at=at,
        )

    def commend(self, unit: str, reasons: str, actor: dict[str, Any], at: datetime) -> None:
        """表扬 by a county leader or the office: a unit that had the item, with reasons."""
        self._guard("commend", actor)
        if unit not in self.units_involved:
            raise Refused(
                "unit_not_involved",
                f"单位：{unit} 没有承办过本事项，表扬只能给予承办过它的单位："
                f"{'、'.join(self.units_involved)}",
                f"unit {unit} never had this item",
            )
        if not reasons.strip():
            raise Refused(
                "reasons_required",
                "表扬理由：必填，请写明肯定的工作",
                "a commendation needs reasons",
            )
        self._commended(unit=unit, reasons=reasons.strip(), actor=actor, at=at)

    @event("Commended")
    def _commended(self, unit: str, reasons: str, actor: dict[str, Any], at: datetime) -> None:
        pass

    def recommend_penalty(
        self, penalty: str, unit: str, reasons: str, actor: dict[str, Any], at: datetime
    ) -> None:
        """问责建议 by the office, by hand: against a unit that had the item, with reasons."""
        self._guard("recommend_penalty", actor)
        if penalty not in PENALTY_LABELS:
            raise Refused(
                "unknown_penalty",
                f"问责措施：{penalty} 不是可选的取值，请选择以下之一：{choices(PENALTY_LABELS)}",
                f"unknown penalty {penalty}",
            )
        if unit not in self.units_involved:
            raise Refused(
                "unit_not_involved",
                f"单位：{unit} 没有承办过本事项，问责建议只能针对承办过它的单位："
                f"{'、'.join(self.units_involved)}",
                f"unit {unit} never had this item",
            )
        if not reasons.strip():
            raise Refused(
                "reasons_required",
                "问责理由：必填，请写明事实和理由",
                "a penalty needs its reasons",
            )
        self._penalty_recommended(
            level=None, penalty=penalty, unit=unit, reasons=reasons, actor=actor, at=at
        )

    def cancel(self, reason: str, actor: dict[str, Any], at: datetime) -> None:
        """撤销: a mistaken registration leaves the lists; it stays in the record."""
        self._guard("cancel", actor)
        if not reason.strip():
            raise Refused(
                "reason_required",
                "撤销理由：必填，请写明撤销的原因，如重复登记、登记有误",
                "a cancellation needs a reason",
            )
        self._item_cancelled(reason=reason, actor=actor, at=at)

    def merge(self, into: UUID, reason: str, actor: dict[str, Any], at: datetime) -> None:
        """合并: a duplicate is folded into its original, which goes on alone."""
        self._guard("merge", actor)
        if into == self.id:
            raise Refused(
                "merge_into_itself",
                "合并到：不能合并到事项自身，请填写原事项的编号",
                "cannot merge into itself",
            )
        if not reason.strip():
            raise Refused(
                "reason_required",
                "合并理由：必填，请写明与原事项重复之处",
                "a merge needs a reason",
            )
        self._item_merged(into=into, reason=reason, actor=actor, at=at)

    def request_extension(
        self, reason: str, proposed_due_date: date, today: date, actor: dict[str, Any], at: datetime
    ) -> None:
        self._guard("request_extension", actor)
        if self.extension_requested is not None:
            raise Refused(
                "extension_pending",
                f"已有一份待审批的延期申请（申请延期至{written(self.extension_requested)}），"
                "请等督查室审批后再申请",
                "an extension request is pending",
                409,
            )
        if not reason.strip():
            raise Refused(
                "reason_required",
                "延期理由：必填，请写明需要延期的原因",
                "a request needs a reason",
            )
        check_not_past(proposed_due_date, today, PROPOSED_DUE_DATE)
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
                "no_extension_request",
                "没有待审批的延期申请，无需审批；请刷新事项查看最新情况",
                "no extension request pending",
                409,
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
        self,
        kind: str,
        due_date: date | None,
        unit: str | None,
        period: str | None,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        if self.status not in FINAL_STATUSES:
            self._reminder_issued(
                kind=kind, due_date=due_date, unit=unit, period=period, actor=actor, at=at
            )

    def record_dispatch_deadline(
        self, due_date: date, working_days: int, actor: dict[str, Any], at: datetime
    ) -> None:
        self._dispatch_deadline_set(
            due_date=due_date, working_days=working_days, actor=actor, at=at
        )

    def record_escalation(
        self,
        level: int,
        action: str,
        due_date: date,
        overdue_working_days: int,
        leader: dict[str, str | None],
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        """A step of the ladder, for the unit that has the item now: to the county leader
        `leader` (the one who issued an instruction, else the unit's leader in charge, else
        the county's default), or a penalty recommended against the unit."""
        if self.status in FINAL_STATUSES or level <= self.escalation_level:
            return
        if action == "escalate_to_leader":
            self._escalated_to_leader(
                level=level,
                leader=leader["name"],
                leader_code=leader["code"],
                leader_user=leader["username"],
                unit=self.lead_unit,
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
                reasons=f"逾期{overdue_working_days}个工作日仍未办结",
                actor=actor,
                at=at,
            )

    def record_overdue(
        self, due_date: date, unit: str | None, actor: dict[str, Any], at: datetime
    ) -> bool:
        """Records `Overdue` once per due date, against the unit that let it run late, unless an
        answer came in time; returns whether it was recorded."""
        if due_date in self.overdue_dates or self.status in FINAL_STATUSES:
            return False
        answered_in_time = (
            self.status == "feedback_submitted"
            and self.feedback_at is not None
            and self.due_at is not None
            and self.feedback_at <= self.due_at
        )
        if answered_in_time:
            return False
        self._overdue(due_date=due_date, unit=unit or self.lead_unit, actor=actor, at=at)
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
        self._involve(lead_unit, *co_units)

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
        self._involve(lead_unit, *co_units)
        # the new lead unit starts clean: lateness and escalation stay with the unit that
        # earned them, in the record
        self.overdue = False
        self.overdue_dates = []
        self.escalation_level = 0
        self.original_due_date = None
        self.extension_requested = None

    def _involve(self, *units: str) -> None:
        self.units_involved = list(dict.fromkeys([*self.units_involved, *units]))

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
        self.verdict_given = True

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
        self.overdue = False  # answered: no longer overdue now (the record keeps that it was)
        self.verdict_given = False  # a new answer gets its own verdict

    @event("FeedbackAccepted")
    def _feedback_accepted(
        self,
        comment: str,
        actor: dict[str, Any],
        at: datetime,
        evidence: Evidence | None = None,
        verification: str | None = None,
    ) -> None:
        """Only the status moves (STATUS_AFTER)."""

    @event("FeedbackReturned")
    def _feedback_returned(
        self,
        comment: str,
        due_date: date | None,
        returned_on: date,
        actor: dict[str, Any],
        at: datetime,
        evidence: Evidence | None = None,
        verification: str | None = None,
    ) -> None:
        self.feedback_at = None

    @event("Rectified")
    def _rectified(self, note: str, actor: dict[str, Any], at: datetime) -> None:
        pass

    @event("Closed")
    def _closed(self, actor: dict[str, Any], at: datetime) -> None:
        self.overdue = False

    @event("ItemCancelled")
    def _item_cancelled(self, reason: str, actor: dict[str, Any], at: datetime) -> None:
        self.overdue = False

    @event("ItemMerged")
    def _item_merged(self, into: UUID, reason: str, actor: dict[str, Any], at: datetime) -> None:
        self.overdue = False

    @event("DispatchDeadlineSet")
    def _dispatch_deadline_set(
        self, due_date: date, working_days: int, actor: dict[str, Any], at: datetime
    ) -> None:
        self.dispatch_due = due_date

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
        self.overdue = False  # a new due date: overdue again only once it passes

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
        leader_code: str | None = None,
        leader_user: str | None = None,
        unit: str | None = None,
    ) -> None:
        self.escalation_level = level

    @event("PenaltyRecommended")
    def _penalty_recommended(
        self,
        level: int | None,
        penalty: str,
        unit: str | None,
        actor: dict[str, Any],
        at: datetime,
        due_date: date | None = None,
        overdue_working_days: int | None = None,
        reasons: str | None = None,
    ) -> None:
        if level is not None:  # a ladder step; one recommended by hand moves no ladder
            self.escalation_level = level

    @event("Overdue")
    def _overdue(
        self, due_date: date, actor: dict[str, Any], at: datetime, unit: str | None = None
    ) -> None:
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
    """The year's register of notices (《转办通知》 and 《督办通知》), numbered 1, 2, 3, …"""

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

    def current(self, source: str) -> str:
        return notice_number(self.year, self.last, source)
