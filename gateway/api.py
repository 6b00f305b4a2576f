"""One declaration per route: the Flask route and the OpenAPI document both come from it.

A route module makes `routes = Routes()` and declares each plain view function with
`@routes.route(...)`; `bind` adds them to Flask, `gateway.openapi` describes them. A view is
called as `view(ctx, <path parameters>, query=..., body=..., upload=...)`, each already checked
against its declared model, so a view holds only what the request means.

Our own registry rather than flask-openapi3 or spectree: those answer a bad request in their own
format, while ours must name each field in Chinese (`schemas.field_errors`) and every error is
our JSON.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, g, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ValidationError
from werkzeug.routing import BaseConverter

from gateway.auth import Principal, caller
from gateway.context import Context
from gateway.errors import BadRequest
from gateway.schemas import USERNAME, field_errors
from services.kernel.access import CLIENT, Platform, Role
from services.kernel.errors import Refused

View = Callable[..., ResponseReturnValue]
V = TypeVar("V", bound=View)
M = TypeVar("M", bound=BaseModel)
# An answer: the model of its JSON body, or an OpenAPI `content` object for anything else.
Answer = type[BaseModel] | Mapping[str, Any]

PATH_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


class Sm3Converter(BaseConverter):
    """An SM3 hash in hex, as files are named: anything else names no file (404), like any
    unknown path."""

    regex = "[0-9a-f]{64}"


class UsernameConverter(BaseConverter):
    """A user name as users are named: anything else names no user (404)."""

    regex = USERNAME


@dataclass(frozen=True)
class Route:
    """`path` in Flask's syntax. `roles`: which users may call it; empty: any signed-in user;
    None: no token needed. `clients`: the platforms whose machine clients (API keys) may call
    it; no other client may. `answers`: the route's own answers by status; `refusals`: the
    statuses it may answer with the common error body, including those `bind` answers
    itself."""

    method: str
    path: str
    summary: str
    view: View
    roles: tuple[Role, ...] | None
    clients: tuple[Platform, ...]
    params: type[BaseModel] | None
    query: type[BaseModel] | None
    body: type[BaseModel] | None
    upload: bool
    answers: Mapping[int, Answer]
    refusals: tuple[int, ...]

    @property
    def openapi_path(self) -> str:
        return PATH_PARAMETER.sub(r"{\1}", self.path)

    @property
    def name(self) -> str:
        """Unique per method and path: the Flask endpoint and the OpenAPI operationId."""
        words = re.findall(r"[a-z0-9]+", self.openapi_path.removeprefix("/api/v1"))
        return "_".join([self.method.lower(), *words])


class Routes(list[Route]):
    def route(
        self,
        method: str,
        path: str,
        summary: str,
        *,
        roles: tuple[Role, ...] | None = (),
        clients: tuple[Platform, ...] = (),
        params: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        body: type[BaseModel] | None = None,
        upload: bool = False,
        answers: Mapping[int, Answer],
        refusals: tuple[int, ...] = (),
    ) -> Callable[[V], V]:
        """Declares the decorated view. `refusals` need not list what `bind` refuses itself: 400
        for a bad query, body or upload, 401 without a token, 403 for a role or a machine
        client the route does not accept. A path model that can refuse a value the path's
        converter lets through lists its 400 (a year out of range); one that cannot (a UUID)
        documents no 400 that never comes."""
        named = set(PATH_PARAMETER.findall(path))
        if named != set(params.model_fields if params else ()):
            raise ValueError(f"{method} {path}: the path model must name {sorted(named)}")
        refused = {
            *refusals,
            *((400,) if query or body or upload else ()),
            *((401, 403) if roles is not None else ()),
        }

        def declare(view: V) -> V:
            self.append(
                Route(
                    method=method,
                    path=path,
                    summary=summary,
                    view=view,
                    roles=roles,
                    clients=clients,
                    params=params,
                    query=query,
                    body=body,
                    upload=upload,
                    answers=answers,
                    refusals=tuple(sorted(refused)),
                )
            )
            return view

        return declare


def bind(app: Flask, ctx: Context, routes: list[Route]) -> None:
    app.url_map.converters["sm3"] = Sm3Converter
    app.url_map.converters["username"] = UsernameConverter
    for route in routes:
        app.add_url_rule(route.path, route.name, _handler(ctx, route), methods=[route.method])


def _handler(ctx: Context, route: Route) -> View:
    def handle(**path: Any) -> ResponseReturnValue:
        if route.roles is not None:
            g.principal = _principal(ctx, route)
        given: dict[str, Any] = dict(_parse(route.params, path)) if route.params else {}
        if route.query:
            given["query"] = _parse(route.query, request.args.to_dict())
        if route.body:
            given["body"] = _parse(route.body, request.get_json(silent=True))
        if route.upload:
            upload = request.files.get("file")
            if upload is None:
                raise BadRequest(
                    [{"field": "file", "message": "文件：必填（multipart 字段 file）"}]
                )
            given["upload"] = upload
        return route.view(ctx, **given)

    return handle


def _principal(ctx: Context, route: Route) -> Principal:
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
    principal = caller(ctx.tokens, ctx.sessions, token, request.headers.get("X-API-Key", ""))
    if principal is None:
        raise Refused("unauthorized", "未登录或登录已过期", "missing or invalid token", 401)
    if principal.role == CLIENT:
        allowed = principal.platform in route.clients
    else:
        allowed = not route.roles or principal.role in route.roles
    if not allowed:
        raise Refused("forbidden", "无权执行此操作", "not allowed for this role", 403)
    return principal


def _parse(model: type[M], data: Any) -> M:
    if not isinstance(data, dict):
        raise BadRequest([{"field": "body", "message": "请求体须为 JSON 对象"}])
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise BadRequest(field_errors(e)) from None
