"""Identity at the gateway, through the running processes: users managed through the API, each
change an event with who and why; sessions that end on every gateway copy within seconds; the
login's lock, address throttle, equal timing and bounded memory; machine clients' API keys;
the login record; and no start without a signing key."""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
import pytest
import requests
from argon2 import PasswordHasher

from deploy.demo import UNITS, seed_reference_data
from deploy.stack import Stack, free_port
from gateway.accounts import Accounts
from gateway.auth import Principal, Tokens
from gateway.routes import served
from gateway.users import user_id
from services.kernel.dates import BUSINESS_TZ
from services.kernel.store import store_env
from tests.client import Client, eventually

pytestmark = pytest.mark.integration

PASSWORD = "a-password-of-the-tests"
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


def login(url: str, username: str, password: str, address: str = "") -> requests.Response:
    """As a client at `address` (the test gateways trust 127.0.0.1 as a proxy)."""
    return requests.post(
        f"{url}/api/v1/auth/token",
        json={"username": username, "password": password},
        headers={"X-Forwarded-For": address} if address else {},
        timeout=30,
    )


def reads(url: str, access_token: str) -> int:
    return requests.get(
        f"{url}/api/v1/items",
        params={"limit": 1},
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=30,
    ).status_code


def refreshes(url: str, refresh_token: str) -> int:
    return requests.post(
        f"{url}/api/v1/auth/refresh", json={"refresh_token": refresh_token}, timeout=30
    ).status_code


def user_events(conninfo: str, username: str) -> list[dict[str, Any]]:
    """The user's events in the gateway's own store, with their type."""
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            "SELECT topic, state FROM gateway.gateway_events WHERE originator_id = %s"
            " ORDER BY originator_version",
            (user_id(username),),
        ).fetchall()
    return [{"type": topic.rsplit(".", 1)[-1], **json.loads(bytes(state))} for topic, state in rows]


def gateway_events(conninfo: str) -> int:
    with psycopg.connect(conninfo) as conn:
        row = conn.execute("SELECT count(*) FROM gateway.gateway_events").fetchone()
    assert row is not None
    return row[0]


@pytest.fixture(scope="module")
def admin(stack: Stack) -> Client:
    return Client(stack.gateway_url).login("admin", stack.settings.demo_password)


def new_user(admin: Client, role: str = "leader", unit: str | None = None) -> str:
    username = f"test-{uuid4().hex[:10]}"
    body = {
        "username": username,
        "display_name": "测试用户",
        "role": role,
        "unit": unit,
        "password": PASSWORD,
        "reason": "测试",
    }
    response = admin.post("/api/v1/admin/users", body)
    assert response.status_code == 201, response.text
    return username


def start_gateway(stack: Stack, copy: int, **env: str) -> str:
    port = free_port()
    stack.start_gateway(copy=copy, port=port, **env)
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        stack.check_alive()
        try:
            return requests.get(f"{url}/readyz", timeout=5).ok
        except requests.RequestException:
            return False

    eventually(ready, timeout=60)
    return url


@pytest.fixture(scope="module")
def second_gateway(stack: Stack) -> Iterator[str]:
    """Another copy of the gateway on the same database."""
    url = start_gateway(stack, 2)
    yield url
    stack.stop(["gateway-2"])


def test_the_administrator_manages_users_each_change_an_event_with_who_and_why(
    stack: Stack, admin: Client, admin_conninfo: str
):
    username = new_user(admin, "handler", "water")
    steps = [
        ("disable", {"reason": "调离岗位"}),
        ("enable", {"reason": "返回岗位"}),
        ("password", {"password": "another-password", "reason": "忘记密码"}),
        ("role", {"role": "handler", "unit": "finance", "reason": "调至财政局"}),
    ]
    for action, body in steps:
        response = admin.post(f"/api/v1/admin/users/{username}/{action}", body)
        assert response.status_code == 200, (action, response.text)
    assert response.json() == {
        "username": username,
        "display_name": "测试用户",
        "role": "handler",
        "unit": "finance",
        "disabled": False,
    }
    listed = {u["username"]: u for u in admin.get("/api/v1/admin/users").json()["users"]}
    assert listed[username] == response.json()

    events = user_events(admin_conninfo, username)
    assert [e["type"] for e in events] == [
        "Created",
        "Disabled",
        "Enabled",
        "PasswordReset",
        "RoleChanged",
    ]
    assert {e["actor"]["user"] for e in events} == {"admin"}
    assert [e["reason"] for e in events] == [
        "测试",
        "调离岗位",
        "返回岗位",
        "忘记密码",
        "调至财政局",
    ]
    assert login(stack.gateway_url, username, PASSWORD).status_code == 401
    signed_in = login(stack.gateway_url, username, "another-password")
    assert signed_in.status_code == 200
    assert (signed_in.json()["role"], signed_in.json()["unit"]) == ("handler", "finance")


def test_a_refused_change_names_the_field_in_chinese_and_appends_nothing(
    stack: Stack, admin: Client, supervisor: Client, admin_conninfo: str
):
    username = new_user(admin)  # a leader
    fresh = {"display_name": "测试用户", "password": PASSWORD, "reason": "测试"}
    before = gateway_events(admin_conninfo)
    refusals = [
        ("/api/v1/admin/users", {**fresh, "username": "x-1", "role": "handler"}, 422, "单位："),
        (
            "/api/v1/admin/users",
            {**fresh, "username": "x-2", "role": "handler", "unit": "no-such-unit"},
            422,
            "单位：no-such-unit 不是本县的单位",
        ),
        (
            "/api/v1/admin/users",
            {**fresh, "username": "x-3", "role": "leader", "unit": "water"},
            422,
            "单位：",
        ),
        ("/api/v1/admin/users", {**fresh, "username": username, "role": "leader"}, 409, "用户名："),
        (f"/api/v1/admin/users/{username}/role", {"role": "leader", "reason": "同"}, 409, "角色："),
        (f"/api/v1/admin/users/{username}/enable", {"reason": "未停用"}, 409, "账号未停用"),
        ("/api/v1/admin/users/no-such-user/disable", {"reason": "无此人"}, 404, "用户不存在"),
    ]
    for path, body, status, message in refusals:
        response = admin.post(path, body)
        assert response.status_code == status, (path, body, response.text)
        assert response.json()["message"].startswith(message), response.json()
    no_reason = admin.post(f"/api/v1/admin/users/{username}/disable", {"reason": " "})
    assert no_reason.status_code == 400
    assert no_reason.json()["fields"][0]["message"].startswith("理由：")
    assert supervisor.post("/api/v1/admin/users", {**fresh, "username": "x-4"}).status_code == 403
    assert gateway_events(admin_conninfo) == before


@pytest.mark.parametrize("revocation", ["logout", "disable", "role", "password"])
def test_a_session_ends_on_every_gateway_copy_within_5_seconds(
    stack: Stack, admin: Client, second_gateway: str, revocation: str
):
    username = new_user(admin)
    tokens = login(stack.gateway_url, username, PASSWORD).json()
    access, refresh = tokens["access_token"], tokens["refresh_token"]
    for url in (stack.gateway_url, second_gateway):
        assert reads(url, access) == 200
        assert refreshes(url, refresh) == 200

    if revocation == "logout":
        done = requests.post(
            f"{stack.gateway_url}/api/v1/auth/logout",
            headers={"Authorization": f"Bearer {access}"},
            timeout=30,
        )
    else:
        body = {
            "disable": {"reason": "离职"},
            "role": {"role": "auditor", "reason": "改任监察"},
            "password": {"password": "reset-password", "reason": "密码泄露"},
        }[revocation]
        done = admin.post(f"/api/v1/admin/users/{username}/{revocation}", body)
    changed = time.monotonic()
    assert done.status_code == 200, done.text

    assert reads(stack.gateway_url, access) == 401  # the copy that made the change: at once
    while reads(second_gateway, access) != 401:
        assert time.monotonic() - changed < 5, "the other copy still honours the token"
        time.sleep(0.05)
    print(f"{revocation}: the other copy refused the token after {time.monotonic() - changed:.2f}s")
    for url in (stack.gateway_url, second_gateway):
        assert refreshes(url, refresh) == 401


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # the old default
def test_a_token_needs_an_existing_user_this_gateway_s_key_and_its_kind(stack: Stack):
    url = stack.gateway_url
    ghost = Tokens(stack.settings.jwt_secret).issue(Principal("ghost", "supervisor", None), 0)
    assert reads(url, ghost["access_token"]) == 401
    forged = Tokens("change-me-in-production").issue(Principal("supervisor", "supervisor", None), 0)
    assert reads(url, forged["access_token"]) == 401
    real = login(url, "leader", stack.settings.demo_password).json()
    assert reads(url, real["access_token"]) == 200
    assert reads(url, real["refresh_token"]) == 401  # a refresh token is no access token
    assert refreshes(url, real["access_token"]) == 401
    assert real["expires_in"] == 30 * 60


def test_five_wrong_passwords_lock_a_name_for_15_minutes_known_or_unknown_alike(
    stack: Stack, admin: Client
):
    known, unknown = new_user(admin), f"nobody-{uuid4().hex[:8]}"
    answers, started = {}, {}
    for name in (known, unknown):
        for _ in range(5):
            assert (
                login(stack.gateway_url, name, "wrong-password", "203.0.113.5").status_code == 401
            )
        started[name] = datetime.now(UTC)
        answers[name] = login(stack.gateway_url, name, PASSWORD, "203.0.113.5")  # right or not
    for name, locked in answers.items():
        assert locked.status_code == 423, (name, locked.text)
        until = datetime.fromisoformat(locked.json()["until"])
        assert timedelta(minutes=14) < until - started[name] <= timedelta(minutes=15), until
        assert 840 < int(locked.headers["Retry-After"]) <= 900
        shown = until.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M:%S")
        assert locked.json()["message"] == (
            f"连续 5 次密码错误，该用户名已锁定至 {shown}（北京时间），请届时再试"
        )
    # a lock says nothing about whether the name exists: the same answer but for the time
    known_answer, unknown_answer = (
        {k: re.sub(r"\d", "0", str(v)) for k, v in answers[n].json().items()} for n in answers
    )
    assert known_answer == unknown_answer
    assert login(stack.gateway_url, "supervisor", stack.settings.demo_password).status_code == 200


def test_an_address_with_too_many_failed_logins_is_throttled_and_another_is_not(stack: Stack):
    url = start_gateway(stack, 3, LOGIN_ADDRESS_FAILURES="3")
    try:
        for _ in range(3):
            name = f"nobody-{uuid4().hex[:8]}"
            assert login(url, name, "wrong-password", "198.51.100.7").status_code == 401
        throttled = login(url, "supervisor", stack.settings.demo_password, "198.51.100.7")
        assert throttled.status_code == 429, throttled.text
        assert throttled.json()["message"].startswith("本地址登录失败次数过多")
        assert 0 < int(throttled.headers["Retry-After"]) <= 900
        assert login(url, "supervisor", stack.settings.demo_password, "198.51.100.8").ok
    finally:
        stack.stop(["gateway-3"])


def test_known_and_unknown_names_take_the_same_time(stack: Stack):
    """Wrong passwords for 20 real users (one each, so none is locked) and 20 unknown names,
    in pairs, each pair in the other order than the last; the medians may differ by at most
    20%."""
    url, times = stack.gateway_url, {"known": [], "unknown": []}
    login(url, "nobody-warm-up", "wrong-password", "192.0.2.9")
    for i, (code, _, _) in enumerate(UNITS[:20]):
        pair = [("known", f"handler-{code}"), ("unknown", f"nobody-{uuid4().hex[:8]}")]
        for kind, name in pair[:: 1 if i % 2 else -1]:
            started = time.perf_counter()
            assert login(url, name, "wrong-password", "192.0.2.9").status_code == 401
            times[kind].append(time.perf_counter() - started)
    known, unknown = (statistics.median(times[k]) * 1000 for k in ("known", "unknown"))
    print(f"wrong password: known {known:.1f} ms, unknown {unknown:.1f} ms (medians of 20)")
    assert abs(known - unknown) <= 0.2 * max(known, unknown)


def peak_memory(gateway: int) -> tuple[int, int]:
    """(resident, peak resident) KiB of the gunicorn worker of a gateway process."""
    children = Path(f"/proc/{gateway}/task/{gateway}/children").read_text().split()
    status = Path(f"/proc/{children[0]}/status").read_text()
    kib = {k: int(v.split()[0]) for k, v in re.findall(r"^(VmRSS|VmHWM):\s+(.*)$", status, re.M)}
    return kib["VmRSS"], kib["VmHWM"]


def test_fifty_concurrent_wrong_logins_leave_memory_bounded(stack: Stack, second_gateway: str):
    """At most LOGIN_HASH_CONCURRENCY (2) hashes of 19 MiB run at once, whatever arrives."""
    gateway = stack.processes["gateway-2"].pid
    idle, _ = peak_memory(gateway)
    names = [f"nobody-{uuid4().hex[:8]}" for _ in range(50)]
    threads = [
        threading.Thread(target=login, args=(second_gateway, n, "wrong-password", "192.0.2.50"))
        for n in names
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _, peak = peak_memory(gateway)
    print(f"gateway worker: idle {idle / 1024:.0f} MiB, peak {peak / 1024:.0f} MiB")
    assert peak - idle < 100 * 1024


def test_a_machine_client_is_refused_on_every_current_route(stack: Stack, admin: Client):
    issued = admin.post(
        "/api/v1/admin/api-keys",
        {"name": "12345 热线平台", "platform": "hotline", "reason": "对接"},
    )
    assert issued.status_code == 201, issued.text
    key = issued.json()["key"]
    listed = admin.get("/api/v1/admin/api-keys").json()["keys"]
    assert [k for k in listed if k["id"] == issued.json()["id"]] == [
        {k: v for k, v in issued.json().items() if k != "key"}
    ]
    guarded = [r for r in served(manual_clock=True) if r.roles is not None]
    for route in guarded:
        path = re.sub(r"{(\w+)}", lambda m: SAMPLES[m[1]], route.openapi_path)
        answer = requests.request(
            route.method, f"{stack.gateway_url}{path}", headers={"X-API-Key": key}, timeout=30
        )
        assert answer.status_code == 403, (route.name, answer.text)
    revoked = admin.post(f"/api/v1/admin/api-keys/{issued.json()['id']}/revoke", {"reason": "停用"})
    assert revoked.json()["revoked"] is True
    for header in (key, "sv_not-a-key"):
        answer = requests.get(
            f"{stack.gateway_url}/api/v1/units", headers={"X-API-Key": header}, timeout=30
        )
        assert answer.status_code == 401


def test_the_auditor_reads_every_attempt_by_user_and_date_page_by_page(
    stack: Stack, admin: Client, handler_factory
):
    username = new_user(admin)
    assert login(stack.gateway_url, username, "wrong-password", "198.51.100.20").status_code == 401
    assert login(stack.gateway_url, username, PASSWORD, "198.51.100.20").status_code == 200
    auditor = Client(stack.gateway_url).login("auditor", stack.settings.demo_password)
    record = auditor.get("/api/v1/admin/logins", user=username).json()
    assert record["total"] == 2
    assert [(r["user"], r["address"], r["outcome"]) for r in record["logins"]] == [
        (username, "198.51.100.20", "success"),
        (username, "198.51.100.20", "failure"),
    ]
    today = datetime.now(BUSINESS_TZ).date()
    tomorrow = today + timedelta(days=1)
    assert (
        auditor.get("/api/v1/admin/logins", user=username, since=today, until=today).json()["total"]
        == 2
    )
    assert auditor.get("/api/v1/admin/logins", user=username, since=tomorrow).json()["total"] == 0
    page = auditor.get("/api/v1/admin/logins", user=username, limit=1, offset=1).json()
    assert (page["total"], [r["outcome"] for r in page["logins"]]) == (2, ["failure"])
    assert handler_factory("water").get("/api/v1/admin/logins").status_code == 403


def test_demo_users_are_created_once_and_a_changed_password_stays_changed(
    stack: Stack, admin: Client, admin_conninfo: str
):
    name = "handler-government-services"
    changed = admin.post(
        f"/api/v1/admin/users/{name}/password", {"password": PASSWORD, "reason": "首次登录后修改"}
    )
    assert changed.status_code == 200
    seed_reference_data(stack.settings)  # what `make run` does on every start
    assert login(stack.gateway_url, name, stack.settings.demo_password).status_code == 401
    assert login(stack.gateway_url, name, PASSWORD).status_code == 200
    assert [e["type"] for e in user_events(admin_conninfo, name)] == ["Created", "PasswordReset"]
    assert user_events(admin_conninfo, "admin")[0]["actor"]["user"] == "system:demo"


def test_a_hash_of_older_parameters_is_replaced_at_login(stack: Stack, admin_conninfo: str):
    username = f"test-{uuid4().hex[:10]}"
    accounts = Accounts(store_env(stack.settings.database_url, "gateway", 1, cache_size=0))
    try:
        old_hash = PasswordHasher().hash(PASSWORD)  # the library's default: 64 MiB, t=3, p=4
        actor = {"user": "test", "role": "system", "unit": None}
        accounts.create_user(username, "旧用户", "leader", None, old_hash, actor, "测试", set())
    finally:
        accounts.close()
    for _ in range(2):
        assert login(stack.gateway_url, username, PASSWORD).status_code == 200
    events = user_events(admin_conninfo, username)
    assert [e["type"] for e in events] == ["Created", "PasswordRehashed"]
    assert events[1]["password_hash"].startswith("$argon2id$v=19$m=19456,t=2,p=1$")


@pytest.mark.parametrize(
    "secret", [None, "change-me", "change-me-in-production", "x" * 31], ids=repr
)
def test_the_gateway_refuses_to_start_without_a_secret_of_32_bytes(secret: str | None):
    env = {k: v for k, v in os.environ.items() if k not in ("JWT_SECRET", "CLOCK")}
    if secret is not None:
        env["JWT_SECRET"] = secret
    port = free_port()
    started = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "gateway.wsgi:app"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode != 0
    assert "JWT_SECRET must be set to at least 32 random bytes" in started.stderr


def test_a_secret_of_32_bytes_is_enough_and_none_is_needed_with_the_manual_clock():
    program = "from gateway.app import create_app; create_app()"
    base = {k: v for k, v in os.environ.items() if k not in ("JWT_SECRET", "CLOCK")}
    for env in ({**base, "JWT_SECRET": "x" * 32}, {**base, "CLOCK": "manual"}):
        result = subprocess.run(
            [sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr


def test_an_installation_without_demo_users_gets_its_first_administrator(
    stack: Stack, admin_conninfo: str
):
    username = f"ops-{uuid4().hex[:8]}"
    command = [sys.executable, "-m", "deploy.create_admin", username, "运维管理员"]
    for expected in (0, 1):  # the second time the name exists
        created = subprocess.run(
            command,
            env=stack.env,
            input=f"{PASSWORD}\n",
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert created.returncode == expected, created.stderr
    assert "已存在" in created.stderr
    signed_in = login(stack.gateway_url, username, PASSWORD)
    assert signed_in.json()["role"] == "admin"
    [created_event] = user_events(admin_conninfo, username)
    assert created_event["actor"]["user"] == "system:operator"
