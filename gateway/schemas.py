"""Request bodies and query strings, with every bad field named in Chinese and English."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from services.kernel.contracts import Complexity, Source

Text = Annotated[str, Field(min_length=1, max_length=20000)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
UnitCode = Annotated[str, Field(min_length=1, max_length=40)]

FIELD_LABELS = {
    "source": "事项来源",
    "title": "标题",
    "content": "内容",
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
    "greater_than_equal": "过小",
    "less_than_equal": "过大",
    "extra_forbidden": "不是可接受的字段",
    "value_error": "取值无效",
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TokenRequest(Strict):
    username: ShortText
    password: Annotated[str, Field(min_length=1, max_length=200)]


class RegisterItem(Strict):
    source: Source
    title: ShortText
    content: Text
    external_ref: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    due_date: date | None = None
    complexity: Complexity | None = None
    issued_by: ShortText | None = None


class AssignItem(Strict):
    lead_unit: UnitCode
    co_units: list[UnitCode] = []
    due_date: date | None = None


class Feedback(Strict):
    content: Text


class Review(Strict):
    decision: Literal["accept", "return"]
    comment: Annotated[str, Field(max_length=5000)] = ""
    due_date: date | None = None


class ExtensionRequest(Strict):
    reason: Text
    proposed_due_date: date


class ExtensionDecision(Strict):
    decision: Literal["grant", "deny"]
    due_date: date | None = None
    comment: Annotated[str, Field(max_length=5000)] = ""


class PolicyChange(Strict):
    limits: dict[str, Any]
    reason: Text


class ScheduleUpload(Strict):
    rest_days: list[date]
    working_weekends: list[date]
    reason: Text


class ItemQuery(Strict):
    status: (
        Literal[
            "registered", "assigned", "acknowledged", "feedback_submitted", "returned", "closed"
        ]
        | None
    ) = None
    unit: UnitCode | None = None
    source: Source | None = None
    overdue: bool | None = None
    limit: Annotated[int, Field(ge=1, le=500)] = 50
    offset: Annotated[int, Field(ge=0)] = 0


class SetClock(Strict):
    now: str

    @field_validator("now")
    @classmethod
    def aware(cls, value: str) -> str:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("须带时区")
        return value


def field_errors(error: ValidationError) -> list[dict[str, Any]]:
    out = []
    for e in error.errors():
        field = ".".join(str(p) for p in e["loc"]) or "body"
        name = str(e["loc"][0]) if e["loc"] else "body"
        label = FIELD_LABELS.get(name, name)
        reason = _MESSAGES.get(e["type"], "取值无效")
        out.append({"field": field, "message": f"{label}：{reason}", "message_en": e["msg"]})
    return out
