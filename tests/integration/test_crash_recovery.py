"""Killing service processes mid-stream loses nothing and doubles nothing."""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from datetime import date

import psycopg
import pytest

from deploy.stack import Stack
from tests.client import Client, eventually, unique_ref

pytestmark = pytest.mark.integration

ITEMS_PER_WORKER = 12
WORKERS = 3


def drive(client: Client, results: list[str], errors: list[str]) -> None:
    for _ in range(ITEMS_PER_WORKER):
        try:
            response = client.post(
                "/api/v1/items",
                {
                    "source": "hotline",
                    "title": "压力下的热线工单",
                    "content": "...",
                    "complexity": "complex",
                    "external_ref": unique_ref("crash"),
                },
            )
            if response.status_code not in (200, 201):
                errors.append(f"register {response.status_code} {response.text}")
                continue
            item_id = response.json()["id"]
            results.append(item_id)
            assigned = client.post(
                f"/api/v1/items/{item_id}/assign", {"lead_unit": "letters-visits"}
            )
            # A request whose worker was killed is redelivered to the restarted process; if
            # the first attempt had committed, the retry finds the item assigned (409).
            if assigned.status_code not in (200, 409):
                errors.append(f"assign {assigned.status_code} {assigned.text}")
        except Exception as e:
            errors.append(repr(e))


def test_kill_9_each_service_mid_stream_loses_and_duplicates_nothing(
    stack: Stack, supervisor: Client, app_conninfo: str
):
    supervisor.set_clock("2026-09-28T09:00:00+08:00")
    results: list[str] = []
    errors: list[str] = []
    workers = [
        threading.Thread(target=drive, args=(supervisor, results, errors)) for _ in range(WORKERS)
    ]
    for w in workers:
        w.start()
    for service in ("assignment", "deadline", "reporting", "intake"):
        time.sleep(0.7)
        stack.stop_process(service, signal.SIGKILL)
        time.sleep(0.3)
        stack.start_service(service)
    for w in workers:
        w.join(timeout=240)
    assert not errors, errors
    assert len(results) == ITEMS_PER_WORKER * WORKERS

    def all_assigned_with_due_dates() -> bool:
        with psycopg.connect(app_conninfo) as conn:
            rows = conn.execute(
                "SELECT status, due_date FROM reporting.items WHERE item_id = ANY(%s::uuid[])",
                (results,),
            ).fetchall()
        return len(rows) == len(results) and all(
            status == "assigned" and due is not None for status, due in rows
        )

    eventually(all_assigned_with_due_dates, timeout=90, interval=0.5)

    with psycopg.connect(app_conninfo) as conn:
        per_item = conn.execute(
            "SELECT originator_id::text, topic FROM assignment.assignment_events "
            "WHERE originator_id = ANY(%s::uuid[])",
            (results,),
        ).fetchall()
        clocks = conn.execute(
            "SELECT originator_id::text, topic FROM deadline.deadline_events "
            "WHERE originator_id = ANY(%s::uuid[])",
            (results,),
        ).fetchall()
        due_dates = {
            r[0]
            for r in conn.execute(
                "SELECT due_date FROM reporting.items WHERE item_id = ANY(%s::uuid[])", (results,)
            )
        }
    item_events = Counter((item, topic.rsplit(".", 1)[-1]) for item, topic in per_item)
    clock_events = Counter((item, topic.rsplit(".", 1)[-1]) for item, topic in clocks)
    for item_id in results:
        for event in ("ItemReceived", "Assigned", "DeadlineSet"):
            assert item_events[(item_id, event)] == 1, (item_id, event)
        for event in ("ClockOpened", "DeadlineSet"):
            assert clock_events[(item_id, event)] == 1, (item_id, event)
    # complex hotline complaint: 10 working days from 2026-09-28 (Civil Code, 调休 applied)
    assert due_dates == {date(2026, 10, 16)}
    assert supervisor.get("/api/v1/ledger/verify").json()["ok"] is True
