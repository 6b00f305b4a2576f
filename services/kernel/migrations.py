"""Versioned schema migrations, run once by one process (advisory lock) as the owner role.

Services connect as a separate application role that may SELECT and INSERT events but never
UPDATE, DELETE or TRUNCATE them; a trigger refuses those even to the owner.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable

import psycopg
from eventsourcing.postgres import PostgresAggregateRecorder, PostgresDatastore
from psycopg import sql

from services.kernel.config import DatabaseAddress, Settings
from services.kernel.store import ChainedRecorder

log = logging.getLogger(__name__)

EVENT_STORE_SCHEMAS = ("intake", "assignment", "deadline", "reporting")
SCHEMAS = (*EVENT_STORE_SCHEMAS, "gateway", "clock")
MIGRATION_LOCK = 7_301_001

Step = Callable[[psycopg.Connection, Settings], None]


def ensure_database(settings: Settings) -> None:
    """Create the database itself if missing (connecting to the cluster's `postgres` db)."""
    admin = DatabaseAddress.parse(settings.database_admin_url)
    maintenance = DatabaseAddress(admin.host, admin.port, "postgres", admin.user, admin.password)
    with psycopg.connect(maintenance.conninfo(), autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (admin.dbname,)
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(admin.dbname)))


def _roles_and_schemas(conn: psycopg.Connection, settings: Settings) -> None:
    app = DatabaseAddress.parse(settings.database_url)
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (app.user,)).fetchone()
    if not exists:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(app.user), sql.Literal(app.password)
            )
        )
    for schema in SCHEMAS:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        conn.execute(
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(
                sql.Identifier(schema), sql.Identifier(app.user)
            )
        )
    conn.execute(
        sql.SQL("GRANT SELECT ON public.schema_migrations TO {}").format(sql.Identifier(app.user))
    )
    conn.execute(
        """
        CREATE OR REPLACE FUNCTION public.refuse_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'append-only table %.%: % refused (记录不可更改)',
                TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$;
        """
    )


def _append_only(conn: psycopg.Connection, schema: str, table: str) -> None:
    ident = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))
    conn.execute(
        sql.SQL(
            "CREATE TRIGGER refuse_update_delete BEFORE UPDATE OR DELETE ON {} "
            "FOR EACH ROW EXECUTE FUNCTION public.refuse_change()"
        ).format(ident)
    )
    conn.execute(
        sql.SQL(
            "CREATE TRIGGER refuse_truncate BEFORE TRUNCATE ON {} "
            "FOR EACH STATEMENT EXECUTE FUNCTION public.refuse_change()"
        ).format(ident)
    )


def _event_stores(conn: psycopg.Connection, settings: Settings) -> None:
    app_role = sql.Identifier(DatabaseAddress.parse(settings.database_url).user)
    admin = DatabaseAddress.parse(settings.database_admin_url)
    for schema in EVENT_STORE_SCHEMAS:
        table = f"{schema}_events"
        datastore = PostgresDatastore(
            admin.dbname, admin.host, admin.port, admin.user, admin.password, schema=schema
        )
        try:
            ChainedRecorder(datastore, events_table_name=table).create_table()
        finally:
            datastore.close()
        s = sql.Identifier(schema)
        t = sql.SQL("{}.{}").format(s, sql.Identifier(table))
        conn.execute(
            sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS chain_hash bytea NOT NULL").format(t)
        )
        conn.execute(
            sql.SQL(
                "CREATE TABLE {}.processed_messages ("
                " origin text NOT NULL, stream_id uuid NOT NULL, stream_version bigint NOT NULL,"
                " event_id uuid NOT NULL, processed_at timestamptz NOT NULL DEFAULT now(),"
                " PRIMARY KEY (origin, stream_id, stream_version))"
            ).format(s)
        )
        conn.execute(
            sql.SQL(
                "CREATE TABLE {}.outbox_position (relay text PRIMARY KEY, position bigint NOT NULL)"
            ).format(s)
        )
        _append_only(conn, schema, table)
        _append_only(conn, schema, "processed_messages")
        conn.execute(
            sql.SQL("GRANT SELECT, INSERT ON {}, {}.processed_messages TO {}").format(
                t, s, app_role
            )
        )
        conn.execute(
            sql.SQL("GRANT SELECT, INSERT, UPDATE ON {}.outbox_position TO {}").format(s, app_role)
        )
        conn.execute(sql.SQL("GRANT USAGE ON ALL SEQUENCES IN SCHEMA {} TO {}").format(s, app_role))


def _deadline_index(conn: psycopg.Connection, settings: Settings) -> None:
    app_role = sql.Identifier(DatabaseAddress.parse(settings.database_url).user)
    conn.execute(
        """
        CREATE TABLE deadline.due_index (
            item_id uuid PRIMARY KEY,
            due_at timestamptz NOT NULL,
            due_date date NOT NULL
        )
        """
    )
    conn.execute("CREATE INDEX due_index_due_at ON deadline.due_index (due_at)")
    conn.execute(
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON deadline.due_index TO {}").format(app_role)
    )


def _reference_and_read_models(conn: psycopg.Connection, settings: Settings) -> None:
    app_role = sql.Identifier(DatabaseAddress.parse(settings.database_url).user)
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
        """
        CREATE TABLE reporting.items (
            item_id uuid PRIMARY KEY,
            version bigint NOT NULL,
            source text NOT NULL,
            title text NOT NULL,
            external_ref text,
            complexity text,
            issued_by text,
            status text NOT NULL,
            lead_unit text,
            co_units text[] NOT NULL DEFAULT '{}',
            due_date date,
            due_at timestamptz,
            overdue boolean NOT NULL DEFAULT false,
            registered_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        )
        """
    )
    for column in ("status", "lead_unit", "source", "due_at", "registered_at"):
        conn.execute(
            sql.SQL("CREATE INDEX {} ON reporting.items ({})").format(
                sql.Identifier(f"items_{column}"), sql.Identifier(column)
            )
        )
    conn.execute("CREATE INDEX items_co_units ON reporting.items USING gin (co_units)")
    conn.execute("CREATE INDEX items_overdue ON reporting.items (overdue) WHERE overdue")
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
        "CREATE TABLE clock.manual_time (id int PRIMARY KEY CHECK (id = 1), now_utc timestamptz)"
    )
    conn.execute(
        sql.SQL("GRANT SELECT, INSERT, UPDATE ON assignment.units, gateway.users TO {}").format(
            app_role
        )
    )
    conn.execute(
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON reporting.items TO {}").format(app_role)
    )
    conn.execute(
        sql.SQL("GRANT SELECT, INSERT, UPDATE ON clock.manual_time TO {}").format(app_role)
    )


def _reminders_escalation_extensions(conn: psycopg.Connection, settings: Settings) -> None:
    conn.execute("ALTER TABLE deadline.due_index RENAME COLUMN due_at TO next_action_at")
    conn.execute("ALTER TABLE deadline.due_index DROP COLUMN due_date")
    conn.execute("ALTER INDEX deadline.due_index_due_at RENAME TO due_index_next_action_at")
    conn.execute(
        "ALTER TABLE reporting.items ADD COLUMN original_due_date date,"
        " ADD COLUMN extended boolean NOT NULL DEFAULT false,"
        " ADD COLUMN reminders integer NOT NULL DEFAULT 0,"
        " ADD COLUMN escalation_level integer NOT NULL DEFAULT 0,"
        " ADD COLUMN penalty text"
    )


def _sources_and_answers(conn: psycopg.Connection, settings: Settings) -> None:
    conn.execute(
        "ALTER TABLE reporting.items"
        " ADD COLUMN notice_number text,"
        " ADD COLUMN group_key text,"
        " ADD COLUMN details jsonb NOT NULL DEFAULT '{}',"
        " ADD COLUMN answer text,"
        " ADD COLUMN reported_to text,"
        " ADD COLUMN reply_class text,"
        " ADD COLUMN satisfaction text,"
        " ADD COLUMN reopened boolean NOT NULL DEFAULT false,"
        " ADD COLUMN progress_reports integer NOT NULL DEFAULT 0,"
        " ADD COLUMN co_unit_opinions integer NOT NULL DEFAULT 0,"
        " ADD COLUMN co_unit_due_date date,"
        " ADD COLUMN return_by date,"
        " ADD COLUMN indicator_month text,"
        " ADD COLUMN indicator_value double precision,"
        " ADD COLUMN indicator_gap double precision"
    )
    conn.execute("CREATE INDEX items_group_key ON reporting.items (group_key)")


def _notice_register_snapshots(conn: psycopg.Connection, settings: Settings) -> None:
    """Snapshots of assignment's long-lived aggregates (the year's notice register), so loading
    one does not replay every notice of the year."""
    app_role = sql.Identifier(DatabaseAddress.parse(settings.database_url).user)
    admin = DatabaseAddress.parse(settings.database_admin_url)
    datastore = PostgresDatastore(
        admin.dbname, admin.host, admin.port, admin.user, admin.password, schema="assignment"
    )
    try:
        PostgresAggregateRecorder(
            datastore, events_table_name="assignment_snapshots"
        ).create_table()
    finally:
        datastore.close()
    _append_only(conn, "assignment", "assignment_snapshots")
    conn.execute(
        sql.SQL("GRANT SELECT, INSERT ON assignment.assignment_snapshots TO {}").format(app_role)
    )


def _item_list_filters(conn: psycopg.Connection, settings: Settings) -> None:
    """Counting a source's open or overdue items (a list's total) from an index alone."""
    conn.execute("CREATE INDEX items_source_overdue ON reporting.items (source, overdue)")


MIGRATIONS: list[tuple[int, str, Step]] = [
    (1, "roles and schemas", _roles_and_schemas),
    (2, "append-only chained event stores", _event_stores),
    (3, "deadline due index", _deadline_index),
    (4, "reference data, read models, users, manual clock", _reference_and_read_models),
    (5, "reminders, escalation and extensions", _reminders_escalation_extensions),
    (6, "every source's details, answers and satisfaction", _sources_and_answers),
    (7, "snapshots of the notice register", _notice_register_snapshots),
    (8, "item list filters by source and overdue", _item_list_filters),
]


def migrate(settings: Settings) -> list[int]:
    """Apply pending migrations; returns the versions applied by this call."""
    ensure_database(settings)
    admin = DatabaseAddress.parse(settings.database_admin_url)
    applied: list[int] = []
    with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS public.schema_migrations ("
                " version int PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r[0] for r in conn.execute("SELECT version FROM public.schema_migrations")}
            for version, name, step in MIGRATIONS:
                if version in done:
                    continue
                with conn.transaction():
                    step(conn, settings)
                    conn.execute(
                        "INSERT INTO public.schema_migrations (version, name) VALUES (%s, %s)",
                        (version, name),
                    )
                log.info("applied migration %s: %s", version, name)
                applied.append(version)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
    return applied


def pending(settings: Settings) -> list[int]:
    with psycopg.connect(DatabaseAddress.parse(settings.database_url).conninfo()) as conn:
        done = {r[0] for r in conn.execute("SELECT version FROM public.schema_migrations")}
    return [v for v, _, _ in MIGRATIONS if v not in done]


def main() -> None:
    argparse.ArgumentParser(description="Apply the database migrations.").parse_args()
    logging.basicConfig(level=logging.INFO)
    print("applied:", migrate(Settings.from_env()) or "nothing, already current")


if __name__ == "__main__":
    main()
