"""What one service asks another over RPC, as the ports its application depends on (the
Nameko shell passes the real proxy; fast tests pass their own)."""

from __future__ import annotations

from typing import Protocol

from services.kernel.dates import DUE_DATE


class DueDateRules(Protocol):
    """The deadline service's word on a date the office sets (it owns the calendar)."""

    def check_due_date(
        self, source: str, due_date: str | None, explicit: bool, label: str = DUE_DATE
    ) -> None:
        """Refuses a rest day (an `explicit` date) or a missing date where one is required;
        `label` names the date in the refusal."""
        ...

    def assignment_terms(
        self, source: str, due_date: str | None, explicit: bool, assigned_on: str
    ) -> str:
        """Checks the date as check_due_date does; returns the end of the return window."""
        ...
