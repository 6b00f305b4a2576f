"""Idempotent writes: a change sent with an `Idempotency-Key` header is done once per key.

The key belongs to the user who sends it. The first request with a key runs and its answer is
kept; the same key with the same request (method, path, query string and body) answers that
first answer again, byte for byte, and changes nothing; with another request it is refused
(422). While the first still runs, a second is refused (409): try again shortly. An answer of
500 or above (a 503 included) is not kept: the key is released and a retry runs again. A key
is kept for 24 hours; a request still running after 5 minutes is taken for lost (its gateway
stopped) and its key runs again.

A multipart upload is the same request when its query string, its fields and its files' names
and bytes are the same; the framing around them (the boundary a client picks afresh for each
attempt) does not count.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

import psycopg
from flask import Request, Response
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from gateway.errors import BadRequest
from services.kernel.errors import Refused

HEADER = "Idempotency-Key"
KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
KEEP = "24 hours"
LOST = "5 minutes"
PURGE_SECONDS = 600.0
CHUNK = 64 * 1024


class IdempotencyKeys:
    """The keys and first answers, in the gateway's own table `gateway.idempotency_keys`."""

    def __init__(self, conninfo: str, pool_wait_seconds: float) -> None:
        # a connection is held only for one short statement at a time, never while a view runs
        self._pool = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=4,
            timeout=pool_wait_seconds,
            kwargs={"autocommit": True, "row_factory": dict_row},
            open=False,
        )
        self._next_purge = 0.0

    def once(self, user: str, key: str, request: Request, run: Callable[[], Response]) -> Response:
        """The answer of `run()`, or of the first request with this key."""
        if not KEY.fullmatch(key):
            raise BadRequest(
                [
                    {
                        "field": HEADER,
                        "message": f"{HEADER}：须为 1 至 255 个可见 ASCII 字符，"
                        "请为每次操作生成一个 UUID",
                        "message_en": "1 to 255 visible ASCII characters",
                    }
                ]
            )
        self._purge()
        fingerprint = _fingerprint(request)
        claim = self._claim(user, key, fingerprint)
        if isinstance(claim, Response):
            return claim
        response = run()
        with self._connection() as conn:
            if response.status_code >= 500:
                conn.execute(
                    "DELETE FROM gateway.idempotency_keys"
                    " WHERE username = %s AND key = %s AND created_at = %s",
                    (user, key, claim),
                )
            else:
                conn.execute(
                    "UPDATE gateway.idempotency_keys SET status = %s, content_type = %s,"
                    " body = %s WHERE username = %s AND key = %s AND created_at = %s",
                    (
                        response.status_code,
                        response.content_type,
                        response.get_data(),
                        user,
                        key,
                        claim,
                    ),
                )
        return response

    def _claim(self, user: str, key: str, fingerprint: bytes) -> datetime | Response:
        """The key taken for this request (the time it was taken, which names this claim), or
        the first request's answer."""
        first = None
        with self._connection() as conn:
            while first is None:
                taken = conn.execute(
                    "INSERT INTO gateway.idempotency_keys AS k (username, key, fingerprint)"
                    " VALUES (%s, %s, %s) ON CONFLICT (username, key) DO UPDATE"
                    " SET fingerprint = EXCLUDED.fingerprint, created_at = now(),"
                    " status = NULL, content_type = NULL, body = NULL"
                    " WHERE k.created_at < now() - %s::interval"
                    " OR (k.status IS NULL AND k.created_at < now() - %s::interval)"
                    " RETURNING created_at",
                    (user, key, fingerprint, KEEP, LOST),
                ).fetchone()
                if taken:
                    return taken["created_at"]
                # None if the first was answered with a 5xx since, which released the key
                first = conn.execute(
                    "SELECT fingerprint, status, content_type, body FROM gateway.idempotency_keys"
                    " WHERE username = %s AND key = %s",
                    (user, key),
                ).fetchone()
        if first["fingerprint"] != fingerprint:
            raise Refused(
                "idempotency_key_reused",
                f"{HEADER}：已用于另一个请求（方法、地址或内容不同），请换一个新的",
                f"the {HEADER} was used for a different request",
                422,
            )
        if first["status"] is None:
            raise Refused(
                "idempotency_key_in_use",
                f"{HEADER}：同一请求仍在处理中，请稍后重试",
                f"a request with this {HEADER} is still being processed",
                409,
            )
        return Response(
            first["body"],
            status=first["status"],
            content_type=first["content_type"],
            headers={"Idempotent-Replayed": "true"},
        )

    def _purge(self) -> None:
        """Forgets expired keys, at most once every PURGE_SECONDS in this process."""
        if time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + PURGE_SECONDS
        with self._connection() as conn:
            conn.execute(
                "DELETE FROM gateway.idempotency_keys WHERE created_at < now() - %s::interval",
                (KEEP,),
            )

    def _connection(self) -> AbstractContextManager[psycopg.Connection[dict[str, Any]]]:
        self._pool.open()  # opened on first use, in the serving process
        return self._pool.connection()


def _fingerprint(request: Request) -> bytes:
    """What makes two requests the same: method, path, query string and content (for a
    multipart form, its fields and its files' names and bytes)."""
    digest = hashlib.sha256()

    def part(data: bytes) -> None:
        digest.update(len(data).to_bytes(8, "big") + data)

    for data in (request.method.encode(), request.path.encode(), request.query_string):
        part(data)
    if request.mimetype != "multipart/form-data":
        part(request.get_data())
        return digest.digest()
    for name, value in sorted(request.form.items(multi=True)):
        part(name.encode())
        part(value.encode())
    for name, upload in sorted(request.files.items(multi=True), key=lambda f: f[0]):
        part(name.encode())
        part((upload.filename or "").encode())
        content = hashlib.sha256()
        while chunk := upload.stream.read(CHUNK):
            content.update(chunk)
        upload.stream.seek(0)
        part(content.digest())
    return digest.digest()
