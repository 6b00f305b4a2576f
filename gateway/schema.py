"""The gateway's tables: its event store (users and API keys), their current state, the
login record, who uploaded each evidence file, and the answers kept for idempotency keys."""

from __future__ import annotations

import psycopg
from psycopg import sql

from gateway.users import UserAccount, user_id
from services.kernel.config import Settings
from services.kernel.migrations import Migration, app_role
from services.kernel.schema import append_events, append_only, create_schema, event_store

MIGRATION = {"user": "system:migration", "role": "system", "unit": None}


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


def _identity(conn: psycopg.Connection, settings: Settings) -> None:
    """Users become event-sourced: `gateway.users` is their current state, and each user it
    held is carried over as a `Created` event. API keys likewise; the login record."""
    event_store(conn, settings, "gateway")
    conn.execute(
        "ALTER TABLE gateway.users DROP CONSTRAINT users_role_check,"
        " ADD CONSTRAINT users_role_check"
        " CHECK (role IN ('supervisor', 'leader', 'auditor', 'handler', 'admin')),"
        " ADD COLUMN disabled boolean NOT NULL DEFAULT false,"
        " ADD COLUMN session_epoch integer NOT NULL DEFAULT 0"
    )
    rows = conn.execute(
        "SELECT username, display_name, role, unit_code, password_hash FROM gateway.users"
    ).fetchall()
    accounts = [
        UserAccount(
            id=user_id(username),
            username=username,
            display_name=name,
            role=role,
            unit=unit,
            password_hash=password_hash,
            actor=MIGRATION,
            reason="启用用户事件记录前已有的用户",
        )
        for username, name, role, unit, password_hash in rows
    ]
    append_events(conn, "gateway", [e for a in accounts for e in a.collect_events()])
    conn.execute(
        """
        CREATE TABLE gateway.api_keys (
            id uuid PRIMARY KEY,
            name text NOT NULL,
            platform text NOT NULL,
            key_hash text NOT NULL UNIQUE,
            revoked boolean NOT NULL,
            issued_at timestamptz NOT NULL
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE gateway.logins (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            at timestamptz NOT NULL,
            username text NOT NULL,
            address text NOT NULL,
            outcome text NOT NULL
        )
        """
    )
    conn.execute("CREATE INDEX logins_username ON gateway.logins (username, id)")
    conn.execute("CREATE INDEX logins_address ON gateway.logins (address, at)")
    conn.execute("CREATE INDEX logins_at ON gateway.logins (at)")
    append_only(conn, "gateway", "logins")
    role = app_role(settings)
    conn.execute(sql.SQL("GRANT SELECT, INSERT, UPDATE ON gateway.api_keys TO {}").format(role))
    conn.execute(sql.SQL("GRANT SELECT, INSERT ON gateway.logins TO {}").format(role))


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
    Migration("gateway", 2, "users and API keys event-sourced, the login record", _identity),
    Migration("gateway", 3, "idempotency keys", _idempotency_keys),
    Migration("gateway", 4, "who uploaded each file", _uploads),
]
