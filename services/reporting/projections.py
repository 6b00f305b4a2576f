"""The item ledger read model: one row per item, kept from the item's own event stream.

Rows change in stream order (the consumer applies one stream's events in version order), so
each handler only states what its event changes.
"""

from __future__ import annotations

from psycopg import Cursor
from psycopg.rows import DictRow

from services.kernel.contracts import (
    Acknowledged,
    Assigned,
    Closed,
    Contract,
    DeadlineSet,
    Envelope,
    EscalatedToLeader,
    FeedbackAccepted,
    FeedbackReturned,
    FeedbackSubmitted,
    ItemReceived,
    Overdue,
    PenaltyRecommended,
    ReminderIssued,
)
from services.kernel.store import Projection

STATUS_AFTER = {
    Assigned: "assigned",
    Acknowledged: "acknowledged",
    FeedbackSubmitted: "feedback_submitted",
    FeedbackReturned: "returned",
    FeedbackAccepted: "feedback_accepted",
    Closed: "closed",
}


def item_row(envelope: Envelope) -> Projection:
    contract = envelope.contract()

    def run(curs: Cursor[DictRow]) -> None:
        if isinstance(contract, ItemReceived):
            curs.execute(
                "INSERT INTO reporting.items (item_id, version, source, title, external_ref,"
                " complexity, issued_by, status, registered_at, updated_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, 'registered', %s, %s)"
                " ON CONFLICT (item_id) DO NOTHING",
                (
                    envelope.item_id,
                    envelope.stream_version,
                    contract.source,
                    contract.title,
                    contract.external_ref,
                    contract.complexity,
                    contract.issued_by,
                    envelope.occurred_at,
                    envelope.occurred_at,
                ),
            )
            return
        sets, params = _changes(contract)
        increments = ", reminders = reminders + 1" if isinstance(contract, ReminderIssued) else ""
        curs.execute(
            "UPDATE reporting.items SET version = %s, updated_at = %s"
            + increments
            + "".join(f", {column} = %s" for column in sets)
            + " WHERE item_id = %s",
            (envelope.stream_version, envelope.occurred_at, *params, envelope.item_id),
        )

    return run


def _changes(contract: Contract) -> tuple[list[str], list[object]]:
    columns: dict[str, object] = {}
    status = STATUS_AFTER.get(type(contract))
    if status:
        columns["status"] = status
    if isinstance(contract, Assigned):
        columns["lead_unit"] = contract.lead_unit
        columns["co_units"] = contract.co_units
    elif isinstance(contract, DeadlineSet):
        columns["due_date"] = contract.due_date
        columns["due_at"] = contract.due_at
        columns["original_due_date"] = contract.original_due_date or contract.due_date
        columns["extended"] = contract.extension
    elif isinstance(contract, EscalatedToLeader):
        columns["escalation_level"] = contract.level
    elif isinstance(contract, PenaltyRecommended):
        columns["escalation_level"] = contract.level
        columns["penalty"] = contract.penalty
    elif isinstance(contract, Overdue):
        columns["overdue"] = True
    return list(columns), list(columns.values())
