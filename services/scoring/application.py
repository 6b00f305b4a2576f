"""Scoring's commands and queries: provisional and published quarters, appeals, rules, the
annual assessment; and its reaction to item events (the facts read model)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from services.kernel.clock import Clock
from services.kernel.consumer import Reaction
from services.kernel.contracts import Envelope
from services.kernel.dates import business_date, written
from services.kernel.errors import NotFound, Refused
from services.kernel.store import LedgerApplication
from services.kernel.vocabulary import APPEAL_OUTCOME_LABELS, choices
from services.scoring.domain import (
    DEFAULT_RULES,
    Fact,
    Quarter,
    RuleBook,
    RuleVersion,
    Unit,
    WorkingDays,
    annual,
    changes_since,
    corrected,
    digest,
    score_quarter,
)
from services.scoring.projections import fact_row
from services.scoring.records import QuarterRecord, RuleBookRecord
from services.scoring.rules import RuleSet

# Where a quarter's items come from: (first day, last day) -> (item id, facts) by item id.
ItemSource = Callable[[date, date], Iterable[tuple[str, list[Fact]]]]
OUTCOMES = tuple(APPEAL_OUTCOME_LABELS)


class Scoring(LedgerApplication):
    name = "scoring"

    def __init__(self, time: Clock, env: dict[str, str], items: ItemSource) -> None:
        super().__init__(env)
        self.time = time
        self.items = items

    def react(self, envelope: Envelope) -> Reaction:
        if envelope.origin != "assignment":
            return Reaction()
        return Reaction(projection=fact_row(envelope))

    def today(self) -> date:
        return business_date(self.time.now())

    # --- rules ---

    def _rule_record(self) -> RuleBookRecord | None:
        try:
            return self.repository.get(RuleBookRecord.ID)
        except AggregateNotFoundError:
            return None

    def rule_book(self) -> RuleBook:
        record = self._rule_record()
        versions = [DEFAULT_RULES]
        for v in record.versions if record else []:
            base = versions[-1].rules
            versions.append(
                RuleVersion(
                    v["version"],
                    date.fromisoformat(v["effective_from"]),
                    RuleSet.checked(v["rules"], base),
                    v["reason"],
                )
            )
        return RuleBook(tuple(versions))

    def rules_view(self) -> dict[str, Any]:
        book = self.rule_book()
        today = self.today()
        return {
            "in_force": book.in_force(today).version,
            "versions": [v.as_dict() for v in book.versions],
        }

    def change_rules(
        self, rules: Any, effective_from: date, reason: str, actor: dict[str, Any]
    ) -> dict[str, Any]:
        today = self.today()
        if effective_from < today:
            raise Refused(
                "effective_date_past",
                f"生效日期：{written(effective_from)}早于今天（{written(today)}），"
                "规则不能追溯适用，请选择今天或以后的日期",
                "rules cannot apply retroactively",
            )
        if not reason.strip():
            raise Refused("reason_required", "理由：必填，请写明修改考评规则的依据", "reason")
        book = self.rule_book()
        checked = RuleSet.checked(rules, book.versions[-1].rules)
        record = self._rule_record() or RuleBookRecord(
            id=RuleBookRecord.ID, actor=actor, at=self.time.now()
        )
        record.change(checked.as_dict(), effective_from, reason.strip(), actor, self.time.now())
        self.save(record)
        return self.rules_view()

    # --- quarters ---

    def _quarter_record(self, quarter: Quarter) -> QuarterRecord | None:
        try:
            return self.repository.get(QuarterRecord.id_for(quarter.label))
        except AggregateNotFoundError:
            return None

    def compute(
        self, quarter: Quarter, units: list[Unit], cal: WorkingDays, book: RuleBook | None = None
    ) -> dict[str, Any]:
        """The quarter scored from the facts as they stand (provisional)."""
        items = self.items(quarter.first_day, quarter.last_day)
        return score_quarter(quarter, items, units, book or self.rule_book(), cal, self.today())

    def quarter_view(self, quarter: Quarter, units: list[Unit], cal: WorkingDays) -> dict[str, Any]:
        """A published quarter as published (its latest version, with what the record says now
        that it does not: late events, for the office), else the provisional result."""
        record = self._quarter_record(quarter)
        latest = record.latest if record else None
        if latest is None or record is None:
            return {**self.compute(quarter, units, cal), "published": False}
        now = self.compute(quarter, units, cal)
        return {
            **latest["result"],
            "published": True,
            "version": latest["version"],
            "digest": latest["digest"],
            "published_on": latest["published_on"],
            "versions": [
                {k: p[k] for k in ("version", "digest", "published_on", "reason", "by")}
                for p in record.publications
            ],
            "late_changes": changes_since(latest["result"], now),
        }

    def publication(self, quarter: Quarter, version: int) -> dict[str, Any]:
        record = self._quarter_record(quarter)
        for p in record.publications if record else []:
            if p["version"] == version:
                return {**p["result"], "published": True, "version": version}
        raise NotFound("该版本的考评结果", "publication")

    def publish(
        self, quarter: Quarter, units: list[Unit], cal: WorkingDays, actor: dict[str, Any]
    ) -> dict[str, Any]:
        today = self.today()
        if today <= quarter.last_day:
            raise Refused(
                "quarter_not_over",
                f"季度：{quarter.label} 到{written(quarter.last_day)}才结束，"
                "请在季度结束后发布考评结果",
                "a quarter is published once it is over",
                409,
            )
        record = self._quarter_record(quarter)
        if record is not None and record.latest is not None:
            raise Refused(
                "already_published",
                f"季度：{quarter.label} 的考评结果已发布，结果不再更改；如有异议请通过申诉更正",
                "this quarter is published already",
                409,
            )
        result = self.compute(quarter, units, cal)
        record = record or QuarterRecord(
            id=QuarterRecord.id_for(quarter.label),
            quarter=quarter.label,
            actor=actor,
            at=self.time.now(),
        )
        record.publish(result, digest(result), today, "季度考评结果发布", actor, self.time.now())
        self.save(record)
        return self.quarter_view(quarter, units, cal)

    def _published(self, quarter: Quarter) -> QuarterRecord:
        record = self._quarter_record(quarter)
        if record is None or record.latest is None:
            raise Refused(
                "not_published",
                f"季度：{quarter.label} 的考评结果尚未发布，发布后才能申诉",
                "appeals come after publication",
                409,
            )
        return record

    def appeals(self, quarter: Quarter, unit: str | None) -> list[dict[str, Any]]:
        record = self._quarter_record(quarter)
        found = record.appeals if record else []
        return [a for a in found if unit is None or a["unit"] == unit]

    def file_appeal(
        self, quarter: Quarter, point: str, reasons: str, unit: str | None, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """申诉: a unit contests one of its deductions in the published result, with reasons.
        `unit`: the caller's own (a handler's); None: the office files it for the unit."""
        record = self._published(quarter)
        latest = record.latest
        assert latest is not None
        cards = latest["result"]["units"]
        found = next((p for c in cards.values() for p in c["points"] if p["id"] == point), None)
        if found is None or (unit is not None and found["unit"] != unit):
            raise NotFound("扣分项", "deduction")
        if not found["points"].startswith("-"):
            raise Refused(
                "not_a_deduction",
                "扣分项：只能对扣分申诉，加分项无需申诉",
                "only a deduction may be appealed",
            )
        if not reasons.strip():
            raise Refused("reasons_required", "申诉理由：必填，请写明事实和依据", "reasons")
        appeal = record.file_appeal(found["unit"], point, reasons.strip(), actor, self.time.now())
        self.save(record)
        return appeal

    def decide_appeal(
        self,
        quarter: Quarter,
        appeal_id: str,
        outcome: str,
        comment: str,
        actor: dict[str, Any],
    ) -> dict[str, Any]:
        """The office upholds the deduction, or overturns it: then a corrected result is
        published as a new version beside the old one."""
        record = self._published(quarter)
        if outcome not in OUTCOMES:
            raise Refused(
                "unknown_outcome",
                f"处理结果：请选择以下之一：{choices(APPEAL_OUTCOME_LABELS)}",
                f"unknown outcome {outcome}",
            )
        if not comment.strip():
            raise Refused("comment_required", "处理意见：必填，请写明维持或撤销的理由", "comment")
        now = self.time.now()
        record.decide(appeal_id, outcome, comment.strip(), actor, now)
        if outcome == "overturned":
            latest = record.latest
            assert latest is not None
            fixed = corrected(latest["result"], record.overturned(), self.rule_book())
            reason = f"申诉{appeal_id}撤销扣分，更正发布"
            record.publish(fixed, digest(fixed), self.today(), reason, actor, now)
        self.save(record)
        return record.appeal(appeal_id)

    def annual_view(self, year: int, units: list[Unit], cal: WorkingDays) -> dict[str, Any]:
        quarters = []
        book = self.rule_book()
        for n in (1, 2, 3, 4):
            quarter = Quarter(year, n)
            record = self._quarter_record(quarter)
            if record is not None and record.latest is not None:
                latest = record.latest
                quarters.append(
                    {**latest["result"], "published": True, "version": latest["version"]}
                )
            else:
                quarters.append({**self.compute(quarter, units, cal, book), "published": False})
        return annual(year, quarters, units, book)
