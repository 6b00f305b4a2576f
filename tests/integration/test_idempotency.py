"""A change sent again with the same Idempotency-Key is done once: the first answer comes back
byte for byte and nothing is appended; the key with another request is refused."""

from __future__ import annotations

import base64
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
import requests

from deploy.stack import Stack
from tests.client import Client, stored_types, unique_ref
from tests.stores import Stores

pytestmark = pytest.mark.integration

REGISTER = {"source": "instruction", "title": "t", "content": "c"}
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def keyed(client: Client, key: str, path: str, **kwargs: Any) -> requests.Response:
    return client.request("POST", path, headers={"Idempotency-Key": key}, **kwargs)


def a_key() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def everything(admin_conninfo: str, stack: Stack) -> Iterator[Callable[[], tuple[Any, ...]]]:
    """Every store, and the keys kept."""
    with psycopg.connect(admin_conninfo, autocommit=True) as conn:
        stores = Stores(conn, stack.settings.evidence_dir, stack.settings.amqp_uri)

        def count() -> tuple[Any, ...]:
            keys = conn.execute("SELECT count(*) FROM gateway.idempotency_keys").fetchone()
            return (*stores.snapshot(), *(keys or ()))

        yield count


def test_the_same_request_again_gets_the_first_answer_and_changes_nothing(
    supervisor: Client, everything: Callable[[], tuple[Any, ...]]
):
    key = a_key()
    body = {**REGISTER, "title": "幂等登记"}
    first = keyed(supervisor, key, "/api/v1/items", json=body)
    assert first.status_code == 201, first.text
    before = everything()
    again = keyed(supervisor, key, "/api/v1/items", json=body)
    assert (again.status_code, again.content) == (201, first.content)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert everything() == before


def test_the_key_with_another_request_is_refused(
    supervisor: Client, everything: Callable[[], tuple[Any, ...]]
):
    key = a_key()
    item = keyed(supervisor, key, "/api/v1/items", json={**REGISTER, "title": "第一件"}).json()
    before = everything()
    for path, body in [
        ("/api/v1/items", {**REGISTER, "title": "第二件"}),  # another body
        (f"/api/v1/items/{item['id']}/assign", {"lead_unit": "water"}),  # another route
    ]:
        refused = keyed(supervisor, key, path, json=body)
        assert refused.status_code == 422
        assert refused.json()["message"].startswith("Idempotency-Key：已用于另一个请求")
    assert everything() == before


def test_keys_are_each_user_s_own(supervisor: Client, handler_factory):
    key = a_key()
    item = supervisor.register(title="各用各的键", external_ref=unique_ref())
    supervisor.assign(item["id"], "water")
    assert keyed(supervisor, key, "/api/v1/items", json=REGISTER).status_code == 201
    signed = keyed(handler_factory("water"), key, f"/api/v1/items/{item['id']}/acknowledge")
    assert signed.status_code == 200, signed.text


def test_a_refusal_is_the_first_answer_too(supervisor: Client):
    key = a_key()
    item = supervisor.register(title="先被拒绝", external_ref=unique_ref())
    path = f"/api/v1/items/{item['id']}/assign"
    refused = keyed(supervisor, key, path, json={"lead_unit": "no-such-unit"})
    assert refused.status_code == 422
    again = keyed(supervisor, key, path, json={"lead_unit": "no-such-unit"})
    assert (again.status_code, again.content) == (422, refused.content)
    assert supervisor.item(item["id"])["status"] == "registered"


def test_the_same_request_at_once_is_done_once(
    supervisor: Client, handler_factory, app_conninfo: str
):
    item = supervisor.register(title="同时重发", external_ref=unique_ref())
    supervisor.assign(item["id"], "water")
    handler = handler_factory("water")
    handler.post(f"/api/v1/items/{item['id']}/acknowledge")
    key, path = a_key(), f"/api/v1/items/{item['id']}/progress"
    start, answers = threading.Barrier(6), []

    def send() -> None:
        start.wait()
        answers.append(keyed(handler, key, path, json={"content": "本周进展"}))

    senders = [threading.Thread(target=send) for _ in range(6)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) <= {200, 409} and 200 in statuses, statuses
    assert len({a.content for a in answers if a.status_code == 200}) == 1
    for waiting in (a for a in answers if a.status_code == 409):
        assert waiting.json()["message"] == "Idempotency-Key：同一请求仍在处理中，请稍后重试"
    events = stored_types(app_conninfo, "assignment", item["id"])
    assert events.count("ProgressReported") == 1, events


def test_a_multipart_upload_is_the_same_request_whatever_its_framing(handler_factory):
    handler, key = handler_factory("water"), a_key()

    def upload(data: bytes) -> requests.Response:
        # requests draws a new multipart boundary for each request
        files = {"file": ("photo.png", data)}
        return keyed(handler, key, "/api/v1/files", files=files)

    first = upload(PNG)
    assert first.status_code == 201, first.text
    again = upload(PNG)
    assert (again.status_code, again.content) == (201, first.content)
    assert upload(PNG + b"\0").status_code == 422


@pytest.mark.parametrize(
    ("answered", "age", "again"),
    [
        (True, "25 hours", 201),  # expired: the key is free for another request
        # unanswered this long: its gateway stopped; it runs again, and finds the item the
        # lost attempt registered by its reference
        (False, "6 minutes", 200),
        (False, "4 minutes", 409),  # unanswered yet: still running
    ],
)
def test_a_key_is_kept_for_its_time(
    supervisor: Client, admin_conninfo: str, answered: bool, age: str, again: int
):
    key = a_key()
    body = {**REGISTER, "external_ref": unique_ref()}
    assert keyed(supervisor, key, "/api/v1/items", json=body).status_code == 201
    with psycopg.connect(admin_conninfo) as conn:
        conn.execute(
            "UPDATE gateway.idempotency_keys SET created_at = now() - %s::interval,"
            " status = CASE WHEN %s THEN status END WHERE key = %s",
            (age, answered, key),
        )
    other = {**body, "external_ref": unique_ref()} if answered else body
    assert keyed(supervisor, key, "/api/v1/items", json=other).status_code == again
