"""What operations sees of a service process: /metrics, /healthz, /readyz on its own port,
and gauges refreshed in the background (outbox lag, inbox depth, dead letters)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import eventlet
import eventlet.wsgi
import psycopg
from kombu import Connection
from prometheus_client import make_wsgi_app

from services.kernel import metrics
from services.kernel import schema as kernel_schema
from services.kernel.config import Settings
from services.kernel.migrations import Migration, pending
from services.kernel.topology import SUBSCRIPTIONS, dead_letter_name, inbox_name

log = logging.getLogger(__name__)


def readiness(settings: Settings, migrations: Sequence[Migration]) -> list[str]:
    """What keeps this process from serving: database, the migrations of the tables it uses
    (and the kernel's), broker."""
    problems = []
    try:
        if waiting := pending(settings, [*kernel_schema.MIGRATIONS, *migrations]):
            problems.append(f"migrations not applied: {waiting}")
    except psycopg.Error as e:
        problems.append(f"database: {e}")
    try:
        with Connection(settings.amqp_uri, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as e:
        problems.append(f"broker: {e}")
    return problems


def endpoint(settings: Settings, migrations: Sequence[Migration]) -> Callable[..., Iterable[bytes]]:
    metrics_app = make_wsgi_app()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            return _json(start_response, 200, {"status": "ok"})
        if path == "/readyz":
            problems = readiness(settings, migrations)
            if problems:
                return _json(start_response, 503, {"status": "unavailable", "problems": problems})
            return _json(start_response, 200, {"status": "ready"})
        return metrics_app(environ, start_response)

    return app


def _json(start_response: Callable[..., Any], status: int, body: dict) -> list[bytes]:
    text = json.dumps(body, ensure_ascii=False).encode()
    reason = {200: "OK", 503: "Service Unavailable"}[status]
    start_response(f"{status} {reason}", [("Content-Type", "application/json")])
    return [text]


def serve(settings: Settings, migrations: Sequence[Migration]) -> None:
    """Serves the process's operations endpoint on METRICS_PORT (0: not at all), green."""
    if settings.metrics_port:
        sock = eventlet.listen((settings.metrics_bind, settings.metrics_port))
        eventlet.spawn(eventlet.wsgi.server, sock, endpoint(settings, migrations), log_output=False)


def queue_depths(amqp_uri: str) -> None:
    with Connection(amqp_uri, connect_timeout=2) as conn:
        channel = conn.channel()
        for service in SUBSCRIPTIONS:
            inbox = channel.queue_declare(inbox_name(service), passive=True).message_count
            dead = channel.queue_declare(dead_letter_name(service), passive=True).message_count
            metrics.INBOX_MESSAGES.labels(service).set(inbox)
            metrics.DEAD_LETTERS.labels(service).set(dead)
            if service == "reporting":
                metrics.READ_MODEL_LAG.set(inbox)
