"""Assignment's tables: its event store, the units, and snapshots of the notice register (so
loading the year's register does not replay every notice of the year)."""

from __future__ import annotations

import psycopg
from psycopg import sql

from services.kernel.config import Settings
from services.kernel.migrations import Migration, app_role
from services.kernel.schema import (
    create_schema,
    event_store,
    outbox_unpublished,
    snapshot_store,
)


def _assignment(conn: psycopg.Connection, settings: Settings) -> None:
    create_schema(conn, settings, "assignment")
    event_store(conn, settings, "assignment")
    conn.execute(
        """
        CREATE TABLE assignment.units (
            code text PRIMARY KEY,
            name text NOT NULL,
            kind text NOT NULL CHECK (kind IN ('town', 'zone', 'department'))
        )
        """
    )
    conn.execute(
        sql.SQL("GRANT SELECT, INSERT, UPDATE ON assignment.units TO {}").format(app_role(settings))
    )
    snapshot_store(conn, settings, "assignment", "assignment_snapshots")


def _unpublished(conn: psycopg.Connection, settings: Settings) -> None:
    outbox_unpublished(conn, settings, "assignment")


MIGRATIONS = [
    Migration(
        "assignment",
        1,
        "event store, units, notice-register snapshots",
        _assignment,
        (1, 2, 4, 7),
    ),
    Migration("assignment", 2, "events the outbox relay skipped", _unpublished),
]
