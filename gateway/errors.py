"""Every error the gateway answers with is JSON with a Chinese `message` for the staff and a
`message_en` for the logs; this module turns each kind of failure into that answer."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify
from nameko.exceptions import RemoteError, RpcTimeout
from werkzeug.exceptions import MethodNotAllowed, NotFound

from gateway.imports import ImportRejected
from services.kernel.errors import Refused

log = logging.getLogger(__name__)


class BadRequest(Exception):
    """400: the request is malformed; `fields` names each bad field in Chinese."""

    def __init__(self, fields: list[dict[str, Any]]) -> None:
        super().__init__(fields)
        self.fields = fields


def _error(status: int, code: str, message_zh: str, message_en: str) -> tuple[Response, int]:
    return jsonify({"error": code, "message": message_zh, "message_en": message_en}), status


def bad_request(e: BadRequest) -> tuple[Response, int]:
    return jsonify(
        {
            "error": "invalid_request",
            "message": "请求参数有误",
            "message_en": "invalid request",
            "fields": e.fields,
        }
    ), 400


def import_rejected(e: ImportRejected) -> tuple[Response, int]:
    return jsonify(
        {
            "error": "import_rejected",
            "message": f"表格有 {len({r['row'] for r in e.rows})} 行有误，未导入任何数据",
            "message_en": "rows with errors; nothing was imported",
            "rows": e.rows,
        }
    ), 422


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
    log.error("remote error: %s", e)
    return _error(500, "internal_error", "系统内部错误，请联系管理员", "internal error")


def timeout(e: RpcTimeout) -> tuple[Response, int]:
    return _error(503, "unavailable", "服务暂不可用，请稍后重试", "service unavailable")


def not_found(e: NotFound) -> tuple[Response, int]:
    return _error(404, "not_found", "资源不存在", "not found")


def not_allowed(e: MethodNotAllowed) -> tuple[Response, int]:
    response, status = _error(405, "method_not_allowed", "不支持的请求方法", "method not allowed")
    # RFC 9110: a 405 names the methods the resource does support
    response.headers["Allow"] = ", ".join(sorted(e.valid_methods or ()))
    return response, status


def register(app: Flask) -> None:
    app.register_error_handler(BadRequest, bad_request)
    app.register_error_handler(ImportRejected, import_rejected)
    app.register_error_handler(Refused, refused)
    app.register_error_handler(RemoteError, remote_error)
    app.register_error_handler(RpcTimeout, timeout)
    app.register_error_handler(404, not_found)
    app.register_error_handler(405, not_allowed)
