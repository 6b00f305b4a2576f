"""Command-line ledger verifier: walks every item's hash chain in every service's store.

python -m services.kernel.verify        (exit 1 and the first break of each broken stream)
"""

from __future__ import annotations

import json
import sys

import psycopg
from psycopg import sql

from services.kernel.config import DatabaseAddress, Settings
from services.kernel.ledger import StoredRow, verify_rows
from services.kernel.migrations import EVENT_STORE_SCHEMAS


def verify_schema(conn: psycopg.Connection, schema: str) -> list[dict[str, object]]:
    rows = conn.execute(
        sql.SQL(
            "SELECT originator_id, originator_version, topic, state, chain_hash FROM {}.{} "
            "ORDER BY originator_id, originator_version"
        ).format(sql.Identifier(schema), sql.Identifier(f"{schema}_events"))
    )
    return [
        b.as_dict()
        for b in verify_rows(StoredRow(r[0], r[1], r[2], bytes(r[3]), r[4]) for r in rows)
    ]


def main() -> int:
    settings = Settings.from_env()
    with psycopg.connect(DatabaseAddress.parse(settings.database_url).conninfo()) as conn:
        report = {schema: verify_schema(conn, schema) for schema in EVENT_STORE_SCHEMAS}
    ok = not any(report.values())
    print(json.dumps({"ok": ok, "broken": report}, ensure_ascii=False, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
