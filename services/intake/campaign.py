"""Inspection campaigns (督查活动): a plan, unannounced visits, findings, and each finding issued
to its unit with a supervision notice (督办通知), where it becomes an item.

What happens to an issued finding (rectification, rejection, 销号, the penalty ladder) is the
item's life (`services/assignment/domain.py`), not a second one kept here.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Collection
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.kernel.dates import RECTIFICATION_DEADLINE, check_not_past
from services.kernel.errors import Refused
from services.kernel.vocabulary import (
    CAMPAIGN_KIND_LABELS,
    CAMPAIGN_STATUS_LABELS,
    SEVERITY_LABELS,
    UPPER_LEVEL_LABELS,
    choices,
)

CAMPAIGN_NAMESPACE = UUID("5c1e0f7a-2b4d-4e8a-9c3f-7d6b5a4e3c21")
PERIODIC_PLAN = Path(__file__).with_name("periodic_campaigns.json")
Evidence = list[dict[str, Any]]


def periodic_id(year: int, month: int) -> UUID:
    """The same year and month always name the same periodic campaign: drafts made twice (two
    copies of intake starting at once, every January scan) are one campaign."""
    return uuid5(CAMPAIGN_NAMESPACE, f"periodic:{year}:{month}")


def periodic_drafts(year: int, plan_file: Path = PERIODIC_PLAN) -> list[dict[str, Any]]:
    """The year's four periodic campaigns as drafts, from the plan's themes and scope (data)."""
    plan = json.loads(plan_file.read_text(encoding="utf-8"))
    drafts = []
    for quarter in plan["quarters"]:
        month = int(quarter["month"])
        drafts.append(
            {
                "id": periodic_id(year, month),
                "month": month,
                "title": quarter["title"].format(year=year),
                "plan": {
                    "themes": list(quarter["themes"]),
                    "scope": list(plan["scope"]),
                    "methods": list(plan["methods"]),
                    "checks": list(plan["checks"]),
                    "team": [],
                    "starts_on": date(year, month, 1),
                    "ends_on": date(year, month, calendar.monthrange(year, month)[1]),
                },
            }
        )
    return drafts


def finding_source(kind: str) -> str:
    """An upper level's findings are tracked as `upper_inspection` items, the county's own as
    `finding` items; a campaign is never an item source of its own."""
    return "upper_inspection" if kind == "upper" else "finding"


def check_campaign(kind: str, title: str, upper_level: str | None) -> None:
    if kind not in CAMPAIGN_KIND_LABELS:
        raise Refused(
            "unknown_campaign_kind",
            f"督查类型：{kind} 不是可选的取值，请选择以下之一：{choices(CAMPAIGN_KIND_LABELS)}",
            f"unknown campaign kind {kind}",
        )
    if not title.strip():
        raise Refused(
            "title_required", "督查名称：必填，请填写督查名称", "a campaign needs a title"
        )
    if kind == "upper" and upper_level not in UPPER_LEVEL_LABELS:
        raise Refused(
            "upper_level_required",
            f"上级督查机关：承接上级督查须注明来自哪一级，请选择以下之一：{choices(UPPER_LEVEL_LABELS)}",
            "an upper-level campaign names the level it came from",
        )
    if kind != "upper" and upper_level is not None:
        raise Refused(
            "upper_level_not_applicable",
            "上级督查机关：只有承接上级督查才注明上级机关，请清空此项或把督查类型改为承接上级督查",
            "only an upper-level campaign names an upper level",
        )


def _plan_json(plan: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in plan.items()}


class Campaign(Aggregate):
    @event("CampaignPlanned")
    def __init__(
        self,
        id: UUID,
        kind: str,
        year: int,
        title: str,
        plan: dict[str, Any],
        actor: dict[str, Any],
        at: datetime,
        upper_level: str | None = None,
        month: int | None = None,
    ) -> None:
        self.kind = kind
        self.year = year
        self.title = title
        self.plan = plan
        self.upper_level = upper_level
        self.month = month
        self.status = "draft"
        self.planned_at = at
        self.visits: list[dict[str, Any]] = []
        self.findings: dict[UUID, dict[str, Any]] = {}

    # --- commands (check, then record) ---

    def _require(self, *statuses: str, doing: str) -> None:
        if self.status not in statuses:
            allowed = "、".join(CAMPAIGN_STATUS_LABELS[s] for s in statuses)
            raise Refused(
                "wrong_campaign_state",
                f"督查当前状态为“{CAMPAIGN_STATUS_LABELS[self.status]}”，不能{doing}；"
                f"只有{allowed}的督查可以{doing}",
                f"cannot {doing} a campaign in status {self.status}",
                409,
            )

    def change_plan(
        self, title: str, plan: dict[str, Any], reason: str, actor: dict[str, Any], at: datetime
    ) -> None:
        """The office edits a plan before the campaign starts."""
        self._require("draft", doing="修改方案")
        if not title.strip():
            raise Refused("title_required", "督查名称：必填，请填写督查名称", "a title is required")
        self._plan_changed(title=title.strip(), plan=plan, reason=reason, actor=actor, at=at)

    def start(self, actor: dict[str, Any], at: datetime) -> None:
        self._require("draft", doing="开始督查")
        self._started(actor=actor, at=at)

    def close(self, reason: str, actor: dict[str, Any], at: datetime) -> None:
        self._require("underway", doing="结束督查")
        self._closed(reason=reason, actor=actor, at=at)

    def record_visit(
        self,
        visit_id: UUID,
        place: str,
        visited_at: datetime,
        team: list[str],
        found: str,
        evidence: Evidence,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        """An unannounced visit, as it happens: nobody at the unit is told (no event for it)."""
        self._require("underway", doing="记录暗访")
        if not place.strip():
            raise Refused(
                "place_required", "地点：必填，请写明督查现场的地点", "a visit has a place"
            )
        self._visit_recorded(
            visit_id=visit_id,
            place=place.strip(),
            visited_at=visited_at,
            team=team or list(self.plan.get("team") or []),
            found=found,
            evidence=evidence,
            actor=actor,
            at=at,
        )

    def record_finding(
        self,
        finding_id: UUID,
        visit_id: UUID | None,
        title: str,
        facts: str,
        unit: str,
        person: str | None,
        severity: str,
        evidence: Evidence,
        previous_item: UUID | None,
        units: Collection[str],
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        """A problem found: facts, evidence, the responsible unit (one of `units`, the county's)
        and person, a severity; `previous_item`: the crossed-off problem it is found again of."""
        self._require("underway", doing="记录发现问题")
        if visit_id is not None and visit_id not in {v["visit_id"] for v in self.visits}:
            raise Refused(
                "unknown_visit",
                "现场督查：本次督查没有这条现场记录，请从本督查的现场记录中选择，或留空",
                "no such visit in this campaign",
            )
        if unit not in units:
            raise Refused(
                "unknown_unit",
                f"责任单位：没有编码为 {unit} 的承办单位，请在单位列表中选择",
                f"unknown unit: {unit}",
            )
        if severity not in SEVERITY_LABELS:
            raise Refused(
                "unknown_severity",
                f"严重程度：{severity} 不是可选的取值，请选择以下之一：{choices(SEVERITY_LABELS)}",
                f"unknown severity {severity}",
            )
        if not facts.strip():
            raise Refused(
                "facts_required", "问题事实：必填，请写明发现的事实", "a finding states its facts"
            )
        self._finding_recorded(
            finding_id=finding_id,
            visit_id=visit_id,
            title=title.strip(),
            facts=facts.strip(),
            unit=unit,
            person=person,
            severity=severity,
            evidence=evidence,
            previous_item=previous_item,
            actor=actor,
            at=at,
        )

    def finding(self, finding_id: UUID) -> dict[str, Any]:
        found = self.findings.get(finding_id)
        if found is None:
            raise Refused("not_found", "问题不存在", "finding not found", 404)
        return found

    def issue(
        self,
        finding_id: UUID,
        item_id: UUID,
        task: str,
        measures: str,
        person: str | None,
        due_date: date,
        today: date,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        """督办通知: the finding goes to its unit with a task, measures, the responsible person
        and a rectification deadline."""
        self._require("underway", "closed", doing="下发督办通知")
        finding = self.finding(finding_id)
        if finding["item_id"] is not None:
            raise Refused(
                "finding_issued",
                "此问题已下发督办通知，不能重复下发；请在问题台账中查看其整改情况",
                "the finding was issued already",
                409,
            )
        for value, label in ((task, "督办任务"), (measures, "整改措施")):
            if not value.strip():
                raise Refused(
                    "notice_incomplete",
                    f"{label}：必填，督办通知须写明任务、措施、责任和整改时限",
                    "a notice states its task and measures",
                )
        check_not_past(due_date, today, RECTIFICATION_DEADLINE)
        self._finding_issued(
            finding_id=finding_id,
            item_id=item_id,
            unit=finding["unit"],
            person=person or finding["person"],
            task=task.strip(),
            measures=measures.strip(),
            due_date=due_date,
            actor=actor,
            at=at,
        )

    # --- events ---

    @event("CampaignPlanChanged")
    def _plan_changed(
        self, title: str, plan: dict[str, Any], reason: str, actor: dict[str, Any], at: datetime
    ) -> None:
        self.title = title
        self.plan = plan

    @event("CampaignStarted")
    def _started(self, actor: dict[str, Any], at: datetime) -> None:
        self.status = "underway"

    @event("CampaignClosed")
    def _closed(self, reason: str, actor: dict[str, Any], at: datetime) -> None:
        self.status = "closed"

    @event("VisitRecorded")
    def _visit_recorded(
        self,
        visit_id: UUID,
        place: str,
        visited_at: datetime,
        team: list[str],
        found: str,
        evidence: Evidence,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        self.visits = [
            *self.visits,
            {
                "visit_id": visit_id,
                "place": place,
                "visited_at": visited_at,
                "team": team,
                "found": found,
                "evidence": evidence,
            },
        ]

    @event("FindingRecorded")
    def _finding_recorded(
        self,
        finding_id: UUID,
        visit_id: UUID | None,
        title: str,
        facts: str,
        unit: str,
        person: str | None,
        severity: str,
        evidence: Evidence,
        previous_item: UUID | None,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        self.findings = {
            **self.findings,
            finding_id: {
                "finding_id": finding_id,
                "visit_id": visit_id,
                "title": title,
                "facts": facts,
                "unit": unit,
                "person": person,
                "severity": severity,
                "evidence": evidence,
                "previous_item": previous_item,
                "recorded_at": at,
                "item_id": None,
                "notice": None,
            },
        }

    @event("FindingIssued")
    def _finding_issued(
        self,
        finding_id: UUID,
        item_id: UUID,
        unit: str,
        person: str | None,
        task: str,
        measures: str,
        due_date: date,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        notice = {"task": task, "measures": measures, "person": person, "due_date": due_date}
        self.findings = {
            **self.findings,
            finding_id: {**self.findings[finding_id], "item_id": item_id, "notice": notice},
        }

    def view(self, unit: str | None = None) -> dict[str, Any]:
        """The campaign as the office sees it; with `unit` (a handler's), only the findings
        issued to that unit and none of the visits."""
        findings = [
            f
            for f in self.findings.values()
            if unit is None or (f["item_id"] and f["unit"] == unit)
        ]
        return {
            "id": str(self.id),
            "version": self.version,
            "kind": self.kind,
            "kind_label": CAMPAIGN_KIND_LABELS[self.kind],
            "year": self.year,
            "month": self.month,
            "title": self.title,
            "upper_level": self.upper_level,
            "status": self.status,
            "status_label": CAMPAIGN_STATUS_LABELS[self.status],
            "plan": _plan_json(self.plan),
            "visits": [] if unit is not None else [_visit_json(v) for v in self.visits],
            "findings": [_finding_json(f) for f in findings],
        }


def _visit_json(visit: dict[str, Any]) -> dict[str, Any]:
    return {
        **visit,
        "visit_id": str(visit["visit_id"]),
        "visited_at": visit["visited_at"].isoformat(),
    }


def _finding_json(finding: dict[str, Any]) -> dict[str, Any]:
    notice = finding["notice"]
    return {
        **finding,
        "finding_id": str(finding["finding_id"]),
        "visit_id": str(finding["visit_id"]) if finding["visit_id"] else None,
        "previous_item": str(finding["previous_item"]) if finding["previous_item"] else None,
        "recorded_at": finding["recorded_at"].isoformat(),
        "item_id": str(finding["item_id"]) if finding["item_id"] else None,
        "notice": {**notice, "due_date": notice["due_date"].isoformat()} if notice else None,
    }
