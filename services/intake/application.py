"""Intake's commands: register a submission, at most once per source and external reference."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.intake.domain import (
    Submission,
    check_submission,
    checked_evidence,
    group_for,
    submission_id,
)
from services.kernel.clock import Clock
from services.kernel.dates import business_date
from services.kernel.errors import Refused
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
