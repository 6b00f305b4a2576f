"""Whatever goes wrong, the gateway answers JSON with a Chinese `message` and a `message_en`:
its own refusals, what HTTP itself refuses, a database it cannot reach, and the unexpected.
No service is needed: the broker and the database are addresses where nothing listens."""

from __future__ import annotations

import logging

import pytest
from flask import Flask, abort

from gateway.app import create_app
from services.kernel.config import Settings

NOWHERE = {
    "JWT_SECRET": "a-secret-of-the-unit-tests-32-bytes-long",
    "AMQP_URI": "amqp://guest:guest@127.0.0.1:1//",
    "DATABASE_URL": "postgresql://nobody:nothing@127.0.0.1:1/nothing",
}


@pytest.fixture
def app() -> Flask:
    return create_app(Settings.from_env(NOWHERE))


def answered(app: Flask, path: str, method: str = "GET", **kwargs) -> tuple[int, dict, dict]:
    response = app.test_client().open(path, method=method, **kwargs)
    assert response.content_type == "application/json", response.data[:200]
    return response.status_code, response.json, dict(response.headers)


def test_an_unexpected_error_is_logged_and_answered_as_json(
    app: Flask, caplog: pytest.LogCaptureFixture
):
    def broken() -> str:
        raise RuntimeError("a bug")

    app.add_url_rule("/broken", "broken", broken)
    with caplog.at_level(logging.ERROR, logger="gateway.errors"):
        status, body, _ = answered(app, "/broken")
    assert status == 500
    assert body == {
        "error": "internal_error",
        "message": "系统内部错误，请联系管理员",
        "message_en": "internal error",
    }
    logged = [r for r in caplog.records if r.exc_info]
    assert logged and "a bug" in str(logged[0].exc_info[1])


@pytest.mark.parametrize(
    ("code", "message"),
    [(400, "请求格式有误"), (418, "请求无法处理（HTTP 418）"), (429, "请求过于频繁，请稍后重试")],
)
def test_what_http_itself_refuses_is_json_in_chinese(app: Flask, code: int, message: str):
    app.add_url_rule("/refusing", "refusing", lambda: abort(code))
    status, body, _ = answered(app, "/refusing")
    assert (status, body["message"]) == (code, message)
    assert body["message_en"]


def test_a_database_that_is_down_is_a_503_with_retry_after(app: Flask):
    status, body, headers = answered(
        app, "/api/v1/auth/token", method="POST", json={"username": "a", "password": "b"}
    )
    assert status == 503
    assert body["message"] == "服务暂不可用，请稍后重试"
    assert headers["Retry-After"] == "5"
