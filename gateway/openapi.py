"""The gateway's OpenAPI 3.1 document, served at `GET /api/v1/openapi.json`.

Request bodies and query strings are generated from the pydantic models the gateway validates
with (`gateway/schemas.py`), so the document and the validation cannot drift apart. Responses
are described by the models below: they only document what `gateway/app.py` returns, and the
fuzz test (`tests/integration/test_fuzz_api.py`) checks live answers against them.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

from gateway.evidence import ALLOWED_TYPES
from gateway.schemas import (
    DETAILS,
    AssignItem,
    ExtensionDecision,
    ExtensionRequest,
    Feedback,
    IndicatorFigure,
    ItemQuery,
    NoDetails,
    Opinion,
    PolicyChange,
    Progress,
    RegisterItem,
    ReturnToOffice,
    Review,
    Satisfaction,
    ScheduleUpload,
    SetClock,
    Status,
    TokenRequest,
)
from services.kernel.contracts import Complexity, Source

REF = "#/components/schemas/{model}"
YEARS = {"minimum": 2000, "maximum": 2100}


# --- answers ---------------------------------------------------------------------------


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
    access_token: str
    token_type: Literal["Bearer"]
    user: str
    role: Literal["supervisor", "leader", "auditor", "handler"]
    unit: str | None


class Indicator(Answer):
    month: str
    value: float | None
    target: float | None
    gap: float | None


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


class History(Answer):
    item_id: UUID
    events: list[HistoryEvent]


class StoredFile(Answer):
    sha: str = Field(pattern=r"^[0-9a-f]{64}$", description="文件内容的 SM3 哈希")
    name: str
    size: int
    content_type: str


class ImportResult(Answer):
    created: list[UUID]
    existing: list[UUID]


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


REFUSALS = {
    400: ("InvalidRequest", "请求参数有误：`fields` 逐一列出出错的字段"),
    401: ("Error", "未登录、登录已过期或用户名密码错误"),
    403: ("Error", "本角色或本单位无权执行此操作"),
    404: ("Error", "事项、文件或地址不存在"),
    409: ("Error", "事项当前状态不允许此操作，或刚被他人修改"),
    413: ("Error", "文件超过 20 MB"),
    415: ("Error", "文件类型不被接受"),
    422: ("Error", "违反办理规则：单位不存在、日期早于今天或非工作日等"),
    503: ("Error", "服务暂不可用，请稍后重试"),
}
ITEM_REFUSALS = (400, 401, 403, 404, 409, 422, 503)
ROLES = {"supervisor": "督查室", "handler": "承办单位", "auditor": "审计人员"}

ITEM_ID = {
    "name": "item_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "format": "uuid"},
}


def year_parameter(name: str, where: Literal["path", "query"]) -> dict[str, Any]:
    return {"name": name, "in": where, "required": True, "schema": {"type": "integer", **YEARS}}


def openapi_document(manual_clock: bool) -> dict[str, Any]:
    """The document; `POST /api/v1/_test/clock` is in it only where it is served."""
    schemas = _component_schemas()
    paths: dict[str, dict[str, Any]] = {}

    def add(
        method: str,
        path: str,
        summary: str,
        *,
        roles: tuple[str, ...] | None = (),
        body: type[BaseModel] | None = None,
        upload: bool = False,
        parameters: tuple[dict[str, Any], ...] = (),
        ok: dict[int, str] | None = None,
        refusals: tuple[int, ...] = (),
    ) -> None:
        """`roles`: who may call it (empty: any role; None: no token needed)."""
        if roles is None:
            who = "无需登录"
        else:
            who = "、".join(f"{ROLES[r]}（{r}）" for r in roles) or "任何登录用户"
        words = re.findall(r"[a-z0-9]+", path.removeprefix("/api/v1"))
        operation: dict[str, Any] = {
            "operationId": "_".join([method, *words]),
            "summary": summary,
            "description": f"调用者：{who}",
            "responses": {
                str(status): {"description": "成功", "content": _json(name)}
                for status, name in (ok or {200: "Item"}).items()
            },
        }
        if roles is None:
            operation["security"] = []
        if parameters:
            operation["parameters"] = list(parameters)
        if body is not None:
            operation["requestBody"] = {"required": True, "content": _json(body.__name__)}
        if upload:
            operation["requestBody"] = {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file"],
                            "properties": {"file": {"type": "string", "format": "binary"}},
                        }
                    }
                },
            }
        for status in refusals:
            name, description = REFUSALS[status]
            if status == 422 and path.startswith("/api/v1/imports/"):
                name = "ImportRejected"
            operation["responses"][str(status)] = {
                "description": description,
                "content": _json(name),
            }
        paths.setdefault(path, {})[method] = operation

    add("get", "/api/v1/openapi.json", "本文档", roles=None, ok={200: "OpenApiDocument"})
    add(
        "post",
        "/api/v1/auth/token",
        "登录，取得 12 小时有效的令牌",
        roles=None,
        body=TokenRequest,
        ok={200: "Token"},
        refusals=(400, 401),
    )
    add(
        "post",
        "/api/v1/items",
        "登记督办事项（同一来源和外部编号只登记一次，再次提交返回原事项，状态码 200）",
        roles=("supervisor",),
        body=RegisterItem,
        ok={201: "Item", 200: "Item"},
        refusals=(400, 401, 403, 422, 503),
    )
    add(
        "get",
        "/api/v1/items",
        "事项列表（unit 匹配牵头或配合单位）",
        parameters=tuple(_query_parameters(ItemQuery)),
        ok={200: "ItemList"},
        refusals=(400, 401),
    )
    add(
        "get",
        "/api/v1/items/{item_id}",
        "事项详情",
        parameters=(ITEM_ID,),
        refusals=(401, 404),
    )
    add(
        "get",
        "/api/v1/items/{item_id}/history",
        "事项的全部事件，按顺序，含 SM3 哈希",
        parameters=(ITEM_ID,),
        ok={200: "History"},
        refusals=(401, 404, 503),
    )
    item_actions: list[tuple[str, str, tuple[str, ...], type[BaseModel] | None]] = [
        ("assign", "交办（答复中含计算出的办理时限）", ("supervisor",), AssignItem),
        ("acknowledge", "牵头单位签收", ("handler", "supervisor"), None),
        ("feedback", "办理结果反馈", ("handler", "supervisor"), Feedback),
        ("progress", "进展反馈", ("handler", "supervisor"), Progress),
        ("opinions", "配合单位意见", ("handler", "supervisor"), Opinion),
        ("indicator-figures", "主要指标月度数据", ("handler", "supervisor"), IndicatorFigure),
        ("satisfaction", "回访满意度（不满意可重办一次）", ("supervisor",), Satisfaction),
        ("return", "单位在退回期限内退回", ("handler",), ReturnToOffice),
        ("reassign", "改派", ("supervisor",), AssignItem),
        ("review", "审核：办结或退回重办", ("supervisor",), Review),
        ("extension-requests", "延期申请", ("handler", "supervisor"), ExtensionRequest),
        ("extension-decision", "延期审批", ("supervisor",), ExtensionDecision),
    ]
    for action, summary, roles, model in item_actions:
        add(
            "post",
            f"/api/v1/items/{{item_id}}/{action}",
            summary,
            roles=roles,
            body=model,
            parameters=(ITEM_ID,),
            refusals=ITEM_REFUSALS if model else tuple(s for s in ITEM_REFUSALS if s != 400),
        )
    add(
        "post",
        "/api/v1/files",
        "上传佐证材料（照片、PDF、Word、Excel，至多 20 MB，类型按内容识别）",
        roles=("handler", "supervisor"),
        upload=True,
        ok={201: "StoredFile"},
        refusals=(400, 401, 403, 413, 415, 422),
    )
    add(
        "get",
        "/api/v1/files/{sha}",
        "下载佐证材料（内容与哈希不符时拒绝）",
        parameters=(
            {
                "name": "sha",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            },
        ),
        refusals=(401, 404, 409),
    )
    # a download answers with the file itself, in the type its bytes were recognised as
    paths["/api/v1/files/{sha}"]["get"]["responses"]["200"]["content"] = {
        mime: {"schema": {"type": "string", "format": "binary"}} for mime in ALLOWED_TYPES
    }
    for kind, year, summary in (
        ("proposals", "session_year", "导入人大代表建议、政协委员提案（.xlsx）"),
        ("work-report", "year", "导入《政府工作报告》重点任务和主要指标（.xlsx）"),
    ):
        add(
            "post",
            f"/api/v1/imports/{kind}",
            summary,
            roles=("supervisor",),
            upload=True,
            parameters=(year_parameter(year, "query"),),
            ok={201: "ImportResult", 200: "ImportResult"},
            refusals=(400, 401, 403, 422, 503),
        )
    add(
        "get",
        "/api/v1/reports/proposals/{year}",
        "建议提案办理情况汇总（按人大、政协常委会）",
        parameters=(year_parameter("year", "path"),),
        ok={200: "ProposalReport"},
        refusals=(400, 401, 404),
    )
    add(
        "get",
        "/api/v1/admin/time-limits",
        "时限设置及每次修改",
        ok={200: "TimeLimitPolicy"},
        refusals=(401, 503),
    )
    add(
        "put",
        "/api/v1/admin/time-limits",
        "修改时限设置（须说明理由）",
        roles=("supervisor",),
        body=PolicyChange,
        ok={200: "TimeLimitPolicy"},
        refusals=(400, 401, 403, 422, 503),
    )
    add(
        "get",
        "/api/v1/admin/calendar/{year}",
        "某年的法定节假日安排",
        parameters=(year_parameter("year", "path"),),
        ok={200: "Calendar"},
        refusals=(400, 401, 404, 503),
    )
    add(
        "put",
        "/api/v1/admin/calendar/{year}",
        "载入某年国务院办公厅节假日安排，并重算受影响的办理时限",
        roles=("supervisor",),
        body=ScheduleUpload,
        parameters=(year_parameter("year", "path"),),
        ok={200: "LoadedCalendar"},
        refusals=(400, 401, 403, 404, 422, 503),
    )
    add("get", "/api/v1/units", "单位列表", ok={200: "Units"}, refusals=(401, 503))
    add(
        "get",
        "/api/v1/ledger/verify",
        "校验全部哈希链，列出每个被篡改事项的第一个断点",
        roles=("supervisor", "auditor"),
        ok={200: "LedgerReport"},
        refusals=(401, 403, 503),
    )
    if manual_clock:
        add(
            "post",
            "/api/v1/_test/clock",
            "仅测试用（CLOCK=manual）：拨动所有服务的时钟并立即扫描时限",
            roles=None,
            body=SetClock,
            ok={200: "ClockSet"},
            refusals=(400, 503),
        )

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "政务督查督办平台 API",
            "version": "1",
            "description": (
                "县政府办公室（督查室）督查督办平台的 HTTP JSON 接口。拒绝的请求不改变任何数据，"
                "答复带 `message`（中文）和 `message_en`；请求参数有误时为 400，"
                "`fields` 逐一列出出错的字段。"
            ),
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "`POST /api/v1/auth/token` 取得的令牌",
                }
            },
        },
        "security": [{"bearer": []}],
    }


def _json(name: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": REF.format(model=name)}}}


def _component_schemas() -> dict[str, Any]:
    requests: list[type[BaseModel]] = [
        TokenRequest,
        RegisterItem,
        AssignItem,
        Feedback,
        Progress,
        Opinion,
        IndicatorFigure,
        Satisfaction,
        ReturnToOffice,
        Review,
        ExtensionRequest,
        ExtensionDecision,
        PolicyChange,
        ScheduleUpload,
        SetClock,
        NoDetails,
        *DETAILS.values(),
    ]
    answers: list[type[BaseModel]] = [
        Error,
        InvalidRequest,
        ImportRejected,
        Token,
        Item,
        ItemList,
        History,
        StoredFile,
        ImportResult,
        ProposalReport,
        TimeLimitPolicy,
        Calendar,
        LoadedCalendar,
        Units,
        LedgerReport,
        ClockSet,
    ]
    _, top = models_json_schema(
        [(m, "validation") for m in requests] + [(m, "serialization") for m in answers],
        ref_template=REF,
    )
    schemas: dict[str, Any] = {**top["$defs"], "OpenApiDocument": {"type": "object"}}
    # Which model `details` must fit depends on `source` (schemas.DETAILS); a request's schema
    # lists the alternatives and the gateway names the field when the wrong one is sent.
    schemas["RegisterItem"]["properties"]["details"] = {
        "anyOf": [{"$ref": REF.format(model=m.__name__)} for m in (*DETAILS.values(), NoDetails)],
        "default": {},
        "description": "随来源而定："
        + "；".join(f"{source} → {m.__name__}" for source, m in DETAILS.items())
        + "；其他来源为空对象",
    }
    return schemas


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """A query-string model as parameters: a query value is never JSON null, so the null
    alternative pydantic writes for an optional field is left out."""
    schema = model.model_json_schema(ref_template=REF)
    parameters = []
    for name, prop in schema["properties"].items():
        value = {k: v for k, v in prop.items() if k not in ("anyOf", "title")}
        if "anyOf" in prop:
            alternatives = [p for p in prop["anyOf"] if p.get("type") != "null"]
            value.update(alternatives[0] if len(alternatives) == 1 else {"anyOf": alternatives})
            if value.get("default") is None:
                value.pop("default", None)
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": name in schema.get("required", []),
                "schema": value,
            }
        )
    return parameters
