"""Scoring's own aggregates: the rule book and each quarter's publications and appeals.

Pure Python (the eventsourcing library's aggregates): every change is an event in scoring's
chained, append-only store."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.kernel.errors import NotFound, Refused

SCORING_NAMESPACE = UUID("0b3f3f63-52f5-4d8e-9a9c-7e1f4ce1d2a4")


class RuleBookRecord(Aggregate):
    """Every version of the scoring rules the office has made (version 0, the defaults, is
    built in)."""

    ID = uuid5(SCORING_NAMESPACE, "rules")

    @event("RuleBookOpened")
    def __init__(self, id: UUID, actor: dict[str, Any], at: datetime) -> None:
        self.versions: list[dict[str, Any]] = []

    def change(
        self,
        rules: dict[str, Any],
        effective_from: date,
        reason: str,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        self._rules_changed(
            version=len(self.versions) + 1,
            rules=rules,
            effective_from=effective_from,
            reason=reason,
            actor=actor,
            at=at,
        )

    @event("RulesChanged")
    def _rules_changed(
        self,
        version: int,
        rules: dict[str, Any],
        effective_from: date,
        reason: str,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        self.versions = [
            *self.versions,
            {
                "version": version,
                "rules": rules,
                "effective_from": effective_from.isoformat(),
                "reason": reason,
                "by": actor.get("user"),
                "at": at.isoformat(),
            },
        ]


class QuarterRecord(Aggregate):
    """One quarter's published results (each a version, none ever replaced) and appeals."""

    @staticmethod
    def id_for(quarter: str) -> UUID:
        return uuid5(SCORING_NAMESPACE, f"quarter:{quarter}")

    @event("QuarterOpened")
    def __init__(self, id: UUID, quarter: str, actor: dict[str, Any], at: datetime) -> None:
        self.quarter = quarter
        self.publications: list[dict[str, Any]] = []
        self.appeals: list[dict[str, Any]] = []

    @property
    def latest(self) -> dict[str, Any] | None:
        return self.publications[-1] if self.publications else None

    def publish(
        self,
        result: dict[str, Any],
        digest: str,
        published_on: date,
        reason: str,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        self._scores_published(
            quarter=self.quarter,
            version=len(self.publications) + 1,
            digest=digest,
            published_on=published_on,
            reason=reason,
            result=result,
            actor=actor,
            at=at,
        )

    @event("ScoresPublished")
    def _scores_published(
        self,
        quarter: str,
        version: int,
        digest: str,
        published_on: date,
        reason: str,
        result: dict[str, Any],
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        entry = {
            "version": version,
            "digest": digest,
            "published_on": published_on.isoformat(),
            "reason": reason,
            "by": actor.get("user"),
            "result": result,
        }
        self.publications = [*self.publications, entry]

    def appeal(self, appeal_id: str) -> dict[str, Any]:
        for a in self.appeals:
            if a["id"] == appeal_id:
                return a
        raise NotFound("申诉", "appeal")

    def file_appeal(
        self, unit: str, point: str, reasons: str, actor: dict[str, Any], at: datetime
    ) -> dict[str, Any]:
        if any(a["point"] == point for a in self.appeals):
            raise Refused(
                "appeal_exists",
                "扣分项：该扣分项已提出过申诉，同一扣分项只能申诉一次，请在申诉列表中查看结果",
                "this deduction has been appealed already",
                409,
            )
        appeal_id = f"{self.quarter}-{len(self.appeals) + 1}"
        self._appeal_filed(
            appeal_id=appeal_id, unit=unit, point=point, reasons=reasons, actor=actor, at=at
        )
        return self.appeal(appeal_id)

    @event("AppealFiled")
    def _appeal_filed(
        self,
        appeal_id: str,
        unit: str,
        point: str,
        reasons: str,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        filed = {
            "id": appeal_id,
            "unit": unit,
            "point": point,
            "reasons": reasons,
            "filed_by": actor.get("user"),
            "filed_at": at.isoformat(),
            "status": "pending",
            "decision": None,
        }
        self.appeals = [*self.appeals, filed]

    def decide(
        self, appeal_id: str, outcome: str, comment: str, actor: dict[str, Any], at: datetime
    ) -> None:
        if self.appeal(appeal_id)["status"] != "pending":
            raise Refused(
                "appeal_decided",
                "申诉：该申诉已有处理结果，不能再次处理",
                "this appeal has been decided already",
                409,
            )
        self._appeal_decided(
            appeal_id=appeal_id, outcome=outcome, comment=comment, actor=actor, at=at
        )

    @event("AppealDecided")
    def _appeal_decided(
        self, appeal_id: str, outcome: str, comment: str, actor: dict[str, Any], at: datetime
    ) -> None:
        decision = {"comment": comment, "by": actor.get("user"), "at": at.isoformat()}
        self.appeals = [
            {**a, "status": outcome, "decision": decision} if a["id"] == appeal_id else a
            for a in self.appeals
        ]

    def overturned(self) -> dict[str, str]:
        """point id -> the appeal that overturned it."""
        return {a["point"]: a["id"] for a in self.appeals if a["status"] == "overturned"}
