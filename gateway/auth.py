"""Gateway users and bearer tokens (argon2 password hashes, HS256 JWTs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

TOKEN_HOURS = 12
_hasher = PasswordHasher()


@dataclass(frozen=True)
class Principal:
    user: str
    role: str
    unit: str | None

    def actor(self) -> dict[str, Any]:
        return {"user": self.user, "role": self.role, "unit": self.unit}


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def authenticate(conninfo: str, username: str, password: str) -> Principal | None:
    with psycopg.connect(conninfo) as conn:
        row = conn.execute(
            "SELECT role, unit_code, password_hash FROM gateway.users WHERE username = %s",
            (username,),
        ).fetchone()
    if row is None:
        return None
    try:
        _hasher.verify(row[2], password)
    except VerificationError:
        return None
    return Principal(username, row[0], row[1])


def issue_token(secret: str, principal: Principal, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    claims = {
        "sub": principal.user,
        "role": principal.role,
        "unit": principal.unit,
        "iat": now,
        "exp": now + timedelta(hours=TOKEN_HOURS),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def principal_from_token(secret: str, token: str) -> Principal | None:
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp"]})
    except jwt.PyJWTError:
        return None
    return Principal(claims["sub"], claims["role"], claims.get("unit"))
