"""The item ledger read model: one row per item, kept from the item's own event stream.

Rows change in stream order (the consumer applies one stream's events in version order), so
each event's columns only state what that event changes; the status comes from the kernel's
STATUS_AFTER, the table the item itself follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import singledispatch

from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from services.kernel.contracts import (
    CAMPAIGN_CONTRACTS,
    Assigned,
    CampaignClosed,
    CampaignPlanChanged,
    CampaignPlanned,
    CampaignStarted,
    Closed,
    Contract,
    CoUnitOpinionSubmitted,
    DeadlineSet,
    DispatchDeadlineSet,
    Envelope,
    EscalatedToLeader,
    ExtensionDenied,
    ExtensionGranted,
    ExtensionRequested,
    FeedbackReturned,
    FeedbackSubmitted,
    FindingIssued,
    FindingRecorded,
    IndicatorReported,
    ItemCancelled,
    ItemMerged,
    ItemReceived,
    Overdue,
    PenaltyRecommended,
    ProgressReported,
    Reassigned,
    Rectified,
    ReminderIssued,
    Reopened,
    ReportedBack,
    SatisfactionRecorded,
    VisitRecorded,
)
from services.kernel.store import Projection
from services.kernel.vocabulary import STATUS_AFTER
from services.reporting.search import searchable

# Committing a change to an item's row notifies this channel with the item's id (an empty
# payload: any row may have changed), so the gateway can answer a write as soon as its
# change is readable instead of polling the table.
CHANNEL = "reporting_items"


@dataclass(frozen=True)
class Joined:
    """An array column gains these values (each once)."""

    values: list[str]


@dataclass(frozen=True)
class Merged:
    """A JSON object column gains (or corrects) these keys."""

    values: dict[str, object]


def item_row(envelope: Envelope, *, announce: bool = False) -> Projection:
    """The row change `envelope` makes (and the evidence files it attaches); with `announce`,
    also a notification on CHANNEL when it commits."""
    contract = envelope.contract()

    def run(curs: Cursor[DictRow] | None) -> None:
        assert curs is not None, "the item read model lives in PostgreSQL"
        if isinstance(contract, ItemReceived):
            _insert(curs, envelope, contract)
        else:
            _update(curs, envelope, contract)
        if files := [f.sha for f in getattr(contract, "evidence", ())]:
            curs.execute(
                "INSERT INTO reporting.evidence (sha, item_id)"
                " SELECT unnest(%s::text[]), %s ON CONFLICT DO NOTHING",
                (files, envelope.item_id),
            )
        if announce:
            curs.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(envelope.item_id)))

    return run


def _insert(curs: Cursor[DictRow], envelope: Envelope, contract: ItemReceived) -> None:
    details = contract.details or {}
    curs.execute(
        "INSERT INTO reporting.items (item_id, version, source, title, external_ref,"
        " complexity, issued_by, details, group_key, status, registered_at, updated_at,"
        " campaign_id, severity)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
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
            STATUS_AFTER["ItemReceived"],
            envelope.occurred_at,
            envelope.occurred_at,
            # a finding issued by a campaign: the ledger filters and counts by both
            details.get("campaign_id"),
            details.get("severity"),
        ),
    )
    text, keys = searchable(contract.title, contract.content)
    curs.execute(
        "INSERT INTO reporting.item_search (item_id, keys, body) VALUES (%s, %s, %s)"
        " ON CONFLICT (item_id) DO NOTHING",
        (envelope.item_id, keys, text),
    )


def _update(curs: Cursor[DictRow], envelope: Envelope, contract: Contract) -> None:
    columns = columns_after(contract)
    if status := STATUS_AFTER.get(envelope.type):
        columns["status"] = status
    increment = COUNTERS.get(type(contract))
    assignments = "".join(_assignment(column, value) for column, value in columns.items())
    values = [
        v.values if isinstance(v, Joined) else Jsonb(v.values) if isinstance(v, Merged) else v
        for v in columns.values()
    ]
    curs.execute(
        "UPDATE reporting.items SET version = %s, updated_at = %s"
        + (f", {increment} = {increment} + 1" if increment else "")
        + assignments
        + " WHERE item_id = %s",
        (envelope.stream_version, envelope.occurred_at, *values, envelope.item_id),
    )


def _assignment(column: str, value: object) -> str:
    if isinstance(value, Joined):
        return f", {column} = array(SELECT DISTINCT u FROM unnest({column} || %s::text[]) AS u)"
    if isinstance(value, Merged):
        return f", {column} = {column} || %s"
    return f", {column} = %s"


# events counted on the row
COUNTERS: dict[type[Contract], str] = {
    ReminderIssued: "reminders",
    ProgressReported: "progress_reports",
    CoUnitOpinionSubmitted: "co_unit_opinions",
    FeedbackReturned: "returns",  # for a finding: a rectification rejected
}


@singledispatch
def columns_after(contract: Contract) -> dict[str, object]:
    """The row's columns an event sets (besides its status and counters)."""
    return {}


@columns_after.register
def _(contract: Assigned) -> dict[str, object]:
    return {
        "lead_unit": contract.lead_unit,
        "co_units": contract.co_units,
        "notice_number": contract.notice_number,
        "notice_numbers": Joined([contract.notice_number] if contract.notice_number else []),
        "return_by": contract.return_by,
        "assigned_on": contract.assigned_on,
        # a unit that had the item keeps seeing it after a reassignment
        "units_involved": Joined([contract.lead_unit, *contract.co_units]),
    }


@columns_after.register
def _(contract: Reassigned) -> dict[str, object]:
    # the new lead unit starts clean; the previous one's lateness stays in the record
    return {
        "lead_unit": contract.lead_unit,
        "co_units": contract.co_units,
        "notice_number": contract.notice_number,
        # every notice the item was sent with still finds it
        "notice_numbers": Joined([contract.notice_number]),
        "return_by": contract.return_by,
        "assigned_on": contract.assigned_on,
        "units_involved": Joined([contract.lead_unit, *contract.co_units]),
        "overdue": False,
        "escalation_level": 0,
        "penalty": None,
        "escalated_to": None,
        "unsigned_reminded": False,
        "extension_requested": None,
    }


@columns_after.register
def _(contract: FeedbackSubmitted) -> dict[str, object]:
    return {
        "answer": contract.content,
        "reply_class": contract.reply_class,
        "overdue": False,
        # the last answer's timeliness: for a crossed-off problem, whether it was on time
        "feedback_on_time": contract.on_time,
    }


@columns_after.register
def _(contract: Rectified) -> dict[str, object]:
    return {"rectified": True}


@columns_after.register
def _(contract: Closed | ItemCancelled) -> dict[str, object]:
    return {"overdue": False}


@columns_after.register
def _(contract: ItemMerged) -> dict[str, object]:
    return {"overdue": False, "merged_into": contract.into}


@columns_after.register
def _(contract: DispatchDeadlineSet) -> dict[str, object]:
    return {"dispatch_due_date": contract.due_date}


@columns_after.register
def _(contract: ExtensionRequested) -> dict[str, object]:
    return {"extension_requested": contract.proposed_due_date}


@columns_after.register
def _(contract: ExtensionGranted | ExtensionDenied) -> dict[str, object]:
    return {"extension_requested": None}


@columns_after.register
def _(contract: ReportedBack) -> dict[str, object]:
    return {"reported_to": contract.recipient}


@columns_after.register
def _(contract: SatisfactionRecorded) -> dict[str, object]:
    return {"satisfaction": contract.verdict}


@columns_after.register
def _(contract: Reopened) -> dict[str, object]:
    return {"reopened": True}


@columns_after.register
def _(contract: IndicatorReported) -> dict[str, object]:
    # every month's figure is kept; a month sent again corrects that month
    return {"indicator_figures": Merged({contract.month: contract.value})}


@columns_after.register
def _(contract: DeadlineSet) -> dict[str, object]:
    return {
        "due_date": contract.due_date,
        "due_at": contract.due_at,
        "original_due_date": contract.original_due_date or contract.due_date,
        "extended": contract.extension,
        "co_unit_due_date": contract.co_unit_due_date,
        "overdue": False,  # overdue again only once the new date passes
    }


@columns_after.register
def _(contract: ReminderIssued) -> dict[str, object]:
    return {"unsigned_reminded": True} if contract.kind == "unsigned" else {}


@columns_after.register
def _(contract: EscalatedToLeader) -> dict[str, object]:
    return {"escalation_level": contract.level, "escalated_to": contract.leader}


@columns_after.register
def _(contract: PenaltyRecommended) -> dict[str, object]:
    if contract.level is None:  # recommended by hand: on record, the ladder stays where it is
        return {"penalty": contract.penalty}
    return {"escalation_level": contract.level, "penalty": contract.penalty}


@columns_after.register
def _(contract: Overdue) -> dict[str, object]:
    return {"overdue": True, "was_overdue": True, "overdue_unit": contract.unit}


# --- campaigns (督查活动), from intake's campaign streams ---


def is_campaign_event(envelope: Envelope) -> bool:
    return envelope.origin == "intake" and envelope.type in CAMPAIGN_TYPES


CAMPAIGN_TYPES = frozenset(c.__name__ for c in CAMPAIGN_CONTRACTS)


def campaign_row(envelope: Envelope, *, announce: bool = False) -> Projection:
    """The campaign row's change; a unit appears in `units_issued` (and so sees the campaign)
    only when a finding is issued to it."""
    contract = envelope.contract()

    def run(curs: Cursor[DictRow] | None) -> None:
        assert curs is not None, "the campaign read model lives in PostgreSQL"
        if isinstance(contract, CampaignPlanned):
            curs.execute(
                "INSERT INTO reporting.campaigns (campaign_id, version, kind, year, month, title,"
                " upper_level, status, plan, planned_at, updated_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, 'draft', %s, %s, %s)"
                " ON CONFLICT (campaign_id) DO NOTHING",
                (
                    envelope.item_id,
                    envelope.stream_version,
                    contract.kind,
                    contract.year,
                    contract.month,
                    contract.title,
                    contract.upper_level,
                    Jsonb(contract.plan.model_dump(mode="json")),
                    envelope.occurred_at,
                    envelope.occurred_at,
                ),
            )
        else:
            sets, values = _campaign_change(contract)
            curs.execute(
                "UPDATE reporting.campaigns SET version = %s, updated_at = %s"
                + "".join(f", {s}" for s in sets)
                + " WHERE campaign_id = %s",
                (envelope.stream_version, envelope.occurred_at, *values, envelope.item_id),
            )
        if announce:
            curs.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(envelope.item_id)))

    return run


def _campaign_change(contract: Contract) -> tuple[list[str], list[object]]:
    if isinstance(contract, CampaignPlanChanged):
        return ["title = %s", "plan = %s"], [
            contract.title,
            Jsonb(contract.plan.model_dump(mode="json")),
        ]
    if isinstance(contract, CampaignStarted):
        return ["status = 'underway'"], []
    if isinstance(contract, CampaignClosed):
        return ["status = 'closed'"], []
    if isinstance(contract, VisitRecorded):
        return ["visits = visits + 1"], []
    if isinstance(contract, FindingRecorded):
        return ["findings = findings + 1"], []
    if isinstance(contract, FindingIssued):
        return [
            "issued = issued + 1",
            "units_issued = array(SELECT DISTINCT u FROM unnest(units_issued || %s::text[]) u)",
        ], [[contract.unit]]
    return [], []
