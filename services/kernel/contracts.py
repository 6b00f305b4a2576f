"""Cross-service event contracts: one versioned JSON schema per event type.

Publisher (the outbox relay) and consumers share these models. A stored event whose type name
is a contract type is published under that type; the contract picks its fields from the
event's state, so a field the contract does not name never leaves the service, and an event
type without a contract (a clock's opening, a skipped reminder) is never published at all.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID, uuid5

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
)

from services.kernel.vocabulary import (
    CampaignKind,
    Check,
    Complexity,
    EscalationAction,
    Method,
    Penalty,
    ReminderKind,
    ReplyClass,
    Severity,
    Source,
    UpperLevel,
    Verdict,
    Verification,
)

EVENT_ID_NAMESPACE = UUID("6f1c1d6e-3b8e-4c55-9a8f-2f0d5a0c9e11")


class Actor(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user: str
    role: str
    unit: str | None = None
    correlation_id: str | None = None  # the request (or scan) that caused the event


class Contract(BaseModel):
    model_config = ConfigDict(from_attributes=True, extra="ignore")
    schema_version: int = 1


class EvidenceFile(BaseModel):
    """A file attached to an answer, named by its SM3 content hash."""

    model_config = ConfigDict(extra="forbid")
    sha: str = Field(pattern=r"^[0-9a-f]{64}$")
    name: str
    size: int = Field(ge=0)
    content_type: str


class ItemReceived(Contract):
    source: Source
    title: str
    content: str
    external_ref: str | None = None
    due_date: date | None = None
    complexity: Complexity | None = None
    issued_by: str | None = None
    details: dict[str, Any] | None = None
    group: str | None = None
    # photos taken where the problem was found; an event stored without any says None
    evidence: Annotated[list[EvidenceFile], BeforeValidator(lambda files: files or [])] = []


class Assigned(Contract):
    lead_unit: str
    co_units: list[str]
    due_date: date | None = None
    assigned_on: date
    notice_number: str | None = None
    return_by: date | None = None


class Reassigned(Contract):
    lead_unit: str
    co_units: list[str]
    due_date: date | None = None
    assigned_on: date
    notice_number: str
    return_by: date
    previous_lead_unit: str | None = None


class ReturnedByUnit(Contract):
    unit: str
    reason: str


class ProgressReported(Contract):
    unit: str
    content: str
    evidence: list[EvidenceFile] = Field(default_factory=list)
    period: str | None = None


class CoUnitOpinionSubmitted(Contract):
    unit: str
    content: str
    evidence: list[EvidenceFile] = Field(default_factory=list)


class IndicatorReported(Contract):
    month: str
    value: float
    target: float
    gap: float


class SatisfactionRecorded(Contract):
    verdict: Verdict
    comment: str


class Reopened(Contract):
    reason: str
    due_date: date | None = None
    reopened_on: date


class ReportedBack(Contract):
    recipient: str
    answer: str


class Acknowledged(Contract):
    unit: str


class FeedbackSubmitted(Contract):
    unit: str
    content: str
    due_date: date | None = None
    original_due_date: date | None = None
    on_time: bool | None = None
    evidence: list[EvidenceFile] = Field(default_factory=list)
    reply_class: ReplyClass | None = None


class FeedbackAccepted(Contract):
    comment: str
    evidence: list[EvidenceFile] = Field(default_factory=list)  # the office's own (on site)
    verification: Verification | None = None  # on paper or on site (核查方式)


class FeedbackReturned(Contract):
    comment: str
    due_date: date | None = None
    returned_on: date
    evidence: list[EvidenceFile] = Field(default_factory=list)
    verification: Verification | None = None


class Closed(Contract):
    pass


class Rectified(Contract):
    note: str


class ExtensionRequested(Contract):
    unit: str
    reason: str
    proposed_due_date: date


class ExtensionGranted(Contract):
    due_date: date
    comment: str
    granted_on: date


class ExtensionDenied(Contract):
    comment: str


class DeadlineSet(Contract):
    due_date: date
    due_at: datetime
    basis: str
    official_calendar: bool
    original_due_date: date | None = None
    extension: bool = False
    period: str | None = None
    period_start: date | None = None
    co_unit_due_date: date | None = None


class ReminderIssued(Contract):
    kind: ReminderKind
    due_date: date | None = None
    unit: str | None = None  # who is reminded; None: the office
    period: str | None = None  # the month ("2026-03") or quarter ("2026-Q1") it is about


class Escalated(Contract):
    level: int
    action: EscalationAction
    due_date: date
    overdue_working_days: int
    recipient: str | None = None
    unit: str | None = None


class EscalatedToLeader(Contract):
    level: int
    leader: str | None = None  # the leader's name as staff know it (县长 张三)
    leader_code: str | None = None
    leader_user: str | None = None  # the leader's login, who is told
    unit: str | None = None
    due_date: date
    overdue_working_days: int


class PenaltyRecommended(Contract):
    level: int | None = None  # the ladder's step; None: recommended by the office by hand
    penalty: Penalty
    unit: str | None = None  # the unit it is recommended against
    due_date: date | None = None
    overdue_working_days: int | None = None
    reasons: str | None = None


class Overdue(Contract):
    due_date: date
    unit: str | None = None  # the lead unit that let it run late


class DispatchDeadlineSet(Contract):
    """The office's own time to assign a registered item (派单), never charged to a unit."""

    due_date: date
    working_days: int


class Commended(Contract):
    """表扬: a county leader or the office praises a unit's work on the item."""

    unit: str
    reasons: str


class ItemCancelled(Contract):
    reason: str


class ItemMerged(Contract):
    into: UUID
    reason: str


class CampaignPlan(BaseModel):
    """A campaign's plan (督查方案): themes, the units in scope (unit kinds or unit codes), the
    methods and the 三督三查 checks, the team and the dates."""

    model_config = ConfigDict(extra="forbid")
    themes: list[str] = Field(default_factory=list)
    scope: list[str] = Field(default_factory=list)
    methods: list[Method] = Field(default_factory=list)
    checks: list[Check] = Field(default_factory=list)
    team: list[str] = Field(default_factory=list)
    starts_on: date | None = None
    ends_on: date | None = None


# A campaign's stream (owned by intake): its plan, its visits and its findings. What happens to
# an issued finding is its item's (Assigned, FeedbackReturned, Rectified, PenaltyRecommended, …).
class CampaignPlanned(Contract):
    kind: CampaignKind
    year: int
    title: str
    plan: CampaignPlan
    upper_level: UpperLevel | None = None  # who sent the inspection (承接上级督查)
    month: int | None = None  # a periodic campaign's month (3, 6, 9, 12)


class CampaignPlanChanged(Contract):
    title: str
    plan: CampaignPlan
    reason: str


class CampaignStarted(Contract):
    pass


class CampaignClosed(Contract):
    reason: str


class VisitRecorded(Contract):
    """An unannounced visit (四不两直), recorded as it happens; the unit is not told."""

    visit_id: UUID
    place: str
    visited_at: datetime
    team: list[str]
    found: str
    evidence: list[EvidenceFile] = Field(default_factory=list)


class FindingRecorded(Contract):
    finding_id: UUID
    visit_id: UUID | None = None
    title: str
    facts: str
    unit: str
    person: str | None = None
    severity: Severity
    evidence: list[EvidenceFile] = Field(default_factory=list)
    previous_item: UUID | None = None  # the crossed-off problem this one is found again of


class FindingIssued(Contract):
    """The finding goes to its unit with a supervision notice (督办通知) and becomes item
    `item_id` (its notice number is the item's `Assigned.notice_number`)."""

    finding_id: UUID
    item_id: UUID
    unit: str
    person: str | None = None
    task: str
    measures: str
    due_date: date


CAMPAIGN_CONTRACTS: tuple[type[Contract], ...] = (
    CampaignPlanned,
    CampaignPlanChanged,
    CampaignStarted,
    CampaignClosed,
    VisitRecorded,
    FindingRecorded,
    FindingIssued,
)


CONTRACTS: dict[str, type[Contract]] = {
    c.__name__: c
    for c in (
        ItemReceived,
        Assigned,
        Reassigned,
        ReturnedByUnit,
        ProgressReported,
        CoUnitOpinionSubmitted,
        IndicatorReported,
        SatisfactionRecorded,
        Reopened,
        ReportedBack,
        Acknowledged,
        FeedbackSubmitted,
        FeedbackAccepted,
        FeedbackReturned,
        Closed,
        Rectified,
        ExtensionRequested,
        ExtensionGranted,
        ExtensionDenied,
        DeadlineSet,
        ReminderIssued,
        Escalated,
        EscalatedToLeader,
        PenaltyRecommended,
        Commended,
        Overdue,
        DispatchDeadlineSet,
        ItemCancelled,
        ItemMerged,
        *CAMPAIGN_CONTRACTS,
    )
}


class Envelope(BaseModel):
    """What travels on the bus: one event of one stream, with where it came from."""

    model_config = ConfigDict(extra="forbid")
    event_id: UUID
    type: str
    schema_version: int = Field(ge=1)
    origin: str
    position: int = Field(ge=1)
    item_id: UUID
    stream_version: int = Field(ge=1)
    # The stream's previous published version (0: none), so a consumer applies a stream's
    # events in order although its private events never travel; None: stream_version - 1.
    previous_version: int | None = Field(default=None, ge=0)
    occurred_at: datetime
    actor: Actor
    correlation_id: str | None = None
    data: dict[str, Any]
    _contract: Contract | None = PrivateAttr(default=None)

    @property
    def predecessor(self) -> int:
        """The version this one must follow (0: the stream's first published event)."""
        if self.previous_version is None:
            return self.stream_version - 1
        return self.previous_version

    @property
    def routing_key(self) -> str:
        return f"{self.origin}.{self.type}"

    def contract(self) -> Contract:
        """The validated payload; raises pydantic.ValidationError for a malformed message.

        Validated once: the inbox, the consumer, the reaction and the projection all ask."""
        if self._contract is None:
            self._contract = CONTRACTS[self.type].model_validate(self.data)
        return self._contract


class MalformedMessage(ValueError):
    """A body that is not a valid event of a known type: parked at once, never retried."""


def decode(body: Any) -> Envelope:
    """A message body as an envelope with its payload validated; raises MalformedMessage."""
    try:
        envelope = Envelope.model_validate(body)
        envelope.contract()
    except (ValidationError, KeyError, TypeError) as e:
        raise MalformedMessage(str(e)) from None
    return envelope


def event_id(origin: str, item_id: UUID, stream_version: int) -> UUID:
    """Stable across re-publication, so a message sent twice carries the same id."""
    return uuid5(EVENT_ID_NAMESPACE, f"{origin}:{item_id}:{stream_version}")


def envelope_from_state(
    origin: str,
    position: int,
    stream_id: UUID,
    version: int,
    type_name: str,
    state: dict[str, Any],
    previous_version: int | None,
) -> Envelope | None:
    """The envelope of a stored event (its decoded state), or None if its type is not a
    contract: such an event stays inside its service."""
    contract = CONTRACTS.get(type_name)
    if contract is None:
        return None
    payload = contract.model_validate(state)
    data = payload.model_dump(mode="json")
    actor = Actor.model_validate(state["actor"])
    # Built from our own store's facts, so not validated again; the payload validated above
    # is kept, so no consumer in this process validates it a second time.
    envelope = Envelope.model_construct(
        event_id=event_id(origin, stream_id, version),
        type=type_name,
        schema_version=data.pop("schema_version"),
        origin=origin,
        position=position,
        item_id=stream_id,
        stream_version=version,
        previous_version=previous_version,
        occurred_at=state["at"],
        actor=actor,
        correlation_id=actor.correlation_id,
        data=data,
    )
    envelope._contract = payload
    return envelope
