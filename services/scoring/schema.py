"""Scoring's tables: its event store and each item's facts (the read model quarters are
scored from, rebuilt from the item events by `python -m services.scoring.rebuild`)."""

from __future__ import annotations

import psycopg
from psycopg import sql

from services.kernel.config import Settings
from services.kernel.migrations import Migration, app_role
from services.kernel.schema import create_schema, event_store


def _scoring(conn: psycopg.Connection, settings: Settings) -> None:
    create_schema(conn, settings, "scoring")
    event_store(conn, settings, "scoring")
    # An item's facts in stream order ([version, type, date, fields] each); `first_on` and
    # `last_on` bound the days they happened, `open` while lateness may still run.
    conn.execute(
        """
        CREATE TABLE scoring.item_facts (
            item_id uuid PRIMARY KEY,
            version bigint NOT NULL,
            facts jsonb NOT NULL,
            first_on date NOT NULL,
            last_on date NOT NULL,
            open boolean NOT NULL
        )
        """
    )
    conn.execute("CREATE INDEX item_facts_first_on ON scoring.item_facts (first_on)")
    conn.execute(
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON scoring.item_facts TO {}").format(
            app_role(settings)
        )
    )


MIGRATIONS = [Migration("scoring", 1, "event store, item facts", _scoring)]
