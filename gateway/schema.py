"""The gateway's tables: its users."""

from __future__ import annotations

import psycopg
from psycopg import sql

from services.kernel.config import Settings
from services.kernel.migrations import Migration, app_role
from services.kernel.schema import create_schema


def _gateway(conn: psycopg.Connection, settings: Settings) -> None:
    create_schema(conn, settings, "gateway")
    conn.execute(
        """
        CREATE TABLE gateway.users (
            username text PRIMARY KEY,
            display_name text NOT NULL,
            role text NOT NULL CHECK (role IN ('supervisor', 'leader', 'auditor', 'handler')),
            unit_code text,
            password_hash text NOT NULL
        )
        """
    )
    conn.execute(
        sql.SQL("GRANT SELECT, INSERT, UPDATE ON gateway.users TO {}").format(app_role(settings))
    )


def _uploads(conn: psycopg.Connection, settings: Settings) -> None:
    """Who uploaded each evidence file: the uploader may read it before it is attached."""
    conn.execute(
        "CREATE TABLE gateway.uploads (sha text NOT NULL, username text NOT NULL,"
        " uploaded_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (sha, username))"
    )
    conn.execute(
        sql.SQL("GRANT SELECT, INSERT ON gateway.uploads TO {}").format(app_role(settings))
    )


MIGRATIONS = [
    Migration("gateway", 1, "users", _gateway, (1, 4)),
    Migration("gateway", 4, "who uploaded each file", _uploads),
]
