"""The record cannot be quietly changed: append-only tables and the SM3 hash chain."""

from __future__ import annotations

import json
import subprocess
import sys

import psycopg
import pytest

from deploy.stack import Stack
from services.kernel.config import DatabaseAddress
from tests.client import Client

pytestmark = pytest.mark.integration


@pytest.fixture
def closed_item(supervisor: Client) -> dict:
    item = supervisor.register(title="账本测试")
    supervisor.assign(item["id"], "finance")
    return item


# Every append-only table: each service's and the gateway's events and processed messages,
# assignment's snapshots of the notice register, and the gateway's login record.
STORES = ("intake", "assignment", "deadline", "reporting", "gateway")
GUARDED = {
    *((s, f"{s}_events") for s in STORES),
    *((s, "processed_messages") for s in STORES),
    *((s, "outbox_unpublished") for s in STORES if s != "gateway"),
    ("assignment", "assignment_snapshots"),
    ("gateway", "logins"),
}
PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


def test_the_services_role_may_only_read_and_append_the_guarded_tables(
    settings, admin_conninfo: str
):
    role = DatabaseAddress.parse(settings.database_url).user
    with psycopg.connect(admin_conninfo) as conn:
        for schema, table in sorted(GUARDED):
            held = {
                p
                for p in PRIVILEGES
                if conn.execute(
                    "SELECT has_table_privilege(%s, %s, %s)", (role, f"{schema}.{table}", p)
                ).fetchone()[0]
            }
            assert held == {"SELECT", "INSERT"}, (schema, table, held)


def test_every_guarded_table_refuses_update_delete_and_truncate_even_to_its_owner(
    admin_conninfo: str,
):
    with psycopg.connect(admin_conninfo) as conn:
        triggered = {
            (schema, table)
            for schema, table in conn.execute(
                "SELECT n.nspname, c.relname FROM pg_trigger t"
                " JOIN pg_class c ON c.oid = t.tgrelid"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE t.tgname IN ('refuse_update_delete', 'refuse_truncate')"
                " GROUP BY 1, 2 HAVING count(*) = 2"
            )
        }
        assert triggered == GUARDED
        for schema, table in sorted(GUARDED):
            name = f"{schema}.{table}"
            # a row of our own, inside a transaction that is rolled back: the row-level
            # trigger needs a row to fire on, and the record must not keep it
            with conn.transaction(force_rollback=True):
                columns = conn.execute(
                    "SELECT column_name, data_type FROM information_schema.columns"
                    " WHERE table_schema = %s AND table_name = %s AND column_default IS NULL"
                    " AND is_identity = 'NO'",
                    (schema, table),
                ).fetchall()
                values = [SAMPLE[data_type] for _, data_type in columns]
                conn.execute(
                    f"INSERT INTO {name} ({', '.join(c for c, _ in columns)})"
                    f" VALUES ({', '.join(['%s'] * len(values))})",
                    values,
                )
                for statement in (
                    f"UPDATE {name} SET {columns[0][0]} = {columns[0][0]}",
                    f"DELETE FROM {name}",
                    f"TRUNCATE {name}",
                ):
                    with (
                        pytest.raises(psycopg.errors.InsufficientPrivilege) as refused,
                        conn.transaction(),
                    ):
                        conn.execute(statement)
                    assert "append-only" in str(refused.value), statement


SAMPLE = {
    "uuid": "00000000-0000-0000-0000-000000000001",
    "bigint": 1,
    "text": "test",
    "bytea": b"x",
    "timestamp with time zone": "2026-01-01T00:00:00Z",
}


def test_the_verifier_names_the_first_tampered_event(
    stack: Stack, supervisor: Client, admin_conninfo: str, closed_item: dict
):
    assert supervisor.get("/api/v1/ledger/verify").json()["ok"] is True
    table = "assignment.assignment_events"
    with psycopg.connect(admin_conninfo, autocommit=True) as conn:
        original = conn.execute(
            f"SELECT state FROM {table} WHERE originator_id = %s AND originator_version = 3",
            (closed_item["id"],),
        ).fetchone()[0]
        forged = bytes(original).replace(b'"finance"', b'"health"')
        assert forged != bytes(original)
        # The only way left: as superuser, with the trigger switched off.
        conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER refuse_update_delete")
        conn.execute(
            f"UPDATE {table} SET state = %s WHERE originator_id = %s AND originator_version = 3",
            (forged, closed_item["id"]),
        )
        conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER refuse_update_delete")
    try:
        report = supervisor.get("/api/v1/ledger/verify").json()
        assert report["ok"] is False
        assert report["broken"]["assignment"] == [
            {"item_id": closed_item["id"], "version": 3, "reason": "hash mismatch"}
        ]
        cli = subprocess.run(
            [sys.executable, "-m", "services.kernel.verify"],
            env=stack.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert cli.returncode == 1
        assert json.loads(cli.stdout)["broken"]["assignment"][0]["item_id"] == closed_item["id"]
    finally:
        with psycopg.connect(admin_conninfo, autocommit=True) as conn:
            conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER refuse_update_delete")
            conn.execute(
                f"UPDATE {table} SET state = %s "
                "WHERE originator_id = %s AND originator_version = 3",
                (original, closed_item["id"]),
            )
            conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER refuse_update_delete")
    assert supervisor.get("/api/v1/ledger/verify").json()["ok"] is True
