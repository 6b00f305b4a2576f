"""Deadline's reactions to item events, and the scan that finds what has fallen due."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import IntegrityError
from psycopg import Cursor
from psycopg.rows import DictRow

from services.deadline.calendar import WorkingCalendar
from services.deadline.domain import Clock
from services.kernel.clock import Clock as TimeSource
from services.kernel.consumer import Reaction
from services.kernel.contracts import (
    Assigned,
    Closed,
    Envelope,
    FeedbackReturned,
    FeedbackSubmitted,
    ItemReceived,
    Rectified,
)
from services.kernel.store import LedgerApplication, Projection


def due_index(clock: Clock) -> Projection:
    """Keeps the scan's index of running clocks in step with the clock, in its transaction."""

    def run(curs: Cursor[DictRow]) -> None:
        if clock.watching:
            curs.execute(
                "INSERT INTO deadline.due_index (item_id, due_at, due_date) VALUES (%s, %s, %s) "
                "ON CONFLICT (item_id) DO UPDATE SET due_at = EXCLUDED.due_at, "
                "due_date = EXCLUDED.due_date",
                (clock.id, clock.due_at, clock.due_date),
            )
        else:
            curs.execute("DELETE FROM deadline.due_index WHERE item_id = %s", (clock.id,))

    return run


class Deadline(LedgerApplication):
    name = "deadline"

    def __init__(
        self, time: TimeSource, env: dict[str, str], calendar: WorkingCalendar | None = None
    ) -> None:
        super().__init__(env)
        self.time = time
        self.calendar = calendar or WorkingCalendar()

    def react(self, envelope: Envelope) -> Reaction:
        if envelope.origin != "assignment":
            return Reaction()
        contract = envelope.contract()
        now = self.time.now()
        if isinstance(contract, ItemReceived):
            clock = Clock(
                id=envelope.item_id,
                source=contract.source,
                complexity=contract.complexity,
                requested_due_date=contract.due_date,
                actor=envelope.actor.model_dump(),
                at=envelope.occurred_at,
            )
        else:
            clock = self.repository.get(envelope.item_id)
            if isinstance(contract, Assigned):
                clock.start(contract.due_date, contract.assigned_on, self.calendar, now)
            elif isinstance(contract, FeedbackReturned):
                clock.start(contract.due_date, contract.returned_on, self.calendar, now)
            elif isinstance(contract, FeedbackSubmitted):
                clock.stop("feedback submitted", now)
            elif isinstance(contract, Closed | Rectified):
                clock.stop("closed", now)
            else:
                return Reaction()
        return Reaction([clock], due_index(clock))

    def scan(self, now: datetime | None = None, limit: int = 500) -> int:
        """Marks every clock due by `now` overdue; returns how many it marked."""
        now = now or self.time.now()
        with self.ledger.datastore.get_connection() as conn:
            rows = conn.execute(
                "SELECT item_id FROM deadline.due_index WHERE due_at <= %s "
                "ORDER BY due_at LIMIT %s",
                (now, limit),
            ).fetchall()
        marked = 0
        for row in rows:
            clock: Clock = self.repository.get(UUID(str(row["item_id"])))
            if clock.check_overdue(now):
                try:
                    self.save(clock, projection=due_index(clock))
                    marked += 1
                except IntegrityError:
                    continue  # the clock changed meanwhile; the next scan sees its new state
            elif not clock.watching:
                self.save(projection=due_index(clock))
        return marked
