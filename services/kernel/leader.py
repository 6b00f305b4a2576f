"""One active copy: a PostgreSQL session advisory lock held on a dedicated connection.

Used by the outbox relay and the deadline scan so that, with several replicas of a service,
exactly one publishes and one scans; if its process dies, the lock goes with its connection.
"""

from __future__ import annotations

import contextlib
import zlib

import psycopg


class LeaderLock:
    def __init__(self, conninfo: str, name: str) -> None:
        self._conninfo = conninfo
        self._key = zlib.crc32(name.encode())
        self._conn: psycopg.Connection | None = None
        self.generation = 0  # counts acquisitions, so a holder can tell it lost the lock

    def held(self) -> bool:
        """True if this process holds the lock now (acquiring it if free)."""
        try:
            if self._conn is not None and not self._conn.closed:
                self._conn.execute("SELECT 1")
                return True
        except psycopg.Error:
            self.release()
        try:
            conn = psycopg.connect(self._conninfo, autocommit=True)
        except psycopg.Error:
            return False
        got = conn.execute("SELECT pg_try_advisory_lock(%s)", (self._key,)).fetchone()
        if got and got[0]:
            self._conn = conn
            self.generation += 1
            return True
        conn.close()
        return False

    def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None
