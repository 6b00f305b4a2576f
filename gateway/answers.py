"""What the gateway answers with, as pydantic models: the OpenAPI document describes every
answer by one of these, and the fuzz test (`tests/integration/test_fuzz_api.py`) checks live
answers against them. They only document; the views build their answers themselves."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from gateway.users import Outcome
from services.kernel.access import Platform, Role
from services.kernel.vocabulary import Complexity, Source, Status


class Answer(BaseModel):
    """Answers may grow fields; a client ignores the ones it does not know."""

    model_config = ConfigDict(extra="allow")


class Error(Answer):
    """Every refusal: `message` is for the staff (Chinese), `message_en` for the logs."""

    error: str = Field(description="机器可读的原因，如 not_found、invalid_due_date")
    message: str = Field(description="给工作人员看的中文说明")
    message_en: str


class FieldError(Answer):
    field: str = Field(description="出错字段，嵌套字段以点连接，如 details.meeting_date")
    message: str = Field(description="中文说明，以字段的中文名开头，如“标题：必填”")
    message_en: str | None = None


class InvalidRequest(Error):
    """400: the body or query string is malformed; every bad field is named."""

    error: Literal["invalid_request"]
    fields: list[FieldError]


class RowError(Answer):
    row: int = Field(description="Excel 中的行号")
    field: str
    message: str


class ImportRejected(Error):
    """422 of an import: every bad row; nothing of the file was imported."""

    rows: list[RowError] = []


class Token(Answer):
    access_token: str = Field(description="访问令牌，30 分钟有效")
    refresh_token: str = Field(description="刷新令牌，登录后 12 小时有效")
    token_type: Literal["Bearer"]
    expires_in: int = Field(description="访问令牌的有效秒数")
    user: str
    role: Role
    unit: str | None


class ConsoleSession(Answer):
    user: str
    role: Role
    unit: str | None
    expires_in: int = Field(description="访问 Cookie 的有效秒数")


class Me(Answer):
    user: str
    role: Role
    role_label: str
    unit: str | None


class Countdowns(Answer):
    today: date
    days: dict[str, int] = Field(description="日期 → 工作日数：正数剩余，0 今日到期，负数已逾期")


class DashboardCounts(Answer):
    open: int
    overdue: int
    to_assign: int
    unsigned: int
    returned_by_unit: int = Field(description="单位退回、待改派")
    rework: int = Field(description="退回重办中")
    to_review: int
    pending_extension: int
    closed: int
    due_today: int
    due_this_week: int


class UnitFigures(Answer):
    unit: str
    open: int
    overdue: int


class WeekFigures(Answer):
    week: date
    registered: int
    closed: int


class Dashboard(Answer):
    today: date
    counts: DashboardCounts
    units: list[UnitFigures]
    weeks: list[WeekFigures]


class Vocabulary(Answer):
    sources: dict[str, str]
    statuses: dict[str, str]
    complexities: dict[str, str]
    verdicts: dict[str, str]
    reply_classes: dict[str, str]
    penalties: dict[str, str]
    reminders: dict[str, str]
    roles: dict[str, str]
    platforms: dict[str, str]
    campaign_kinds: dict[str, str]
    campaign_statuses: dict[str, str]
    upper_levels: dict[str, str]
    methods: dict[str, str]
    checks: dict[str, str]
    severities: dict[str, str]
    unit_kinds: dict[str, str]
    verifications: dict[str, str]


class DueDatePreview(Answer):
    assigned_on: date
    due_date: date
    basis: str = Field(description="办理时限的依据，如“7个工作日”")
    working_days: int


class RefusedUntil(Error):
    """423 (the name is locked) or 429 (too many failures from the address)."""

    until: datetime = Field(description="解锁或可以再试的时间")


class SignedOut(Answer):
    user: str


class User(Answer):
    username: str
    display_name: str
    role: Role
    unit: str | None
    disabled: bool


class Users(Answer):
    users: list[User]


class ApiKey(Answer):
    id: UUID
    name: str
    platform: Platform
    revoked: bool
    issued_at: datetime


class IssuedApiKey(ApiKey):
    key: str = Field(description="密钥，只在签发时显示这一次")


class ApiKeys(Answer):
    keys: list[ApiKey]


class LoginRecord(Answer):
    user: str
    address: str
    at: datetime
    outcome: Outcome


class LoginRecords(Answer):
    total: int
    logins: list[LoginRecord]


class Indicator(Answer):
    month: str = Field(description="最新月份，如 2026-03")
    value: float | None
    target: float | str | None
    gap: float | None
    figures: dict[str, float] = Field(description="各月数据（更正后的）")


class Item(Answer):
    """An item as the read model shows it. If the read model has not caught up within
    READ_WAIT_SECONDS a write answers with the service's own view, which has fewer fields."""

    id: UUID
    version: int = 0
    source: Source | None = None
    title: str | None = None
    external_ref: str | None = None
    complexity: Complexity | None = None
    issued_by: str | None = None
    status: Status | None = None
    status_label: str | None = None
    lead_unit: str | None = None
    co_units: list[str] = []
    due_date: date | None = None
    due_at: datetime | None = None
    original_due_date: date | None = None
    extended: bool = False
    overdue: bool = False
    reminders: int = 0
    escalation_level: int = 0
    penalty: str | None = None
    registered_at: datetime | None = None
    updated_at: datetime | None = None
    notice_number: str | None = None
    notice_numbers: list[str] = Field(
        default=[], description="事项的全部《转办通知》编号（含改派前的）"
    )
    group: str | None = None
    details: dict[str, Any] = {}
    answer: str | None = None
    reported_to: str | None = None
    reply_class: str | None = None
    satisfaction: str | None = None
    reopened: bool = False
    progress_reports: int = 0
    co_unit_opinions: int = 0
    co_unit_due_date: date | None = None
    return_by: date | None = None
    indicator: Indicator | None = None
    was_overdue: bool = False
    overdue_unit: str | None = Field(default=None, description="逾期时的牵头单位")
    dispatch_due_date: date | None = Field(default=None, description="督查室交办时限")
    assigned_on: date | None = None
    dispatched_late: bool = Field(default=False, description="督查室超过交办时限才交办")
    unsigned_reminded: bool = Field(default=False, description="交办后未按时签收，已催办")
    extension_requested: date | None = Field(default=None, description="待审批的延期申请日期")
    merged_into: UUID | None = None
    escalated_to: str | None = Field(default=None, description="已提请督促的县领导")
    campaign_id: UUID | None = Field(default=None, description="发现问题的督查")
    severity: str | None = None
    severity_label: str | None = None
    returns: int = Field(default=0, description="退回重办（整改被驳回）次数")
    rectified: bool = Field(default=False, description="已销号")
    rectified_on_time: bool = Field(default=False, description="按期整改销号")
    previous_item: UUID | None = Field(default=None, description="再次发现的原销号问题")


class ItemList(Answer):
    total: int
    items: list[Item]


class HistoryEvent(Answer):
    type: str = Field(description="事件类型，如 ItemReceived、Assigned、DeadlineSet、Overdue")
    version: int
    at: str
    recorded_at: str
    actor: dict[str, Any] | None
    data: dict[str, Any]
    hash: str = Field(description="SM3 哈希链上本事件的哈希（十六进制）")
    verified: bool = Field(description="哈希链校验至本事件无误；首个断点及其后为 false")


class History(Answer):
    item_id: UUID
    events: list[HistoryEvent]


class StoredFile(Answer):
    sha: str = Field(pattern=r"^[0-9a-f]{64}$", description="文件内容的 SM3 哈希")
    name: str
    size: int
    content_type: str


class Assignment(Answer):
    """What became of one assignment asked for, in a batch or on a sheet's row."""

    item_id: UUID
    assignment: Literal["assigned", "already_assigned", "refused", "pending"] = Field(
        description=(
            "assigned 本次已交办；already_assigned 此前已交办给这些单位（如重试），未重复交办；"
            "refused 未交办，`message` 说明原因；pending 服务暂不可用未交办，重新提交即可"
        )
    )
    assignment_label: str
    lead_unit: str | None = None
    co_units: list[str] = []
    due_date: date | None = Field(default=None, description="办理时限（计算中时为空）")
    notice_number: str | None = None
    status: Status | None = None
    status_label: str | None = None
    error: str | None = None
    message: str | None = None
    message_en: str | None = None
    fields: list[FieldError] = Field(default=[], description="本条中出错的字段（单位等）")


class BatchAssigned(Assignment):
    index: int = Field(description="在 assignments 中的位置，从 0 起")


class ImportedRow(Assignment):
    row: int = Field(description="Excel 中的行号")
    registered: Literal["created", "existing"] = Field(
        description="created 本次新登记；existing 此前已登记（同一编号只登记一次）"
    )
    # a row may also name no units
    assignment: Literal[  # type: ignore[assignment]
        "assigned", "already_assigned", "refused", "pending", "not_requested"
    ] = Field(description="同 Assignment；not_requested 本行未填主办单位，仅登记")


class ImportResult(Answer):
    created: list[UUID]
    existing: list[UUID]
    items: list[UUID] = Field(default=[], description="各行的事项，按表格中的顺序")
    rows: list[ImportedRow] = []
    counts: dict[str, int] = Field(default={}, description="各种交办结果的件数")
    message: str | None = None


class ImportUnfinished(Error):
    """503 of an import that registered its rows but could not assign every one: `rows` says
    which were assigned; submitting the same file again assigns the rest, repeating nothing."""

    created: list[UUID] = []
    existing: list[UUID] = []
    items: list[UUID] = []
    rows: list[ImportedRow] = []
    counts: dict[str, int] = {}


class BatchResult(Answer):
    results: list[BatchAssigned]
    counts: dict[str, int] = Field(description="各种交办结果的件数")
    message: str


class BatchUnfinished(Error):
    """503 of a batch stopped part-way: `results` says which were assigned; sending the same
    batch again assigns the rest, repeating nothing."""

    results: list[BatchAssigned] = []
    counts: dict[str, int] = {}


class Committee(Answer):
    committee: str
    committee_name: str
    kind: str
    total: int
    closed: int
    reply_classes: dict[str, int]
    satisfaction: dict[str, int]
    overdue: int


class ProposalReport(Answer):
    session_year: int
    committees: list[Committee]


class TimeLimitPolicy(Answer):
    limits: dict[str, Any]
    changes: list[dict[str, Any]]


class Calendar(Answer):
    year: int
    official: bool
    loaded: dict[str, Any] | None


class LoadedCalendar(Calendar):
    recounted: list[UUID] = Field(description="因新日历而重算办理时限的事项")


class Unit(Answer):
    code: str
    name: str
    kind: str
    leader_in_charge: str | None = Field(default=None, description="分管县领导的编码")


class Leader(Answer):
    code: str
    name: str
    title: str
    username: str | None


class Leaders(Answer):
    leaders: list[Leader]
    in_charge: dict[str, str] = Field(description="单位编码 → 分管县领导编码")
    default: str | None = Field(description="默认县领导的编码")


class Units(Answer):
    units: list[Unit]


class LedgerBreak(Answer):
    item_id: UUID
    version: int
    reason: str


class LedgerReport(Answer):
    ok: bool
    broken: dict[str, list[LedgerBreak]]


class ClockSet(Answer):
    now: datetime
    overdue_marked: int


class Health(Answer):
    """`ok`: the process is alive; `ready`: it can serve; `unavailable`: `problems` say why not."""

    status: Literal["ok", "ready", "unavailable"]
    problems: list[str] = []


class OpenApiDocument(Answer):
    """This document."""


class Campaign(Answer):
    """A campaign: from the read model in lists, from intake with its visits and findings on
    one campaign's page (a unit sees only the findings issued to it, and no visits)."""

    id: UUID
    version: int
    kind: str
    kind_label: str
    year: int
    month: int | None = None
    title: str
    upper_level: str | None = None
    status: str
    status_label: str
    plan: dict[str, Any]
    visits: list[dict[str, Any]] | int = []
    findings: list[dict[str, Any]] | int = []


class CampaignList(Answer):
    campaigns: list[Campaign]


class FindingIssued(Answer):
    """The finding's item, assigned with its supervision notice number (督办〔2026〕N号)."""

    finding_id: UUID
    item: Item


class CampaignFigures(Answer):
    campaign_id: UUID
    found: int = Field(description="下发督办的问题数")
    rectified_on_time: int
    rectified_late: int
    rejected: int = Field(description="整改被驳回过的问题数")
    open: int
    overdue: int


class Ledger(Answer):
    total: int
    items: list[Item]


class ResponsibilityList(Answer):
    unit: str
    items: list[Item]
