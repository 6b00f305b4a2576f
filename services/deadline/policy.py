"""How long an item may take: the one place the time limit of each source is decided."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.deadline.calendar import WorkingCalendar
from services.kernel.errors import Refused

INSTRUCTION_WORKING_DAYS = 7
PROPOSAL_MONTHS = 6
BY_COMPLEXITY_WORKING_DAYS = {"simple": 3, "complex": 10, "difficult": 20}
DATE_SET_DEFAULT_WORKING_DAYS = 15


@dataclass(frozen=True)
class DueDate:
    due_date: date
    basis: str


def due_date_for(
    source: str,
    complexity: str | None,
    named_date: date | None,
    start: date,
    calendar: WorkingCalendar,
) -> DueDate:
    """The due date of an item assigned (or returned for rework) on `start`.

    A date named by the issuer (the instruction, the meeting, the notice) wins; otherwise the
    source's default period, counted by the Civil Code rule in `calendar`.
    """
    if named_date is not None:
        return DueDate(named_date, "named date")
    if source == "instruction":
        days = INSTRUCTION_WORKING_DAYS
        return DueDate(calendar.add_working_days(start, days), f"{days} working days")
    if source == "proposal":
        months = PROPOSAL_MONTHS
        return DueDate(calendar.add_months(start, months), f"{months} months")
    if source in ("netizen", "hotline", "petition"):
        level = complexity or "complex"
        days = BY_COMPLEXITY_WORKING_DAYS[level]
        return DueDate(calendar.add_working_days(start, days), f"{days} working days ({level})")
    if source == "work_report":
        return DueDate(calendar.last_working_day_of_year(start.year), "year's last working day")
    days = DATE_SET_DEFAULT_WORKING_DAYS
    return DueDate(calendar.add_working_days(start, days), f"{days} working days")


def check_not_past(due_date: date | None, today: date) -> None:
    """A due date set by a person may not lie before today."""
    if due_date is not None and due_date < today:
        raise Refused(
            "due_date_in_past",
            f"办理时限 {due_date} 早于今天 {today}",
            f"due date {due_date} is before today {today}",
        )
