"""Who uploaded each evidence file (the gateway's own table): before a file is attached to an
item, only its uploader (and the readers of every item) may read it."""

from __future__ import annotations

from typing import Any

from psycopg_pool import ConnectionPool


class Uploads:
    def __init__(self, conninfo: str, pool_wait_seconds: float) -> None:
        self._pool = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=4,
            timeout=pool_wait_seconds,
            kwargs={"autocommit": True},
            open=False,
        )

    def _connection(self) -> Any:
        self._pool.open()  # on first use, in the serving process
        return self._pool.connection()

    def record(self, sha: str, username: str) -> None:
        with self._connection() as conn:
            conn.execute(
                "INSERT INTO gateway.uploads (sha, username) VALUES (%s, %s)"
                " ON CONFLICT DO NOTHING",
                (sha, username),
            )

    def by(self, sha: str, username: str) -> bool:
        with self._connection() as conn:
            row = conn.execute(
                "SELECT 1 FROM gateway.uploads WHERE sha = %s AND username = %s",
                (sha, username),
            ).fetchone()
        return row is not None
