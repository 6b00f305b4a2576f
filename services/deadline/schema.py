"""Deadline's tables: its event store and the index its timer scans (each open clock's next
reminder, escalation or overdue)."""

from __future__ import annotations

import psycopg
from psycopg import sql

from services.kernel.config import Settings
from services.kernel.migrations import Migration, app_role
from services.kernel.schema import create_schema, event_store, outbox_unpublished


def _deadline(conn: psycopg.Connection, settings: Settings) -> None:
    create_schema(conn, settings, "deadline")
    event_store(conn, settings, "deadline")
    conn.execute(
        """
        CREATE TABLE deadline.due_index (
            item_id uuid PRIMARY KEY,
            next_action_at timestamptz NOT NULL
        )
        """
    )
    conn.execute("CREATE INDEX due_index_next_action_at ON deadline.due_index (next_action_at)")
    conn.execute(
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON deadline.due_index TO {}").format(
            app_role(settings)
        )
    )


def _unpublished(conn: psycopg.Connection, settings: Settings) -> None:
    outbox_unpublished(conn, settings, "deadline")


MIGRATIONS = [
    Migration("deadline", 1, "event store, due index", _deadline, (1, 2, 3, 5)),
    Migration("deadline", 2, "events the outbox relay skipped", _unpublished),
]
