"""Signing in and out: tokens (`gateway/auth.py`), the login's rules (`gateway/login.py`)."""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime

from flask import g, request
from flask.typing import ResponseReturnValue

from gateway.answers import RefusedUntil, SignedOut, Token
from gateway.api import Routes
from gateway.auth import session
from gateway.context import Context
from gateway.login import LoginRefused
from gateway.schemas import RefreshRequest, TokenRequest
from services.kernel.errors import Refused

routes = Routes()


@routes.route(
    "POST",
    "/api/v1/auth/token",
    "登录：取得 30 分钟有效的访问令牌和 12 小时有效的刷新令牌",
    roles=None,
    body=TokenRequest,
    answers={200: Token, 423: RefusedUntil, 429: RefusedUntil},
    refusals=(401,),
)
def token(ctx: Context, body: TokenRequest) -> ResponseReturnValue:
    address = ctx.login.address(
        request.remote_addr or "", request.headers.get("X-Forwarded-For", "")
    )
    try:
        signed_in = ctx.login.sign_in(body.username, body.password, address)
    except LoginRefused as e:
        answer = {
            "error": e.code,
            "message": e.message_zh,
            "message_en": e.message_en,
            "until": e.until.isoformat(),
        }
        return answer, e.status, {"Retry-After": str(e.retry_after(datetime.now(UTC)))}
    if signed_in.rehash:
        actor = signed_in.principal.actor()
        # the next login tries again if someone changed the user meanwhile
        with suppress(Refused):
            ctx.accounts.change_user(
                body.username, lambda a: a.rehash(ctx.passwords.hash(body.password), actor)
            )
    return ctx.tokens.issue(signed_in.principal, signed_in.epoch)


@routes.route(
    "POST",
    "/api/v1/auth/refresh",
    "以刷新令牌换取新的访问令牌（刷新令牌不变）",
    roles=None,
    body=RefreshRequest,
    answers={200: Token},
    refusals=(401,),
)
def refresh(ctx: Context, body: RefreshRequest) -> ResponseReturnValue:
    signed_in = session(ctx.tokens, ctx.sessions, body.refresh_token, "refresh")
    if signed_in is None:
        raise Refused(
            "unauthorized", "登录已过期或已被注销，请重新登录", "invalid or ended session", 401
        )
    return ctx.tokens.issue(*signed_in, refresh_token=body.refresh_token)


@routes.route(
    "POST",
    "/api/v1/auth/logout",
    "退出登录：本用户的所有令牌（各设备）随即失效",
    answers={200: SignedOut},
    refusals=(409,),
)
def logout(ctx: Context) -> ResponseReturnValue:
    user = g.principal.user
    ctx.accounts.change_user(user, lambda a: a.sign_out(ctx.actor()))
    ctx.sessions.forget()
    return {"user": user}
