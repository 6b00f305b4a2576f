"""The gateway's OpenAPI 3.1 document, served at `GET /api/v1/openapi.json`, built from the
routes the gateway serves (`gateway/api.py`).

Parameters and request bodies are generated from the pydantic models the gateway validates
with (`gateway/schemas.py`), answers from the models in `gateway/answers.py`, so the document
and the routes cannot drift apart.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from gateway import limits
from gateway.answers import Error, InvalidRequest
from gateway.api import Answer, Route
from gateway.idempotency import HEADER, KEY
from gateway.schemas import DETAILS, NoDetails
from services.kernel.access import PLATFORM_LABELS, ROLE_LABELS
from services.kernel.vocabulary import SOURCES

REF = "#/components/schemas/{model}"
REFUSALS = {
    400: "请求参数有误：`fields` 逐一列出出错的字段",
    401: "未登录、登录已过期或已被注销，或用户名密码错误",
    403: "本角色、本单位或本对接平台无权执行此操作",
    404: "事项、文件、用户或地址不存在",
    409: (
        "当前状态不允许此操作（如事项的状态、用户已停用），或刚被他人修改；"
        "或同一 Idempotency-Key 的请求仍在处理"
    ),
    413: "请求、文件或表格超过上限：`message` 说明是哪一项及其上限",
    414: "请求地址过长（超过服务器请求行的 4094 字节上限），请减少查询参数",
    415: "文件类型不被接受",
    422: (
        "违反办理规则：单位不存在、日期早于今天或非工作日等；或 Idempotency-Key 已用于另一个请求"
    ),
    423: "连续 5 次密码错误，该用户名暂时锁定：`until` 为解锁时间",
    429: "本地址登录失败次数过多：`until` 之后再试（另见 Retry-After）",
    503: "服务暂不可用，请稍后重试（`Retry-After` 说明几秒后）",
}
IDEMPOTENCY_KEY = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": (
        "幂等键（如 UUID），由调用者为每次操作生成：同一用户以同一键重发同一请求（方法、地址、"
        "查询参数和内容相同；上传文件时为表单字段和文件名、文件内容相同），返回第一次的答复，"
        "不再改变任何数据；用于另一个请求时拒绝（422）；第一次仍在处理时拒绝（409）。"
        "5xx 答复不保留，重发即重新执行。键保留 24 小时。"
    ),
    "schema": {"type": "string", "pattern": KEY.pattern, "minLength": 1, "maxLength": 255},
}
# What a caller must know of a route beyond its summary and its models, by operationId.
NOTES = {
    "post_items_assign_batch": (
        f"`assignments` 逐条列出要交办的事项 {{item_id, lead_unit, co_units, due_date?}}，"
        f"至多 {limits.ASSIGN_BATCH} 条，每条配合单位至多 {limits.CO_UNITS} 个。每条单独检查、"
        "单独交办，规则与单件交办（`/items/{item_id}/assign`）相同；`results` 按顺序逐条给出结果："
        "assigned 本次已交办（含转办通知编号和办理时限）；already_assigned 此前已交办给相同单位，"
        "未重复交办；refused 未交办，`message` 说明原因（单位编码不存在、牵头单位又列为配合单位、"
        "单位重复、同一事项出现两次、事项不存在或其状态不能交办等）。服务暂不可用时答复 503，"
        "`results` 说明哪些已交办、哪些尚未交办（pending）；原样重发即可补完，不会重复交办。"
    ),
    "post_imports_proposals": (
        "表头须有 编号、类别（建议/提案）、提出人、标题、内容；可选 主办单位（一个）和"
        "协办单位（零个或多个，以 、，, ; 或空格分隔），均填写单位列表中的单位全称。"
        "先检查全部行（含单位：单位不存在、协办单位与主办单位相同、单位重复），任何一行有误则"
        "不导入任何数据（422，逐行说明）。填写了主办单位的行登记后随即交办（分解交办，"
        f"办理时限 6 个月；一个文件中这样的行至多 {limits.IMPORT_ASSIGNMENTS} 行）；"
        "`rows` 逐行给出事项、是否新登记和交办结果（同批量交办）。"
        "同一文件再次导入不会重复登记或交办；交办中途服务不可用时答复 503，"
        "`rows` 说明已做和未做的，重新导入同一文件即可补完。"
    ),
}
UPLOAD = {
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary"}},
        }
    }
}


def openapi_document(routes: list[Route]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.openapi_path, {})[route.method.lower()] = _operation(route)
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
            "schemas": _component_schemas(routes),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "`POST /api/v1/auth/token` 取得的令牌",
                },
                "apiKey": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-API-Key",
                    "description": "对接平台的密钥（系统管理员签发），只能调用接受该平台的接口",
                },
            },
        },
        "security": [{"bearer": []}],
    }


def _operation(route: Route) -> dict[str, Any]:
    if route.roles is None:
        who = "无需登录"
    else:
        who = "、".join(f"{ROLE_LABELS[r]}（{r}）" for r in route.roles) or "任何登录用户"
        if route.clients:
            who += "；对接平台：" + "、".join(PLATFORM_LABELS[p] for p in route.clients)
    responses = {
        str(status): {
            "description": "成功" if status < 400 else REFUSALS[status],
            "content": _content(answer),
        }
        for status, answer in route.answers.items()
    }
    for status in route.refusals:
        responses.setdefault(
            str(status),
            {
                "description": REFUSALS[status],
                "content": _content(InvalidRequest if status == 400 else Error),
            },
        )
    operation: dict[str, Any] = {
        "operationId": route.name,
        "summary": route.summary,
        "description": "\n\n".join(filter(None, [f"调用者：{who}", NOTES.get(route.name)])),
        "responses": responses,
    }
    if route.roles is None:
        operation["security"] = []
    elif route.clients:
        operation["security"] = [{"bearer": []}, {"apiKey": []}]
    parameters = _parameters(route.params, "path") + _parameters(route.query, "query")
    if route.keyed:
        parameters.append(IDEMPOTENCY_KEY)
    if parameters:
        operation["parameters"] = parameters
    if route.body is not None:
        operation["requestBody"] = {"required": True, "content": _content(route.body)}
    if route.upload:
        operation["requestBody"] = {"required": True, "content": UPLOAD}
    return operation


def _content(answer: Answer) -> Mapping[str, Any]:
    if isinstance(answer, type):
        return {"application/json": {"schema": {"$ref": REF.format(model=answer.__name__)}}}
    return answer


def _component_schemas(routes: list[Route]) -> dict[str, Any]:
    bodies = [r.body for r in routes if r.body] + [*DETAILS.values(), NoDetails]
    answers = [a for r in routes for a in r.answers.values() if isinstance(a, type)]
    _, requests = models_json_schema(
        [(m, "validation") for m in dict.fromkeys(bodies)], ref_template=REF
    )
    _storable_text(requests["$defs"])
    _, responses = models_json_schema(
        [(m, "serialization") for m in dict.fromkeys([*answers, Error, InvalidRequest])],
        ref_template=REF,
    )
    schemas: dict[str, Any] = {**responses["$defs"], **requests["$defs"]}
    if "RegisterItem" in schemas:
        # Which model `details` must fit depends on `source` (schemas.DETAILS): one
        # alternative per source, so a valid request is exactly one the gateway accepts.
        schemas["RegisterItem"] = {
            "title": "RegisterItem",
            "description": "随来源而定的事项详情："
            + "；".join(f"{source} → {m.__name__}" for source, m in DETAILS.items())
            + "；其他来源为空对象",
            "oneOf": [_registration(schemas["RegisterItem"], source) for source in SOURCES],
        }
    return schemas


# What a request's text may be (gateway/schemas.py refuses the rest, naming the field): no
# NUL or half a surrogate pair, which PostgreSQL cannot store, and, where it is required, more
# than whitespace, which is stripped before the length is checked.
TEXT = r"^[^\x00\ud800-\udfff]*$"
REQUIRED_TEXT = r"^\s*[^\s\x00\ud800-\udfff][^\x00\ud800-\udfff]*$"


def _storable_text(schema: Any) -> None:
    """Adds TEXT's pattern to every free-text string of a request schema."""
    if isinstance(schema, list):
        for inner in schema:
            _storable_text(inner)
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "string" and not {"pattern", "format", "enum", "const"} & set(schema):
        schema["pattern"] = REQUIRED_TEXT if schema.get("minLength", 0) > 0 else TEXT
    for inner in schema.values():
        _storable_text(inner)


def _registration(base: dict[str, Any], source: str) -> dict[str, Any]:
    variant = copy.deepcopy(base)
    variant["title"] = f"RegisterItem ({source})"
    variant["properties"]["source"] = {"const": source}
    details = DETAILS.get(source, NoDetails)
    variant["properties"]["details"] = {"$ref": REF.format(model=details.__name__)}
    if details.model_json_schema().get("required"):
        variant["required"] = [*variant.get("required", []), "details"]
    else:
        variant["properties"]["details"]["default"] = {}
    return variant


def _parameters(model: type[BaseModel] | None, where: Literal["path", "query"]) -> list[Any]:
    """A path or query-string model as parameters: such a value is never JSON null, so the
    null alternative pydantic writes for an optional field is left out."""
    if model is None:
        return []
    schema = model.model_json_schema(ref_template=REF)
    parameters = []
    for name, prop in schema["properties"].items():
        value = {k: v for k, v in prop.items() if k not in ("anyOf", "title", "description")}
        if "anyOf" in prop:
            alternatives = [p for p in prop["anyOf"] if p.get("type") != "null"]
            value.update(alternatives[0] if len(alternatives) == 1 else {"anyOf": alternatives})
            if value.get("default") is None:
                value.pop("default", None)
        _storable_text(value)  # a query string is stripped and checked as a body is
        parameter = {
            "name": name,
            "in": where,
            "required": name in schema.get("required", []),
            "schema": value,
        }
        # what the parameter means, where a reader of the document looks for it
        if description := prop.get("description") or value.pop("description", None):
            parameter["description"] = description
        parameters.append(parameter)
    return parameters
