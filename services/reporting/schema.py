"""Reporting's tables: its event store (what it has processed) and the item read model."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql

from services.kernel.config import Settings
from services.kernel.contracts import ItemReceived
from services.kernel.eventlog import events_of
from services.kernel.migrations import Migration, app_role
from services.kernel.schema import create_schema, event_store, outbox_unpublished
from services.reporting.search import searchable


def _reporting(conn: psycopg.Connection, settings: Settings) -> None:
    create_schema(conn, settings, "reporting")
    event_store(conn, settings, "reporting")
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
            updated_at timestamptz NOT NULL,
            original_due_date date,
            extended boolean NOT NULL DEFAULT false,
            reminders integer NOT NULL DEFAULT 0,
            escalation_level integer NOT NULL DEFAULT 0,
            penalty text,
            notice_number text,
            group_key text,
            details jsonb NOT NULL DEFAULT '{}',
            answer text,
            reported_to text,
            reply_class text,
            satisfaction text,
            reopened boolean NOT NULL DEFAULT false,
            progress_reports integer NOT NULL DEFAULT 0,
            co_unit_opinions integer NOT NULL DEFAULT 0,
            co_unit_due_date date,
            return_by date,
            indicator_month text,
            indicator_value double precision,
            indicator_gap double precision
        )
        """
    )
    for column in ("status", "lead_unit", "source", "due_at", "registered_at", "group_key"):
        conn.execute(
            sql.SQL("CREATE INDEX {} ON reporting.items ({})").format(
                sql.Identifier(f"items_{column}"), sql.Identifier(column)
            )
        )
    conn.execute("CREATE INDEX items_co_units ON reporting.items USING gin (co_units)")
    conn.execute("CREATE INDEX items_overdue ON reporting.items (overdue) WHERE overdue")
    # a source's open or overdue items counted (a list's total) from the index alone
    conn.execute("CREATE INDEX items_source_overdue ON reporting.items (source, overdue)")
    conn.execute(
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON reporting.items TO {}").format(
            app_role(settings)
        )
    )


def _who_may_see(conn: psycopg.Connection, settings: Settings) -> None:
    """Which units an item has ever reached (a handler sees it while its unit is or was lead
    or co-unit), and which items each evidence file is attached to. Rows made before this step
    know only their current units; `python -m services.reporting.rebuild` fills the rest."""
    conn.execute(
        "ALTER TABLE reporting.items ADD COLUMN units_involved text[] NOT NULL DEFAULT '{}'"
    )
    conn.execute(
        "UPDATE reporting.items SET units_involved ="
        " array(SELECT DISTINCT u FROM unnest(co_units || lead_unit) AS u WHERE u IS NOT NULL)"
    )
    conn.execute("CREATE INDEX items_units_involved ON reporting.items USING gin (units_involved)")
    conn.execute(
        "CREATE TABLE reporting.evidence ("
        " sha text NOT NULL, item_id uuid NOT NULL, PRIMARY KEY (sha, item_id))"
    )
    conn.execute(
        sql.SQL("GRANT SELECT, INSERT, DELETE ON reporting.evidence TO {}").format(
            app_role(settings)
        )
    )


def _rules_of_the_first_year(conn: psycopg.Connection, settings: Settings) -> None:
    """What the office works from: overdue now and ever (and whose), the office's own time to
    assign, signing, pending extensions, every month's indicator figure, merges."""
    conn.execute(
        "ALTER TABLE reporting.items"
        " ADD COLUMN was_overdue boolean NOT NULL DEFAULT false,"
        " ADD COLUMN overdue_unit text,"
        " ADD COLUMN dispatch_due_date date,"
        " ADD COLUMN assigned_on date,"
        " ADD COLUMN unsigned_reminded boolean NOT NULL DEFAULT false,"
        " ADD COLUMN extension_requested date,"
        " ADD COLUMN indicator_figures jsonb NOT NULL DEFAULT '{}',"
        " ADD COLUMN merged_into uuid,"
        " ADD COLUMN escalated_to text"
    )
    conn.execute("UPDATE reporting.items SET was_overdue = overdue")
    conn.execute(
        "UPDATE reporting.items SET indicator_figures ="
        " jsonb_build_object(indicator_month, indicator_value) WHERE indicator_month IS NOT NULL"
    )
    conn.execute(
        "ALTER TABLE reporting.items DROP COLUMN indicator_month,"
        " DROP COLUMN indicator_value, DROP COLUMN indicator_gap"
    )
    conn.execute(
        "CREATE INDEX items_extension_requested ON reporting.items (extension_requested)"
        " WHERE extension_requested IS NOT NULL"
    )
    conn.execute("CREATE INDEX items_due_date ON reporting.items (due_date)")


def _work_lists(conn: psycopg.Connection, settings: Settings) -> None:
    """The lists the office works from: search by text in title and content (each item's
    bigrams, see search.py), by every notice number an item was sent with, by external
    reference, escalated items. Filled from the item events that carry what they need
    (ItemReceived, Assigned, Reassigned), not by replaying the whole log."""
    conn.execute(
        "CREATE TABLE reporting.item_search ("
        " item_id uuid PRIMARY KEY, keys text[] NOT NULL, body text NOT NULL)"
    )
    conn.execute(
        "ALTER TABLE reporting.items ADD COLUMN notice_numbers text[] NOT NULL DEFAULT '{}'"
    )
    texts: list[tuple[Any, ...]] = []
    notices: list[tuple[UUID, str]] = []
    for envelope in events_of(conn, "assignment", ("ItemReceived", "Assigned", "Reassigned")):
        contract = envelope.contract()
        if isinstance(contract, ItemReceived):
            texts.append((envelope.item_id, *searchable(contract.title, contract.content)))
            if len(texts) == 1000:  # written between two fetches of the log's cursor
                _copy(conn, texts)
                texts = []
        elif number := getattr(contract, "notice_number", None):
            notices.append((envelope.item_id, number))
    _copy(conn, texts)
    conn.execute(
        "UPDATE reporting.items i SET notice_numbers = n.numbers FROM"
        " (SELECT item_id, array_agg(DISTINCT number) AS numbers"
        "  FROM unnest(%s::uuid[], %s::text[]) AS t (item_id, number) GROUP BY item_id) n"
        " WHERE i.item_id = n.item_id",
        ([i for i, _ in notices], [n for _, n in notices]),
    )
    # built after the rows are in (faster than row by row); without a pending list, so a
    # search never wades through one
    conn.execute(
        "CREATE INDEX item_search_keys ON reporting.item_search USING gin (keys)"
        " WITH (fastupdate = off)"
    )
    conn.execute("CREATE INDEX items_notice_numbers ON reporting.items USING gin (notice_numbers)")
    conn.execute(
        "CREATE INDEX items_external_ref ON reporting.items (external_ref)"
        " WHERE external_ref IS NOT NULL"
    )
    conn.execute(
        "CREATE INDEX items_escalated ON reporting.items (escalation_level)"
        " WHERE escalation_level > 0"
    )
    conn.execute(
        sql.SQL("GRANT SELECT, INSERT, DELETE ON reporting.item_search TO {}").format(
            app_role(settings)
        )
    )


def _inspections(conn: psycopg.Connection, settings: Settings) -> None:
    """The ledger's filters and figures (a finding's campaign and severity, rejections, on-time
    rectification) and the campaigns a unit may see once a finding is issued to it."""
    conn.execute(
        "ALTER TABLE reporting.items"
        " ADD COLUMN campaign_id uuid,"
        " ADD COLUMN severity text,"
        " ADD COLUMN returns integer NOT NULL DEFAULT 0,"
        " ADD COLUMN feedback_on_time boolean,"
        " ADD COLUMN rectified boolean NOT NULL DEFAULT false"
    )
    conn.execute(
        "UPDATE reporting.items SET campaign_id = (details->>'campaign_id')::uuid,"
        " severity = details->>'severity' WHERE details ? 'campaign_id'"
    )
    conn.execute("CREATE INDEX items_campaign ON reporting.items (campaign_id)")
    conn.execute(
        """
        CREATE TABLE reporting.campaigns (
            campaign_id uuid PRIMARY KEY,
            version bigint NOT NULL,
            kind text NOT NULL,
            year integer NOT NULL,
            month integer,
            title text NOT NULL,
            upper_level text,
            status text NOT NULL,
            plan jsonb NOT NULL,
            visits integer NOT NULL DEFAULT 0,
            findings integer NOT NULL DEFAULT 0,
            issued integer NOT NULL DEFAULT 0,
            units_issued text[] NOT NULL DEFAULT '{}',
            planned_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        )
        """
    )
    conn.execute("CREATE INDEX campaigns_year ON reporting.campaigns (year)")
    conn.execute(
        "CREATE INDEX campaigns_units_issued ON reporting.campaigns USING gin (units_issued)"
    )
    conn.execute(
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON reporting.campaigns TO {}").format(
            app_role(settings)
        )
    )


def _copy(conn: psycopg.Connection, texts: list[tuple[Any, ...]]) -> None:
    with (
        conn.cursor() as cursor,
        cursor.copy("COPY reporting.item_search (item_id, body, keys) FROM STDIN") as copy,
    ):
        for row in texts:
            copy.write_row(row)


def _unpublished(conn: psycopg.Connection, settings: Settings) -> None:
    outbox_unpublished(conn, settings, "reporting")


MIGRATIONS = [
    Migration("reporting", 1, "event store, item read model", _reporting, (1, 2, 4, 5, 6, 8)),
    Migration("reporting", 2, "units that may see an item; evidence by item", _who_may_see),
    Migration("reporting", 3, "what the office works from", _rules_of_the_first_year),
    Migration("reporting", 4, "search by text, notice number and reference", _work_lists),
    Migration("reporting", 5, "the inspection ledger and campaigns", _inspections),
    Migration("reporting", 6, "events the outbox relay skipped", _unpublished),
]
