"""The gateway's identity rules, without servers: who may hold which unit, when a name is
locked, which changes end a user's sessions, which address a login comes from, and the users'
application on the in-memory store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gateway.accounts import Accounts
from gateway.auth import Passwords, Principal, Tokens
from gateway.login import Login
from gateway.users import UserAccount, check_role_unit, locked_until, login_outcome
from services.kernel.errors import NotFound, Refused
from services.kernel.store import memory_env

ADMIN = {"user": "admin", "role": "admin", "unit": None}
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
UNITS = {"water", "finance"}


@pytest.mark.parametrize(
    "role, unit, refusal",
    [
        ("handler", "water", None),
        ("leader", None, None),
        ("admin", None, None),
        ("handler", None, "单位：承办单位联络员须属于一个单位，请填写单位"),
        ("handler", "gossip", "单位：gossip 不是本县的单位，请在单位列表中选择"),
        ("supervisor", "water", "单位：督查室不属于任何单位，请删去单位"),
        (
            "client",
            None,
            "角色：client 不是可选的角色，请选择以下之一：supervisor（督查室）、"
            "leader（县政府领导）、auditor（监察部门）、handler（承办单位联络员）、"
            "admin（系统管理员）",
        ),
    ],
)
def test_a_handler_has_exactly_one_unit_and_every_other_role_none(
    role: str, unit: str | None, refusal: str | None
):
    if refusal is None:
        check_role_unit(role, unit, UNITS)
    else:
        with pytest.raises(Refused) as refused:
            check_role_unit(role, unit, UNITS)
        assert refused.value.message_zh == refusal


def failures(n: int, last: datetime) -> list[tuple[str, datetime]]:
    return [("failure", last - timedelta(seconds=i)) for i in range(n)]


def test_five_failures_in_a_row_lock_a_name_for_fifteen_minutes_from_the_fifth():
    assert locked_until(failures(4, NOW), NOW) is None
    assert locked_until(failures(5, NOW - timedelta(minutes=1)), NOW) == NOW + timedelta(minutes=14)
    assert locked_until(failures(5, NOW - timedelta(minutes=15)), NOW) is None
    # after the lock, one more failure locks it again; a success ends the streak
    again = [("failure", NOW), *failures(5, NOW - timedelta(minutes=20))]
    assert locked_until(again, NOW) == NOW + timedelta(minutes=15)
    assert locked_until([*failures(4, NOW), ("success", NOW - timedelta(hours=1))], NOW) is None
    assert locked_until([("disabled", NOW), *failures(4, NOW)], NOW) is not None


def test_a_disabled_user_cannot_sign_in_even_with_the_right_password():
    assert login_outcome(known=True, password_ok=True, disabled=False) == "success"
    assert login_outcome(known=True, password_ok=True, disabled=True) == "disabled"
    assert login_outcome(known=True, password_ok=False, disabled=False) == "failure"
    assert login_outcome(known=False, password_ok=False, disabled=False) == "failure"


def test_every_change_records_who_and_why_and_those_that_must_end_sessions_do():
    user = UserAccount.create("handler-x", "联络员", "handler", "water", "h0", ADMIN, "新建", UNITS)
    epochs = [user.session_epoch]
    user.disable(ADMIN, "离职")
    epochs.append(user.session_epoch)
    user.enable(ADMIN, "返岗")
    epochs.append(user.session_epoch)
    user.rehash("h1", {"user": "handler-x", "role": "handler", "unit": "water"})
    epochs.append(user.session_epoch)
    user.reset_password("h2", ADMIN, "忘记密码")
    epochs.append(user.session_epoch)
    user.change_role("leader", None, ADMIN, "升任", UNITS)
    epochs.append(user.session_epoch)
    user.sign_out({"user": "handler-x", "role": "leader", "unit": None})
    epochs.append(user.session_epoch)
    assert epochs == [0, 1, 1, 1, 2, 3, 4]
    events = user.collect_events()
    assert [type(e).__name__ for e in events] == [
        "Created",
        "Disabled",
        "Enabled",
        "PasswordRehashed",
        "PasswordReset",
        "RoleChanged",
        "SignedOut",
    ]
    assert all(e.reason and e.actor for e in events)  # type: ignore[attr-defined]


def test_a_change_without_a_reason_or_to_the_same_state_is_refused():
    user = UserAccount.create("leader-x", "领导", "leader", None, "h0", ADMIN, "新建", UNITS)
    with pytest.raises(Refused, match="reason_required"):
        user.disable(ADMIN, "  ")
    with pytest.raises(Refused, match="not_disabled"):
        user.enable(ADMIN, "启用")
    with pytest.raises(Refused, match="unchanged"):
        user.change_role("leader", None, ADMIN, "同", UNITS)
    assert len(user.collect_events()) == 1


def test_the_address_is_the_peer_s_unless_the_peer_is_a_trusted_proxy():
    login = Login("", Passwords(1), ["10.0.0.0/8", "127.0.0.1"], 30)
    assert login.address("203.0.113.1", "198.51.100.1") == "203.0.113.1"  # not a proxy of ours
    assert login.address("127.0.0.1", "198.51.100.1") == "198.51.100.1"
    assert login.address("127.0.0.1", "6.6.6.6, 198.51.100.1, 10.1.1.1") == "198.51.100.1"
    assert login.address("127.0.0.1", "") == "127.0.0.1"
    assert login.address("127.0.0.1", "not-an-address") == "127.0.0.1"


def test_an_unknown_user_s_password_is_checked_as_long_and_never_matches():
    passwords = Passwords(1)
    stored = passwords.hash("right-password")
    assert passwords.verify(stored, "right-password")
    assert not passwords.verify(stored, "wrong-password")
    assert not passwords.verify(None, "right-password")
    assert not passwords.needs_rehash(stored)


def test_a_token_is_of_one_kind_and_signed_by_one_key():
    tokens = Tokens("k" * 32)
    issued = tokens.issue(Principal("leader", "leader", None), 3)
    assert tokens.claims(issued["access_token"], "access")["sep"] == 3  # type: ignore[index]
    assert tokens.claims(issued["access_token"], "refresh") is None
    assert tokens.claims(issued["refresh_token"], "refresh") is not None
    assert Tokens("j" * 32).claims(issued["access_token"], "access") is None


def test_users_are_created_once_and_changed_through_their_commands():
    accounts = Accounts(memory_env())
    accounts.create_user("handler-y", "联络员", "handler", "water", "h0", ADMIN, "新建", UNITS)
    with pytest.raises(Refused, match="user_exists"):
        accounts.create_user("handler-y", "联络员", "handler", "water", "h0", ADMIN, "新建", UNITS)
    changed = accounts.change_user("handler-y", lambda a: a.disable(ADMIN, "离职"))
    assert (changed.disabled, changed.session_epoch) == (True, 1)
    with pytest.raises(NotFound):
        accounts.change_user("nobody", lambda a: a.disable(ADMIN, "无"))
