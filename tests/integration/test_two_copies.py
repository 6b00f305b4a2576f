"""Two processes of every service and of the gateway on one RabbitMQ and one PostgreSQL: a
load of items flows through with nothing lost or doubled, each event handled once, one relay
and one deadline scan active, and stopping one copy of each service midway changes nothing."""

from __future__ import annotations

import threading
import time
import zlib
from collections import Counter

import psycopg
import pytest
import requests

from deploy.stack import SERVICES, Stack, consumer_counts, free_port
from tests.client import Client, drive_hotline_load, eventually

pytestmark = pytest.mark.integration

CLIENTS_PER_GATEWAY = 3
ITEMS_PER_CLIENT = 10


def advisory_holders(conninfo: str, name: str) -> int:
    key = zlib.crc32(name.encode())
    with psycopg.connect(conninfo) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND ((classid::bigint << 32) | objid::bigint) = %s",
            (key,),
        ).fetchone()[0]


def test_two_copies_of_everything_lose_and_double_nothing(
    stack: Stack, supervisor: Client, app_conninfo: str, admin_conninfo: str
):
    amqp = stack.settings.amqp_uri
    second_port = free_port()
    for service in SERVICES:
        stack.start_service(service, copy=2)
    stack.start_gateway(copy=2, port=second_port)
    queues = [f"{s}.inbox" for s in ("assignment", "deadline", "reporting")]
    eventually(lambda: consumer_counts(amqp, queues) == [2, 2, 2], timeout=60)
    eventually(
        lambda: requests.get(f"http://127.0.0.1:{second_port}/readyz", timeout=2).ok, timeout=30
    )
    password = stack.settings.demo_password
    gateways = [stack.gateway_url, f"http://127.0.0.1:{second_port}"]
    supervisor.set_clock("2026-09-28T09:00:00+08:00")

    ids: list[str] = []
    errors: list[str] = []
    workers = [
        threading.Thread(
            target=drive_hotline_load,
            args=(
                Client(url).login("supervisor", password),
                ITEMS_PER_CLIENT,
                "simple",
                "water",
                ids,
                errors,
            ),
        )
        for url in gateways
        for _ in range(CLIENTS_PER_GATEWAY)
    ]
    try:
        for w in workers:
            w.start()
        time.sleep(1.0)
        # stop one copy of each service midway, alternating which
        for n, service in enumerate(SERVICES):
            stack.stop([service if n % 2 else f"{service}-2"])
            time.sleep(0.3)
        for w in workers:
            w.join(timeout=300)
        assert not errors, errors
        assert len(ids) == len(gateways) * CLIENTS_PER_GATEWAY * ITEMS_PER_CLIENT

        def settled() -> bool:
            with psycopg.connect(app_conninfo) as conn:
                rows = conn.execute(
                    "SELECT count(*) FROM reporting.items WHERE item_id = ANY(%s::uuid[])"
                    " AND status = 'assigned' AND due_date IS NOT NULL",
                    (ids,),
                ).fetchone()[0]
            return rows == len(ids)

        eventually(settled, timeout=120, interval=0.5)
        with psycopg.connect(app_conninfo) as conn:
            item_events = conn.execute(
                "SELECT originator_id::text, originator_version, topic"
                " FROM assignment.assignment_events WHERE originator_id = ANY(%s::uuid[])",
                (ids,),
            ).fetchall()
            handled = {
                service: conn.execute(
                    f"SELECT count(*) FROM {service}.processed_messages"
                    " WHERE origin = 'assignment' AND stream_id = ANY(%s::uuid[])",
                    (ids,),
                ).fetchone()[0]
                for service in ("deadline", "reporting")
            }
            clocks = Counter(
                (r[0], r[1].rsplit(".", 1)[-1])
                for r in conn.execute(
                    "SELECT originator_id::text, topic FROM deadline.deadline_events"
                    " WHERE originator_id = ANY(%s::uuid[])",
                    (ids,),
                )
            )
            due = {
                r[0]
                for r in conn.execute(
                    "SELECT DISTINCT due_date FROM reporting.items WHERE item_id = ANY(%s::uuid[])",
                    (ids,),
                )
            }
        kinds = Counter((item, topic.rsplit(".", 1)[-1]) for item, _, topic in item_events)
        for item_id in ids:
            for kind in ("ItemReceived", "Assigned", "DeadlineSet"):
                assert kinds[(item_id, kind)] == 1, (item_id, kind)
            assert clocks[(item_id, "DeadlineSet")] == 1
        # every item event handled exactly once by each consumer
        assert handled == {"deadline": len(item_events), "reporting": len(item_events)}
        # simple hotline complaint received Mon 9/28: 9/29, 9/30, 10/8
        assert {d.isoformat() for d in due} == {"2026-10-08"}
        for service in SERVICES:
            assert advisory_holders(admin_conninfo, f"outbox:{service}") == 1, service
        assert advisory_holders(admin_conninfo, "deadline:scan") <= 1
    finally:
        for name in [n for n in list(stack.processes) if n.endswith("-2")]:
            stack.stop([name])
        for service in SERVICES:
            if service not in stack.processes:
                stack.start_service(service)
        eventually(lambda: consumer_counts(amqp, queues) == [1, 1, 1], timeout=60)
