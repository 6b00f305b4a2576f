"""Gunicorn's entry: `gunicorn gateway.wsgi:app`.

A request gunicorn cannot hand to the app (a request line or headers past its limits, broken
HTTP) it answers itself, with an HTML page, and it offers no hook for that answer: its writer
is replaced here by one that answers JSON in Chinese like every other refusal.
"""

from __future__ import annotations

import json
import socket

import gunicorn.util

from gateway.app import create_app
from gateway.errors import HTTP_MESSAGES, error_code


def write_error(sock: socket.socket, status: int, reason: str, detail: str) -> None:
    """`gunicorn.util.write_error`'s signature; `detail` names what was wrong, for the log
    gunicorn has already written."""
    body = json.dumps(
        {
            "error": error_code(reason),
            "message": HTTP_MESSAGES.get(status, f"请求无法处理（HTTP {status}）"),
            "message_en": reason.lower(),
        },
        ensure_ascii=False,
    ).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    gunicorn.util.write_nonblock(sock, head.encode("latin-1") + body)


gunicorn.util.write_error = write_error
app = create_app()
