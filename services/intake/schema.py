"""Intake's tables: its event store."""

from __future__ import annotations

import psycopg

from services.kernel.config import Settings
from services.kernel.migrations import Migration
from services.kernel.schema import create_schema, event_store, outbox_unpublished


def _intake(conn: psycopg.Connection, settings: Settings) -> None:
    create_schema(conn, settings, "intake")
    event_store(conn, settings, "intake")


def _unpublished(conn: psycopg.Connection, settings: Settings) -> None:
    outbox_unpublished(conn, settings, "intake")


MIGRATIONS = [
    Migration("intake", 1, "event store", _intake, (1, 2)),
    Migration("intake", 2, "events the outbox relay skipped", _unpublished),
]
