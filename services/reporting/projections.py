"""The item ledger read model: one row per item, kept from the item's own event stream.

Rows change in stream order (the consumer applies one stream's events in version order), so
each handler only states what its event changes.
"""

from __future__ import annotations

from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from services.kernel.contracts import (
    Acknowledged,
    Assigned,
    Closed,
    Contract,
    CoUnitOpinionSubmitted,
    DeadlineSet,
    Envelope,
    EscalatedToLeader,
    FeedbackAccepted,
    FeedbackReturned,
    FeedbackSubmitted,
    IndicatorReported,
    ItemReceived,
    Overdue,
    PenaltyRecommended,
    ProgressReported,
    Reassigned,
    ReminderIssued,
    Reopened,
    ReportedBack,
    ReturnedByUnit,
    SatisfactionRecorded,
)
from services.kernel.store import Projection

# Committing a change to an item's row notifies this channel with the item's id (an empty
# payload: any row may have changed), so the gateway can answer a write as soon as its
# change is readable instead of polling the table.
CHANNEL = "reporting_items"
COUNTERS = {
    ReminderIssued: ", reminders = reminders + 1",
    ProgressReported: ", progress_reports = progress_reports + 1",
    CoUnitOpinionSubmitted: ", co_unit_opinions = co_unit_opinions + 1",
}
STATUS_AFTER = {
    Assigned: "assigned",
    Reassigned: "assigned",
    ReturnedByUnit: "returned_by_unit",
    Reopened: "returned",
    Acknowledged: "acknowledged",
    FeedbackSubmitted: "feedback_submitted",
    FeedbackReturned: "returned",
    FeedbackAccepted: "feedback_accepted",
    Closed: "closed",
}


def item_row(envelope: Envelope, *, announce: bool = False) -> Projection:
    """The row change `envelope` makes; with `announce`, also a notification on CHANNEL when
    it commits."""
    contract = envelope.contract()

    def run(curs: Cursor[DictRow]) -> None:
        _change(curs)
        if announce:
            curs.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(envelope.item_id)))

    def _change(curs: Cursor[DictRow]) -> None:
        if isinstance(contract, ItemReceived):
            curs.execute(
                "INSERT INTO reporting.items (item_id, version, source, title, external_ref,"
                " complexity, issued_by, details, group_key, status, registered_at, updated_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'registered', %s, %s)"
                " ON CONFLICT (item_id) DO NOTHING",
                (
                    envelope.item_id,
                    envelope.stream_version,
                    contract.source,
                    contract.title,
                    contract.external_ref,
                    contract.complexity,
                    contract.issued_by,
                    Jsonb(contract.details or {}),
                    contract.group,
                    envelope.occurred_at,
                    envelope.occurred_at,
                ),
            )
            return
        sets, params = _changes(contract)
        increments = COUNTERS.get(type(contract), "")
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
    if isinstance(contract, Assigned | Reassigned):
        columns["lead_unit"] = contract.lead_unit
        columns["co_units"] = contract.co_units
        columns["notice_number"] = contract.notice_number
        columns["return_by"] = contract.return_by
    elif isinstance(contract, FeedbackSubmitted):
        columns["answer"] = contract.content
        columns["reply_class"] = contract.reply_class
    elif isinstance(contract, ReportedBack):
        columns["reported_to"] = contract.recipient
    elif isinstance(contract, SatisfactionRecorded):
        columns["satisfaction"] = contract.verdict
    elif isinstance(contract, Reopened):
        columns["reopened"] = True
    elif isinstance(contract, IndicatorReported):
        columns["indicator_month"] = contract.month
        columns["indicator_value"] = contract.value
        columns["indicator_gap"] = contract.gap
    elif isinstance(contract, DeadlineSet):
        columns["due_date"] = contract.due_date
        columns["due_at"] = contract.due_at
        columns["original_due_date"] = contract.original_due_date or contract.due_date
        columns["extended"] = contract.extension
        columns["co_unit_due_date"] = contract.co_unit_due_date
    elif isinstance(contract, EscalatedToLeader):
        columns["escalation_level"] = contract.level
    elif isinstance(contract, PenaltyRecommended):
        columns["escalation_level"] = contract.level
        columns["penalty"] = contract.penalty
    elif isinstance(contract, Overdue):
        columns["overdue"] = True
    return list(columns), list(columns.values())
