"""Users and API keys, managed by the administrator (each change an event with who and why:
`gateway/users.py`), and the login record, read by the auditor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from flask.typing import ResponseReturnValue
from pydantic import BaseModel

from gateway.accounts import key_views, user_views
from gateway.answers import ApiKey, ApiKeys, IssuedApiKey, LoginRecords, User, Users
from gateway.api import Routes, V
from gateway.context import Context
from gateway.login import login_records
from gateway.schemas import (
    ApiKeyPath,
    LoginQuery,
    NewApiKey,
    NewUser,
    PasswordReset,
    RoleChange,
    UserPath,
    WithReason,
)
from gateway.users import ApiKey as PlatformKey
from gateway.users import UserAccount
from services.kernel.access import ADMIN, AUDIT

routes = Routes()


def user_view(a: UserAccount) -> dict[str, Any]:
    return {
        "username": a.username,
        "display_name": a.display_name,
        "role": a.role,
        "unit": a.unit,
        "disabled": a.disabled,
    }


def unit_codes(ctx: Context, unit: str | None) -> set[str]:
    """The county's units, asked of the assignment service only when a unit is named."""
    if unit is None:
        return set()
    return {u["code"] for u in ctx.services.call("assignment", "list_units")}


@routes.route("GET", "/api/v1/admin/users", "用户列表", roles=ADMIN, answers={200: Users})
def list_users(ctx: Context) -> ResponseReturnValue:
    return {"users": user_views(ctx.conninfo)}


@routes.route(
    "POST",
    "/api/v1/admin/users",
    "新建用户（须说明理由）",
    roles=ADMIN,
    body=NewUser,
    answers={201: User},
    refusals=(409, 422, 503),
)
def create_user(ctx: Context, body: NewUser) -> ResponseReturnValue:
    account = ctx.accounts.create_user(
        body.username,
        body.display_name,
        body.role,
        body.unit,
        ctx.passwords.hash(body.password),
        ctx.actor(),
        body.reason,
        unit_codes(ctx, body.unit),
    )
    return user_view(account), 201


def user_command(
    action: str, summary: str, body: type[BaseModel], refusals: tuple[int, ...] = (404, 409)
) -> Callable[[V], V]:
    """`POST /api/v1/admin/users/{username}/<action>`, answered with the user as changed."""
    return routes.route(
        "POST",
        f"/api/v1/admin/users/<username:username>/{action}",
        summary,
        roles=ADMIN,
        params=UserPath,
        body=body,
        answers={200: User},
        refusals=refusals,
    )


def changed(ctx: Context, username: str, change: Callable[[UserAccount], None]) -> dict[str, Any]:
    """Applies one of the user's commands; this copy of the gateway ends the user's sessions
    at once, the others within SESSION_CHECK_SECONDS."""
    account = ctx.accounts.change_user(username, change)
    ctx.sessions.forget()
    return user_view(account)


@user_command("disable", "停用用户：其令牌随即失效，不能再登录", WithReason)
def disable(ctx: Context, username: str, body: WithReason) -> ResponseReturnValue:
    return changed(ctx, username, lambda a: a.disable(ctx.actor(), body.reason))


@user_command("enable", "启用已停用的用户", WithReason)
def enable(ctx: Context, username: str, body: WithReason) -> ResponseReturnValue:
    return changed(ctx, username, lambda a: a.enable(ctx.actor(), body.reason))


@user_command("password", "重设密码：其令牌随即失效", PasswordReset)
def reset_password(ctx: Context, username: str, body: PasswordReset) -> ResponseReturnValue:
    password_hash = ctx.passwords.hash(body.password)
    return changed(
        ctx, username, lambda a: a.reset_password(password_hash, ctx.actor(), body.reason)
    )


@user_command("role", "改变角色或单位：其令牌随即失效", RoleChange, refusals=(404, 409, 422, 503))
def change_role(ctx: Context, username: str, body: RoleChange) -> ResponseReturnValue:
    units = unit_codes(ctx, body.unit)
    return changed(
        ctx,
        username,
        lambda a: a.change_role(body.role, body.unit, ctx.actor(), body.reason, units),
    )


@routes.route(
    "GET", "/api/v1/admin/api-keys", "对接平台的密钥", roles=ADMIN, answers={200: ApiKeys}
)
def list_keys(ctx: Context) -> ResponseReturnValue:
    return {"keys": key_views(ctx.conninfo)}


@routes.route(
    "POST",
    "/api/v1/admin/api-keys",
    "为对接平台签发密钥（密钥只显示这一次）",
    roles=ADMIN,
    body=NewApiKey,
    answers={201: IssuedApiKey},
)
def issue_key(ctx: Context, body: NewApiKey) -> ResponseReturnValue:
    api_key, key = ctx.accounts.issue_key(body.name, body.platform, ctx.actor(), body.reason)
    ctx.sessions.forget()
    return {**key_view(api_key), "key": key}, 201


@routes.route(
    "POST",
    "/api/v1/admin/api-keys/<uuid:key_id>/revoke",
    "作废密钥",
    roles=ADMIN,
    params=ApiKeyPath,
    body=WithReason,
    answers={200: ApiKey},
    refusals=(404, 409),
)
def revoke_key(ctx: Context, key_id: UUID, body: WithReason) -> ResponseReturnValue:
    api_key = ctx.accounts.revoke_key(key_id, ctx.actor(), body.reason)
    ctx.sessions.forget()
    return key_view(api_key)


def key_view(k: PlatformKey) -> dict[str, Any]:
    return {
        "id": str(k.id),
        "name": k.name,
        "platform": k.platform,
        "revoked": k.revoked,
        "issued_at": k.created_on.isoformat(),
    }


@routes.route(
    "GET",
    "/api/v1/admin/logins",
    "登录记录（每次成功和失败：用户名、地址、时间、结果），按时间倒序",
    roles=AUDIT,
    query=LoginQuery,
    answers={200: LoginRecords},
)
def logins(ctx: Context, query: LoginQuery) -> ResponseReturnValue:
    total, rows = login_records(ctx.conninfo, **query.model_dump())
    return {"total": total, "logins": rows}
