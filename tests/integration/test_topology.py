"""Events published before any consumer ever started are kept, not discarded."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from kombu import Connection

from deploy.stack import rabbitmqctl
from services.kernel.contracts import Envelope
from services.kernel.outbox import OutboxRelay
from services.kernel.store import LedgerApplication, memory_env
from services.kernel.topology import inbox_name

pytestmark = pytest.mark.integration


@pytest.fixture
def empty_vhost() -> Iterator[str]:
    name = f"sv_test_topology_{uuid.uuid4().hex[:8]}"
    rabbitmqctl("add_vhost", name)
    rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    yield f"amqp://guest:guest@127.0.0.1:5672/{name}"
    rabbitmqctl("delete_vhost", name)


def test_the_relay_declares_every_inbox_before_its_first_publish(empty_vhost: str):
    relay = OutboxRelay(
        app=LedgerApplication(memory_env()),
        origin="assignment",
        amqp_uri=empty_vhost,
        conninfo="",
        delivery_backstop=3,
        inbox_max_length=10,
    )
    envelope = Envelope(
        event_id=uuid.uuid4(),
        type="Closed",
        schema_version=1,
        origin="assignment",
        position=1,
        item_id=uuid.uuid4(),
        stream_version=1,
        occurred_at=datetime.now(UTC),
        actor={"user": "supervisor", "role": "supervisor"},
        data={},
    )
    try:
        relay.publish(envelope)
    finally:
        relay.close()
    with Connection(empty_vhost) as conn:
        channel = conn.channel()
        depths = {
            s: channel.queue_declare(inbox_name(s), passive=True).message_count
            for s in ("deadline", "reporting", "assignment")
        }
    # assignment.# is bound to the deadline and reporting inboxes, not assignment's own
    assert depths == {"deadline": 1, "reporting": 1, "assignment": 0}
