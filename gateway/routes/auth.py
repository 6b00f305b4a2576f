"""Signing in."""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from gateway.answers import Token
from gateway.api import Routes
from gateway.auth import authenticate, issue_token
from gateway.context import Context
from gateway.schemas import TokenRequest
from services.kernel.errors import Refused

routes = Routes()


@routes.route(
    "POST",
    "/api/v1/auth/token",
    "登录，取得 12 小时有效的令牌",
    roles=None,
    body=TokenRequest,
    answers={200: Token},
    refusals=(401,),
)
def token(ctx: Context, body: TokenRequest) -> ResponseReturnValue:
    principal = authenticate(ctx.conninfo, body.username, body.password)
    if principal is None:
        raise Refused("bad_credentials", "用户名或密码错误", "wrong username or password", 401)
    return {
        "access_token": issue_token(ctx.settings.jwt_secret, principal),
        "token_type": "Bearer",
        "user": principal.user,
        "role": principal.role,
        "unit": principal.unit,
    }
