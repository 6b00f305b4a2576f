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
from tests.client import Client, drive_hotline_load, eventually

pytestmark = pytest.mark.integration

ITEMS_PER_WORKER = 12
WORKERS = 3


def test_kill_9_each_service_mid_stream_loses_and_duplicates_nothing(
    stack: Stack, supervisor: Client, app_conninfo: str
):
    supervisor.set_clock("2026-09-28T09:00:00+08:00")
    results: list[str] = []
    errors: list[str] = []
    workers = [
        threading.Thread(
            target=drive_hotline_load,
            args=(supervisor, ITEMS_PER_WORKER, "complex", "letters-visits", results, errors),
        )
        for _ in range(WORKERS)
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
