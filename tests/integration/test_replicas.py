"""Two deadline processes at once: every reminder, overdue mark and escalation exactly once,
also when the copy doing the work is killed and the other takes over."""

from __future__ import annotations

import signal
import threading
from collections import Counter

import psycopg
import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from deploy.stack import Stack, consumer_counts
from tests.client import Client, eventually

pytestmark = pytest.mark.integration

ITEMS = 8
# (moment, what each clock has issued by then): due 2026-10-13; escalation after 3, 10 and 20
# working days overdue (10/16, 10/27 and 11/10, each at 24:00)
STEPS = [
    ("2026-10-10T10:00:00+08:00", {"ReminderIssued": 1}),
    ("2026-10-13T08:00:00+08:00", {"ReminderIssued": 2}),
    ("2026-10-14T00:00:01+08:00", {"ReminderIssued": 2, "Overdue": 1}),
    ("2026-10-17T00:00:01+08:00", {"ReminderIssued": 2, "Overdue": 1, "Escalated": 1}),
    ("2026-10-28T01:00:00+08:00", {"ReminderIssued": 2, "Overdue": 1, "Escalated": 2}),
    ("2026-11-11T01:00:00+08:00", {"ReminderIssued": 2, "Overdue": 1, "Escalated": 3}),
]


def tick_from_many_clients(amqp_uri: str, times: int = 6) -> None:
    def tick() -> None:
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as rpc:
            rpc.deadline.tick()

    threads = [threading.Thread(target=tick) for _ in range(times)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)


def scanning_copy(stack: Stack) -> str:
    """The deadline process that holds the scan lock now (each says so on /metrics)."""
    leaders = [
        name
        for name, copy in (("deadline", 1), ("deadline-2", 2))
        if 'supervision_leading{lock="deadline:scan"} 1.0'
        in requests.get(
            f"http://127.0.0.1:{stack.metrics_port('deadline', copy)}/metrics", timeout=10
        ).text
    ]
    assert len(leaders) == 1, leaders
    return leaders[0]


def counts(conninfo: str, schema: str, ids: list[str]) -> Counter:
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            f"SELECT originator_id::text, topic FROM {schema}.{schema}_events "
            "WHERE originator_id = ANY(%s::uuid[])",
            (ids,),
        ).fetchall()
    return Counter((item, topic.rsplit(".", 1)[-1]) for item, topic in rows)


def test_two_copies_issue_every_step_once_and_survive_losing_one(
    stack: Stack, supervisor: Client, handler_factory, app_conninfo: str
):
    amqp = stack.settings.amqp_uri
    stack.start_service("deadline", copy=2, DEADLINE_SCAN_SECONDS="0.2")
    eventually(lambda: consumer_counts(amqp, ["rpc-deadline", "deadline.inbox"]) == [2, 2])
    try:
        supervisor.set_clock("2026-09-28T09:00:00+08:00")
        ids = []
        for i in range(ITEMS):
            item = supervisor.register(title=f"双副本 {i}", issued_by="副县长")
            assert supervisor.assign(item["id"], "urban-management")["due_date"] == "2026-10-13"
            handler_factory("urban-management").post(f"/api/v1/items/{item['id']}/acknowledge")
            ids.append(item["id"])
        for n, (moment, issued) in enumerate(STEPS):
            supervisor.set_clock(moment)
            tick_from_many_clients(amqp)
            if n == 2:
                # kill the copy that holds the scan lock, whichever it is
                stack.stop_process(scanning_copy(stack), signal.SIGKILL)
                tick_from_many_clients(amqp)

            def step_done(issued: dict[str, int] = issued) -> bool:
                clock_events = counts(app_conninfo, "deadline", ids)
                return all(clock_events[(i, k)] == n for i in ids for k, n in issued.items())

            eventually(step_done, timeout=30)

        expected_clock = STEPS[-1][1]
        expected_item = {
            "ReminderIssued": 2,
            "Overdue": 1,
            "EscalatedToLeader": 1,
            "PenaltyRecommended": 2,
        }

        def all_recorded() -> bool:
            item_events = counts(app_conninfo, "assignment", ids)
            return all(
                item_events[(i, name)] == n for i in ids for name, n in expected_item.items()
            )

        eventually(all_recorded, timeout=60, interval=0.5)
        clock_events = counts(app_conninfo, "deadline", ids)
        item_events = counts(app_conninfo, "assignment", ids)
        for i in ids:
            for name, n in expected_clock.items():
                assert clock_events[(i, name)] == n, (i, name, clock_events[(i, name)])
            for name, n in expected_item.items():
                assert item_events[(i, name)] == n, (i, name, item_events[(i, name)])
    finally:
        stack.stop([n for n in ("deadline", "deadline-2") if n in stack.processes])
        stack.start_service("deadline")
        eventually(lambda: consumer_counts(amqp, ["rpc-deadline"]) == [1])
