"""Who is calling: password hashes, tokens and the sessions they belong to, API keys.

- Passwords: argon2id with OWASP's parameters (19 MiB, two passes, one lane), on at most
  LOGIN_HASH_CONCURRENCY threads of a process, so memory stays bounded however many logins
  arrive; an unknown name is checked against a dummy hash, so it takes as long.
- Tokens: HS256 JWTs, an access token of 30 minutes and a refresh token of 12 hours, each with
  the user's session epoch (`gateway/users.py`).
- Sessions: a token is honoured only while its epoch is still its user's, as this process read
  the epochs at most SESSION_CHECK_SECONDS ago: one query per interval, not one per request.
"""

from __future__ import annotations

import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

import jwt
import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gateway.accounts import key_hash
from services.kernel.access import CLIENT
from services.kernel.config import Settings

ACCESS_TTL = timedelta(minutes=30)
REFRESH_TTL = timedelta(hours=12)
MIN_SECRET_BYTES = 32


class MissingSecret(RuntimeError):
    """The gateway may not start without a signing key of its own."""


def signing_secret(settings: Settings) -> str:
    """JWT_SECRET, at least 32 bytes (the old defaults `change-me` and `change-me-in-production`
    are shorter). Only with CLOCK=manual may it be left out: tokens then hold in this process."""
    if not settings.jwt_secret and settings.manual_clock:
        return secrets.token_urlsafe(MIN_SECRET_BYTES)
    if len(settings.jwt_secret.encode()) < MIN_SECRET_BYTES:
        raise MissingSecret(
            f"JWT_SECRET must be set to at least {MIN_SECRET_BYTES} random bytes, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))' "
            "(JWT_SECRET 未设置或不足 32 字节，网关拒绝启动)"
        )
    return settings.jwt_secret


@dataclass(frozen=True)
class Principal:
    user: str
    role: str
    unit: str | None
    platform: str | None = None  # a machine client's (role `client`)

    def actor(self) -> dict[str, Any]:
        return {"user": self.user, "role": self.role, "unit": self.unit}


class Passwords:
    def __init__(self, concurrency: int) -> None:
        self._hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
        # Every hash runs on one of `concurrency` threads of its own: no more run at once, and
        # only those threads' malloc arenas ever hold a hash's 19 MiB (glibc keeps freed
        # memory in the arena of the thread that used it; a semaphore alone let each of the
        # 16 request threads keep its own).
        self._workers = ThreadPoolExecutor(concurrency, thread_name_prefix="password-hash")
        self._dummy = self.hash(secrets.token_urlsafe())

    def hash(self, password: str) -> str:
        return self._workers.submit(self._hasher.hash, password).result()

    def verify(self, stored: str | None, password: str) -> bool:
        """`stored` None (no such user): the same work against a dummy hash, and False."""
        checked = self._workers.submit(self._check, stored or self._dummy, password).result()
        return checked and stored is not None

    def _check(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)


TokenType = Literal["access", "refresh"]


@dataclass(frozen=True)
class Tokens:
    secret: str

    def issue(
        self,
        principal: Principal,
        epoch: int,
        refresh_token: str | None = None,
        csrf: str | None = None,
    ) -> dict[str, Any]:
        """An access token, with a new refresh token or the one it was refreshed with. `csrf`:
        a console session's CSRF token, carried in both (`gateway/console.py`)."""
        now = datetime.now(UTC)
        session = {
            "sub": principal.user,
            "role": principal.role,
            "unit": principal.unit,
            "sep": epoch,
            "iat": now,
            **({"csrf": csrf} if csrf else {}),
        }
        access = {**session, "typ": "access", "exp": now + ACCESS_TTL}
        refresh = {**session, "typ": "refresh", "exp": now + REFRESH_TTL}
        return {
            "access_token": jwt.encode(access, self.secret, algorithm="HS256"),
            "refresh_token": refresh_token or jwt.encode(refresh, self.secret, algorithm="HS256"),
            "token_type": "Bearer",
            "expires_in": int(ACCESS_TTL.total_seconds()),
            "user": principal.user,
            "role": principal.role,
            "unit": principal.unit,
        }

    def claims(self, token: str, kind: TokenType) -> dict[str, Any] | None:
        """A valid, unexpired token's claims, if it is of this kind."""
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=["HS256"],
                options={"require": ["exp", "iat", "sub", "role", "sep", "typ"]},
            )
        except jwt.PyJWTError:
            return None
        return claims if claims["typ"] == kind else None


class SessionSource(Protocol):
    def current(self, user: str, epoch: int, issued_at: int) -> bool:
        """Whether `epoch` is still the session epoch of an existing, enabled user."""

    def client(self, key: str) -> Principal | None:
        """The machine client of an API key in force."""

    def forget(self) -> None:
        """Read again on next use (this process has just ended a session)."""


class Sessions:
    def __init__(self, conninfo: str, max_age: float) -> None:
        self._conninfo = conninfo
        self._max_age = max_age
        self._lock = threading.Lock()
        self._read_at = -float("inf")  # monotonic
        self._read_on = 0.0  # wall clock, as tokens' `iat`
        self._epochs: dict[str, int] = {}
        self._clients: dict[str, Principal] = {}

    def _read(self, max_age: float) -> None:
        with self._lock:
            if time.monotonic() - self._read_at < max_age:
                return
            read_on = time.time()
            with psycopg.connect(self._conninfo) as conn:
                users = conn.execute(
                    "SELECT username, session_epoch FROM gateway.users WHERE NOT disabled"
                ).fetchall()
                keys = conn.execute(
                    "SELECT key_hash, name, platform FROM gateway.api_keys WHERE NOT revoked"
                ).fetchall()
            self._epochs = dict(users)
            self._clients = {h: Principal(name, CLIENT, None, p) for h, name, p in keys}
            self._read_at, self._read_on = time.monotonic(), read_on

    def current(self, user: str, epoch: int, issued_at: int) -> bool:
        """A token issued after this process last read (a user created, or signed in again,
        on another copy a moment ago) makes it read again; `iat` counts whole seconds."""
        self._read(self._max_age)
        if self._epochs.get(user) != epoch and issued_at + 1 > self._read_on:
            self._read(0)
        return self._epochs.get(user) == epoch

    def client(self, key: str) -> Principal | None:
        self._read(self._max_age)
        return self._clients.get(key_hash(key))

    def forget(self) -> None:
        with self._lock:
            self._read_at = -float("inf")


@dataclass(frozen=True)
class SignedSession:
    principal: Principal
    epoch: int
    csrf: str | None  # a console session's CSRF token; None for a bearer token's


def session(
    tokens: Tokens, sessions: SessionSource, token: str, kind: TokenType
) -> SignedSession | None:
    """A token's user and session epoch, while that is still the user's session."""
    claims = tokens.claims(token, kind)
    if claims is None or not sessions.current(claims["sub"], claims["sep"], claims["iat"]):
        return None
    principal = Principal(claims["sub"], claims["role"], claims.get("unit"))
    return SignedSession(principal, claims["sep"], claims.get("csrf"))


@dataclass(frozen=True)
class Credentials:
    """What a request carries: a bearer token, an API key, or the console's session cookie
    with the CSRF token the page echoes in a header."""

    bearer: str = ""
    api_key: str = ""
    cookie: str = ""
    csrf_header: str = ""


class CsrfRefused(Exception):
    """A change sent with the console's cookie but without its CSRF token."""


def caller(
    tokens: Tokens, sessions: SessionSource, given: Credentials, change: bool
) -> Principal | None:
    """The principal of a request's bearer token (a user), its API key (a client), or else
    its console cookie (a user; a change must echo the session's CSRF token)."""
    if given.bearer:
        signed_in = session(tokens, sessions, given.bearer, "access")
        return signed_in.principal if signed_in else None
    if given.api_key:
        return sessions.client(given.api_key)
    if not given.cookie:
        return None
    signed_in = session(tokens, sessions, given.cookie, "access")
    if signed_in is None or signed_in.csrf is None:
        return None
    if change and not secrets.compare_digest(given.csrf_header, signed_in.csrf):
        raise CsrfRefused()
    return signed_in.principal
