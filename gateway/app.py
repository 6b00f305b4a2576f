"""The gateway: the HTTP JSON API staff and platforms use (Flask).

`create_app` only wires: the context the views share, the request hooks (correlation id,
metrics, the request log), the error answers, and the routes (`gateway/routes/`).
"""

from __future__ import annotations

import logging
import re
import time
from uuid import uuid4

from flask import Flask, Response, g, request

from gateway import console, errors
from gateway.api import bind
from gateway.auth import SessionSource
from gateway.context import Context
from gateway.openapi import openapi_document
from gateway.routes import served
from services.kernel import logs, metrics
from services.kernel.config import Settings

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, sessions: SessionSource | None = None) -> Flask:
    """Refuses to make the app without a JWT_SECRET of its own (`gateway.auth.MissingSecret`).
    `sessions`: where tokens' sessions are checked (the users' table, unless given)."""
    settings = settings or Settings.from_env()
    logs.configure("gateway")
    routes = served(settings.manual_clock)
    # the console's files come from its blueprint; every other route is an API route
    app = Flask(__name__, static_folder=None)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    # the ceiling for a request no route takes; each route sets its own (gateway/api.py)
    app.config["MAX_CONTENT_LENGTH"] = max(route.request_bytes for route in routes)
    app.before_request(_begin)
    app.after_request(_finish)
    errors.register(app)
    bind(app, Context.build(settings, openapi_document(routes), sessions), routes)
    app.register_blueprint(console.pages)
    return app


def _begin() -> None:
    g.started = time.perf_counter()
    cid = request.headers.get("X-Correlation-ID", "")
    logs.correlation_id.set(cid if re.fullmatch(r"[\w.-]{1,64}", cid) else uuid4().hex)


def _finish(response: Response) -> Response:
    route = request.url_rule.rule if request.url_rule else "unmatched"
    metrics.HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
    metrics.HTTP_SECONDS.labels(request.method, route).observe(
        time.perf_counter() - g.get("started", time.perf_counter())
    )
    response.headers["X-Correlation-ID"] = logs.correlation_id.get() or ""
    level = logging.ERROR if response.status_code >= 500 else logging.INFO
    log.log(level, "%s %s %s", request.method, request.path, response.status_code)
    return response
