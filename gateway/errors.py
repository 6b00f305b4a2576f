"""Every error the gateway answers with is JSON with a Chinese `message` for the staff and a
`message_en` for the logs; this module turns each kind of failure into that answer, down to
the unexpected (logged with its traceback, answered 500). A 503 says when to try again."""

from __future__ import annotations

import logging
import re
from typing import Any

import psycopg
from flask import Flask, Response, jsonify
from nameko.exceptions import RemoteError, RpcTimeout
from werkzeug.exceptions import HTTPException

from gateway.imports import ImportRejected
from services.kernel.errors import Refused

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
# A service's database it cannot reach, as its exception crosses RPC (the eventsourcing
# library's names for psycopg's errors).
UNREACHABLE_DATABASE = {"OperationalError", "InterfaceError"}
# What HTTP itself refuses (werkzeug's exceptions), in the staff's words.
HTTP_MESSAGES = {
    400: "请求格式有误",
    401: "未登录或登录已过期，请重新登录",
    403: "无权执行此操作",
    404: "资源不存在",
    405: "不支持的请求方法",
    406: "无法提供所要求的内容格式",
    408: "请求超时",
    409: "请求与当前状态冲突",
    411: "请求须注明长度（Content-Length）",
    412: "请求的前提条件不成立",
    413: "请求内容过大",
    414: "请求地址过长",
    415: "不支持的请求内容类型",
    416: "请求的范围无效",
    417: "无法满足 Expect 请求头",
    428: "请求须附前提条件",
    429: "请求过于频繁，请稍后重试",
    431: "请求头过大",
    500: "系统内部错误，请联系管理员",
    501: "不支持此操作",
    503: "服务暂不可用，请稍后重试",
}


class Unfinished(Exception):
    """503: a request that does many things stopped part-way because a service did not answer;
    `answer` says what was done and what was not, and a retry does the rest."""

    def __init__(self, code: str, message_zh: str, message_en: str, answer: dict[str, Any]):
        super().__init__(code, message_zh, message_en)
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.answer = answer


class BadRequest(Exception):
    """400: the request is malformed; `fields` names each bad field in Chinese."""

    def __init__(self, fields: list[dict[str, Any]]) -> None:
        super().__init__(fields)
        self.fields = fields


def _error(status: int, code: str, message_zh: str, message_en: str) -> tuple[Response, int]:
    response = jsonify({"error": code, "message": message_zh, "message_en": message_en})
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response, status


# how many bad fields the summary `message` quotes; `fields` lists them all
QUOTED_FIELDS = 3


def bad_request(e: BadRequest) -> tuple[Response, int]:
    quoted = "；".join(f["message"] for f in e.fields[:QUOTED_FIELDS])
    more = len(e.fields) - QUOTED_FIELDS
    return jsonify(
        {
            "error": "invalid_request",
            "message": f"请求有误，请修改后重新提交：{quoted}"
            + (f"；另有 {more} 处" if more > 0 else ""),
            "message_en": "invalid request",
            "fields": e.fields,
        }
    ), 400


def import_rejected(e: ImportRejected) -> tuple[Response, int]:
    return jsonify(
        {
            "error": "import_rejected",
            "message": f"表格有 {len({r['row'] for r in e.rows})} 行有误，未导入任何数据；"
            "请按各行的说明改正后重新导入",
            "message_en": "rows with errors; nothing was imported",
            "rows": e.rows,
        }
    ), 422


def unfinished(e: Unfinished) -> tuple[Response, int]:
    response = jsonify(
        {**e.answer, "error": e.code, "message": e.message_zh, "message_en": e.message_en}
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response, 503


def is_unavailable(e: Exception) -> bool:
    """Whether `e` is one of the failures answered 503 `unavailable` (or a refusal with 503):
    nothing was refused, something did not answer in time, and a retry may succeed."""
    if isinstance(e, Refused):
        return e.status == 503
    if isinstance(e, RemoteError):
        return e.exc_type in UNREACHABLE_DATABASE
    return isinstance(e, RpcTimeout | psycopg.OperationalError | OSError)


def refused(e: Refused) -> tuple[Response, int]:
    return _error(e.status, e.code, e.message_zh, e.message_en)


def remote_error(e: RemoteError) -> tuple[Response, int]:
    if e.exc_type == "IntegrityError":
        # optimistic concurrency: someone else changed the item first
        return _error(
            409,
            "concurrent_change",
            "事项刚被他人修改，请刷新后重试",
            "the item was changed concurrently; reload and retry",
        )
    if e.exc_type in UNREACHABLE_DATABASE:
        log.warning("a service cannot reach its database: %s", e)
        return unavailable(e)
    log.error("remote error: %s", e)
    return _error(500, "internal_error", "系统内部错误，请联系管理员", "internal error")


def unavailable(e: Exception) -> tuple[Response, int]:
    """No answer in time: a service (RpcTimeout), a free connection (psycopg_pool.PoolTimeout),
    the database itself, or a statement or lock timeout (each a psycopg.OperationalError)."""
    if isinstance(e, psycopg.OperationalError):
        log.warning("database unavailable: %r", e)
    return _error(503, "unavailable", "服务暂不可用，请稍后重试", "service unavailable")


def error_code(reason: str) -> str:
    """HTTP's reason phrase as an error code: `Method Not Allowed` is `method_not_allowed`."""
    return re.sub(r"[^a-z0-9]+", "_", reason.lower()).strip("_")


def http_error(e: HTTPException) -> tuple[Response, int]:
    status, name = e.code or 500, (e.name or "error").lower()
    message_zh = HTTP_MESSAGES.get(status, f"请求无法处理（HTTP {status}）")
    response, status = _error(status, error_code(name), message_zh, name)
    # what the exception says of itself, as a 405's Allow
    for header, value in e.get_headers():
        if header.lower() != "content-type":
            response.headers[header] = value
    return response, status


def unexpected(e: Exception) -> tuple[Response, int]:
    log.error("unexpected error", exc_info=e)
    return _error(500, "internal_error", "系统内部错误，请联系管理员", "internal error")


def register(app: Flask) -> None:
    app.register_error_handler(BadRequest, bad_request)
    app.register_error_handler(ImportRejected, import_rejected)
    app.register_error_handler(Unfinished, unfinished)
    app.register_error_handler(Refused, refused)
    app.register_error_handler(RemoteError, remote_error)
    app.register_error_handler(RpcTimeout, unavailable)
    app.register_error_handler(psycopg.OperationalError, unavailable)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected)
