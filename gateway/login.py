"""Signing in: throttled per user name and per client address; every attempt recorded.

- A name with 5 wrong passwords in a row is locked for 15 minutes (423, with the time it
  unlocks); an unknown name is counted and locked just the same (`gateway/users.py`).
- An address with LOGIN_ADDRESS_FAILURES failed attempts within ADDRESS_WINDOW is refused
  until the oldest of them leaves the window (429). The address is the peer's, or behind a
  proxy in TRUSTED_PROXIES, the last one in X-Forwarded-For that is not a trusted proxy.
- Every attempt is appended to `gateway.logins`: user name, address, time, outcome.

Attempts on one name are serialised (a transaction advisory lock), on every gateway copy, so
parallel guesses cannot slip past the lock. Times are wall-clock (UTC), like tokens'.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from ipaddress import ip_address, ip_network
from typing import Any

import psycopg
from psycopg.rows import dict_row

from gateway.auth import Passwords, Principal
from gateway.users import FAILED, JUDGED, LOCK_AFTER_FAILURES, Outcome, locked_until, login_outcome
from services.kernel.dates import BUSINESS_TZ
from services.kernel.errors import Refused

ADDRESS_WINDOW = timedelta(minutes=15)


class LoginRefused(Refused):
    """Refused before the password is checked, until `until`."""

    def __init__(self, outcome: Outcome, zh: str, en: str, status: int, until: datetime) -> None:
        shown = until.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M:%S")
        super().__init__(
            outcome, zh.format(until=shown), en.format(until=until.isoformat()), status
        )
        self.outcome = outcome
        self.until = until

    def retry_after(self, now: datetime) -> int:
        return max(1, math.ceil((self.until - now).total_seconds()))


@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    epoch: int
    rehash: bool  # the stored hash has older parameters than today's


def bad_credentials() -> Refused:
    return Refused(
        "bad_credentials", "用户名或密码错误，请重新输入", "wrong username or password", 401
    )


class Login:
    def __init__(
        self,
        conninfo: str,
        passwords: Passwords,
        trusted_proxies: Sequence[str],
        address_failures: int,
    ) -> None:
        self._conninfo = conninfo
        self._passwords = passwords
        self._proxies = [ip_network(p, strict=False) for p in trusted_proxies]
        self._address_failures = address_failures

    def address(self, peer: str, forwarded_for: str) -> str:
        """The client's address: the peer's, unless the peer is a trusted proxy."""
        for hop in [peer, *reversed(forwarded_for.split(","))]:
            if not self._trusted(hop.strip()):
                return hop.strip() if _is_address(hop.strip()) else peer
        return peer

    def _trusted(self, address: str) -> bool:
        return _is_address(address) and any(ip_address(address) in n for n in self._proxies)

    def sign_in(self, username: str, password: str, address: str) -> SignedIn:
        now = datetime.now(UTC)
        with psycopg.connect(self._conninfo) as conn, conn.transaction():
            # parallel attempts on one name queue here, each behind a password hash: longer
            # than the gateway's 2 s lock timeout under a burst, and that wait is intended
            conn.execute("SET LOCAL lock_timeout = '60s'")
            conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"gateway.logins:{username}",)
            )
            refusal = self._refusal(conn, username, address, now)
            row = None
            if refusal is None:
                row = conn.execute(
                    "SELECT role, unit_code, password_hash, disabled, session_epoch"
                    " FROM gateway.users WHERE username = %s",
                    (username,),
                ).fetchone()
                ok = self._passwords.verify(row[2] if row else None, password)
                outcome = login_outcome(row is not None, ok, bool(row and row[3]))
            else:
                outcome = refusal.outcome
            conn.execute(
                "INSERT INTO gateway.logins (at, username, address, outcome)"
                " VALUES (%s, %s, %s, %s)",
                (now, username, address, outcome),
            )
        if refusal is not None:
            raise refusal
        if outcome != "success" or row is None:
            raise bad_credentials()
        role, unit, stored, _, epoch = row
        return SignedIn(
            Principal(username, role, unit), epoch, self._passwords.needs_rehash(stored)
        )

    def _refusal(
        self, conn: psycopg.Connection[Any], username: str, address: str, now: datetime
    ) -> LoginRefused | None:
        recent = conn.execute(
            "SELECT outcome, at FROM gateway.logins WHERE username = %s AND outcome = ANY(%s)"
            " ORDER BY id DESC LIMIT %s",
            (username, list(JUDGED), LOCK_AFTER_FAILURES),
        ).fetchall()
        until = locked_until(recent, now)
        if until is not None:
            return LoginRefused(
                "locked",
                "连续 5 次密码错误，该用户名已锁定至 {until}（北京时间），请届时再试",
                "5 wrong passwords in a row: locked until {until}",
                423,
                until,
            )
        oldest = conn.execute(
            "SELECT at FROM gateway.logins WHERE address = %s AND outcome = ANY(%s) AND at > %s"
            " ORDER BY at DESC OFFSET %s LIMIT 1",
            (address, list(FAILED), now - ADDRESS_WINDOW, self._address_failures - 1),
        ).fetchone()
        if oldest is not None:
            return LoginRefused(
                "throttled",
                "本地址登录失败次数过多，请于 {until}（北京时间）后再试",
                "too many failed logins from this address: retry after {until}",
                429,
                oldest[0] + ADDRESS_WINDOW,
            )
        return None


def _is_address(text: str) -> bool:
    try:
        ip_address(text)
    except ValueError:
        return False
    return True


def login_records(
    conninfo: str,
    user: str | None,
    since: date | None,
    until: date | None,
    limit: int,
    offset: int,
) -> tuple[int, list[dict[str, Any]]]:
    """The login record, newest first; `since` and `until` are business dates (inclusive)."""
    where, args = ["true"], []
    if user is not None:
        where.append("username = %s")
        args.append(user)
    if since is not None:
        where.append("at >= %s")
        args.append(datetime.combine(since, time(), BUSINESS_TZ))
    if until is not None:
        where.append("at < %s")
        args.append(datetime.combine(until + timedelta(days=1), time(), BUSINESS_TZ))
    condition = " AND ".join(where)
    with psycopg.connect(conninfo, row_factory=dict_row) as conn:
        total = conn.execute(
            f"SELECT count(*) AS n FROM gateway.logins WHERE {condition}", args
        ).fetchone()
        rows = conn.execute(
            "SELECT username AS user, address, at, outcome FROM gateway.logins"
            f" WHERE {condition} ORDER BY id DESC LIMIT %s OFFSET %s",
            [*args, limit, offset],
        ).fetchall()
    return (total["n"] if total else 0), [{**r, "at": r["at"].isoformat()} for r in rows]
