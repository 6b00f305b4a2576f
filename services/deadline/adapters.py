"""Deadline's due-date index behind a small port: PostgreSQL for the service, memory for
fast tests. The index says when each running clock next needs the scan's attention."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from services.kernel.store import Projection


class DueIndex(Protocol):
    def place(self, item_id: UUID, next_action_at: datetime | None) -> Projection:
        """The change that files (or, with None, removes) a clock, made in its save."""
        ...

    def due(self, now: datetime, limit: int) -> list[UUID]:
        """Clocks whose next action is due by `now`, the most overdue first."""
        ...

    def all(self) -> list[UUID]:
        """Every clock with an action still ahead."""
        ...


class PostgresDueIndex:
    def __init__(self, recorder: Any) -> None:
        """`recorder`: the service's ChainedRecorder, whose connection pool this shares."""
        self._datastore = recorder.datastore

    def place(self, item_id: UUID, next_action_at: datetime | None) -> Projection:
        def run(curs: Any) -> None:
            if next_action_at is None:
                curs.execute("DELETE FROM deadline.due_index WHERE item_id = %s", (item_id,))
                return
            curs.execute(
                "INSERT INTO deadline.due_index (item_id, next_action_at) VALUES (%s, %s)"
                " ON CONFLICT (item_id) DO UPDATE SET next_action_at = EXCLUDED.next_action_at",
                (item_id, next_action_at),
            )

        return run

    def due(self, now: datetime, limit: int) -> list[UUID]:
        with self._datastore.get_connection() as conn:
            rows = conn.execute(
                "SELECT item_id FROM deadline.due_index WHERE next_action_at <= %s"
                " ORDER BY next_action_at LIMIT %s",
                (now, limit),
            ).fetchall()
        return [UUID(str(r["item_id"])) for r in rows]

    def all(self) -> list[UUID]:
        with self._datastore.get_connection() as conn:
            rows = conn.execute("SELECT item_id FROM deadline.due_index").fetchall()
        return [UUID(str(r["item_id"])) for r in rows]


class MemoryDueIndex:
    def __init__(self) -> None:
        self._next: dict[UUID, datetime] = {}

    def place(self, item_id: UUID, next_action_at: datetime | None) -> Projection:
        def run(_: Any) -> None:
            if next_action_at is None:
                self._next.pop(item_id, None)
            else:
                self._next[item_id] = next_action_at

        return run

    def due(self, now: datetime, limit: int) -> list[UUID]:
        ready = sorted((at, item_id) for item_id, at in self._next.items() if at <= now)
        return [item_id for _, item_id in ready[:limit]]

    def all(self) -> list[UUID]:
        return list(self._next)
