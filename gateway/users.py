"""Users, API keys and the login rules: the gateway's domain, pure Python.

A user's every change is an event that records who made it (`actor`) and why (`reason`). A
change that must end the user's sessions (disabling, a new password, another role or unit,
signing out) moves the user's `session_epoch` on: a token carries the epoch it was issued in
and is honoured only while the epoch is still the user's.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.kernel.access import ROLE_LABELS
from services.kernel.errors import Refused
from services.kernel.vocabulary import choices

USERS = UUID("0d7c55a8-4c7b-4f55-9d55-8f1b0e9a6c21")

# 5 wrong passwords in a row lock a user name for 15 minutes (known or not: a lock tells an
# attacker nothing about which names exist).
LOCK_AFTER_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)

Outcome = Literal["success", "failure", "disabled", "locked", "throttled"]
# the outcomes of an attempt whose password was checked: failed, or not
FAILED: tuple[Outcome, ...] = ("failure", "disabled")
JUDGED: tuple[Outcome, ...] = ("success", *FAILED)


def user_id(username: str) -> UUID:
    return uuid5(USERS, username)


def check_reason(reason: str) -> None:
    if not reason.strip():
        raise Refused("reason_required", "理由：必填，请写明理由", "a reason is required")


def check_role_unit(role: str, unit: str | None, units: Collection[str]) -> None:
    """A handler belongs to exactly one of the county's units; every other role to none."""
    if role not in ROLE_LABELS:
        raise Refused(
            "unknown_role",
            f"角色：{role} 不是可选的角色，请选择以下之一：{choices(ROLE_LABELS)}",
            f"unknown role {role}",
        )
    if role != "handler":
        if unit is not None:
            raise Refused(
                "unit_not_allowed",
                f"单位：{ROLE_LABELS[role]}不属于任何单位，请删去单位",
                "only a handler belongs to a unit",
            )
        return
    if unit is None:
        raise Refused(
            "unit_required",
            "单位：承办单位联络员须属于一个单位，请填写单位",
            "a handler needs a unit",
        )
    if unit not in units:
        raise Refused(
            "unknown_unit",
            f"单位：{unit} 不是本县的单位，请在单位列表中选择",
            f"unknown unit {unit}",
        )


def login_outcome(known: bool, password_ok: bool, disabled: bool) -> Outcome:
    """A disabled user cannot sign in, even with the right password."""
    if not (known and password_ok):
        return "failure"
    return "disabled" if disabled else "success"


def locked_until(recent: Sequence[tuple[Outcome, datetime]], now: datetime) -> datetime | None:
    """`recent`: the name's last judged attempts, newest first. Locked for LOCK_FOR from the
    last of LOCK_AFTER_FAILURES failures in a row; after that, each failure locks it again
    until a success."""
    streak = recent[:LOCK_AFTER_FAILURES]
    if len(streak) < LOCK_AFTER_FAILURES or any(o == "success" for o, _ in streak):
        return None
    until = streak[0][1] + LOCK_FOR
    return until if until > now else None


class UserAccount(Aggregate):
    """A person who signs in."""

    @staticmethod
    def create(
        username: str,
        display_name: str,
        role: str,
        unit: str | None,
        password_hash: str,
        actor: dict[str, Any],
        reason: str,
        units: Collection[str],
    ) -> UserAccount:
        check_reason(reason)
        check_role_unit(role, unit, units)
        return UserAccount(
            id=user_id(username),
            username=username,
            display_name=display_name,
            role=role,
            unit=unit,
            password_hash=password_hash,
            actor=actor,
            reason=reason,
        )

    @event("Created")
    def __init__(
        self,
        id: UUID,
        username: str,
        display_name: str,
        role: str,
        unit: str | None,
        password_hash: str,
        actor: dict[str, Any],
        reason: str,
    ) -> None:
        self.username = username
        self.display_name = display_name
        self.role = role
        self.unit = unit
        self.password_hash = password_hash
        self.disabled = False
        self.session_epoch = 0

    def disable(self, actor: dict[str, Any], reason: str) -> None:
        check_reason(reason)
        if self.disabled:
            raise Refused(
                "already_disabled",
                "账号已停用，无需再次停用",
                "the user is disabled already",
                409,
            )
        self._disabled(actor=actor, reason=reason)

    @event("Disabled")
    def _disabled(self, actor: dict[str, Any], reason: str) -> None:
        self.disabled = True
        self.session_epoch += 1

    def enable(self, actor: dict[str, Any], reason: str) -> None:
        check_reason(reason)
        if not self.disabled:
            raise Refused("not_disabled", "账号未停用，无需启用", "the user is not disabled", 409)
        self._enabled(actor=actor, reason=reason)

    @event("Enabled")
    def _enabled(self, actor: dict[str, Any], reason: str) -> None:
        self.disabled = False

    def reset_password(self, password_hash: str, actor: dict[str, Any], reason: str) -> None:
        check_reason(reason)
        self._password_reset(password_hash=password_hash, actor=actor, reason=reason)

    @event("PasswordReset")
    def _password_reset(self, password_hash: str, actor: dict[str, Any], reason: str) -> None:
        self.password_hash = password_hash
        self.session_epoch += 1

    def rehash(self, password_hash: str, actor: dict[str, Any]) -> None:
        """The same password, hashed with today's parameters: sessions go on."""
        self._password_rehashed(
            password_hash=password_hash, actor=actor, reason="登录时按当前参数重新计算密码哈希"
        )

    @event("PasswordRehashed")
    def _password_rehashed(self, password_hash: str, actor: dict[str, Any], reason: str) -> None:
        self.password_hash = password_hash

    def change_role(
        self,
        role: str,
        unit: str | None,
        actor: dict[str, Any],
        reason: str,
        units: Collection[str],
    ) -> None:
        check_reason(reason)
        check_role_unit(role, unit, units)
        if (role, unit) == (self.role, self.unit):
            raise Refused(
                "unchanged",
                "角色：角色和单位与现在相同，无需变更",
                "role and unit are unchanged",
                409,
            )
        self._role_changed(role=role, unit=unit, actor=actor, reason=reason)

    @event("RoleChanged")
    def _role_changed(
        self, role: str, unit: str | None, actor: dict[str, Any], reason: str
    ) -> None:
        self.role = role
        self.unit = unit
        self.session_epoch += 1

    def sign_out(self, actor: dict[str, Any]) -> None:
        """Ends every session of the user (each device signs in again)."""
        self._signed_out(actor=actor, reason="退出登录")

    @event("SignedOut")
    def _signed_out(self, actor: dict[str, Any], reason: str) -> None:
        self.session_epoch += 1


class ApiKey(Aggregate):
    """A machine client's key for one platform; only its SHA-256 is kept (a key is 256 random
    bits, so a fast hash is enough, unlike a password)."""

    @staticmethod
    def issue(
        name: str, platform: str, key_hash: str, actor: dict[str, Any], reason: str
    ) -> ApiKey:
        check_reason(reason)
        return ApiKey(name=name, platform=platform, key_hash=key_hash, actor=actor, reason=reason)

    @event("Issued")
    def __init__(
        self, name: str, platform: str, key_hash: str, actor: dict[str, Any], reason: str
    ) -> None:
        self.name = name
        self.platform = platform
        self.key_hash = key_hash
        self.revoked = False

    def revoke(self, actor: dict[str, Any], reason: str) -> None:
        check_reason(reason)
        if self.revoked:
            raise Refused(
                "already_revoked", "密钥已作废，无需再次作废", "the key is revoked already", 409
            )
        self._revoked(actor=actor, reason=reason)

    @event("Revoked")
    def _revoked(self, actor: dict[str, Any], reason: str) -> None:
        self.revoked = True
