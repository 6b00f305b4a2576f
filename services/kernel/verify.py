"""Command-line ledger verifier: walks every item's hash chain in every event store.

python -m services.kernel.verify        (exit 1 and the first break of each broken stream, and
                                         each stored event the outbox relay could not publish)
"""

from __future__ import annotations

import json
import sys

import psycopg
from psycopg import sql

from services.kernel.config import DatabaseAddress, Settings
from services.kernel.ledger import StoredRow, verify_rows


def event_stores(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """Every chained event store the connection's role can read: (schema, table)."""
    rows = conn.execute(
        "SELECT table_schema, table_name FROM information_schema.columns"
        " WHERE column_name = 'chain_hash' ORDER BY table_schema, table_name"
    )
    return [(r[0], r[1]) for r in rows]


def verify_store(conn: psycopg.Connection, schema: str, table: str) -> list[dict[str, object]]:
    rows = conn.execute(
        sql.SQL(
            "SELECT originator_id, originator_version, topic, state, chain_hash FROM {} "
            "ORDER BY originator_id, originator_version"
        ).format(sql.Identifier(schema, table))
    )
    return [
        b.as_dict()
        for b in verify_rows(StoredRow(r[0], r[1], r[2], bytes(r[3]), r[4]) for r in rows)
    ]


def verify_all(conn: psycopg.Connection) -> dict[str, list[dict[str, object]]]:
    """Each event store's broken streams, by schema."""
    return {schema: verify_store(conn, schema, table) for schema, table in event_stores(conn)}


def unpublished_all(conn: psycopg.Connection) -> dict[str, list[dict[str, object]]]:
    """Each service's stored events its outbox relay skipped (they do not fit their
    contract), by schema: kept in the ledger, not yet shared with the other services."""
    schemas = conn.execute(
        "SELECT table_schema FROM information_schema.tables"
        " WHERE table_name = 'outbox_unpublished' ORDER BY table_schema"
    ).fetchall()
    return {
        schema: [
            {"position": p, "item": str(s), "version": v, "type": t, "error": e}
            for p, s, v, t, e in conn.execute(
                sql.SQL(
                    "SELECT position, stream_id, stream_version, type, error FROM {}"
                    " ORDER BY position"
                ).format(sql.Identifier(schema, "outbox_unpublished"))
            )
        ]
        for (schema,) in schemas
    }


def main() -> int:
    settings = Settings.from_env()
    with psycopg.connect(DatabaseAddress.parse(settings.database_url).conninfo()) as conn:
        report = verify_all(conn)
        unpublished = unpublished_all(conn)
    ok = not any(report.values()) and not any(unpublished.values())
    print(
        json.dumps(
            {"ok": ok, "broken": report, "unpublished": unpublished}, ensure_ascii=False, indent=2
        )
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
