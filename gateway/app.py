"""The gateway: the HTTP JSON API staff and platforms use (Flask)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar
from uuid import UUID

from flask import Flask, g, jsonify, request
from kombu import Connection
from nameko.exceptions import RpcTimeout
from pydantic import BaseModel, ValidationError

from gateway.auth import Principal, authenticate, issue_token, principal_from_token
from gateway.readmodel import ReadModel
from gateway.rpc import Services
from gateway.schemas import (
    AssignItem,
    ExtensionDecision,
    ExtensionRequest,
    Feedback,
    ItemQuery,
    PolicyChange,
    RegisterItem,
    Review,
    ScheduleUpload,
    SetClock,
    TokenRequest,
    field_errors,
)
from services.kernel.clock import ManualClock
from services.kernel.config import DatabaseAddress, Settings
from services.kernel.errors import Refused

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)

LEDGER_SERVICES = ("intake", "assignment", "deadline")


class BadRequest(Exception):
    def __init__(self, fields: list[dict[str, Any]]) -> None:
        super().__init__(fields)
        self.fields = fields


def parse(model: type[M], data: Any) -> M:
    if not isinstance(data, dict):
        raise BadRequest([{"field": "body", "message": "请求体须为 JSON 对象"}])
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise BadRequest(field_errors(e)) from None


def body() -> Any:
    return request.get_json(silent=True)


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    conninfo = DatabaseAddress.parse(settings.database_url).conninfo()
    services = Services(settings.amqp_uri)
    reads = ReadModel(conninfo, settings.read_wait_seconds)
    app = Flask(__name__)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    def requires(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
            @wraps(view)
            def guarded(*args: Any, **kwargs: Any) -> Any:
                header = request.headers.get("Authorization", "")
                token = (
                    header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
                )
                principal = principal_from_token(settings.jwt_secret, token) if token else None
                if principal is None:
                    return _error(
                        401, "unauthorized", "未登录或登录已过期", "missing or invalid token"
                    )
                if roles and principal.role not in roles:
                    return _error(403, "forbidden", "无权执行此操作", "not allowed for this role")
                g.principal = principal
                return view(*args, **kwargs)

            return guarded

        return decorate

    def actor() -> dict[str, Any]:
        principal: Principal = g.principal
        return principal.actor()

    @app.errorhandler(BadRequest)
    def bad_request(e: BadRequest) -> Any:
        return jsonify(
            {"error": "invalid_request", "message": "请求参数有误", "fields": e.fields}
        ), 400

    @app.errorhandler(Refused)
    def refused(e: Refused) -> Any:
        return jsonify({"error": e.code, "message": e.message_zh, "message_en": e.message_en}), (
            e.status
        )

    @app.errorhandler(RpcTimeout)
    def timeout(e: RpcTimeout) -> Any:
        return _error(503, "unavailable", "服务暂不可用，请稍后重试", "service unavailable")

    @app.errorhandler(404)
    def not_found(e: Exception) -> Any:
        return _error(404, "not_found", "资源不存在", "not found")

    @app.errorhandler(405)
    def not_allowed(e: Exception) -> Any:
        return _error(405, "method_not_allowed", "不支持的请求方法", "method not allowed")

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify({"status": "ok"})

    @app.get("/readyz")
    def readyz() -> Any:
        problems = []
        try:
            reads.ping()
        except Exception as e:
            problems.append(f"database: {e}")
        try:
            with Connection(settings.amqp_uri, connect_timeout=2) as conn:
                conn.ensure_connection(max_retries=1)
        except Exception as e:
            problems.append(f"broker: {e}")
        if problems:
            return jsonify({"status": "unavailable", "problems": problems}), 503
        return jsonify({"status": "ready"})

    @app.post("/api/v1/auth/token")
    def token() -> Any:
        req = parse(TokenRequest, body())
        principal = authenticate(conninfo, req.username, req.password)
        if principal is None:
            return _error(401, "bad_credentials", "用户名或密码错误", "wrong username or password")
        return jsonify(
            {
                "access_token": issue_token(settings.jwt_secret, principal),
                "token_type": "Bearer",
                "user": principal.user,
                "role": principal.role,
                "unit": principal.unit,
            }
        )

    @app.post("/api/v1/items")
    @requires("supervisor")
    def register_item() -> Any:
        req = parse(RegisterItem, body())
        result = services.call("intake", "register", req.model_dump(mode="json"), actor())
        item_id = UUID(result["item_id"])
        item = reads.wait_for(item_id, 1)
        status = 201 if result["created"] else 200
        return jsonify(item or {"id": str(item_id)}), status

    @app.get("/api/v1/items")
    @requires()
    def list_items() -> Any:
        query = parse(ItemQuery, request.args.to_dict())
        total, items = reads.items(**query.model_dump())
        return jsonify({"total": total, "items": items})

    @app.get("/api/v1/items/<uuid:item_id>")
    @requires()
    def get_item(item_id: UUID) -> Any:
        item = reads.item(item_id)
        if item is None:
            return _error(404, "not_found", "事项不存在", "item not found")
        return jsonify(item)

    @app.get("/api/v1/items/<uuid:item_id>/history")
    @requires()
    def history(item_id: UUID) -> Any:
        return jsonify(
            {
                "item_id": str(item_id),
                "events": services.call("assignment", "history", str(item_id)),
            }
        )

    def changed(view: dict[str, Any], expect_deadline: bool = False) -> Any:
        item = reads.wait_for(UUID(view["id"]), view["version"], expect_deadline=expect_deadline)
        return jsonify(item or view)

    @app.post("/api/v1/items/<uuid:item_id>/assign")
    @requires("supervisor")
    def assign(item_id: UUID) -> Any:
        req = parse(AssignItem, body())
        view = services.call(
            "assignment", "assign", str(item_id), req.model_dump(mode="json"), actor()
        )
        return changed(view, expect_deadline=True)

    @app.post("/api/v1/items/<uuid:item_id>/acknowledge")
    @requires("handler", "supervisor")
    def acknowledge(item_id: UUID) -> Any:
        return changed(services.call("assignment", "acknowledge", str(item_id), actor()))

    @app.post("/api/v1/items/<uuid:item_id>/feedback")
    @requires("handler", "supervisor")
    def feedback(item_id: UUID) -> Any:
        req = parse(Feedback, body())
        view = services.call("assignment", "submit_feedback", str(item_id), req.content, actor())
        return changed(view)

    @app.post("/api/v1/items/<uuid:item_id>/review")
    @requires("supervisor")
    def review(item_id: UUID) -> Any:
        req = parse(Review, body())
        view = services.call(
            "assignment", "review", str(item_id), req.model_dump(mode="json"), actor()
        )
        return changed(view, expect_deadline=req.decision == "return")

    @app.post("/api/v1/items/<uuid:item_id>/extension-requests")
    @requires("handler", "supervisor")
    def request_extension(item_id: UUID) -> Any:
        req = parse(ExtensionRequest, body())
        view = services.call(
            "assignment", "request_extension", str(item_id), req.model_dump(mode="json"), actor()
        )
        return changed(view)

    @app.post("/api/v1/items/<uuid:item_id>/extension-decision")
    @requires("supervisor")
    def decide_extension(item_id: UUID) -> Any:
        req = parse(ExtensionDecision, body())
        view = services.call(
            "assignment", "decide_extension", str(item_id), req.model_dump(mode="json"), actor()
        )
        return changed(view, expect_deadline=req.decision == "grant")

    @app.get("/api/v1/admin/time-limits")
    @requires()
    def time_limits() -> Any:
        return jsonify(services.call("deadline", "time_limits"))

    @app.put("/api/v1/admin/time-limits")
    @requires("supervisor")
    def change_time_limits() -> Any:
        req = parse(PolicyChange, body())
        return jsonify(
            services.call("deadline", "change_time_limits", req.limits, req.reason, actor())
        )

    @app.get("/api/v1/admin/calendar/<int:year>")
    @requires()
    def calendar(year: int) -> Any:
        return jsonify(services.call("deadline", "calendar", year))

    @app.put("/api/v1/admin/calendar/<int:year>")
    @requires("supervisor")
    def load_calendar(year: int) -> Any:
        req = parse(ScheduleUpload, body())
        schedule = {
            "year": year,
            "rest_days": [d.isoformat() for d in req.rest_days],
            "working_weekends": [d.isoformat() for d in req.working_weekends],
        }
        return jsonify(services.call("deadline", "load_schedule", schedule, req.reason, actor()))

    @app.get("/api/v1/units")
    @requires()
    def units() -> Any:
        return jsonify({"units": services.call("assignment", "list_units")})

    @app.get("/api/v1/ledger/verify")
    @requires("supervisor", "auditor")
    def verify() -> Any:
        broken = {name: services.call(name, "verify_ledger") for name in LEDGER_SERVICES}
        ok = not any(broken.values())
        return jsonify({"ok": ok, "broken": broken})

    if settings.manual_clock:
        manual = ManualClock(conninfo)

        @app.post("/api/v1/_test/clock")
        def set_clock() -> Any:
            req = parse(SetClock, body())
            manual.set(datetime.fromisoformat(req.now))
            marked = services.call("deadline", "tick")
            return jsonify({"now": manual.now().isoformat(), "overdue_marked": marked})

    return app


def _error(status: int, code: str, message_zh: str, message_en: str) -> Any:
    return jsonify({"error": code, "message": message_zh, "message_en": message_en}), status
