"""A small client of the gateway's JSON API, as the web console or a platform would use it."""

from __future__ import annotations

import time
import uuid
from typing import Any

import requests


class Client:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.refresh_token: str | None = None

    def login(self, username: str, password: str) -> Client:
        response = self.session.post(
            f"{self.base_url}/api/v1/auth/token",
            json={"username": username, "password": password},
            timeout=10,
        )
        response.raise_for_status()
        self._signed_in(response.json())
        return self

    def _signed_in(self, tokens: dict[str, Any]) -> None:
        self.session.headers["Authorization"] = f"Bearer {tokens['access_token']}"
        self.refresh_token = tokens["refresh_token"]

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """As the console does: an access token lasts 30 minutes, so on a 401 it is refreshed
        once (while the session lasts) and the request sent again."""
        response = self.session.request(method, f"{self.base_url}{path}", timeout=30, **kwargs)
        if response.status_code == 401 and self.refresh_token and self.refresh():
            response = self.session.request(method, f"{self.base_url}{path}", timeout=30, **kwargs)
        return response

    def refresh(self) -> bool:
        response = self.session.post(
            f"{self.base_url}/api/v1/auth/refresh",
            json={"refresh_token": self.refresh_token},
            timeout=10,
        )
        if response.status_code != 200:
            return False
        self._signed_in(response.json())
        return True

    def post(self, path: str, json: Any = None) -> requests.Response:
        return self.request("POST", path, json=json)

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.request("GET", path, params=params)

    # --- the office's everyday steps ---

    def register(self, **fields: Any) -> dict[str, Any]:
        body = {"source": "instruction", "title": "测试事项", "content": "测试内容", **fields}
        response = self.post("/api/v1/items", body)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def assign(self, item_id: str, lead_unit: str, **fields: Any) -> dict[str, Any]:
        response = self.post(f"/api/v1/items/{item_id}/assign", {"lead_unit": lead_unit, **fields})
        assert response.status_code == 200, response.text
        return response.json()

    def item(self, item_id: str) -> dict[str, Any]:
        response = self.get(f"/api/v1/items/{item_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def history(self, item_id: str) -> list[dict[str, Any]]:
        response = self.get(f"/api/v1/items/{item_id}/history")
        assert response.status_code == 200, response.text
        return response.json()["events"]

    def set_clock(self, iso: str) -> dict[str, Any]:
        """Moves every service's clock (CLOCK=manual): the office's client only."""
        response = self.post("/api/v1/_test/clock", {"now": iso})
        assert response.status_code == 200, response.text
        return response.json()


def unique_ref(prefix: str = "ref") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def eventually(check: Any, timeout: float = 20.0, interval: float = 0.1) -> Any:
    """Polls `check` until it returns a truthy value (returned) or the timeout (fails)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"not reached within {timeout}s; last value: {last!r}")


def stored_types(conninfo: str, service: str, stream_id: str) -> list[str]:
    """The types of a stream's events in a service's own store, in order: what that service
    has committed, whether or not another service has heard of it yet."""
    import psycopg

    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            f"SELECT topic FROM {service}.{service}_events WHERE originator_id = %s"
            " ORDER BY originator_version",
            (stream_id,),
        ).fetchall()
    return [topic.rsplit(".", 1)[-1] for (topic,) in rows]
