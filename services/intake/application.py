"""Intake's commands: register a submission, at most once per source and external reference."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.deadline.calendar import business_date
from services.intake.domain import Submission, check_submission, submission_id
from services.kernel.clock import Clock
from services.kernel.store import LedgerApplication


class Intake(LedgerApplication):
    name = "intake"

    def __init__(self, clock: Clock, env: dict[str, str]) -> None:
        super().__init__(env)
        self.clock = clock

    def register(
        self,
        *,
        source: str,
        title: str,
        content: str,
        actor: dict[str, Any],
        external_ref: str | None = None,
        due_date: date | None = None,
        complexity: str | None = None,
        issued_by: str | None = None,
    ) -> dict[str, Any]:
        """Returns {"item_id", "created"}; a repeat of a known external reference returns
        the first item and creates nothing."""
        item_id = submission_id(source, external_ref)
        if external_ref and self._exists(item_id):
            return {"item_id": str(item_id), "created": False}
        now = self.clock.now()
        check_submission(source, complexity, due_date, business_date(now))
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
        )
        try:
            self.save(submission)
        except IntegrityError:
            # A concurrent registration of the same reference won the race.
            return {"item_id": str(item_id), "created": False}
        return {"item_id": str(item_id), "created": True}

    def _exists(self, item_id: UUID) -> bool:
        try:
            self.repository.get(item_id)
        except AggregateNotFoundError:
            return False
        return True
