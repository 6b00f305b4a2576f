"""The gateway's tables: its users, who uploaded each file, and the answers kept for
idempotency keys."""

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


def _idempotency_keys(conn: psycopg.Connection, settings: Settings) -> None:
    """A key per user and the first answer to it (gateway/idempotency.py); `status` is null
    while the first request runs. A cache of answers, not a record: rows are replaced and
    removed when they expire."""
    conn.execute(
        """
        CREATE TABLE gateway.idempotency_keys (
            username text NOT NULL,
            key text NOT NULL,
            fingerprint bytea NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            status smallint,
            content_type text,
            body bytea,
            PRIMARY KEY (username, key)
        )
        """
    )
    conn.execute("CREATE INDEX ON gateway.idempotency_keys (created_at)")
    conn.execute(
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON gateway.idempotency_keys TO {}").format(
            app_role(settings)
        )
    )


MIGRATIONS = [
    Migration("gateway", 1, "users", _gateway, (1, 4)),
    Migration("gateway", 3, "idempotency keys", _idempotency_keys),
    Migration("gateway", 4, "who uploaded each file", _uploads),
]
