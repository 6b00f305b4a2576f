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
from services.kernel.config import Settings
from services.kernel.migrations import pending
from services.kernel.topology import SUBSCRIPTIONS, dead_letter_name, inbox_name

log = logging.getLogger(__name__)


def readiness(settings: Settings, components: Sequence[str]) -> list[str]:
    """What keeps this process from serving: database, the migrations of the components whose
    tables it uses (the kernel's too), broker."""
    problems = []
    try:
        if waiting := pending(settings, components):
            problems.append(f"migrations not applied: {waiting}")
    except psycopg.Error as e:
        problems.append(f"database: {e}")
    try:
        with Connection(settings.amqp_uri, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as e:
        problems.append(f"broker: {e}")
    return problems


def endpoint(settings: Settings, components: Sequence[str]) -> Callable[..., Iterable[bytes]]:
    metrics_app = make_wsgi_app()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            return _json(start_response, 200, {"status": "ok"})
        if path == "/readyz":
            problems = readiness(settings, components)
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


def serve(settings: Settings, components: Sequence[str]) -> None:
    """Serves the process's operations endpoint on METRICS_PORT (0: not at all), green."""
    if settings.metrics_port:
        sock = eventlet.listen((settings.metrics_bind, settings.metrics_port))
        eventlet.spawn(eventlet.wsgi.server, sock, endpoint(settings, components), log_output=False)


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
