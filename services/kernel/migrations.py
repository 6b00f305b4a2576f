"""The migration runner: each component's versioned steps, applied once by one process
(advisory lock), each step in its own transaction, as the owner role.

Every component (the kernel, each service, the gateway) owns its tables and declares their
steps beside its code; deploy/migrate.py composes the list. Applied steps are recorded per
component in `public.applied_migrations`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import psycopg
from psycopg import sql

from services.kernel.config import DatabaseAddress, Settings

log = logging.getLogger(__name__)

KERNEL = "kernel"
HISTORY = "public.applied_migrations"
# Before components owned their tables, one list of versions was kept in this table; its rows
# are carried over as this component's.
OLD_HISTORY = "public.schema_migrations"
MIGRATION_LOCK = 7_301_001

Step = Callable[[psycopg.Connection, Settings], None]


class MigrationRefused(RuntimeError):
    """The database is in a state these migrations cannot start from."""


@dataclass(frozen=True)
class Migration:
    component: str
    version: int
    name: str
    step: Step
    # The versions of the old single list (public.schema_migrations) whose result this step
    # creates: a database that applied them has this step already.
    replaces: tuple[int, ...] = ()

    def __str__(self) -> str:
        return f"{self.component} {self.version}: {self.name}"


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


def app_role(settings: Settings) -> sql.Identifier:
    """The services' database role (DATABASE_URL's user)."""
    return sql.Identifier(DatabaseAddress.parse(settings.database_url).user)


def migrate(settings: Settings, migrations: Sequence[Migration]) -> list[Migration]:
    """Apply the steps not yet applied, in the given order; returns those this call applied."""
    ensure_database(settings)
    admin = DatabaseAddress.parse(settings.database_admin_url)
    applied: list[Migration] = []
    with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        try:
            _create_history(conn, settings, migrations)
            done = set(conn.execute(f"SELECT component, version FROM {HISTORY}").fetchall())
            for migration in migrations:
                if (migration.component, migration.version) in done:
                    continue
                with conn.transaction():
                    migration.step(conn, settings)
                    conn.execute(
                        f"INSERT INTO {HISTORY} (component, version, name) VALUES (%s, %s, %s)",
                        (migration.component, migration.version, migration.name),
                    )
                log.info("applied migration %s", migration)
                applied.append(migration)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
    return applied


def _create_history(
    conn: psycopg.Connection, settings: Settings, migrations: Sequence[Migration]
) -> None:
    """The history table, on the first run. A database made by the old single-list runner has
    its history moved here (as component `schema_migrations`), and each step that replaces part
    of it is recorded as applied when the last of those versions was, so nothing runs again.
    Only a complete old list is taken: anything else is refused and left as it was."""
    if conn.execute("SELECT to_regclass(%s)", (HISTORY,)).fetchone() != (None,):
        return
    with conn.transaction():
        conn.execute(
            f"CREATE TABLE {HISTORY} ("
            " component text NOT NULL, version int NOT NULL, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now(), replaces int[],"
            " PRIMARY KEY (component, version))"
        )
        if conn.execute("SELECT to_regclass(%s)", (OLD_HISTORY,)).fetchone() == (None,):
            return
        rows = conn.execute(
            f"SELECT version, name, applied_at FROM {OLD_HISTORY} ORDER BY version"
        ).fetchall()
        found = [r[0] for r in rows]
        wanted = sorted({v for m in migrations for v in m.replaces})
        if found != wanted:
            raise MigrationRefused(
                f"{OLD_HISTORY} has versions {found}, these migrations start from {wanted}: "
                "upgrade with the previous release first, then run this one"
            )
        conn.cursor().executemany(
            f"INSERT INTO {HISTORY} (component, version, name, applied_at) "
            "VALUES ('schema_migrations', %s, %s, %s)",
            rows,
        )
        applied_at = {version: at for version, _, at in rows}
        conn.cursor().executemany(
            f"INSERT INTO {HISTORY} (component, version, name, applied_at, replaces) "
            "VALUES (%s, %s, %s, %s, %s)",
            [
                (
                    m.component,
                    m.version,
                    m.name,
                    max(applied_at[v] for v in m.replaces),
                    list(m.replaces),
                )
                for m in migrations
                if m.replaces
            ],
        )
        # what the kernel's first step grants on a new database
        conn.execute(
            sql.SQL("GRANT SELECT ON {} TO {}").format(sql.SQL(HISTORY), app_role(settings))
        )
        conn.execute(f"DROP TABLE {OLD_HISTORY}")
    log.info("carried over the history of %s, versions %s", OLD_HISTORY, found)


def pending(settings: Settings, migrations: Sequence[Migration]) -> list[str]:
    """Which of these steps the database has not applied (a process is not ready to run code
    that expects them)."""
    with psycopg.connect(DatabaseAddress.parse(settings.database_url).conninfo()) as conn:
        done = set(conn.execute(f"SELECT component, version FROM {HISTORY}").fetchall())
    return [str(m) for m in migrations if (m.component, m.version) not in done]
