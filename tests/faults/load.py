"""The fault suite's load generator: clients registering and assigning 12345 hotline
complaints the way the provincial platform would, retrying an answer that is not final
(a refused connection, a timeout, a 5xx) with the same ticket number, so a retry can never
create a second item. Clients send at least `items_per_client` tickets each and go on until
`finish()`, so every fault injected before it lands while requests are in flight."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field

import requests

from tests.client import Client

RETRY_FOR_SECONDS = 120


@dataclass
class Load:
    gateways: list[str]
    password: str
    clients: int
    items_per_client: int
    lead_unit: str = "water"
    complexity: str = "simple"
    register_all_first: bool = False  # as a platform sending a batch, then assigning it
    refs: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    retries: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _spans: list[tuple[float, float]] = field(default_factory=list)  # each request's time
    _finished: threading.Event = field(default_factory=threading.Event)
    faults: list[tuple[str, float]] = field(default_factory=list)

    def finish(self) -> None:
        """Clients stop sending new tickets once each has sent its minimum."""
        self._finished.set()

    def hit(self, fault: str) -> None:
        """Records the moment a fault is injected, to check later that it met requests."""
        self.faults.append((fault, time.monotonic()))

    def in_flight_at(self, instant: float) -> int:
        """How many requests had been sent and not yet answered at `instant`."""
        with self._lock:
            return sum(1 for start, end in self._spans if start <= instant <= end)

    def _post(self, client: Client, path: str, body: dict) -> requests.Response:
        start = time.monotonic()
        try:
            return client.post(path, body)
        finally:
            with self._lock:
                self._spans.append((start, time.monotonic()))

    def start(self) -> Load:
        for n in range(self.clients):
            url = self.gateways[n % len(self.gateways)]
            thread = threading.Thread(target=self._drive, args=(url,), daemon=True)
            self._threads.append(thread)
            thread.start()
        return self

    def wait_until_started(self, items: int, timeout: float = 60) -> None:
        """Until `items` items were registered, so a fault lands mid-load."""
        deadline = time.monotonic() + timeout
        while len(self.ids) < items and time.monotonic() < deadline:
            time.sleep(0.05)

    def join(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.1, deadline - time.monotonic()))
        alive = [t for t in self._threads if t.is_alive()]
        assert not alive, f"{len(alive)} load clients still running after {timeout}s"

    @property
    def expected(self) -> int:
        """The tickets sent (after `join`, all of them)."""
        return len(self.refs)

    def _drive(self, url: str) -> None:
        client = self._retrying(lambda: Client(url).login("supervisor", self.password), "login")
        if client is None:
            return
        registered: list[str] = []
        while len(registered) < self.items_per_client or not self._finished.is_set():
            ref = f"12345-{uuid.uuid4().hex[:12]}"
            with self._lock:
                self.refs.append(ref)
            body = {
                "source": "hotline",
                "title": "故障注入下的热线工单",
                "content": "群众反映小区供水压力不足",
                "complexity": self.complexity,
                "external_ref": ref,
            }
            answer = self._retrying(
                lambda body=body: self._final(
                    self._post(client, "/api/v1/items", body), (200, 201)
                ),
                f"register {ref}",
            )
            if answer is None:
                return
            item_id = answer.json()["id"]
            with self._lock:
                self.ids.append(item_id)
            registered.append(item_id)
            if not self.register_all_first:
                self._assign(client, item_id)
        if self.register_all_first:
            for item_id in registered:
                self._assign(client, item_id)

    def _assign(self, client: Client, item_id: str) -> None:
        # 409: an earlier attempt, whose answer was lost, had already assigned it;
        # 404: registered, but not yet handed on to assignment (it will be)
        self._retrying(
            lambda: self._final(
                self._post(
                    client, f"/api/v1/items/{item_id}/assign", {"lead_unit": self.lead_unit}
                ),
                (200, 409),
                retry=(404,),
            ),
            f"assign {item_id}",
        )

    @staticmethod
    def _final(
        response: requests.Response, accepted: tuple[int, ...], retry: tuple[int, ...] = ()
    ) -> requests.Response:
        if response.status_code in accepted:
            return response
        if response.status_code >= 500 or response.status_code in retry:
            raise requests.ConnectionError(f"{response.status_code} {response.text[:200]}")
        raise AssertionError(f"{response.status_code} {response.text[:300]}")

    def _retrying(self, attempt, what: str):
        deadline = time.monotonic() + RETRY_FOR_SECONDS
        while True:
            try:
                return attempt()
            except requests.RequestException as e:
                with self._lock:
                    self.retries.append(f"{what}: {e}")
                if time.monotonic() > deadline:
                    self.failures.append(f"{what}: gave up after {RETRY_FOR_SECONDS}s: {e}")
                    return None
                time.sleep(0.3)
            except AssertionError as e:
                self.failures.append(f"{what}: {e}")
                return None
