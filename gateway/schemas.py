"""Request bodies and query strings, with every bad field named in Chinese and English."""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Annotated, Any, Literal
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
    model_validator,
)

from gateway import limits
from services.kernel.access import Platform, Role
from services.kernel.vocabulary import (
    Complexity,
    Penalty,
    ReplyClass,
    Source,
    Status,
    Verdict,
)

Text = Annotated[str, Field(min_length=1, max_length=20000)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
UnitCode = Annotated[str, Field(min_length=1, max_length=40)]
USERNAME = r"[a-z0-9][a-z0-9._-]{0,62}"
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
        raise ValueError(f"须在 {FIRST_DAY} 至 {LAST_DAY} 之间")
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
        raise ValueError(f"须为 {FIRST_DAY.year} 至 {LAST_DAY.year} 年之间的年份")
    return value


# A year in a path or a query string: any bad value, a word or a year out of range, gets the
# one message that names the range; the bounds are for the document.
Year = Annotated[
    int,
    BeforeValidator(_year),
    Field(json_schema_extra={"minimum": FIRST_DAY.year, "maximum": LAST_DAY.year}),
]
Sm3Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
# Figures in a JSON body: a number, never true/false or a string taken for one.
Number = Annotated[float, Field(strict=True)]
BodyYear = Annotated[int, Field(strict=True, ge=FIRST_DAY.year, le=LAST_DAY.year)]

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
    "comment": "审核意见",
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
}

_MESSAGES = {
    "missing": "必填",
    "string_type": "须为文本",
    "string_too_short": "不能为空",
    "string_too_long": "过长",
    "literal_error": "取值无效",
    "date_from_datetime_parsing": "须为日期，格式 YYYY-MM-DD",
    "date_parsing": "须为日期，格式 YYYY-MM-DD",
    "date_type": "须为日期，格式 YYYY-MM-DD",
    "datetime_parsing": "须为带时区的时间，格式 ISO 8601",
    "datetime_from_date_parsing": "须为带时区的时间，格式 ISO 8601",
    "timezone_aware": "须带时区",
    "list_type": "须为列表",
    "bool_parsing": "须为 true 或 false",
    "int_parsing": "须为整数",
    "int_type": "须为整数",
    "float_type": "须为数值",
    "float_parsing": "须为数值",
    "finite_number": "须为有限的数值",
    "greater_than_equal": "过小",
    "less_than_equal": "过大",
    "extra_forbidden": "不是可接受的字段",
    "value_error": "取值无效",
}


class Strict(BaseModel):
    # NaN and Infinity pass Python's JSON parser but are no figures: a NaN target became null
    # (silently lost), a NaN monthly figure made its event poison to the services.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def storable_text(cls, data: Any) -> Any:
        if isinstance(data, dict) and (paths := _unstorable(data, "")):
            raise UnstorableText(paths)
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
        raise ValueError("须为有限的数值")
    if value is None or isinstance(value, float):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and 0 < len(value.strip()) <= 200:
        return value.strip()
    raise ValueError("须为数值（主要经济指标）或不超过 200 字的文字（重点任务）")


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
    kind: Literal["task", "indicator"]
    target: Target = None
    measure: ShortText | None = None

    @model_validator(mode="after")
    def target_fits_the_kind(self) -> WorkReportDetails:
        if self.kind == "indicator":
            if not isinstance(self.target, float):
                raise ValueError("主要经济指标的年度目标（target）须为数值，如 8.5")
            if self.measure is None:
                raise ValueError("主要经济指标须填写计量单位（measure），如“%”“亿元”")
        elif self.target is not None and not isinstance(self.target, str):
            raise ValueError("重点任务的年度目标（target）须为文字，如“年内建成投用”")
        return self


class DecisionDetails(Strict):
    decision_name: ShortText


class ProposalDetails(Strict):
    session_year: BodyYear
    number: ShortText
    author: ShortText
    kind: Literal["suggestion", "proposal"]


class NoDetails(Strict):
    pass


DETAILS: dict[str, type[Strict]] = {
    "instruction": InstructionDetails,
    "meeting": MeetingDetails,
    "work_report": WorkReportDetails,
    "decision": DecisionDetails,
    "proposal": ProposalDetails,
}


class RegisterItem(Strict):
    source: Source
    title: ShortText
    content: Text
    external_ref: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    due_date: OfficeDate | None = None
    complexity: Complexity | None = None
    issued_by: ShortText | None = None
    details: dict[str, Any] = {}

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


class EvidenceRef(Strict):
    sha: Sm3Hex
    name: Annotated[str, Field(min_length=1, max_length=200)] = "附件"


class Feedback(Strict):
    content: Text
    evidence: list[EvidenceRef] = []
    reply_class: ReplyClass | None = None


class Progress(Strict):
    content: Text
    evidence: list[EvidenceRef] = []
    # a quarter of a work-report task (季督查): 2026-Q1 … 2026-Q4
    period: Annotated[str, Field(pattern=r"^\d{4}-Q[1-4]$")] | None = None


class Opinion(Strict):
    content: Text
    evidence: list[EvidenceRef] = []


class ReturnToOffice(Strict):
    reason: Text


class IndicatorFigure(Strict):
    month: Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
    value: Number


class Satisfaction(Strict):
    verdict: Verdict
    comment: Annotated[str, Field(max_length=5000)] = ""
    due_date: OfficeDate | None = None


class Review(Strict):
    decision: Literal["accept", "return"]
    comment: Annotated[str, Field(max_length=5000)] = ""
    due_date: OfficeDate | None = None
    evidence: list[EvidenceRef] = []  # the office's own, e.g. photos from the site


class PenaltyRecommendation(Strict):
    penalty: Penalty
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
    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,39}$")]


class UnitPath(Strict):
    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,39}$")]


class ExtensionRequest(Strict):
    reason: Text
    proposed_due_date: OfficeDate


class ExtensionDecision(Strict):
    decision: Literal["grant", "deny"]
    due_date: OfficeDate | None = None
    comment: Annotated[str, Field(max_length=5000)] = ""


class PolicyChange(Strict):
    limits: dict[str, Any]
    reason: Text


class ScheduleUpload(Strict):
    rest_days: list[OfficeDate]
    working_weekends: list[OfficeDate]
    reason: Text


class ItemQuery(Strict):
    status: Status | None = None
    unit: UnitCode | None = None
    source: Source | None = None
    group: Annotated[str, Field(max_length=300)] | None = None
    overdue: bool | None = None
    limit: Annotated[int, Field(ge=1, le=500)] = 50
    # past PostgreSQL's bigint the query itself fails
    offset: Annotated[int, Field(ge=0, le=1_000_000_000)] = 0


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


class NestedErrors(ValueError):
    """Errors of a nested object, reported under its field's name."""

    def __init__(self, prefix: str, error: ValidationError) -> None:
        super().__init__(prefix)
        self.prefix = prefix
        self.error = error


# PostgreSQL text cannot hold NUL, and half a surrogate pair cannot be encoded as UTF-8: either
# would fail deep in a service (a 500) instead of being refused here, naming the field.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class UnstorableText(ValueError):
    """Strings (or object keys) that cannot be stored, by their fields' paths."""

    def __init__(self, paths: list[str]) -> None:
        super().__init__(paths)
        self.paths = paths


def _unstorable(value: Any, path: str) -> list[str]:
    if isinstance(value, str):
        return [path] if _UNSTORABLE.search(value) else []
    if isinstance(value, dict):
        out = []
        for key, inner in value.items():
            if _UNSTORABLE.search(key):
                out.append(path)  # the key itself cannot be echoed back in the answer
            else:
                out += _unstorable(inner, f"{path}.{key}" if path else str(key))
        return out
    if isinstance(value, list):
        return [p for i, inner in enumerate(value) for p in _unstorable(inner, f"{path}.{i}")]
    return []


def field_errors(error: ValidationError) -> list[dict[str, Any]]:
    out = []
    for e in error.errors():
        nested = (e.get("ctx") or {}).get("error")
        if isinstance(nested, UnstorableText):
            for path in nested.paths:
                label = FIELD_LABELS.get(path.split(".")[0], path) if path else "请求体"
                out.append(
                    {
                        "field": path or "body",
                        "message": f"{label}：含有无法保存的字符（空字符或残缺的 Unicode 字符）",
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
        field = ".".join(str(p) for p in e["loc"]) or "body"
        name = str(e["loc"][0]) if e["loc"] else "body"
        label = FIELD_LABELS.get(name, name)
        reason = _MESSAGES.get(e["type"], "取值无效")
        if e["type"] == "value_error" and e.get("ctx", {}).get("error"):
            reason = str(e["ctx"]["error"])
        out.append({"field": field, "message": f"{label}：{reason}", "message_en": e["msg"]})
    return out
