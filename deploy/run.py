"""`make run`: the whole system with the demo county, until Ctrl-C."""

from __future__ import annotations

import os
import secrets
import signal
import time
from datetime import date, timedelta
from pathlib import Path

import requests

from deploy.demo import DEFAULT_LEADER, DEMO_ITEMS, DEMO_LEADERS, OFFICE_USERS
from deploy.stack import Stack, base_env


def seed_demo_leaders(base_url: str, password: str) -> None:
    """The county's leaders and who is in charge of which unit, through the API (each change an
    event; a repeat changes nothing)."""
    headers = _office(base_url, password)
    reason = {"reason": "演示县初始数据"}
    for code, name, title, login, units in DEMO_LEADERS:
        body = {"name": name, "title": title, "username": login, **reason}
        requests.put(
            f"{base_url}/api/v1/admin/leaders/{code}", json=body, headers=headers, timeout=30
        ).raise_for_status()
        for unit in units:
            requests.put(
                f"{base_url}/api/v1/admin/units/{unit}/leader",
                json={"leader": code, **reason},
                headers=headers,
                timeout=30,
            ).raise_for_status()
    requests.put(
        f"{base_url}/api/v1/admin/default-leader",
        json={"leader": DEFAULT_LEADER, **reason},
        headers=headers,
        timeout=30,
    ).raise_for_status()


def _office(base_url: str, password: str) -> dict[str, str]:
    token = requests.post(
        f"{base_url}/api/v1/auth/token",
        json={"username": "supervisor", "password": password},
        timeout=10,
    ).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def seed_demo_items(base_url: str, password: str) -> None:
    headers = _office(base_url, password)
    for spec in DEMO_ITEMS:
        item = {k: v for k, v in spec.items() if k not in ("assign", "due_in_days")}
        if "due_in_days" in spec:
            # a date ahead of whenever the demo is started (a date in the past is refused)
            due = date.today() + timedelta(days=spec["due_in_days"])
            item["due_date"] = due.isoformat()
        response = requests.post(f"{base_url}/api/v1/items", json=item, headers=headers, timeout=30)
        response.raise_for_status()
        created = response.status_code == 201
        if created and "assign" in spec:
            requests.post(
                f"{base_url}/api/v1/items/{response.json()['id']}/assign",
                json=spec["assign"],
                headers=headers,
                timeout=30,
            ).raise_for_status()


def local_secret(path: Path = Path("var/jwt_secret")) -> str:
    """The gateway's signing key on this machine: made on the first run, readable only by its
    owner, kept across restarts (so tokens survive them)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


def main() -> None:
    secret = os.environ.get("JWT_SECRET") or local_secret()
    stack = Stack(base_env(JWT_SECRET=secret), Path("var/log"))
    print("preparing the database and the bus ...", flush=True)
    stack.prepare()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        print("starting intake, assignment, deadline, reporting and the gateway ...", flush=True)
        stack.start()
        seed_demo_leaders(stack.gateway_url, stack.settings.demo_password)
        seed_demo_items(stack.gateway_url, stack.settings.demo_password)
        users = ", ".join(u for u, _, _ in OFFICE_USERS)
        print(
            f"\n政务督查督办平台 is running.\n"
            f"  console:  {stack.gateway_url}/  (网页控制台: sign in with a login below)\n"
            f"  gateway:  {stack.gateway_url}  (API under /api/v1, e.g. GET /api/v1/units)\n"
            f"  logins:   {users}, handler-<unit code> (e.g. handler-water)\n"
            f"  password: {stack.settings.demo_password}  (DEMO_PASSWORD)\n"
            f"  logs:     var/log/\n"
            f"Press Ctrl-C to stop.",
            flush=True,
        )
        while True:
            stack.check_alive()
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nstopping ...", flush=True)
    finally:
        stack.stop()
        print("stopped.", flush=True)


if __name__ == "__main__":
    main()
