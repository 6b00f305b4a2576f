"""Operations: liveness, readiness, metrics, this API's document, and the test clock."""

from __future__ import annotations

from flask import Response
from flask.typing import ResponseReturnValue
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway import schema as gateway_schema
from gateway.answers import ClockSet, Health, OpenApiDocument
from gateway.api import Routes
from gateway.context import Context
from gateway.schemas import SetClock
from services.kernel import ops
from services.kernel.access import OFFICE
from services.kernel.clock import ManualClock
from services.reporting import queries

routes = Routes()
# Registered only with CLOCK=manual: it moves every service's clock, so only the office may.
test_clock = Routes()

PROMETHEUS_TEXT = {"text/plain": {"schema": {"type": "string"}}}


@routes.route("GET", "/healthz", "进程存活", roles=None, answers={200: Health})
def healthz(ctx: Context) -> ResponseReturnValue:
    return {"status": "ok"}


@routes.route(
    "GET",
    "/readyz",
    "可以服务：数据库、迁移和消息队列均就绪",
    roles=None,
    answers={200: Health, 503: Health},
)
def readyz(ctx: Context) -> ResponseReturnValue:
    problems = ops.readiness(ctx.settings, [*gateway_schema.MIGRATIONS, *queries.MIGRATIONS])
    if problems:
        return {"status": "unavailable", "problems": problems}, 503
    return {"status": "ready"}


@routes.route("GET", "/metrics", "Prometheus 指标", roles=None, answers={200: PROMETHEUS_TEXT})
def metrics(ctx: Context) -> ResponseReturnValue:
    return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)


@routes.route("GET", "/api/v1/openapi.json", "本文档", roles=None, answers={200: OpenApiDocument})
def openapi(ctx: Context) -> ResponseReturnValue:
    return ctx.document


@test_clock.route(
    "POST",
    "/api/v1/_test/clock",
    "仅测试用（CLOCK=manual）：拨动所有服务的时钟，立即扫描时限并生成当年定期综合督查草稿",
    roles=OFFICE,
    body=SetClock,
    answers={200: ClockSet},
    refusals=(503,),
)
def set_clock(ctx: Context, body: SetClock) -> ResponseReturnValue:
    clock = ManualClock(ctx.conninfo)
    clock.set(body.now)
    marked = ctx.services.call("deadline", "tick")
    # a new year: its periodic campaigns are drafted, as intake's own scan would
    ctx.services.call("intake", "tick")
    return {"now": clock.now().isoformat(), "overdue_marked": marked}
