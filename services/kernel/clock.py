"""The one clock. Every service takes "now" from here, so tests and demos can move time.

`CLOCK=manual` keeps the time in one database row that every service reads, so moving it
once (through the gateway's test route) moves it for the whole stack.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

import psycopg


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """Reads the shared manual time; until one is set it follows the system clock."""

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo

    def now(self) -> datetime:
        with psycopg.connect(self._conninfo, autocommit=True) as conn:
            row = conn.execute("SELECT now_utc FROM clock.manual_time WHERE id = 1").fetchone()
        return row[0] if row and row[0] is not None else datetime.now(UTC)

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("instant must carry a time zone")
        with psycopg.connect(self._conninfo, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO clock.manual_time (id, now_utc) VALUES (1, %s) "
                "ON CONFLICT (id) DO UPDATE SET now_utc = EXCLUDED.now_utc",
                (instant.astimezone(UTC),),
            )


def clock_from_settings(manual: bool, conninfo: str) -> Clock:
    return ManualClock(conninfo) if manual else SystemClock()
