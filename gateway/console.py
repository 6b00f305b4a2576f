"""The web console: a small front end (`gateway/console/`, plain ES modules, nothing built) that
the gateway serves beside the API, and the cookie session it signs in with.

The console calls the public API only, as its user: the session's access and refresh tokens
live in HttpOnly, SameSite=Strict cookies the page's script cannot read, and every change it
sends echoes the session's CSRF token (a third cookie, readable by the page, whose value both
tokens carry) in a header, which a page of another site cannot do.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, request, send_from_directory

from gateway.auth import ACCESS_TTL, REFRESH_TTL

ACCESS_COOKIE = "dc_access"
REFRESH_COOKIE = "dc_refresh"
CSRF_COOKIE = "dc_csrf"
CSRF_HEADER = "X-CSRF-Token"
REFRESH_PATH = "/api/v1/auth/session"
ASSETS = Path(__file__).with_name("console")

# Everything the page loads is the gateway's own: no inline script or style, no other origin.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        "connect-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def _secure() -> bool:
    """Secure cookies over HTTPS, directly or behind the reverse proxy that ends it."""
    return request.is_secure or request.headers.get("X-Forwarded-Proto") == "https"


def set_session_cookies(response: Response, tokens: dict[str, Any], csrf: str) -> None:
    secure = _secure()
    response.set_cookie(
        ACCESS_COOKIE,
        tokens["access_token"],
        max_age=int(ACCESS_TTL.total_seconds()),
        path="/api/",
        secure=secure,
        httponly=True,
        samesite="Strict",
    )
    response.set_cookie(
        REFRESH_COOKIE,
        tokens["refresh_token"],
        max_age=int(REFRESH_TTL.total_seconds()),
        path=REFRESH_PATH,
        secure=secure,
        httponly=True,
        samesite="Strict",
    )
    response.set_cookie(
        CSRF_COOKIE,
        csrf,
        max_age=int(REFRESH_TTL.total_seconds()),
        path="/",
        secure=secure,
        httponly=False,  # the page reads it to echo it in CSRF_HEADER
        samesite="Strict",
    )


def clear_session_cookies(response: Response) -> None:
    response.delete_cookie(ACCESS_COOKIE, path="/api/")
    response.delete_cookie(REFRESH_COOKIE, path=REFRESH_PATH)
    response.delete_cookie(CSRF_COOKIE, path="/")


def session_answer(tokens: dict[str, Any]) -> dict[str, Any]:
    """What the page learns of its session: who, never the tokens themselves."""
    return {k: tokens[k] for k in ("user", "role", "unit", "expires_in")}


pages = Blueprint("console", __name__)


@pages.get("/")
def index() -> Response:
    return _asset("index.html")


@pages.get("/sw.js")
def service_worker() -> Response:
    """At the root, so that it may keep the console's pages for a phone that goes offline."""
    return _asset("sw.js")


@pages.get("/console/<path:name>")
def asset(name: str) -> Response:
    return _asset(name)


def _asset(name: str) -> Response:
    response = send_from_directory(ASSETS, name, max_age=0)
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    # the console's own files change with each release; the browser asks again each time
    response.headers["Cache-Control"] = "no-cache"
    return response
