"""One declaration per route: the Flask route and the OpenAPI document both come from it.

A route module makes `routes = Routes()` and declares each plain view function with
`@routes.route(...)`; `bind` adds them to Flask, `gateway.openapi` describes them. A view is
called as `view(ctx, <path parameters>, query=..., body=..., upload=...)`, each already checked
against its declared model and size limit (`gateway/limits.py`), so a view holds only what the
request means. A change made by someone signed in takes an `Idempotency-Key`
(`gateway/idempotency.py`).

Our own registry rather than flask-openapi3 or spectree: those answer a bad request in their own
format, while ours must name each field in Chinese (`schemas.field_errors`) and every error is
our JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import BaseConverter

from gateway import limits
from gateway.auth import Principal, caller
from gateway.context import Context
from gateway.errors import BadRequest
from gateway.idempotency import HEADER as IDEMPOTENCY_KEY
from gateway.schemas import USERNAME, field_errors
from services.kernel.access import CLIENT, PLATFORM_LABELS, ROLE_LABELS, Platform, Role
from services.kernel.errors import Refused

View = Callable[..., ResponseReturnValue]
V = TypeVar("V", bound=View)
M = TypeVar("M", bound=BaseModel)
# An answer: the model of its JSON body, or an OpenAPI `content` object for anything else.
Answer = type[BaseModel] | Mapping[str, Any]

PATH_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")
CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _keyed(method: str, roles: tuple[Role, ...] | None) -> bool:
    """A change someone signed in makes: it takes an Idempotency-Key."""
    return method in CHANGES and roles is not None


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
    it; no other client may. `upload`: the largest file (bytes) the multipart field `file` may
    hold; None: the route takes no upload. `answers`: the route's own answers by status;
    `refusals`: the statuses it may answer with the common error body, including those `bind`
    answers itself."""

    method: str
    path: str
    summary: str
    view: View
    roles: tuple[Role, ...] | None
    clients: tuple[Platform, ...]
    params: type[BaseModel] | None
    query: type[BaseModel] | None
    body: type[BaseModel] | None
    upload: int | None
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

    @property
    def keyed(self) -> bool:
        return _keyed(self.method, self.roles)

    @property
    def request_bytes(self) -> int:
        """The longest request: an upload with its multipart framing, or a JSON body."""
        return self.upload + limits.FORM_BYTES if self.upload else limits.JSON_BYTES

    def too_large(self) -> Refused:
        if self.upload:
            return limits.too_large("file_too_large", "文件", "file", self.upload)
        return limits.too_large(
            "request_too_large", "请求体", "request body", limits.JSON_BYTES, "请精简内容后重新提交"
        )


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
        upload: int | None = None,
        answers: Mapping[int, Answer],
        refusals: tuple[int, ...] = (),
    ) -> Callable[[V], V]:
        """Declares the decorated view. `refusals` need not list what `bind` refuses itself: 400
        for a bad query, body or upload, 401 without a token, 403 for a role or a machine
        client the route does not accept, 413 for a change too large, and for an
        Idempotency-Key 409 (its first request still runs) and 422 (it was used for another
        request). A path model that can refuse a value the path's
        converter lets through lists its 400 (a year out of range); one that cannot (a UUID)
        documents no 400 that never comes."""
        named = set(PATH_PARAMETER.findall(path))
        if named != set(params.model_fields if params else ()):
            raise ValueError(f"{method} {path}: the path model must name {sorted(named)}")
        refused = {
            *refusals,
            *((400,) if query or body or upload else ()),
            *((401, 403) if roles is not None else ()),
            *((413,) if method in CHANGES else ()),
            *((400, 409, 422) if _keyed(method, roles) else ()),
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
        # werkzeug refuses a longer Content-Length before reading, a longer chunked body while
        # reading; a route that reads no body refuses one all the same
        request.max_content_length = route.request_bytes
        try:
            if (request.content_length or 0) > route.request_bytes:
                raise RequestEntityTooLarge()
            return _handled(ctx, route, path)
        except RequestEntityTooLarge:
            raise route.too_large() from None

    return handle


def _handled(ctx: Context, route: Route, path: dict[str, Any]) -> ResponseReturnValue:
    if route.roles is not None:
        g.principal = _principal(ctx, route)
    given: dict[str, Any] = dict(_parse(route.params, path)) if route.params else {}
    if route.query:
        given["query"] = _parse(route.query, request.args.to_dict())
    if route.body:
        given["body"] = _parse(route.body, _json_body())
    if route.upload:
        upload = request.files.get("file")
        if upload is None:
            raise BadRequest(
                [
                    {
                        "field": "file",
                        "message": "文件：必填，请选择要上传的文件",
                        "message_en": "the multipart field `file` is required",
                    }
                ]
            )
        given["upload"] = upload
    key = request.headers.get(IDEMPOTENCY_KEY)
    if key is None or not route.keyed:
        return route.view(ctx, **given)
    return ctx.keys.once(g.principal.user, key, request, lambda: _answered(route, ctx, given))


def _answered(route: Route, ctx: Context, given: dict[str, Any]) -> Response:
    """The view's answer as Flask gives it, a refusal included, to keep for its key."""
    try:
        return current_app.make_response(route.view(ctx, **given))
    except Exception as e:
        return current_app.make_response(current_app.handle_user_exception(e))


def _json_body() -> Any:
    """The JSON body (None if there is none or it is no JSON); nesting is limited, and checked
    on the parsed document, since Python's parser fails on a deep one with a RecursionError."""
    if not request.is_json:
        return None
    data = request.get_data()
    if request.content_length is None and len(data) == request.max_content_length:
        # werkzeug ends a chunked body at the limit without a word: there may be more
        raise RequestEntityTooLarge()
    try:
        document = json.loads(data)
    except ValueError:
        return None
    except RecursionError:
        raise _too_deep() from None
    if limits.json_depth(document) > limits.JSON_DEPTH:
        raise _too_deep()
    return document


def _too_deep() -> BadRequest:
    return BadRequest(
        [
            {
                "field": "body",
                "message": f"请求体：JSON 嵌套超过 {limits.JSON_DEPTH} 层上限，请减少嵌套层数",
                "message_en": f"JSON nested deeper than {limits.JSON_DEPTH} levels",
            }
        ]
    )


def _principal(ctx: Context, route: Route) -> Principal:
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
    principal = caller(ctx.tokens, ctx.sessions, token, request.headers.get("X-API-Key", ""))
    if principal is None:
        raise Refused(
            "unauthorized", "未登录或登录已过期，请重新登录", "missing or invalid token", 401
        )
    if principal.role == CLIENT:
        if principal.platform not in route.clients:
            platform = PLATFORM_LABELS.get(principal.platform or "", "本平台")
            raise Refused(
                "forbidden",
                f"无权执行此操作：此接口不对{platform}开放",
                "not allowed for this role",
                403,
            )
    elif route.roles and principal.role not in route.roles:
        allowed = "、".join(ROLE_LABELS[role] for role in route.roles)
        raise Refused(
            "forbidden",
            f"无权执行此操作：此操作仅限{allowed}，如确需办理请联系督查室",
            "not allowed for this role",
            403,
        )
    return principal


def _parse(model: type[M], data: Any) -> M:
    if not isinstance(data, dict):
        raise BadRequest(
            [
                {
                    "field": "body",
                    "message": "请求体：须为 JSON 对象，请以花括号 { } 括起各字段",
                    "message_en": "the body must be a JSON object",
                }
            ]
        )
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise BadRequest(field_errors(e)) from None
