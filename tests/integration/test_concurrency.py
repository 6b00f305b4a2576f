"""Twenty writers at one item with the same expected version: exactly one wins each version,
the others get a conflict, and no version is lost or doubled."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError

from services.assignment.application import Assignment
from services.assignment.domain import Item
from services.kernel.clock import SystemClock
from services.kernel.ledger import verify_rows
from services.kernel.store import store_env

pytestmark = pytest.mark.integration

WRITERS = 20
ROUNDS = 3
OFFICE = {"user": "supervisor", "role": "supervisor", "unit": None}


def test_twenty_writers_with_the_same_expected_version(settings):
    app = Assignment(SystemClock(), store_env(settings.database_url, "assignment", WRITERS))
    try:
        item = Item(
            id=uuid4(),
            source="special",
            title="并发写入",
            content="...",
            external_ref=None,
            due_date=None,
            complexity=None,
            issued_by=None,
            actor=OFFICE,
            at=datetime.now(UTC),
        )
        app.save(item)
        for round_ in range(ROUNDS):
            base = app.repository.get(item.id)
            expected = base.version
            outcomes: list[str] = []
            barrier = threading.Barrier(WRITERS)

            def write(
                n: int,
                expected: int = expected,
                barrier: threading.Barrier = barrier,
                outcomes: list[str] = outcomes,
            ) -> None:
                copy = app.repository.get(item.id, version=expected)
                copy.record_reminder("before", datetime.now(UTC).date(), OFFICE, datetime.now(UTC))
                barrier.wait()
                try:
                    app.save(copy)
                    outcomes.append("won")
                except IntegrityError:
                    outcomes.append("conflict")

            threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            assert outcomes.count("won") == 1, (round_, outcomes)
            assert outcomes.count("conflict") == WRITERS - 1
            assert app.repository.get(item.id).version == expected + 1
        rows = app.ledger.chain_rows(item.id)
        assert [r.version for r in rows] == list(range(1, ROUNDS + 2))
        assert list(verify_rows(rows)) == []
    finally:
        app.close()
