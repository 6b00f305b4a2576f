"""The gateway's own event store: users and API keys (`gateway/users.py`), each change an event,
with `gateway.users` and `gateway.api_keys` written as their current state in the same
transaction. Nobody follows these events, so there is no outbox."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Collection
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from psycopg.rows import dict_row

from gateway.users import ApiKey, UserAccount, user_id
from services.kernel.errors import NotFound, Refused
from services.kernel.store import LedgerApplication, Projection

UPSERT_USER = """
    INSERT INTO gateway.users
        (username, display_name, role, unit_code, password_hash, disabled, session_epoch)
    VALUES (%s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT (username) DO UPDATE SET display_name = EXCLUDED.display_name,
        role = EXCLUDED.role, unit_code = EXCLUDED.unit_code,
        password_hash = EXCLUDED.password_hash, disabled = EXCLUDED.disabled,
        session_epoch = EXCLUDED.session_epoch
"""
UPSERT_KEY = """
    INSERT INTO gateway.api_keys (id, name, platform, key_hash, revoked, issued_at)
    VALUES (%s, %s, %s, %s, %s, %s)
    ON CONFLICT (id) DO UPDATE SET revoked = EXCLUDED.revoked
"""


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class Accounts(LedgerApplication):
    name = "gateway"

    def create_user(
        self,
        username: str,
        display_name: str,
        role: str,
        unit: str | None,
        password_hash: str,
        actor: dict[str, Any],
        reason: str,
        units: Collection[str],
    ) -> UserAccount:
        if self.exists(username):
            raise Refused(
                "user_exists",
                f"用户名：{username} 已存在，请换一个用户名",
                f"user {username} exists",
                409,
            )
        account = UserAccount.create(
            username, display_name, role, unit, password_hash, actor, reason, units
        )
        self._save(account, _user_row(account))
        return account

    def exists(self, username: str) -> bool:
        return bool(self.ledger.stream_versions([user_id(username)]))

    def user(self, username: str) -> UserAccount:
        try:
            return self.repository.get(user_id(username))
        except AggregateNotFoundError:
            raise NotFound("用户", "user") from None

    def change_user(self, username: str, change: Callable[[UserAccount], None]) -> UserAccount:
        """Loads the user, applies `change` (one of UserAccount's commands) and saves it."""
        account = self.user(username)
        change(account)
        self._save(account, _user_row(account))
        return account

    def issue_key(
        self, name: str, platform: str, actor: dict[str, Any], reason: str
    ) -> tuple[ApiKey, str]:
        """The new key is shown once, here; only its hash is kept."""
        key = f"sv_{secrets.token_urlsafe(32)}"
        api_key = ApiKey.issue(name, platform, key_hash(key), actor, reason)
        self._save(api_key, _key_row(api_key))
        return api_key, key

    def revoke_key(self, key_id: UUID, actor: dict[str, Any], reason: str) -> ApiKey:
        try:
            api_key: ApiKey = self.repository.get(key_id)
        except AggregateNotFoundError:
            raise NotFound("密钥", "API key") from None
        api_key.revoke(actor, reason)
        self._save(api_key, _key_row(api_key))
        return api_key

    def _save(self, aggregate: UserAccount | ApiKey, projection: Projection) -> None:
        try:
            self.save(aggregate, projection=projection)
        except IntegrityError:
            raise Refused(
                "concurrent_change",
                "刚被他人修改，请刷新后重试",
                "changed concurrently; reload and retry",
                409,
            ) from None


def _user_row(a: UserAccount) -> Projection:
    row = (a.username, a.display_name, a.role, a.unit, a.password_hash, a.disabled)
    return _upsert(UPSERT_USER, (*row, a.session_epoch))


def _key_row(k: ApiKey) -> Projection:
    return _upsert(UPSERT_KEY, (k.id, k.name, k.platform, k.key_hash, k.revoked, k.created_on))


def _upsert(statement: str, row: tuple[Any, ...]) -> Projection:
    def project(curs: psycopg.Cursor[Any] | None) -> None:
        if curs is not None:
            curs.execute(statement, row)

    return project


def user_views(conninfo: str) -> list[dict[str, Any]]:
    with psycopg.connect(conninfo, row_factory=dict_row) as conn:
        return conn.execute(
            "SELECT username, display_name, role, unit_code AS unit, disabled"
            " FROM gateway.users ORDER BY username"
        ).fetchall()


def key_views(conninfo: str) -> list[dict[str, Any]]:
    with psycopg.connect(conninfo, row_factory=dict_row) as conn:
        rows = conn.execute(
            "SELECT id, name, platform, revoked, issued_at FROM gateway.api_keys ORDER BY issued_at"
        ).fetchall()
    return [{**r, "id": str(r["id"]), "issued_at": r["issued_at"].isoformat()} for r in rows]
