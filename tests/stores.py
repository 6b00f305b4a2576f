"""Everything a request could change, to check that a refused request changed nothing."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import psycopg
from kombu import Connection

from services.kernel import deadletters
from services.kernel.topology import SUBSCRIPTIONS, inbox_name


class Stores:
    """Everything a request could change: the event stores, the read model, evidence files;
    and the bus, where a message a service cannot process is parked as a dead letter."""

    QUERY = """
        SELECT (SELECT count(*) FROM gateway.gateway_events),
               (SELECT count(*) FROM intake.intake_events),
               (SELECT count(*) FROM assignment.assignment_events),
               (SELECT count(*) FROM deadline.deadline_events),
               (SELECT count(*) FROM reporting.items),
               (SELECT coalesce(sum(version), 0) FROM reporting.items)
    """

    def __init__(self, conn: psycopg.Connection, evidence_dir: Path, amqp_uri: str) -> None:
        self.conn = conn
        self.evidence_dir = evidence_dir
        self.amqp_uri = amqp_uri

    def snapshot(self) -> tuple[Any, ...]:
        row = self.conn.execute(self.QUERY).fetchone()
        assert row is not None
        files = sum(1 for p in self.evidence_dir.rglob("*") if p.is_file())
        return (*row, files)

    def dead_letters(self) -> dict[str, int]:
        return deadletters.count(self.amqp_uri)

    def _waiting(self) -> int:
        with Connection(self.amqp_uri) as conn:
            channel = conn.channel()
            return sum(
                channel.queue_declare(inbox_name(s), passive=True).message_count
                for s in SUBSCRIPTIONS
            )

    def settle(self, quiet_seconds: float = 1.0, timeout: float = 60.0) -> None:
        """Waits until events have stopped flowing: every inbox empty, the stores unchanged."""
        give_up = time.monotonic() + timeout
        last, since = None, time.monotonic()
        while time.monotonic() - since < quiet_seconds:
            assert time.monotonic() < give_up, "the services never went quiet"
            state, waiting = self.snapshot(), self._waiting()
            if state != last or waiting:
                last, since = state, time.monotonic()
            time.sleep(0.1)
