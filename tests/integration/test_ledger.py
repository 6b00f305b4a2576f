"""The record cannot be quietly changed: append-only tables and the SM3 hash chain."""

from __future__ import annotations

import json
import subprocess
import sys

import psycopg
import pytest

from deploy.stack import Stack
from tests.client import Client

pytestmark = pytest.mark.integration


@pytest.fixture
def closed_item(supervisor: Client) -> dict:
    item = supervisor.register(title="账本测试")
    supervisor.assign(item["id"], "finance")
    return item


def test_the_service_role_cannot_update_delete_or_truncate_events(
    app_conninfo: str, closed_item: dict
):
    for statement in (
        "UPDATE assignment.assignment_events SET topic = topic WHERE originator_id = %s",
        "DELETE FROM assignment.assignment_events WHERE originator_id = %s",
        "TRUNCATE assignment.assignment_events",
    ):
        with (
            psycopg.connect(app_conninfo) as conn,
            pytest.raises(psycopg.errors.InsufficientPrivilege),
        ):
            conn.execute(statement, (closed_item["id"],) if "%s" in statement else ())


def test_the_trigger_refuses_an_update_even_by_the_owner(admin_conninfo: str, closed_item: dict):
    with (
        psycopg.connect(admin_conninfo) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege) as e,
    ):
        conn.execute(
            "UPDATE assignment.assignment_events SET state = state WHERE originator_id = %s",
            (closed_item["id"],),
        )
    assert "append-only" in str(e.value)
    with (
        psycopg.connect(admin_conninfo) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("TRUNCATE intake.intake_events")


def test_the_verifier_names_the_first_tampered_event(
    stack: Stack, supervisor: Client, admin_conninfo: str, closed_item: dict
):
    assert supervisor.get("/api/v1/ledger/verify").json()["ok"] is True
    table = "assignment.assignment_events"
    with psycopg.connect(admin_conninfo, autocommit=True) as conn:
        original = conn.execute(
            f"SELECT state FROM {table} WHERE originator_id = %s AND originator_version = 2",
            (closed_item["id"],),
        ).fetchone()[0]
        forged = bytes(original).replace(b'"finance"', b'"health"')
        assert forged != bytes(original)
        # The only way left: as superuser, with the trigger switched off.
        conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER refuse_update_delete")
        conn.execute(
            f"UPDATE {table} SET state = %s WHERE originator_id = %s AND originator_version = 2",
            (forged, closed_item["id"]),
        )
        conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER refuse_update_delete")
    try:
        report = supervisor.get("/api/v1/ledger/verify").json()
        assert report["ok"] is False
        assert report["broken"]["assignment"] == [
            {"item_id": closed_item["id"], "version": 2, "reason": "hash mismatch"}
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
                "WHERE originator_id = %s AND originator_version = 2",
                (original, closed_item["id"]),
            )
            conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER refuse_update_delete")
    assert supervisor.get("/api/v1/ledger/verify").json()["ok"] is True
