"""One active copy: a PostgreSQL session advisory lock held on a dedicated connection.

Used by the outbox relay and the deadline scan so that, with several replicas of a service,
exactly one publishes and one scans; if its process dies, the lock goes with its connection.
"""

from __future__ import annotations

import contextlib
import time
import zlib

import psycopg

from services.kernel import metrics


class LeaderLock:
    def __init__(self, conninfo: str, name: str, recheck_seconds: float = 0.0) -> None:
        """`recheck_seconds`: how long a held lock is believed without asking the database
        (its connection is the lock; a lost connection is noticed within that time)."""
        self._conninfo = conninfo
        self._key = zlib.crc32(name.encode())
        self._leading = metrics.LEADING.labels(name)
        self._conn: psycopg.Connection | None = None
        self._recheck_seconds = recheck_seconds
        self._checked = 0.0
        self.generation = 0  # counts acquisitions, so a holder can tell it lost the lock

    def held(self) -> bool:
        """True if this process holds the lock now (acquiring it if free)."""
        try:
            if self._conn is not None and not self._conn.closed:
                now = time.monotonic()
                if now - self._checked >= self._recheck_seconds:
                    self._conn.execute("SELECT 1")
                    self._checked = now
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
            self._checked = time.monotonic()
            self.generation += 1
            self._leading.set(1)
            return True
        conn.close()
        return False

    def release(self) -> None:
        self._leading.set(0)
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None
