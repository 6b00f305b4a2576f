"""Request bodies and query strings, with every bad field named in Chinese and English."""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Annotated, Any, get_args
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from gateway import limits
from services.kernel.access import PLATFORM_LABELS, ROLE_LABELS, Platform, Role
from services.kernel.vocabulary import (
    CAMPAIGN_KIND_LABELS,
    CHECK_LABELS,
    COMPLEXITY_LABELS,
    EXTENSION_OUTCOME_LABELS,
    METHOD_LABELS,
    PENALTY_LABELS,
    PROPOSAL_KIND_LABELS,
    REPLY_CLASS_LABELS,
    REVIEW_OUTCOME_LABELS,
    SEVERITY_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
    UPPER_LEVEL_LABELS,
    VERDICT_LABELS,
    VERIFICATION_LABELS,
    WORK_REPORT_KIND_LABELS,
    CampaignKind,
    Check,
    Complexity,
    ExtensionOutcome,
    Method,
    Penalty,
    ProposalKind,
    ReplyClass,
    ReviewOutcome,
    Severity,
    Source,
    Status,
    UpperLevel,
    Verdict,
    Verification,
    WorkReportKind,
    choices,
)

Text = Annotated[str, Field(min_length=1, max_length=20000)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
UnitCode = Annotated[str, Field(min_length=1, max_length=40)]
USERNAME = r"[a-z0-9][a-z0-9._-]{0,62}"
SM3_HEX = r"^[0-9a-f]{64}$"
QUARTER = r"^\d{4}-Q[1-4]$"
MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
CODE = r"^[a-z][a-z0-9-]{0,39}$"
# dates for countdowns: up to COUNTDOWN_DATES, comma-separated. So few that even the longest
# query, every character percent-encoded, stays inside the server's 4094-byte request line.
COUNTDOWN_DATES = 25
_DAY = r"(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
DATES = rf"^{_DAY}(,{_DAY}){{0,{COUNTDOWN_DATES - 1}}}$"
Username = Annotated[
    str, Field(pattern=f"^{USERNAME}$", description="小写字母、数字、点、下划线或连字符")
]
Reason = Annotated[str, Field(min_length=1, max_length=500)]
NewPassword = Annotated[str, Field(min_length=8, max_length=200)]
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def _office_date(value: date) -> date:
    # the deadline service counts past a due date (24:00 of it, reminders, escalation), and
    # near date.max that arithmetic overflows in the service, after the request was accepted
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"须在 {FIRST_DAY} 至 {LAST_DAY} 之间，请检查年份")
    return value


OfficeDate = Annotated[
    date,
    AfterValidator(_office_date),
    # JSON Schema has no range for a date: the pattern holds its year to 2000-2100
    Field(
        description=f"{FIRST_DAY} 至 {LAST_DAY}",
        json_schema_extra={
            "pattern": r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
        },
    ),
]


def _year(value: Any) -> int:
    # isascii: "²".isdigit() holds, yet int("²") raises
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or not FIRST_DAY.year <= value <= LAST_DAY.year:
        raise ValueError(f"须为 {FIRST_DAY.year} 至 {LAST_DAY.year} 年之间的年份，如 2026")
    return value


# A year in a path or a query string: any bad value, a word or a year out of range, gets the
# one message that names the range; the bounds are for the document.
Year = Annotated[
    int,
    BeforeValidator(_year),
    Field(json_schema_extra={"minimum": FIRST_DAY.year, "maximum": LAST_DAY.year}),
]
Sm3Hex = Annotated[str, Field(pattern=SM3_HEX)]
# Figures in a JSON body: a number, never true/false or a string taken for one.
Number = Annotated[float, Field(strict=True)]
BodyYear = Annotated[int, Field(strict=True, ge=FIRST_DAY.year, le=LAST_DAY.year)]

# Every request field by the name staff know it by. A name that means something else in one
# model is given there as "Model.field", which wins over the plain name.
FIELD_LABELS = {
    "source": "事项来源",
    "title": "标题",
    "content": "内容",
    "assignments": "交办清单",
    "external_ref": "外部编号",
    "due_date": "办理时限",
    "complexity": "复杂程度",
    "issued_by": "交办领导",
    "lead_unit": "牵头单位",
    "co_units": "配合单位",
    "decision": "审核结论",
    "comment": "意见",
    "username": "用户名",
    "password": "密码",
    "status": "状态",
    "unit": "单位",
    "overdue": "是否逾期",
    "limit": "每页条数",
    "offset": "起始位置",
    "now": "时间",
    "reason": "理由",
    "proposed_due_date": "申请延期至",
    "limits": "时限设置",
    "rest_days": "放假日期",
    "working_weekends": "调休上班日期",
    "details": "事项详情",
    "meeting_name": "会议名称",
    "meeting_date": "会议日期",
    "decision_number": "议定事项编号",
    "decision_name": "决策部署名称",
    "session_year": "届次年度",
    "number": "编号",
    "author": "提出人",
    "kind": "类别",
    "year": "年度",
    "target": "年度目标",
    "measure": "计量单位",
    "issued_on": "批示日期",
    "evidence": "佐证材料",
    "reply_class": "答复类别",
    "verdict": "满意度",
    "month": "月份",
    "value": "数值",
    "period": "报告期",
    "group": "分组",
    "display_name": "姓名",
    "role": "角色",
    "name": "名称",
    "platform": "对接平台",
    "refresh_token": "刷新令牌",
    "user": "用户名",
    "since": "起始日期",
    "until": "截止日期",
    "pending_extension": "延期待审批",
    "escalated": "已提请督促",
    "unsigned": "未签收",
    "returned_by_unit": "单位退回待改派",
    "due_within": "几个工作日内到期",
    "due_from": "办理时限起",
    "due_to": "办理时限止",
    "notice_number": "交办通知编号",
    "q": "搜索词",
    "item_id": "事项编号",
    "key_id": "密钥编号",
    "sha": "文件编号",
    "into": "合并到",
    "leader": "县领导",
    "penalty": "问责措施",
    "reasons": "问责理由",
    "code": "编码",
    "place": "地点",
    "dates": "日期",
    "plan": "督查方案",
    "themes": "督查主题",
    "scope": "督查范围",
    "methods": "督查方式",
    "checks": "三督三查",
    "team": "督查组成员",
    "starts_on": "开始日期",
    "ends_on": "结束日期",
    "upper_level": "上级督查机关",
    "visited_at": "督查时间",
    "found": "现场情况",
    "visit_id": "现场督查",
    "facts": "问题事实",
    "person": "责任人",
    "severity": "严重程度",
    "previous_item": "原销号问题",
    "task": "督办任务",
    "measures": "整改措施",
    "campaign_id": "督查编号",
    "finding_id": "问题编号",
    "campaign": "督查",
    "verification": "核查方式",
    "problems": "只看问题",
    "NewCampaign.title": "督查名称",
    "PlanChange.title": "督查名称",
    "PlanChange.reason": "修改理由",
    "CampaignClosing.reason": "结束说明",
    "FindingRecord.title": "问题标题",
    "FindingRecord.unit": "责任单位",
    "NoticeIssue.due_date": "整改时限",
    "LedgerQuery.since": "登记起始日期",
    "LedgerQuery.until": "登记截止日期",
    "Commendation.reasons": "表扬理由",
    "EvidenceRef.name": "文件名",
    "NewApiKey.name": "密钥名称",
    "LeaderRecord.name": "姓名",
    "LeaderRecord.title": "职务",
    "LeaderRecord.username": "登录用户名",
    "LeaderPath.code": "县领导编码",
    "UnitPath.code": "单位编码",
    "ReturnToOffice.reason": "退回理由",
    "Cancellation.reason": "撤销理由",
    "Merge.reason": "合并理由",
    "ExtensionRequest.reason": "延期理由",
    "Review.comment": "审核意见",
    "Satisfaction.comment": "回访意见",
    "ExtensionDecision.decision": "审批结论",
    "ExtensionDecision.comment": "审批意见",
}

# The values a field may take, each with its label, listed when another value is sent. A
# field name may take different values in different models (`kind`, `decision`): each value
# has one meaning.
VALUE_LABELS: dict[str, dict[str, str]] = {
    "source": SOURCE_LABELS,
    "complexity": COMPLEXITY_LABELS,
    "status": STATUS_LABELS,
    "verdict": VERDICT_LABELS,
    "reply_class": REPLY_CLASS_LABELS,
    "penalty": PENALTY_LABELS,
    "role": ROLE_LABELS,
    "platform": PLATFORM_LABELS,
    "kind": {**WORK_REPORT_KIND_LABELS, **PROPOSAL_KIND_LABELS, **CAMPAIGN_KIND_LABELS},
    "upper_level": UPPER_LEVEL_LABELS,
    "methods": METHOD_LABELS,
    "checks": CHECK_LABELS,
    "severity": SEVERITY_LABELS,
    "verification": VERIFICATION_LABELS,
    "decision": {**REVIEW_OUTCOME_LABELS, **EXTENSION_OUTCOME_LABELS},
}
BOOLEAN_LABELS = {"true": "是", "false": "否"}

# What a value of each pattern looks like, in the staff's words.
PATTERN_HINTS = {
    f"^{USERNAME}$": "只能用小写字母、数字、点、下划线或连字符，以字母或数字开头，"
    "至多 63 个字符，请修改",
    SM3_HEX: "须为上传文件后得到的文件编号（64 位十六进制的 SM3 摘要），请先上传文件",
    QUARTER: "须为“年份-Q季度”，请按 2026-Q1 的格式填写",
    MONTH: "须为“年份-月份”，请按 2026-01 的格式填写",
    CODE: "须为小写字母开头的编码，只含小写字母、数字或连字符，至多 40 个字符，请修改",
    DATES: f"须为以逗号分隔的日期，至多 {COUNTDOWN_DATES} 个，"
    "请按 2026-10-13,2026-10-14 的格式填写",
}

_DATE = "须为有效的日期，格式如 2026-01-05，请检查年、月、日"
_DATETIME = "须为带时区的时间，请按 2026-01-05T09:00:00+08:00 的格式填写"
_OBJECT = "须为对象，请把各项放在花括号 {{ }} 中"
_UUID = "须为系统给出的 36 位编号，如 0b6a3c84-5d0e-4f0e-8f0e-6a1d2c3b4a59，请照原样复制"
# Each pydantic error type, as the reason after the field's label; `{...}` is filled from the
# error's context (its limit). Literals, patterns, lengths of 1 and unknown fields have their
# own sentences in `_reason`.
MESSAGES = {
    "missing": "必填，请填写",
    "string_type": "须为文字，请填写文字",
    "string_too_short": "不能少于 {min_length} 个字符，请补充",
    "string_too_long": "不能超过 {max_length} 个字符（现有 {length} 个），请删减",
    "too_short": "至少须有 {min_length} 项，请补充",
    "too_long": "不能超过 {max_length} 项（现有 {actual_length} 项），请删减",
    "date_type": _DATE,
    "date_parsing": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "datetime_type": _DATETIME,
    "datetime_parsing": _DATETIME,
    "datetime_from_date_parsing": _DATETIME,
    "timezone_aware": "须带时区，请在时间末尾加上时区，如 2026-01-05T09:00:00+08:00",
    "list_type": "须为列表，请把各项放在方括号 [ ] 中",
    "dict_type": _OBJECT,
    "model_type": _OBJECT,
    "model_attributes_type": _OBJECT,
    "bool_type": f"请选择以下之一：{choices(BOOLEAN_LABELS)}",
    "bool_parsing": f"请选择以下之一：{choices(BOOLEAN_LABELS)}",
    "int_type": "须为整数，请填写不带小数的数字",
    "int_parsing": "须为整数，请填写不带小数的数字",
    "int_from_float": "须为整数，请填写不带小数的数字",
    "float_type": "须为数值，请填写数字，如 8.5",
    "float_parsing": "须为数值，请填写数字，如 8.5",
    "finite_number": "须为有限的数值，请填写具体的数字",
    "greater_than": "须大于 {gt}，请改为更大的数",
    "greater_than_equal": "不能小于 {ge}，请改为 {ge} 或更大的数",
    "less_than": "须小于 {lt}，请改为更小的数",
    "less_than_equal": "不能大于 {le}，请改为 {le} 或更小的数",
    "uuid_type": _UUID,
    "uuid_parsing": _UUID,
    "string_pattern_mismatch": "格式不对，请检查后重新填写",
}
UNKNOWN_ERROR = "取值无效，请检查后重新填写"


class Strict(BaseModel):
    # NaN and Infinity pass Python's JSON parser but are no figures: a NaN target became null
    # (silently lost), a NaN monthly figure made its event poison to the services.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def storable_text(cls, data: Any) -> Any:
        if isinstance(data, dict) and (places := _unstorable(data, ())):
            raise UnstorableText(places)
        return data


class TokenRequest(Strict):
    username: ShortText
    password: Annotated[str, Field(min_length=1, max_length=200)]


class RefreshRequest(Strict):
    refresh_token: Annotated[str, Field(min_length=1, max_length=2000)]


class NewUser(Strict):
    username: Username
    display_name: ShortText
    role: Role
    unit: UnitCode | None = Field(None, description="承办单位联络员必填，其他角色不填")
    password: NewPassword
    reason: Reason


class WithReason(Strict):
    reason: Reason


class PasswordReset(Strict):
    password: NewPassword
    reason: Reason


class RoleChange(Strict):
    role: Role
    unit: UnitCode | None = Field(None, description="承办单位联络员必填，其他角色不填")
    reason: Reason


class NewApiKey(Strict):
    name: ShortText
    platform: Platform
    reason: Reason


class UserPath(Strict):
    username: Username


class ApiKeyPath(Strict):
    key_id: UUID


class LoginQuery(Strict):
    user: ShortText | None = None
    since: OfficeDate | None = None
    until: OfficeDate | None = None
    limit: Annotated[int, Field(ge=1, le=500)] = 50
    offset: Annotated[int, Field(ge=0, le=1_000_000_000)] = 0


class InstructionDetails(Strict):
    issued_on: OfficeDate | None = None


class MeetingDetails(Strict):
    meeting_name: ShortText
    meeting_date: OfficeDate
    decision_number: ShortText


def _target(value: Any) -> float | str | None:
    """A figure (a number, never true/false) or words, as a work-report target is written."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("须为有限的数值，请填写具体的数字")
    if value is None or isinstance(value, float):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and 0 < len(value.strip()) <= 200:
        return value.strip()
    raise ValueError(
        "须为数值（主要经济指标，如 8.5）或不超过 200 字的文字（重点任务，如“年内建成投用”）"
    )


Target = Annotated[
    float | str | None,
    PlainValidator(_target),
    WithJsonSchema(
        {"anyOf": [{"type": "number"}, {"type": "string", "maxLength": 200}, {"type": "null"}]}
    ),
]


class WorkReportDetails(Strict):
    """A task's target is text (年内建成投用); an indicator's is a number with its unit."""

    # the document says what the validator checks
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"kind": {"const": "indicator"}}},
            "then": {
                "required": ["target", "measure"],
                "properties": {"target": {"type": "number"}, "measure": {"type": "string"}},
            },
            "else": {"properties": {"target": {"type": ["string", "null"]}}},
        }
    )

    year: BodyYear
    number: ShortText
    kind: WorkReportKind
    target: Target = None
    measure: ShortText | None = None

    @model_validator(mode="after")
    def target_fits_the_kind(self) -> WorkReportDetails:
        if self.kind == "indicator":
            if not isinstance(self.target, float):
                raise FieldError("target", "主要经济指标的年度目标须为数值，如 8.5")
            if self.measure is None:
                raise FieldError("measure", "主要经济指标须填写计量单位，如“%”“亿元”")
        elif self.target is not None and not isinstance(self.target, str):
            raise FieldError("target", "重点任务的年度目标须为文字，如“年内建成投用”")
        return self


class DecisionDetails(Strict):
    decision_name: ShortText


class ProposalDetails(Strict):
    session_year: BodyYear
    number: ShortText
    author: ShortText
    kind: ProposalKind


class FindingDetails(Strict):
    place: ShortText | None = None


class NoDetails(Strict):
    pass


DETAILS: dict[str, type[Strict]] = {
    "instruction": InstructionDetails,
    "meeting": MeetingDetails,
    "work_report": WorkReportDetails,
    "decision": DecisionDetails,
    "proposal": ProposalDetails,
    "finding": FindingDetails,
}


class EvidenceRef(Strict):
    sha: Sm3Hex
    name: Annotated[str, Field(min_length=1, max_length=200)] = "附件"


class RegisterItem(Strict):
    source: Source
    title: ShortText
    content: Text
    external_ref: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    due_date: OfficeDate | None = None
    complexity: Complexity | None = None
    issued_by: ShortText | None = None
    details: dict[str, Any] = {}
    # photos from the site, uploaded first (POST /api/v1/files)
    evidence: Annotated[list[EvidenceRef], Field(max_length=20)] = []

    @model_validator(mode="after")
    def details_fit_the_source(self) -> RegisterItem:
        model = DETAILS.get(self.source, NoDetails)
        try:
            self.details = model.model_validate(self.details).model_dump(mode="json")
        except ValidationError as e:
            raise NestedErrors("details", e) from None
        return self


class AssignItem(Strict):
    lead_unit: UnitCode
    co_units: list[UnitCode] = []
    due_date: OfficeDate | None = None


class BatchAssignment(Strict):
    item_id: UUID
    lead_unit: UnitCode
    co_units: Annotated[list[UnitCode], Field(max_length=limits.CO_UNITS)] = []
    due_date: OfficeDate | None = None


class AssignBatch(Strict):
    assignments: Annotated[
        list[BatchAssignment], Field(min_length=1, max_length=limits.ASSIGN_BATCH)
    ]


class Feedback(Strict):
    content: Text
    evidence: list[EvidenceRef] = []
    reply_class: ReplyClass | None = None


class Progress(Strict):
    content: Text
    evidence: list[EvidenceRef] = []
    # a quarter of a work-report task (季督查): 2026-Q1 … 2026-Q4
    period: Annotated[str, Field(pattern=QUARTER)] | None = None


class Opinion(Strict):
    content: Text
    evidence: list[EvidenceRef] = []


class ReturnToOffice(Strict):
    reason: Text


class IndicatorFigure(Strict):
    month: Annotated[str, Field(pattern=MONTH)]
    value: Number


class Satisfaction(Strict):
    verdict: Verdict
    comment: Annotated[str, Field(max_length=5000)] = ""
    due_date: OfficeDate | None = None


class Review(Strict):
    decision: ReviewOutcome
    comment: Annotated[str, Field(max_length=5000)] = ""
    due_date: OfficeDate | None = None
    evidence: list[EvidenceRef] = []  # the office's own, e.g. photos from the site
    verification: Verification | None = None  # on paper or on site


class PenaltyRecommendation(Strict):
    penalty: Penalty
    unit: UnitCode
    reasons: Text


class Commendation(Strict):
    unit: UnitCode
    reasons: Text


class Cancellation(Strict):
    reason: Text


class Merge(Strict):
    into: UUID
    reason: Text


class LeaderRecord(Strict):
    name: ShortText
    title: ShortText
    username: ShortText | None = None
    reason: Text


class LeaderChoice(Strict):
    leader: Annotated[str, Field(min_length=1, max_length=40)]
    reason: Text


class LeaderPath(Strict):
    code: Annotated[str, Field(pattern=CODE)]


class UnitPath(Strict):
    code: Annotated[str, Field(pattern=CODE)]


class ExtensionRequest(Strict):
    reason: Text
    proposed_due_date: OfficeDate


class ExtensionDecision(Strict):
    decision: ExtensionOutcome
    due_date: OfficeDate | None = None
    comment: Annotated[str, Field(max_length=5000)] = ""


class PolicyChange(Strict):
    limits: dict[str, Any]
    reason: Text


class ScheduleUpload(Strict):
    rest_days: list[OfficeDate]
    working_weekends: list[OfficeDate]
    reason: Text


# the most working days a "due within" list looks ahead (a quarter)
DUE_WITHIN_MOST = 60


class ItemQuery(Strict):
    status: Status | None = None
    unit: UnitCode | None = None
    source: Source | None = None
    group: Annotated[str, Field(max_length=300)] | None = None
    overdue: bool | None = None
    pending_extension: bool | None = Field(
        None, description="true：有待督查室审批的延期申请、尚未办结的事项；false：其余事项"
    )
    escalated: bool | None = Field(
        None,
        description="true：已按催办阶梯提请县领导督促（或提出问责建议）、尚未办结的事项"
        "（改派后对新牵头单位重新计算）；false：其余事项",
    )
    unsigned: bool | None = Field(
        None, description="true：已交办、牵头单位尚未签收的事项；false：其余事项"
    )
    returned_by_unit: bool | None = Field(
        None, description="true：牵头单位退回、等待督查室改派的事项；false：其余事项"
    )
    due_within: Annotated[int, Field(ge=1, le=DUE_WITHIN_MOST)] | None = Field(
        None,
        description=f"1 至 {DUE_WITHIN_MOST}：今天起 N 个工作日内（按法定节假日和调休计算，"
        "今天不计入、今天到期的也列出）到期、仍待单位答复（已交办、已签收或退回重办）的事项",
    )
    due_from: OfficeDate | None = Field(
        None, description="办理时限不早于此日期（YYYY-MM-DD，含当天；任何状态）"
    )
    due_to: OfficeDate | None = Field(
        None, description="办理时限不晚于此日期（YYYY-MM-DD，含当天；早于 due_from 时无结果）"
    )
    notice_number: Annotated[str, Field(min_length=1, max_length=50)] | None = Field(
        None, description="《转办通知》编号，如 督转〔2026〕37号；改派前的编号也能查到"
    )
    external_ref: Annotated[str, Field(min_length=1, max_length=100)] | None = Field(
        None, description="外部编号（如 12345 工单号），完全一致"
    )
    q: Annotated[str, Field(min_length=1, max_length=50)] | None = Field(
        None,
        description="在标题和内容中查找这段文字（不区分大小写和全角半角；以空格分开的几个词"
        "须都出现），如 道路、供暖；最多 50 个字符",
    )
    limit: Annotated[int, Field(ge=1, le=500)] = 50
    # past PostgreSQL's bigint the query itself fails
    offset: Annotated[int, Field(ge=0, le=1_000_000_000)] = 0


class DueDatePreviewQuery(Strict):
    due_date: OfficeDate | None = None


class CountdownQuery(Strict):
    dates: Annotated[
        str,
        Field(
            max_length=COUNTDOWN_DATES * 11 - 1,
            pattern=DATES,
            description=f"以逗号分隔的日期，至多 {COUNTDOWN_DATES} 个",
        ),
    ]

    @field_validator("dates")
    @classmethod
    def real_dates(cls, dates: str) -> str:
        for text in dates.split(","):
            try:
                _office_date(date.fromisoformat(text))
            except ValueError:
                raise ValueError(
                    f"{text} 不是 {FIRST_DAY} 至 {LAST_DAY} 之间的有效日期，"
                    "请按 2026-10-13 的格式填写"
                ) from None
        return dates

    def parsed(self) -> list[date]:
        return [date.fromisoformat(text) for text in self.dates.split(",")]


class ItemPath(Strict):
    item_id: UUID


class YearPath(Strict):
    year: Year


class FilePath(Strict):
    sha: Sm3Hex


class ProposalImport(Strict):
    session_year: Year


class WorkReportImport(Strict):
    year: Year


class SetClock(Strict):
    now: AwareDatetime


class FieldError(ValueError):
    """A check of the whole object that one of its fields fails: reported under that field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class NestedErrors(ValueError):
    """Errors of a nested object, reported under its field's name."""

    def __init__(self, prefix: str, error: ValidationError) -> None:
        super().__init__(prefix)
        self.prefix = prefix
        self.error = error


# PostgreSQL text cannot hold NUL, and half a surrogate pair cannot be encoded as UTF-8: either
# would fail deep in a service (a 500) instead of being refused here, naming the field.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


Loc = tuple[str | int, ...]


class UnstorableText(ValueError):
    """Strings (or object keys) that cannot be stored, by their fields' places."""

    def __init__(self, places: list[Loc]) -> None:
        super().__init__(places)
        self.places = places


def _unstorable(value: Any, loc: Loc) -> list[Loc]:
    if isinstance(value, str):
        return [loc] if _UNSTORABLE.search(value) else []
    if isinstance(value, dict):
        out = []
        for key, inner in value.items():
            if _UNSTORABLE.search(key):
                out.append(loc)  # the key itself cannot be echoed back in the answer
            else:
                out += _unstorable(inner, (*loc, key))
        return out
    if isinstance(value, list):
        return [p for i, inner in enumerate(value) for p in _unstorable(inner, (*loc, i))]
    return []


def request_models() -> dict[str, type[Strict]]:
    """Every request model by its name, as a ValidationError names the model it came from."""
    found: dict[str, type[Strict]] = {}
    todo: list[type[Strict]] = [Strict]
    while todo:
        for model in todo.pop().__subclasses__():
            found[model.__name__] = model
            todo.append(model)
    return found


def field_label(model: type[BaseModel] | None, name: str) -> str | None:
    if model is not None and (label := FIELD_LABELS.get(f"{model.__name__}.{name}")):
        return label
    return FIELD_LABELS.get(name)


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds, directly or in a list or an optional (list[EvidenceRef])."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        if inner := _inner_model(arg):
            return inner
    return None


def _place(model: type[BaseModel] | None, loc: Loc) -> tuple[str, type[BaseModel] | None, str]:
    """What `loc` names, in Chinese (佐证材料第 1 项的文件编号), with the model that holds its last
    field and that field's name."""
    label, holder, name = "", model, ""
    current = model
    for part in loc:
        if isinstance(part, int):
            label += f"第 {part + 1} 项"
            continue
        holder, name = current, str(part)
        field = current.model_fields.get(name) if current else None
        word = field_label(current, name) or f"“{name}”"
        label = f"{label}的{word}" if label else word
        current = _inner_model(field.annotation) if field else None
    return label or "请求体", holder, name


def _reason(e: Any, holder: type[BaseModel] | None, name: str) -> str:
    """Why the value is refused and what to send instead, after the field's label."""
    kind, ctx = e["type"], e.get("ctx") or {}
    if kind in ("literal_error", "enum"):
        labels = VALUE_LABELS.get(name, {})
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        listed = choices({value: labels.get(value, value) for value in allowed})
        return f"不是可选的取值，请选择以下之一：{listed}"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") in PATTERN_HINTS:
        return PATTERN_HINTS[ctx["pattern"]]
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "不能为空，请填写"
    if kind == "extra_forbidden":
        fields = holder.model_fields if holder else {}
        if not fields:
            return "不是可接受的字段：此类事项不填写事项详情，请删除"
        listed = choices({f: field_label(holder, f) or f for f in fields})
        return f"不是可接受的字段，请删除；可填写的字段：{listed}"
    if kind == "value_error" and ctx.get("error"):
        return str(ctx["error"])
    if kind not in MESSAGES:
        return UNKNOWN_ERROR
    given = e.get("input")
    try:
        return MESSAGES[kind].format(**ctx, length=len(given) if isinstance(given, str) else 0)
    except KeyError:  # a context without the limit its template names: say what we can
        return UNKNOWN_ERROR


def field_errors(error: ValidationError) -> list[dict[str, Any]]:
    """Each bad field of a request: its path (`field`), and in `message` its Chinese label,
    what is wrong with it and what to send instead."""
    model = request_models().get(error.title)
    out = []
    for e in error.errors():
        nested = (e.get("ctx") or {}).get("error")
        if isinstance(nested, UnstorableText):
            for loc in nested.places:
                label, _, _ = _place(model, loc)
                out.append(
                    {
                        "field": ".".join(map(str, loc)) or "body",
                        "message": f"{label}：含有无法保存的字符（空字符或残缺的字符编码），"
                        "请删去后重新提交",
                        "message_en": "contains a NUL character or a lone surrogate",
                    }
                )
            continue
        if isinstance(nested, NestedErrors):
            for inner in field_errors(nested.error):
                suffix = "" if inner["field"] == "body" else f".{inner['field']}"
                inner["field"] = f"{nested.prefix}{suffix}"
                out.append(inner)
            continue
        loc = tuple(e["loc"])
        if isinstance(nested, FieldError):
            loc = (*loc, nested.field)
        label, holder, name = _place(model, loc)
        field = ".".join(str(p) for p in loc) or "body"
        out.append(
            {
                "field": field,
                "message": f"{label}：{_reason(e, holder, name)}",
                "message_en": e["msg"],
            }
        )
    return out


# --- inspection campaigns, findings, notices, the ledger ---

Files = Annotated[list[EvidenceRef], Field(max_length=20)]
Names = Annotated[list[ShortText], Field(max_length=30)]


class CampaignPlanBody(Strict):
    themes: Names = []
    # unit kinds (town, zone, department) or unit codes
    scope: Annotated[list[UnitCode], Field(max_length=60)] = []
    methods: Annotated[list[Method], Field(max_length=6)] = []
    checks: Annotated[list[Check], Field(max_length=6)] = []
    team: Names = []
    starts_on: OfficeDate | None = None
    ends_on: OfficeDate | None = None


class NewCampaign(Strict):
    kind: CampaignKind
    title: ShortText
    plan: CampaignPlanBody = CampaignPlanBody()
    upper_level: UpperLevel | None = None


class PlanChange(Strict):
    title: ShortText
    plan: CampaignPlanBody
    reason: Annotated[str, Field(max_length=500)] = ""


class CampaignClosing(Strict):
    reason: Text


class VisitRecord(Strict):
    place: ShortText
    visited_at: AwareDatetime
    team: Names = []
    found: Annotated[str, Field(max_length=20000)] = ""
    evidence: Files = []


class FindingRecord(Strict):
    visit_id: UUID | None = None
    title: ShortText
    facts: Text
    unit: UnitCode
    person: ShortText | None = None
    severity: Severity
    evidence: Files = []
    previous_item: UUID | None = None


class NoticeIssue(Strict):
    task: Text
    measures: Text
    person: ShortText | None = None
    due_date: OfficeDate


class CampaignPath(Strict):
    campaign_id: UUID


class FindingPath(Strict):
    campaign_id: UUID
    finding_id: UUID


class CampaignQuery(Strict):
    year: Year | None = None
    kind: CampaignKind | None = None


class LedgerQuery(Strict):
    campaign: UUID | None = None
    unit: UnitCode | None = None
    source: Source | None = None
    severity: Severity | None = None
    status: Status | None = None
    overdue: bool | None = None
    since: OfficeDate | None = None
    until: OfficeDate | None = None
    problems: bool = False
    limit: Annotated[int, Field(ge=1, le=500)] = 50
    offset: Annotated[int, Field(ge=0, le=1_000_000_000)] = 0


class ResponsibilityQuery(Strict):
    unit: UnitCode | None = None
