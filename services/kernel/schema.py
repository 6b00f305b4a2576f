"""What the kernel creates in the database, and the helpers a component creates its own with.

Services connect as a separate application role that may SELECT and INSERT events but never
UPDATE, DELETE or TRUNCATE them; a trigger refuses those even to the owner.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import Mapper
from eventsourcing.postgres import PostgresAggregateRecorder, PostgresDatastore
from psycopg import sql
from psycopg.rows import dict_row

from services.kernel.config import DatabaseAddress, Settings
from services.kernel.migrations import HISTORY, KERNEL, Migration, app_role
from services.kernel.store import ChainedRecorder, transcoder


def create_schema(conn: psycopg.Connection, settings: Settings, schema: str) -> None:
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    conn.execute(
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), app_role(settings))
    )


def append_only(conn: psycopg.Connection, schema: str, table: str) -> None:
    ident = sql.Identifier(schema, table)
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


class _Offline(PostgresDatastore):
    """Names the schema in a recorder's CREATE statements; never connects (the library would
    fetch its composite type on a connection of its own)."""

    def __init__(self, schema: str) -> None:
        super().__init__("", "", "", "", "", schema=schema)

    def register_type_adapters(self) -> None:
        """Nothing to register: no statement runs through this datastore."""


def _library_tables(conn: psycopg.Connection, recorder: PostgresAggregateRecorder) -> None:
    """The eventsourcing library's tables, on the step's connection (inside its transaction).
    Its composite type is one per schema, shared by the schema's recorders."""
    type_exists = conn.execute(
        "SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
        " WHERE n.nspname = %s AND t.typname = %s",
        (recorder.datastore.schema, recorder.stored_event_type_name),
    ).fetchone()
    for statement in recorder.sql_create_statements:
        if not (type_exists and "CREATE TYPE" in statement.as_string()):
            conn.execute(statement)


def event_store(conn: psycopg.Connection, settings: Settings, schema: str) -> None:
    """A service's chained, append-only event store in its own schema: the library's events
    table `<schema>_events` with each event's chain hash, the processed-message record and
    the outbox position; the services' role may only read and add events."""
    table = f"{schema}_events"
    _library_tables(conn, ChainedRecorder(_Offline(schema), events_table_name=table))
    s = sql.Identifier(schema)
    conn.execute(
        sql.SQL("ALTER TABLE {} ADD COLUMN chain_hash bytea NOT NULL").format(
            sql.Identifier(schema, table)
        )
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
    append_only(conn, schema, table)
    append_only(conn, schema, "processed_messages")
    role = app_role(settings)
    conn.execute(
        sql.SQL("GRANT SELECT, INSERT ON {}, {}.processed_messages TO {}").format(
            sql.Identifier(schema, table), s, role
        )
    )
    conn.execute(
        sql.SQL("GRANT SELECT, INSERT, UPDATE ON {}.outbox_position TO {}").format(s, role)
    )
    conn.execute(sql.SQL("GRANT USAGE ON ALL SEQUENCES IN SCHEMA {} TO {}").format(s, role))


def outbox_unpublished(conn: psycopg.Connection, settings: Settings, schema: str) -> None:
    """Where a service's outbox relay records each stored event it skipped because it does
    not fit its contract (see services.kernel.outbox); kept, never changed."""
    s = sql.Identifier(schema)
    conn.execute(
        sql.SQL(
            "CREATE TABLE {}.outbox_unpublished ("
            " position bigint PRIMARY KEY, stream_id uuid NOT NULL,"
            " stream_version bigint NOT NULL, type text NOT NULL, error text NOT NULL,"
            " recorded_at timestamptz NOT NULL DEFAULT now())"
        ).format(s)
    )
    append_only(conn, schema, "outbox_unpublished")
    conn.execute(
        sql.SQL("GRANT SELECT, INSERT ON {}.outbox_unpublished TO {}").format(s, app_role(settings))
    )


def append_events(conn: psycopg.Connection, schema: str, events: Sequence[Any]) -> None:
    """Domain events a migration step records (what was kept before the event store existed,
    carried over), chained like every other, in the step's transaction."""
    if not events:
        return
    mapper = Mapper(transcoder=transcoder())
    recorder = ChainedRecorder(_Offline(schema), events_table_name=f"{schema}_events")
    with conn.cursor(row_factory=dict_row) as curs:
        recorder._insert_stored_events(curs, [mapper.to_stored_event(e) for e in events])


def snapshot_store(conn: psycopg.Connection, settings: Settings, schema: str, table: str) -> None:
    """The library's snapshot table for an application's long-lived aggregates, append-only."""
    _library_tables(conn, PostgresAggregateRecorder(_Offline(schema), events_table_name=table))
    append_only(conn, schema, table)
    conn.execute(
        sql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(
            sql.Identifier(schema, table), app_role(settings)
        )
    )


def _kernel(conn: psycopg.Connection, settings: Settings) -> None:
    """The services' role, the append-only trigger function and the manual clock's row."""
    app = DatabaseAddress.parse(settings.database_url)
    role = app_role(settings)
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (app.user,)).fetchone()
    if not exists:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(role, sql.Literal(app.password))
        )
    conn.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(sql.SQL(HISTORY), role))
    conn.execute(
        """
        CREATE FUNCTION public.refuse_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'append-only table %.%: % refused (记录不可更改)',
                TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$;
        """
    )
    create_schema(conn, settings, "clock")
    conn.execute(
        "CREATE TABLE clock.manual_time (id int PRIMARY KEY CHECK (id = 1), now_utc timestamptz)"
    )
    conn.execute(sql.SQL("GRANT SELECT, INSERT, UPDATE ON clock.manual_time TO {}").format(role))


MIGRATIONS = [
    Migration(KERNEL, 1, "services' role, append-only trigger, manual clock", _kernel, (1, 4)),
]
