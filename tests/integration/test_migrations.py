"""Each component's migrations: a new database, a second run, and a database made by the
single-list migrations of commit 441924d upgraded in place (tests/fixtures/schema_441924d.sql)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
import pytest
from psycopg import sql

from deploy.migrate import MIGRATIONS
from deploy.stack import isolated_env
from gateway.users import user_id
from services.assignment.application import Assignment
from services.assignment.domain import Item
from services.kernel.clock import SystemClock
from services.kernel.config import DatabaseAddress, Settings
from services.kernel.migrations import Migration, MigrationRefused, migrate, pending
from services.kernel.store import store_env
from services.kernel.verify import verify_all
from services.reporting.search import searchable

FIXTURE = Path(__file__).parent.parent / "fixtures" / "schema_441924d.sql"

# What a schema is made of, each as sorted rows, for every schema but the system's.
USER_SCHEMAS = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
CATALOG = {
    "schemas": f"SELECT n.nspname, n.nspacl::text FROM pg_namespace n WHERE {USER_SCHEMAS}",
    "relations": "SELECT n.nspname, c.relname, c.relkind, c.reloptions::text, c.relacl::text"
    f" FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {USER_SCHEMAS}",
    "columns": "SELECT n.nspname, c.relname, a.attnum, a.attname,"
    " format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid)"
    " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
    f" WHERE {USER_SCHEMAS} AND a.attnum > 0 AND NOT a.attisdropped",
    "constraints": "SELECT n.nspname, c.relname, k.conname, pg_get_constraintdef(k.oid)"
    " FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
    f" JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {USER_SCHEMAS}",
    "indexes": "SELECT n.nspname, i.indexname, i.indexdef FROM pg_indexes i"
    f" JOIN pg_namespace n ON n.nspname = i.schemaname WHERE {USER_SCHEMAS}",
    "sequences": "SELECT schemaname, sequencename, data_type::text, start_value, increment_by"
    " FROM pg_sequences",
    "types": "SELECT n.nspname, t.typname, t.typtype FROM pg_type t"
    f" JOIN pg_namespace n ON n.oid = t.typnamespace WHERE {USER_SCHEMAS}",
    "triggers": "SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t WHERE NOT t.tgisinternal",
    "functions": "SELECT n.nspname, p.proname, pg_get_functiondef(p.oid), p.proacl::text"
    f" FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE {USER_SCHEMAS}",
}


def schema_of(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(DatabaseAddress.parse(settings.database_admin_url).conninfo()) as conn:
        return {name: sorted(conn.execute(query).fetchall()) for name, query in CATALOG.items()}


def history(settings: Settings) -> dict[tuple[str, int], tuple[datetime, list[int] | None]]:
    with psycopg.connect(DatabaseAddress.parse(settings.database_admin_url).conninfo()) as conn:
        rows = conn.execute(
            "SELECT component, version, applied_at, replaces FROM public.applied_migrations"
        )
        return {(r[0], r[1]): (r[2], r[3]) for r in rows}


@pytest.fixture(scope="module")
def new() -> Iterator[tuple[dict[str, str], list[Migration]]]:
    """A new database, migrated once: its settings, and the steps that run applied."""
    with isolated_env("sv_migrate") as env:
        yield env, migrate(Settings.from_env(env), MIGRATIONS)


@contextmanager
def made_by_441924d(env: dict[str, str]) -> Iterator[Settings]:
    """A second database, as the migrations of commit 441924d left it, for the same role."""
    settings = Settings.from_env(
        {
            **env,
            "DATABASE_URL": env["DATABASE_URL"] + "_old",
            "DATABASE_ADMIN_URL": env["DATABASE_ADMIN_URL"] + "_old",
        }
    )
    admin = DatabaseAddress.parse(settings.database_admin_url)
    role = DatabaseAddress.parse(settings.database_url).user
    maintenance = DatabaseAddress(admin.host, admin.port, "postgres", admin.user, admin.password)
    name = sql.Identifier(admin.dbname)
    with psycopg.connect(maintenance.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
    try:
        with psycopg.connect(admin.conninfo()) as conn:
            conn.execute(FIXTURE.read_text().replace("__APP_ROLE__", role).encode())
        yield settings
    finally:
        with psycopg.connect(maintenance.conninfo(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(name))


def test_a_new_database_gets_every_step_once(new: tuple[dict[str, str], list[Migration]]):
    env, applied = new
    settings = Settings.from_env(env)
    assert applied == MIGRATIONS
    assert migrate(settings, MIGRATIONS) == []
    assert set(history(settings)) == {(m.component, m.version) for m in MIGRATIONS}
    assert pending(settings, MIGRATIONS) == []
    # code that expects a step the database lacks (a newer release before its migration ran)
    ahead = Migration("reporting", 99, "a newer read model", lambda conn, settings: None)
    assert pending(settings, [*MIGRATIONS, ahead]) == ["reporting 99: a newer read model"]


def test_a_database_made_by_the_single_list_is_upgraded_in_place(
    new: tuple[dict[str, str], list[Migration]],
):
    env, _ = new
    with made_by_441924d(env) as old:
        with psycopg.connect(DatabaseAddress.parse(old.database_admin_url).conninfo()) as conn:
            before = dict(conn.execute("SELECT version, applied_at FROM public.schema_migrations"))
        assert sorted(before) == list(range(1, 9))

        # what the old list made is recorded, not run again; only steps added since run
        assert migrate(old, MIGRATIONS) == [m for m in MIGRATIONS if not m.replaces]

        carried = history(old)
        assert {v: carried[("schema_migrations", v)] for v in before} == {
            v: (at, None) for v, at in before.items()
        }
        for m in (m for m in MIGRATIONS if m.replaces):
            assert carried[(m.component, m.version)] == (
                max(before[v] for v in m.replaces),
                list(m.replaces),
            ), m
        assert schema_of(old) == schema_of(Settings.from_env(env))


def test_a_partly_applied_single_list_is_refused_and_left_as_it_was(
    new: tuple[dict[str, str], list[Migration]],
):
    env, _ = new
    with made_by_441924d(env) as old:
        with psycopg.connect(DatabaseAddress.parse(old.database_admin_url).conninfo()) as conn:
            conn.execute("DELETE FROM public.schema_migrations WHERE version = 8")
        with pytest.raises(MigrationRefused, match="upgrade with the previous release first"):
            migrate(old, MIGRATIONS)
        with psycopg.connect(DatabaseAddress.parse(old.database_admin_url).conninfo()) as conn:
            tables = conn.execute(
                "SELECT to_regclass('public.schema_migrations') IS NOT NULL,"
                " to_regclass('public.applied_migrations') IS NOT NULL"
            ).fetchone()
        assert tables == (True, False)


def test_the_users_of_a_database_made_by_the_single_list_become_events(
    new: tuple[dict[str, str], list[Migration]],
):
    env, _ = new
    with made_by_441924d(env) as old:
        conninfo = DatabaseAddress.parse(old.database_admin_url).conninfo()
        with psycopg.connect(conninfo) as conn:
            conn.execute(
                "INSERT INTO gateway.users VALUES ('handler-water', '县水务局联络员', 'handler',"
                " 'water', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g')"
            )

        migrate(old, MIGRATIONS)

        with psycopg.connect(conninfo) as conn:
            events = conn.execute(
                "SELECT originator_id, originator_version, topic, state FROM gateway.gateway_events"
            ).fetchall()
            row = conn.execute(
                "SELECT role, unit_code, disabled, session_epoch FROM gateway.users"
            ).fetchall()
            assert verify_all(conn)["gateway"] == []
    [(stream, version, topic, state)] = events
    assert (stream, version, topic) == (
        user_id("handler-water"),
        1,
        "gateway.users:UserAccount.Created",
    )
    created = json.loads(state)
    assert created["actor"]["user"] == "system:migration"
    assert created["unit"] == "water"
    assert created["password_hash"].startswith("$argon2id$v=19$m=65536")
    assert row == [("handler", "water", False, 0)]


def test_search_and_notice_numbers_are_filled_from_the_item_events_already_stored():
    """A database with items from before the search step: the step reads their ItemReceived,
    Assigned and Reassigned events (not the whole log) into the search table and the items'
    notice numbers."""
    office = {"user": "supervisor", "role": "supervisor", "unit": None}
    now, today = datetime(2026, 9, 28, 2, tzinfo=UTC), date(2026, 9, 28)
    (step,) = [m for m in MIGRATIONS if (m.component, m.version) == ("reporting", 4)]
    with isolated_env("sv_migrate") as env:
        settings = Settings.from_env(env)
        migrate(settings, [m for m in MIGRATIONS if m is not step])
        app = Assignment(SystemClock(), store_env(settings.database_url, "assignment", 1))
        item = Item(
            id=uuid4(),
            source="hotline",
            title="道路破损",
            content="东环路ＡＢＣ段",
            external_ref=None,
            due_date=None,
            complexity="simple",
            issued_by=None,
            actor=office,
            at=now,
        )
        item.assign("water", [], None, "督转〔2026〕1号", today, today, office, now)
        item.record_reminder("before", today, "water", None, office, now)
        item.assign(
            "transport", [], None, "督转〔2026〕2号", today, today, office, now, reassign=True
        )
        app.save(item)
        app.close()
        admin = DatabaseAddress.parse(settings.database_admin_url).conninfo()
        with psycopg.connect(admin) as conn:
            conn.execute(
                "INSERT INTO reporting.items (item_id, version, source, title, status,"
                " registered_at, updated_at, notice_number)"
                " VALUES (%s, 4, 'hotline', '道路破损', 'assigned', now(), now(), %s)",
                (item.id, "督转〔2026〕2号"),
            )

        assert migrate(settings, MIGRATIONS) == [step]

        with psycopg.connect(admin) as conn:
            searched = conn.execute(
                "SELECT item_id, body, keys FROM reporting.item_search"
            ).fetchall()
            notices = conn.execute("SELECT notice_numbers FROM reporting.items").fetchall()
    assert searched == [(item.id, *searchable("道路破损", "东环路ＡＢＣ段"))]
    assert notices == [(["督转〔2026〕1号", "督转〔2026〕2号"],)]
