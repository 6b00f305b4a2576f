"""Intake's commands: register a submission, at most once per source and external reference."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.intake.campaign import (
    Campaign,
    check_campaign,
    finding_source,
    periodic_drafts,
)
from services.intake.domain import (
    Submission,
    check_submission,
    checked_evidence,
    group_for,
    submission_id,
)
from services.kernel.clock import Clock
from services.kernel.dates import RECTIFICATION_DEADLINE, business_date
from services.kernel.errors import NotFound, Refused
from services.kernel.ports import DueDateRules
from services.kernel.store import LedgerApplication


class Intake(LedgerApplication):
    name = "intake"

    def __init__(self, clock: Clock, env: dict[str, str]) -> None:
        super().__init__(env)
        self.clock = clock

    def register(
        self,
        rules: DueDateRules,
        *,
        source: str,
        title: str,
        content: str,
        actor: dict[str, Any],
        external_ref: str | None = None,
        due_date: date | None = None,
        complexity: str | None = None,
        issued_by: str | None = None,
        details: dict[str, Any] | None = None,
        evidence: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Returns {"item_id", "created"}; a repeat of a known external reference returns
        the first item and creates nothing. A due date is checked with the deadline service's
        `rules` (a working day), as everywhere a date is set."""
        item_id = submission_id(source, external_ref)
        if external_ref and self._exists(item_id):
            return {"item_id": str(item_id), "created": False}
        now = self.clock.now()
        check_submission(source, complexity, due_date, business_date(now))
        files = checked_evidence(evidence or [])
        if due_date is not None:
            rules.check_due_date(source, due_date.isoformat(), True)
        submission = Submission(
            id=item_id,
            source=source,
            title=title,
            content=content,
            external_ref=external_ref,
            due_date=due_date,
            complexity=complexity,
            issued_by=issued_by,
            actor=actor,
            at=now,
            details=details or {},
            group=group_for(source, details or {}),
            evidence=files,
        )
        try:
            self.save(submission)
        except IntegrityError:
            # A concurrent registration of the same reference won the race.
            return {"item_id": str(item_id), "created": False}
        return {"item_id": str(item_id), "created": True}

    def register_batch(
        self, commands: list[dict[str, Any]], actor: dict[str, Any]
    ) -> dict[str, Any]:
        """An imported list: all rows or none, each row at most once ever (by external_ref).

        Returns {"created": [...], "existing": [...], "items": [...]} ("items": each row's
        item, in the rows' order) or, without saving anything, {"errors": [{"row": i,
        "message": ...}]} for rows the plan's rules refuse.
        """
        now = self.clock.now()
        today = business_date(now)
        created, existing, errors, new, items = [], [], [], [], []
        for row, command in enumerate(commands):
            ref = command.get("external_ref")
            if not ref:
                errors.append({"row": row, "message": "缺少编号，无法防止重复导入"})
                continue
            item_id = submission_id(command["source"], ref)
            items.append(str(item_id))
            if self._exists(item_id):
                existing.append(str(item_id))
                continue
            due = command.get("due_date")
            try:
                check_submission(
                    command["source"],
                    command.get("complexity"),
                    date.fromisoformat(due) if due else None,
                    today,
                )
            except Refused as e:
                errors.append({"row": row, "message": e.message_zh})
                continue
            details = command.get("details") or {}
            new.append(
                Submission(
                    id=item_id,
                    source=command["source"],
                    title=command["title"],
                    content=command["content"],
                    external_ref=ref,
                    due_date=date.fromisoformat(due) if due else None,
                    complexity=command.get("complexity"),
                    issued_by=command.get("issued_by"),
                    actor=actor,
                    at=now,
                    details=details,
                    group=group_for(command["source"], details),
                    evidence=[],  # None would be stored, and the contract refuses it
                )
            )
            created.append(str(item_id))
        if errors:
            return {"errors": errors}
        if new:
            try:
                self.save(*new)  # one transaction: the whole list or nothing
            except IntegrityError:
                raise Refused(
                    "import_conflict",
                    "同一名单正在被另一次导入处理，请稍后重试",
                    "the same list is being imported concurrently; retry",
                    409,
                ) from None
        return {"created": created, "existing": existing, "items": items}

    def _exists(self, item_id: UUID) -> bool:
        try:
            self.repository.get(item_id)
        except AggregateNotFoundError:
            return False
        return True

    # --- inspection campaigns ---

    def campaign(self, campaign_id: UUID) -> Campaign:
        try:
            return self.repository.get(campaign_id)
        except AggregateNotFoundError:
            raise NotFound("督查", "campaign") from None

    def ensure_periodic_campaigns(self, year: int, actor: dict[str, Any]) -> list[str]:
        """The year's four periodic campaigns as drafts from the plan file, made once: a draft
        that exists (edited or not) is left as it is. Returns the ids made now."""
        now = self.clock.now()
        made = []
        for draft in periodic_drafts(year):
            if self._exists(draft["id"]):
                continue
            campaign = Campaign(
                id=draft["id"],
                kind="periodic",
                year=year,
                title=draft["title"],
                plan=draft["plan"],
                month=draft["month"],
                actor=actor,
                at=now,
            )
            try:
                self.save(campaign)
            except IntegrityError:
                continue  # another copy made it at the same moment
            made.append(str(draft["id"]))
        return made

    def plan_campaign(
        self,
        kind: str,
        title: str,
        plan: dict[str, Any],
        upper_level: str | None,
        actor: dict[str, Any],
    ) -> dict[str, Any]:
        """A random, special or upper-level campaign (periodic ones come from the plan file)."""
        check_campaign(kind, title, upper_level)
        now = self.clock.now()
        if kind == "periodic":
            raise Refused(
                "periodic_from_plan",
                "督查类型：定期综合督查每年按工作方案自动生成方案草稿，请在列表中修改其方案，"
                "不要另建",
                "periodic campaigns are drafted from the plan file",
            )
        campaign = Campaign(
            id=uuid4(),
            kind=kind,
            year=business_date(now).year,
            title=title.strip(),
            plan=plan,
            upper_level=upper_level,
            actor=actor,
            at=now,
        )
        self.save(campaign)
        return campaign.view()

    def _change_campaign(
        self, campaign_id: UUID, act: Callable[[Campaign, datetime], None]
    ) -> dict[str, Any]:
        campaign = self.campaign(campaign_id)
        act(campaign, self.clock.now())
        self.save(campaign)
        return campaign.view()

    def change_plan(
        self,
        campaign_id: UUID,
        title: str,
        plan: dict[str, Any],
        reason: str,
        actor: dict[str, Any],
    ) -> dict[str, Any]:
        return self._change_campaign(
            campaign_id, lambda c, now: c.change_plan(title, plan, reason, actor, now)
        )

    def start_campaign(self, campaign_id: UUID, actor: dict[str, Any]) -> dict[str, Any]:
        return self._change_campaign(campaign_id, lambda c, now: c.start(actor, now))

    def close_campaign(
        self, campaign_id: UUID, reason: str, actor: dict[str, Any]
    ) -> dict[str, Any]:
        return self._change_campaign(campaign_id, lambda c, now: c.close(reason, actor, now))

    def record_visit(
        self,
        campaign_id: UUID,
        place: str,
        visited_at: datetime,
        team: list[str],
        found: str,
        evidence: list[dict[str, Any]],
        actor: dict[str, Any],
    ) -> dict[str, Any]:
        files = checked_evidence(evidence)
        return self._change_campaign(
            campaign_id,
            lambda c, now: c.record_visit(
                uuid4(), place, visited_at, team, found, files, actor, now
            ),
        )

    def record_finding(
        self,
        campaign_id: UUID,
        *,
        visit_id: UUID | None,
        title: str,
        facts: str,
        unit: str,
        person: str | None,
        severity: str,
        evidence: list[dict[str, Any]],
        previous_item: UUID | None,
        units: Collection[str],
        actor: dict[str, Any],
    ) -> dict[str, Any]:
        files = checked_evidence(evidence)
        return self._change_campaign(
            campaign_id,
            lambda c, now: c.record_finding(
                uuid4(),
                visit_id,
                title,
                facts,
                unit,
                person,
                severity,
                files,
                previous_item,
                units,
                actor,
                now,
            ),
        )

    def issue_finding(
        self,
        rules: DueDateRules,
        campaign_id: UUID,
        finding_id: UUID,
        *,
        task: str,
        measures: str,
        person: str | None,
        due_date: date,
        actor: dict[str, Any],
    ) -> dict[str, Any]:
        """督办通知: the finding and the item it becomes, in one transaction. Returns
        {"item_id", "created", "unit", "due_date"}; a finding issued already answers with its
        item and creates nothing, so a retried request goes on to the assignment."""
        campaign = self.campaign(campaign_id)
        finding = campaign.finding(finding_id)
        source = finding_source(campaign.kind)
        if finding["item_id"] is not None:
            notice = finding["notice"]
            return {
                "item_id": str(finding["item_id"]),
                "created": False,
                "unit": finding["unit"],
                "due_date": notice["due_date"].isoformat(),
                "campaign_version": campaign.version,
            }
        now = self.clock.now()
        rules.check_due_date(source, due_date.isoformat(), True, label=RECTIFICATION_DEADLINE)
        item_id = submission_id(source, f"finding:{finding_id}")
        campaign.issue(
            finding_id, item_id, task, measures, person, due_date, business_date(now), actor, now
        )
        issued = campaign.findings[finding_id]
        details = {
            "campaign_id": str(campaign.id),
            "campaign_title": campaign.title,
            "campaign_kind": campaign.kind,
            "upper_level": campaign.upper_level,
            "finding_id": str(finding_id),
            "severity": issued["severity"],
            "responsible_person": issued["notice"]["person"],
            "task": issued["notice"]["task"],
            "measures": issued["notice"]["measures"],
            "previous_item": str(issued["previous_item"]) if issued["previous_item"] else None,
        }
        submission = Submission(
            id=item_id,
            source=source,
            title=issued["title"] or issued["facts"][:60],
            content=issued["facts"],
            external_ref=f"finding:{finding_id}",
            due_date=due_date,
            complexity=None,
            issued_by=None,
            actor=actor,
            at=now,
            details=details,
            group=f"campaign:{campaign.id}",
            evidence=issued["evidence"],
        )
        try:
            # the finding is issued and its item received, or neither
            self.save(campaign, submission)
        except IntegrityError:
            # the same notice sent twice at once: the first one stands
            return self.issue_finding(
                rules,
                campaign_id,
                finding_id,
                task=task,
                measures=measures,
                person=person,
                due_date=due_date,
                actor=actor,
            )
        return {
            "item_id": str(item_id),
            "created": True,
            "unit": issued["unit"],
            "due_date": due_date.isoformat(),
            "campaign_version": campaign.version,
        }
