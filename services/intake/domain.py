"""Intake's domain: a submission as it was received, once per source and external reference."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate, event

from services.kernel.dates import check_not_past
from services.kernel.errors import Refused
from services.kernel.vocabulary import (
    COMPLEXITIES,
    COMPLEXITY_LABELS,
    SOURCE_LABELS,
    SOURCES,
    choices,
)

SUBMISSION_NAMESPACE = UUID("0b6a3c84-5d0e-4f0e-8f0e-6a1d2c3b4a59")


def submission_id(source: str, external_ref: str | None) -> UUID:
    """The same source and external reference always name the same item."""
    if external_ref:
        return uuid5(SUBMISSION_NAMESPACE, f"{source}\x1f{external_ref}")
    return uuid4()


def check_submission(
    source: str, complexity: str | None, due_date: date | None, today: date
) -> None:
    if source not in SOURCES:
        raise Refused(
            "unknown_source",
            f"事项来源：{source} 不是可选的取值，请选择以下之一：{choices(SOURCE_LABELS)}",
            f"unknown source: {source}",
        )
    if complexity is not None and complexity not in COMPLEXITIES:
        raise Refused(
            "unknown_complexity",
            f"复杂程度：{complexity} 不是可选的取值，请选择以下之一：{choices(COMPLEXITY_LABELS)}",
            f"unknown complexity: {complexity}",
        )
    check_not_past(due_date, today)


def group_for(source: str, details: dict[str, Any]) -> str | None:
    """Items that belong together: one meeting's decisions, one year's report tasks, …"""
    if source == "meeting":
        return f"meeting:{details['meeting_name']}:{details['meeting_date']}"
    if source == "decision":
        return f"decision:{details['decision_name']}"
    if source == "work_report":
        return f"work_report:{details['year']}"
    if source == "proposal":
        return f"proposal:{details['session_year']}:{details['kind']}"
    return None


class Submission(Aggregate):
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
        self.details = details or {}
        self.group = group
        self.title = title
        self.content = content
        self.external_ref = external_ref
        self.due_date = due_date
        self.complexity = complexity
        self.issued_by = issued_by
        self.received_at = at
