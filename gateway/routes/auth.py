"""Signing in and out: tokens (`gateway/auth.py`), the login's rules (`gateway/login.py`)."""

from __future__ import annotations

import secrets
from contextlib import suppress
from datetime import UTC, datetime

from flask import g, make_response, request
from flask.typing import ResponseReturnValue

from gateway.answers import ConsoleSession, Me, RefusedUntil, SignedOut, Token
from gateway.api import Routes
from gateway.auth import session
from gateway.console import (
    CSRF_HEADER,
    REFRESH_COOKIE,
    clear_session_cookies,
    new_csrf_token,
    session_answer,
    set_session_cookies,
)
from gateway.context import Context
from gateway.login import LoginRefused
from gateway.schemas import RefreshRequest, TokenRequest
from services.kernel.access import ROLE_LABELS
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
    return _signed_in(ctx, body)


def _signed_in(ctx: Context, body: TokenRequest, csrf: str | None = None) -> ResponseReturnValue:
    """Tokens for a right password (with `csrf`, a console session's), or the refusal."""
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
    return ctx.tokens.issue(signed_in.principal, signed_in.epoch, csrf=csrf)


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
    return ctx.tokens.issue(signed_in.principal, signed_in.epoch, refresh_token=body.refresh_token)


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


@routes.route(
    "POST",
    "/api/v1/auth/session",
    "网页控制台登录：令牌存于 HttpOnly、SameSite=Strict 的 Cookie，页面只得到用户信息；"
    "此后的修改须在 X-CSRF-Token 头中带上 Cookie dc_csrf 的值",
    roles=None,
    body=TokenRequest,
    answers={200: ConsoleSession, 423: RefusedUntil, 429: RefusedUntil},
    refusals=(401,),
)
def open_console_session(ctx: Context, body: TokenRequest) -> ResponseReturnValue:
    csrf = new_csrf_token()
    answer = _signed_in(ctx, body, csrf)
    if not isinstance(answer, dict):
        return answer
    response = make_response(session_answer(answer))
    set_session_cookies(response, answer, csrf)
    return response


@routes.route(
    "POST",
    "/api/v1/auth/session/refresh",
    "网页控制台：以刷新 Cookie 换取新的访问 Cookie（须带 X-CSRF-Token）",
    roles=None,
    answers={200: ConsoleSession},
    refusals=(401,),
)
def refresh_console_session(ctx: Context) -> ResponseReturnValue:
    signed_in = session(
        ctx.tokens, ctx.sessions, request.cookies.get(REFRESH_COOKIE, ""), "refresh"
    )
    if (
        signed_in is None
        or signed_in.csrf is None
        or not secrets.compare_digest(request.headers.get(CSRF_HEADER, ""), signed_in.csrf)
    ):
        response = make_response(
            {
                "error": "unauthorized",
                "message": "登录已过期或已被注销，请重新登录",
                "message_en": "invalid or ended console session",
            },
            401,
        )
        clear_session_cookies(response)
        return response
    tokens = ctx.tokens.issue(
        signed_in.principal,
        signed_in.epoch,
        refresh_token=request.cookies[REFRESH_COOKIE],
        csrf=signed_in.csrf,
    )
    response = make_response(session_answer(tokens))
    set_session_cookies(response, tokens, signed_in.csrf)
    return response


@routes.route(
    "DELETE",
    "/api/v1/auth/session",
    "网页控制台退出登录：本用户的所有令牌（各设备）随即失效，Cookie 清除",
    answers={200: SignedOut},
    refusals=(409,),
)
def close_console_session(ctx: Context) -> ResponseReturnValue:
    response = make_response(logout(ctx))
    clear_session_cookies(response)
    return response


@routes.route(
    "GET",
    "/api/v1/auth/me",
    "当前登录的用户：用户名、姓名、角色、所属单位",
    answers={200: Me},
)
def me(ctx: Context) -> ResponseReturnValue:
    principal = g.principal
    return {
        "user": principal.user,
        "role": principal.role,
        "role_label": ROLE_LABELS.get(principal.role, principal.role),
        "unit": principal.unit,
    }
