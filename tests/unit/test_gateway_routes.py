"""Each route is declared once (`gateway/api.py`): the Flask routes and the OpenAPI document both
come from the declarations, so no route is served undocumented, and what a route refuses before
its view runs is what its document says. No service is needed: every request here is refused
before one would be asked."""

from __future__ import annotations

import inspect
import re
from typing import Any

import pytest
from flask import Flask

from gateway import errors
from gateway.answers import Health
from gateway.api import Routes, bind
from gateway.app import create_app
from gateway.auth import Principal, Tokens
from gateway.context import Context
from gateway.openapi import openapi_document
from gateway.routes import items, served
from gateway.schemas import YearPath
from services.kernel.access import ADMIN, CLIENT, PLATFORM_LABELS, ROLE_LABELS
from services.kernel.config import Settings

SECRET = "a-secret-of-the-unit-tests-32-bytes-long"
SAMPLES = {
    "item_id": "7f3c1a52-9a0e-4d6b-8f55-2f0d3c9b1e11",
    "key_id": "0b5e7d3c-1f2a-4c6d-9e8f-7a6b5c4d3e2f",
    "year": "2026",
    "sha": "ab" * 32,
    "code": "water",
    "username": "handler-water",
    "campaign_id": "5d2e8f14-6b3a-4c7e-9f01-2a3b4c5d6e7f",
    "finding_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
}
KEY = {"X-API-Key": "hotline"}  # a machine client of the 12345 hotline (EverySession)


class EverySession:
    """Every user's session is at epoch 0; a key is a client of the platform it names."""

    def current(self, user: str, epoch: int, issued_at: int) -> bool:
        return epoch == 0

    def client(self, key: str) -> Principal | None:
        return Principal(f"{key}-platform", CLIENT, None, key) if key in PLATFORM_LABELS else None

    def forget(self) -> None:
        """Nothing is kept to read again."""


def settings(clock: str) -> Settings:
    # AMQP on a closed port: a request that reached a service would fail, not pass
    env = {"CLOCK": clock, "JWT_SECRET": SECRET, "AMQP_URI": "amqp://guest:guest@127.0.0.1:1//"}
    return Settings.from_env(env)


def gateway(clock: str) -> tuple[Flask, dict[str, Any]]:
    app = create_app(settings(clock), EverySession())
    document = app.test_client().get("/api/v1/openapi.json").json
    assert document is not None
    return app, document


def token(role: str) -> dict[str, str]:
    bearer = Tokens(SECRET).issue(Principal(f"test-{role}", role, "water"), 0)["access_token"]
    return {"Authorization": f"Bearer {bearer}"}


def url(openapi_path: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: SAMPLES[m[1]], openapi_path)


@pytest.mark.parametrize("clock", ["manual", "system"])
def test_the_document_has_exactly_the_routes_flask_serves(clock: str):
    app, document = gateway(clock)
    rules = {
        (method.lower(), re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS") and not rule.endpoint.startswith("console.")
    }
    documented = {(m, path) for path, operations in document["paths"].items() for m in operations}
    assert rules == documented
    console_pages = {r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("console.")}
    assert console_pages == {"/", "/sw.js", "/console/<path:name>"}
    assert (("post", "/api/v1/_test/clock") in rules) == (clock == "manual")


def test_a_route_that_needs_a_token_refuses_without_one_and_documents_it():
    app, document = gateway("manual")
    client = app.test_client()
    guarded = [r for r in served(manual_clock=True) if r.roles is not None]
    assert len(guarded) > 25
    for route in guarded:
        responses = document["paths"][route.openapi_path][route.method.lower()]["responses"]
        assert "401" in responses, route.name
        answer = client.open(url(route.openapi_path), method=route.method)
        assert answer.status_code == 401, route.name
        assert answer.json["message"] == "未登录或登录已过期，请重新登录"


def test_a_route_for_some_roles_refuses_the_others_and_documents_it():
    app, document = gateway("manual")
    client = app.test_client()
    limited = [r for r in served(manual_clock=True) if r.roles]
    assert {r.name for r in limited} >= {"post_items", "post_items_item_id_assign"}
    for route in limited:
        responses = document["paths"][route.openapi_path][route.method.lower()]["responses"]
        assert "403" in responses, route.name
        for role in sorted(set(ROLE_LABELS) - set(route.roles or ())):
            headers = token(role)
            answer = client.open(url(route.openapi_path), method=route.method, headers=headers)
            assert answer.status_code == 403, (route.name, role)


def test_assign_and_reassign_are_one_view():
    routes = {r.name: r for r in served(manual_clock=False)}
    views = {
        getattr(inspect.unwrap(routes[name].view), "func", None)
        for name in ("post_items_item_id_assign", "post_items_item_id_reassign")
    }
    assert views == {items.assign}


def test_a_bad_body_is_refused_naming_each_field_in_chinese():
    app, _ = gateway("manual")
    answer = app.test_client().post(
        "/api/v1/items", json={"source": "gossip"}, headers=token("supervisor")
    )
    assert answer.status_code == 400
    fields = {f["field"]: f["message"] for f in answer.json["fields"]}
    assert fields["title"] == "标题：必填，请填写"
    assert set(fields) == {"source", "title", "content"}


def test_a_role_the_route_is_not_for_is_told_who_may():
    app, _ = gateway("manual")
    answer = app.test_client().post(
        "/api/v1/items", json={"source": "hotline"}, headers=token("handler")
    )
    assert answer.status_code == 403
    assert answer.json["message"] == (
        "无权执行此操作：此操作仅限督查室、县政府领导，如确需办理请联系督查室"
    )


def test_the_answer_to_a_bad_body_quotes_its_first_bad_fields():
    app, _ = gateway("manual")
    client = app.test_client()
    answer = client.post("/api/v1/items", json={"source": "hotline"}, headers=token("supervisor"))
    assert (
        answer.json["message"]
        == "请求有误，请修改后重新提交：标题：必填，请填写；内容：必填，请填写"
    )
    answer = client.post(
        "/api/v1/items",
        json={"source": "hotline", "title": "", "complexity": "hard", "due_date": "x", "co": 1},
        headers=token("supervisor"),
    )
    assert len(answer.json["fields"]) == 5
    assert answer.json["message"] == (
        "请求有误，请修改后重新提交：标题：不能为空，请填写；内容：必填，请填写；"
        "办理时限：须为有效的日期，格式如 2026-01-05，请检查年、月、日；另有 2 处"
    )


def test_a_year_out_of_range_is_refused_naming_it():
    app, _ = gateway("manual")
    answer = app.test_client().get("/api/v1/admin/calendar/1999", headers=token("leader"))
    assert answer.status_code == 400
    assert answer.json["fields"][0]["message"] == "年度：须为 2000 至 2100 年之间的年份，如 2026"


def test_a_malformed_file_hash_names_no_file():
    app, _ = gateway("manual")
    answer = app.test_client().get("/api/v1/files/not-a-hash", headers=token("leader"))
    assert answer.status_code == 404


def test_a_path_model_must_name_the_path_s_parameters():
    with pytest.raises(ValueError, match="item_id"):
        Routes().route("GET", "/api/v1/items/<uuid:item_id>", "x", params=YearPath, answers={})


def test_no_route_accepts_a_machine_client_yet():
    app, _ = gateway("manual")
    client = app.test_client()
    for route in served(manual_clock=True):
        if route.roles is not None:
            answer = client.open(url(route.openapi_path), method=route.method, headers=KEY)
            assert answer.status_code == 403, route.name


def test_a_route_accepts_the_machine_clients_of_the_platforms_it_names_only():
    routes = Routes()

    @routes.route(
        "GET", "/api/v1/probe", "接入测试", roles=ADMIN, clients=("hotline",), answers={200: Health}
    )
    def probe(ctx: Context) -> dict[str, str]:
        return {"status": "ok"}

    document = openapi_document(routes)
    app = Flask(__name__)
    errors.register(app)
    bind(app, Context.build(settings("manual"), document, EverySession()), routes)
    client = app.test_client()
    assert client.get("/api/v1/probe", headers=KEY).status_code == 200
    refused = client.get("/api/v1/probe", headers={"X-API-Key": "netizen"})
    assert refused.status_code == 403
    assert refused.json["message"] == (
        "无权执行此操作：此接口不对“互联网+督查”平台和领导留言板开放"
    )
    operation = document["paths"]["/api/v1/probe"]["get"]
    assert operation["security"] == [{"bearer": []}, {"apiKey": []}]
    assert PLATFORM_LABELS["hotline"] in operation["description"]


def test_every_change_documents_the_idempotency_key_and_its_refusals():
    _, document = gateway("manual")
    changes = [r for r in served(manual_clock=True) if r.method != "GET" and r.roles is not None]
    assert {r.name for r in changes} >= {"post_items", "post_files", "post_test_clock"}
    for route in served(manual_clock=True):
        operation = document["paths"][route.openapi_path][route.method.lower()]
        headers = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
        assert headers == (["Idempotency-Key"] if route in changes else []), route.name
        if route in changes:
            assert {"409", "413", "422"} <= set(operation["responses"]), route.name


def test_a_bad_idempotency_key_is_refused_naming_the_header():
    app, _ = gateway("manual")
    answer = app.test_client().post(
        "/api/v1/items",
        json={"source": "instruction", "title": "t", "content": "c"},
        headers={**token("supervisor"), "Idempotency-Key": "x" * 256},
    )
    assert answer.status_code == 400
    assert answer.json["fields"][0]["field"] == "Idempotency-Key"
    assert answer.json["fields"][0]["message"].startswith("Idempotency-Key：")


def test_the_work_lists_document_each_filter_and_refuse_a_bad_one_before_any_service():
    app, document = gateway("manual")
    parameters = {p["name"]: p for p in document["paths"]["/api/v1/items"]["get"]["parameters"]}
    new = ("pending_extension", "escalated", "unsigned", "returned_by_unit", "due_within")
    new += ("due_from", "due_to", "notice_number", "external_ref", "q")
    for name in new:
        assert parameters[name]["description"], name
    assert parameters["q"]["schema"]["maxLength"] == 50
    assert parameters["due_within"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 60}
    answer = app.test_client().get(
        "/api/v1/items?q=" + "道" * 51 + "&due_within=0", headers=token("handler")
    )
    assert answer.status_code == 400
    assert {f["field"]: f["message"] for f in answer.json["fields"]} == {
        "q": "搜索词：不能超过 50 个字符（现有 51 个），请删减",
        "due_within": "几个工作日内到期：不能小于 1，请改为 1 或更大的数",
    }
