"""What operations sees: metrics, health and readiness of every process, and one request
followed through every service by its correlation id."""

from __future__ import annotations

import subprocess
import sys
import threading

import psycopg
import pytest
import requests
from kombu import Connection

from deploy.stack import SERVICES, Stack
from services.intake.domain import submission_id
from tests.client import Client, eventually, unique_ref

pytestmark = pytest.mark.integration

SERVICE_METRICS = {
    "supervision_rpc_seconds",
    "supervision_events_published_total",
    "supervision_outbox_lag_events",
    "supervision_inbox_messages",
    "supervision_dead_letters",
}


def test_every_process_answers_health_readiness_and_metrics(stack: Stack, supervisor: Client):
    supervisor.assign(supervisor.register(title="指标")["id"], "finance")
    for service in SERVICES:
        base = f"http://127.0.0.1:{stack.metrics_port(service)}"
        assert requests.get(f"{base}/healthz", timeout=5).json() == {"status": "ok"}
        assert requests.get(f"{base}/readyz", timeout=10).json() == {"status": "ready"}

    def scraped(service: str) -> str:
        return requests.get(
            f"http://127.0.0.1:{stack.metrics_port(service)}/metrics", timeout=5
        ).text

    eventually(lambda: "supervision_outbox_lag_events{" in scraped("intake"))
    intake = scraped("intake")
    assert (
        'supervision_rpc_seconds_count{method="register",outcome="ok",service="intake"}' in intake
    )
    assert 'supervision_events_published_total{origin="intake",type="ItemReceived"}' in intake
    assert 'supervision_dead_letters{service="deadline"}' in intake
    assignment = scraped("assignment")
    assert (
        'supervision_events_consumed_total{outcome="applied",service="assignment",'
        'type="ItemReceived"}' in assignment
    )
    assert "supervision_event_handler_seconds_bucket" in assignment
    eventually(lambda: 'supervision_items_open{source="instruction"}' in scraped("reporting"))
    assert "supervision_read_model_lag_messages" in scraped("reporting")
    assert "supervision_deadline_scan_seconds" in scraped("deadline")

    gateway = requests.get(f"{stack.gateway_url}/metrics", timeout=5).text
    assert (
        'supervision_http_requests_total{method="POST",route="/api/v1/items",status="201"}'
        in gateway
    )
    assert 'route="/api/v1/items/<uuid:item_id>/assign"' in gateway
    assert requests.get(f"{stack.gateway_url}/readyz", timeout=10).json()["status"] == "ready"


def test_a_request_is_followed_through_every_service_by_its_correlation_id(
    stack: Stack, supervisor: Client
):
    trace = "trace-0042-assign"
    item = supervisor.register(title="追踪")
    response = supervisor.session.post(
        f"{stack.gateway_url}/api/v1/items/{item['id']}/assign",
        json={"lead_unit": "health"},
        headers={"X-Correlation-ID": trace},
        timeout=30,
    )
    assert response.headers["X-Correlation-ID"] == trace
    history = supervisor.history(item["id"])
    assigned = next(e for e in history if e["type"] == "Assigned")
    deadline = next(e for e in history if e["type"] == "DeadlineSet")
    assert assigned["actor"]["correlation_id"] == trace
    assert deadline["actor"]["correlation_id"] == trace  # deadline's reaction, then back

    def logged_everywhere() -> bool:
        return all(
            trace in (stack.log_dir / f"{name}.log").read_text(errors="replace")
            for name in ("gateway", "assignment", "deadline", "reporting")
        )

    eventually(logged_everywhere)


def test_the_read_model_rebuilt_from_the_events_comes_out_the_same(
    stack: Stack, supervisor: Client, app_conninfo: str
):
    supervisor.assign(supervisor.register(title="重建读模型")["id"], "civil-affairs")

    def snapshot() -> list[list[tuple]]:
        with psycopg.connect(app_conninfo) as conn:
            return [
                conn.execute(f"SELECT * FROM reporting.{table} ORDER BY item_id").fetchall()
                for table in ("items", "item_search")
            ]

    eventually(lambda: sum(consumer_counts_depth(stack)) == 0)
    before = snapshot()
    result = subprocess.run(
        [sys.executable, "-m", "services.reporting.rebuild"],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "rebuilt from" in result.stdout
    assert snapshot() == before


def consumer_counts_depth(stack: Stack) -> list[int]:
    with Connection(stack.settings.amqp_uri) as conn:
        channel = conn.channel()
        return [
            channel.queue_declare(f"{s}.inbox", passive=True).message_count
            for s in ("assignment", "deadline", "reporting")
        ]


def test_reporting_keeps_handling_events_while_a_rebuild_holds_the_read_model(
    stack: Stack, supervisor: Client, admin_conninfo: str
):
    """A rebuild locks the read model, then marks what it replayed as processed. An event
    reporting handles meanwhile must wait on the read model before it marks anything itself;
    marking first would deadlock with the rebuild and cancel it."""
    ref = unique_ref("rebuild")
    item_id = str(submission_id("hotline", ref))
    with psycopg.connect(admin_conninfo) as rebuild:
        # were there a deadlock, this side would be the one told so, as a long rebuild is
        rebuild.execute("SET LOCAL deadlock_timeout = '100ms'")
        rebuild.execute("LOCK TABLE reporting.items IN EXCLUSIVE MODE")
        registered = threading.Thread(
            target=supervisor.post,
            args=(
                "/api/v1/items",
                {
                    "source": "hotline",
                    "title": "重建期间登记",
                    "content": "...",
                    "complexity": "simple",
                    "external_ref": ref,
                },
            ),
        )
        registered.start()

        def reporting_waits_for_the_read_model() -> bool:
            return (
                rebuild.execute(
                    "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                    " WHERE c.relname = 'items' AND NOT l.granted"
                ).fetchone()[0]
                > 0
            )

        eventually(reporting_waits_for_the_read_model, timeout=20)
        rebuild.execute(
            "INSERT INTO reporting.processed_messages (origin, stream_id, stream_version, event_id)"
            " VALUES ('assignment', %s, 1, gen_random_uuid()) ON CONFLICT DO NOTHING",
            (item_id,),
        )
        rebuild.rollback()
    registered.join(30)
    eventually(lambda: supervisor.get(f"/api/v1/items/{item_id}").status_code == 200)
