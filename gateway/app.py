"""The gateway: the HTTP JSON API staff and platforms use (Flask)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar
from uuid import UUID, uuid4

from flask import Flask, Response, g, jsonify, request
from nameko.exceptions import RemoteError, RpcTimeout
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import MethodNotAllowed

from gateway.auth import Principal, authenticate, issue_token, principal_from_token
from gateway.evidence import evidence_store
from gateway.imports import ImportRejected, proposal_commands, validated, work_report_commands
from gateway.openapi import openapi_document
from gateway.rpc import Services
from gateway.schemas import (
    FIELD_LABELS,
    AssignItem,
    EvidenceRef,
    ExtensionDecision,
    ExtensionRequest,
    Feedback,
    IndicatorFigure,
    ItemQuery,
    Opinion,
    PolicyChange,
    Progress,
    RegisterItem,
    ReturnToOffice,
    Review,
    Satisfaction,
    ScheduleUpload,
    SetClock,
    TokenRequest,
    field_errors,
)
from services.kernel import logs, metrics, ops
from services.kernel.clock import ManualClock
from services.kernel.config import DatabaseAddress, Settings
from services.kernel.errors import Refused
from services.reporting.queries import ReadModel

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
    logs.configure("gateway")
    conninfo = DatabaseAddress.parse(settings.database_url).conninfo()
    services = Services(settings.amqp_uri)
    reads = ReadModel(conninfo, settings.read_wait_seconds)
    files = evidence_store(settings.evidence_store, settings.evidence_dir)
    app = Flask(__name__)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    document = openapi_document(settings.manual_clock)

    @app.before_request
    def begin() -> None:
        g.started = time.perf_counter()
        cid = request.headers.get("X-Correlation-ID", "")
        logs.correlation_id.set(cid if re.fullmatch(r"[\w.-]{1,64}", cid) else uuid4().hex)

    @app.after_request
    def finish(response: Response) -> Response:
        route = request.url_rule.rule if request.url_rule else "unmatched"
        metrics.HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        metrics.HTTP_SECONDS.labels(request.method, route).observe(
            time.perf_counter() - g.get("started", time.perf_counter())
        )
        response.headers["X-Correlation-ID"] = logs.correlation_id.get() or ""
        level = logging.ERROR if response.status_code >= 500 else logging.INFO
        log.log(level, "%s %s %s", request.method, request.path, response.status_code)
        return response

    @app.get("/metrics")
    def prometheus() -> Any:
        return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)

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
        return {**principal.actor(), "correlation_id": logs.correlation_id.get()}

    @app.errorhandler(BadRequest)
    def bad_request(e: BadRequest) -> Any:
        return jsonify(
            {
                "error": "invalid_request",
                "message": "请求参数有误",
                "message_en": "invalid request",
                "fields": e.fields,
            }
        ), 400

    @app.errorhandler(ImportRejected)
    def import_rejected(e: ImportRejected) -> Any:
        return jsonify(
            {
                "error": "import_rejected",
                "message": f"表格有 {len({r['row'] for r in e.rows})} 行有误，未导入任何数据",
                "message_en": "rows with errors; nothing was imported",
                "rows": e.rows,
            }
        ), 422

    @app.errorhandler(Refused)
    def refused(e: Refused) -> Any:
        return jsonify({"error": e.code, "message": e.message_zh, "message_en": e.message_en}), (
            e.status
        )

    @app.errorhandler(RemoteError)
    def remote_error(e: RemoteError) -> Any:
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

    @app.errorhandler(RpcTimeout)
    def timeout(e: RpcTimeout) -> Any:
        return _error(503, "unavailable", "服务暂不可用，请稍后重试", "service unavailable")

    @app.errorhandler(404)
    def not_found(e: Exception) -> Any:
        return _error(404, "not_found", "资源不存在", "not found")

    @app.errorhandler(405)
    def not_allowed(e: MethodNotAllowed) -> Any:
        body, status = _error(405, "method_not_allowed", "不支持的请求方法", "method not allowed")
        # RFC 9110: a 405 names the methods the resource does support
        body.headers["Allow"] = ", ".join(sorted(e.valid_methods or ()))
        return body, status

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify({"status": "ok"})

    @app.get("/readyz")
    def readyz() -> Any:
        # the gateway's own tables, and reporting's read model it reads
        problems = ops.readiness(settings, ["gateway", "reporting"])
        if problems:
            return jsonify({"status": "unavailable", "problems": problems}), 503
        return jsonify({"status": "ready"})

    @app.get("/api/v1/openapi.json")
    def openapi() -> Any:
        return jsonify(document)

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

    def assign(item_id: UUID, reassign: bool) -> Any:
        """交办 and 改派: one request, one answer (with the computed due date)."""
        req = parse(AssignItem, body())
        view = services.call(
            "assignment", "assign", str(item_id), req.model_dump(mode="json"), actor(), reassign
        )
        return changed(view, expect_deadline=True)

    app.post("/api/v1/items/<uuid:item_id>/assign", endpoint="assign")(
        requires("supervisor")(lambda item_id: assign(item_id, reassign=False))
    )
    app.post("/api/v1/items/<uuid:item_id>/reassign", endpoint="reassign")(
        requires("supervisor")(lambda item_id: assign(item_id, reassign=True))
    )

    @app.post("/api/v1/items/<uuid:item_id>/acknowledge")
    @requires("handler", "supervisor")
    def acknowledge(item_id: UUID) -> Any:
        return changed(services.call("assignment", "acknowledge", str(item_id), actor()))

    def evidence(refs: list[EvidenceRef]) -> list[dict[str, Any]]:
        """Full records of the referenced files, each checked against its hash."""
        out = []
        for ref in refs:
            stored = files.describe(ref.sha, ref.name)
            out.append(stored.as_dict())
        return out

    def answer(item_id: UUID, method: str, req: BaseModel, **extra: Any) -> Any:
        command = req.model_dump(mode="json")
        if "evidence" in command:
            command["evidence"] = evidence(req.evidence)  # type: ignore[attr-defined]
        view = services.call("assignment", method, str(item_id), command, actor())
        return changed(view, **extra)

    @app.post("/api/v1/items/<uuid:item_id>/feedback")
    @requires("handler", "supervisor")
    def feedback(item_id: UUID) -> Any:
        return answer(item_id, "submit_feedback", parse(Feedback, body()))

    @app.post("/api/v1/items/<uuid:item_id>/progress")
    @requires("handler", "supervisor")
    def progress(item_id: UUID) -> Any:
        return answer(item_id, "report_progress", parse(Progress, body()))

    @app.post("/api/v1/items/<uuid:item_id>/opinions")
    @requires("handler", "supervisor")
    def co_unit_opinion(item_id: UUID) -> Any:
        return answer(item_id, "submit_co_unit_opinion", parse(Opinion, body()))

    @app.post("/api/v1/items/<uuid:item_id>/indicator-figures")
    @requires("handler", "supervisor")
    def indicator_figure(item_id: UUID) -> Any:
        return answer(item_id, "record_indicator", parse(IndicatorFigure, body()))

    @app.post("/api/v1/items/<uuid:item_id>/satisfaction")
    @requires("supervisor")
    def satisfaction(item_id: UUID) -> Any:
        req = parse(Satisfaction, body())
        return answer(
            item_id, "record_satisfaction", req, expect_deadline=req.verdict == "unsatisfied"
        )

    @app.post("/api/v1/items/<uuid:item_id>/return")
    @requires("handler")
    def return_to_office(item_id: UUID) -> Any:
        req = parse(ReturnToOffice, body())
        view = services.call("assignment", "return_to_office", str(item_id), req.reason, actor())
        return changed(view)

    @app.post("/api/v1/files")
    @requires("handler", "supervisor")
    def upload() -> Any:
        upload = request.files.get("file")
        if upload is None:
            raise BadRequest([{"field": "file", "message": "文件：必填（multipart 字段 file）"}])
        stored = files.put(upload.read(), upload.filename or "附件")
        return jsonify(stored.as_dict()), 201

    @app.get("/api/v1/files/<sha>")
    @requires()
    def download(sha: str) -> Any:
        if not re.fullmatch(r"[0-9a-f]{64}", sha):
            return _error(404, "not_found", "文件不存在", "file not found")
        stored = files.describe(sha, sha)
        return Response(
            files.get(sha), mimetype=stored.content_type, headers={"X-Content-SM3": sha}
        )

    def imported(commands: list[dict[str, Any]]) -> Any:
        result = services.call("intake", "register_batch", commands, actor())
        if "errors" in result:
            raise ImportRejected(
                [
                    {"row": e["row"] + 2, "field": "", "message": e["message"]}
                    for e in result["errors"]
                ]
            )
        for item_id in result["created"]:
            reads.wait_for(UUID(item_id), 1)
        return jsonify(result), 201 if result["created"] else 200

    @app.post("/api/v1/imports/proposals")
    @requires("supervisor")
    def import_proposals() -> Any:
        year = _year_arg("session_year")
        return imported(validated(proposal_commands(_upload(), year)))

    @app.post("/api/v1/imports/work-report")
    @requires("supervisor")
    def import_work_report() -> Any:
        year = _year_arg("year")
        return imported(validated(work_report_commands(_upload(), year)))

    @app.get("/api/v1/reports/proposals/<int:year>")
    @requires()
    def proposal_report(year: int) -> Any:
        _check_year(year, "year")
        return jsonify({"session_year": year, "committees": reads.proposal_summary(year)})

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
        _check_year(year, "year")
        return jsonify(services.call("deadline", "calendar", year))

    @app.put("/api/v1/admin/calendar/<int:year>")
    @requires("supervisor")
    def load_calendar(year: int) -> Any:
        _check_year(year, "year")
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


def _upload() -> bytes:
    upload = request.files.get("file")
    if upload is None:
        raise BadRequest([{"field": "file", "message": "文件：必填（multipart 字段 file）"}])
    return upload.read()


def _year_arg(name: str) -> int:
    value = request.args.get(name, "")
    # isascii: "²".isdigit() holds, yet int("²") raises
    return _check_year(int(value) if value.isascii() and value.isdigit() else None, name)


def _check_year(value: int | None, name: str) -> int:
    if value is None or not 2000 <= value <= 2100:
        label = FIELD_LABELS.get(name, name)
        raise BadRequest([{"field": name, "message": f"{label}：须为 2000 至 2100 年之间的年份"}])
    return value


def _error(status: int, code: str, message_zh: str, message_en: str) -> Any:
    return jsonify({"error": code, "message": message_zh, "message_en": message_en}), status
