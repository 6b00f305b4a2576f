"""Reads from reporting's read model, and waiting for it to catch up with a write."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from services.assignment.domain import STATUSES

COLUMNS = (
    "item_id, version, source, title, external_ref, complexity, issued_by, status, lead_unit,"
    " co_units, due_date, due_at, original_due_date, extended, overdue, reminders,"
    " escalation_level, penalty, registered_at, updated_at"
)


def item_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["item_id"]),
        "version": row["version"],
        "source": row["source"],
        "title": row["title"],
        "external_ref": row["external_ref"],
        "complexity": row["complexity"],
        "issued_by": row["issued_by"],
        "status": row["status"],
        "status_label": STATUSES.get(row["status"], row["status"]),
        "lead_unit": row["lead_unit"],
        "co_units": list(row["co_units"]),
        "due_date": row["due_date"].isoformat() if row["due_date"] else None,
        "due_at": row["due_at"].isoformat() if row["due_at"] else None,
        "original_due_date": (
            row["original_due_date"].isoformat() if row["original_due_date"] else None
        ),
        "extended": row["extended"],
        "overdue": row["overdue"],
        "reminders": row["reminders"],
        "escalation_level": row["escalation_level"],
        "penalty": row["penalty"],
        "registered_at": row["registered_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
    }


class ReadModel:
    def __init__(self, conninfo: str, wait_seconds: float) -> None:
        self._pool = ConnectionPool(
            conninfo, min_size=1, max_size=16, kwargs={"row_factory": dict_row}, open=False
        )
        self._wait_seconds = wait_seconds

    def close(self) -> None:
        self._pool.close()

    def _connection(self) -> Any:
        self._pool.open()  # opened on first use, so building the app touches no database
        return self._pool.connection()

    def item(self, item_id: UUID) -> dict[str, Any] | None:
        with self._connection() as conn:
            row = conn.execute(
                f"SELECT {COLUMNS} FROM reporting.items WHERE item_id = %s", (item_id,)
            ).fetchone()
        return item_json(row) if row else None

    def items(
        self,
        *,
        status: str | None,
        unit: str | None,
        source: str | None,
        overdue: bool | None,
        limit: int,
        offset: int,
    ) -> tuple[int, list[dict[str, Any]]]:
        where, params = [], []
        if status:
            where.append("status = %s")
            params.append(status)
        if unit:
            where.append("(lead_unit = %s OR %s = ANY(co_units))")
            params += [unit, unit]
        if source:
            where.append("source = %s")
            params.append(source)
        if overdue is not None:
            where.append("overdue = %s")
            params.append(overdue)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        with self._connection() as conn:
            total = conn.execute(
                f"SELECT count(*) AS n FROM reporting.items{clause}", params
            ).fetchone()["n"]
            rows = conn.execute(
                f"SELECT {COLUMNS} FROM reporting.items{clause}"
                " ORDER BY registered_at DESC, item_id LIMIT %s OFFSET %s",
                [*params, limit, offset],
            ).fetchall()
        return total, [item_json(r) for r in rows]

    def wait_for(
        self, item_id: UUID, version: int, *, expect_deadline: bool = False
    ) -> dict[str, Any] | None:
        """The item once the read model shows at least `version` (and, if a new deadline is
        expected, the next event with a due date); the latest row seen if it does not within
        the wait."""
        if expect_deadline:
            version += 1
        deadline = time.monotonic() + self._wait_seconds
        delay = 0.002
        while True:
            item = self.item(item_id)
            ready = item is not None and item["version"] >= version
            if ready and (not expect_deadline or item["due_date"]):
                return item
            if time.monotonic() >= deadline:
                return item
            time.sleep(delay)
            delay = min(delay * 2, 0.02)

    def ping(self) -> None:
        with self._connection() as conn:
            conn.execute("SELECT 1 FROM public.schema_migrations LIMIT 1")
