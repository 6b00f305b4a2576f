"""The bus: nothing lost, nothing done twice, order and poison handled (over real RabbitMQ)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from datetime import UTC, datetime
from uuid import UUID, uuid4

import psycopg
import pytest
import requests
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError
from kombu import Connection, Producer
from nameko.standalone.rpc import ClusterRpcProxy

from deploy.stack import Stack
from services.intake.application import Intake
from services.intake.domain import Submission
from services.kernel.clock import SystemClock
from services.kernel.consumer import Reaction, consume
from services.kernel.contracts import Envelope
from services.kernel.deadletters import count as dead_letter_counts
from services.kernel.deadletters import replay
from services.kernel.errors import OutOfOrder
from services.kernel.eventlog import follow
from services.kernel.store import store_env
from services.kernel.topology import EVENTS, inbox_name
from services.reporting.application import Reporting
from services.reporting.projections import item_row
from tests.client import Client, eventually

pytestmark = pytest.mark.integration


def publish(amqp_uri: str, envelopes: list[Envelope]) -> None:
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        producer = Producer(conn.channel(), exchange=EVENTS)
        for e in envelopes:
            producer.publish(
                e.model_dump_json(),
                routing_key=e.routing_key,
                content_type="application/json",
                delivery_mode=2,
            )


def queue_depths(amqp_uri: str, queues: list[str]) -> list[int]:
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        return [channel.queue_declare(q, passive=True).message_count for q in queues]


def drained(amqp_uri: str) -> bool:
    queues = [inbox_name(s) for s in ("assignment", "deadline", "reporting")]
    return sum(queue_depths(amqp_uri, queues)) == 0


def item_envelopes(settings, item_id: str) -> list[Envelope]:
    with follow(settings.database_url, "assignment") as log:
        envelopes, _ = log.read(1, 100000)
    return [e for e in envelopes if str(e.item_id) == item_id]


def deadline_tries(stack: Stack, event_type: str) -> int:
    """How often the deadline service tried events of a type and handed them back."""
    text = requests.get(
        f"http://127.0.0.1:{stack.metrics_port('deadline')}/metrics", timeout=10
    ).text
    sample = (
        'supervision_event_handler_seconds_count{outcome="retried",service="deadline",'
        f'type="{event_type}"}}'
    )
    return sum(
        int(float(line.split()[-1])) for line in text.splitlines() if line.startswith(sample)
    )


def db_snapshot(conninfo: str, item_id: str) -> dict:
    with psycopg.connect(conninfo) as conn:
        counts = {
            schema: conn.execute(
                f"SELECT count(*) FROM {schema}.{schema}_events WHERE originator_id = %s",
                (item_id,),
            ).fetchone()[0]
            for schema in ("intake", "assignment", "deadline")
        }
        row = conn.execute(
            "SELECT version, status, due_date, overdue FROM reporting.items WHERE item_id = %s",
            (item_id,),
        ).fetchone()
    return {"events": counts, "read_model": row}


def settled(stack: Stack, conninfo: str, item_id: str) -> dict:
    """The item's stores once every service has handled what it was sent: the inboxes empty
    and nothing changed for half a second (a relay may not have published the last event yet
    when the inboxes are first seen empty)."""
    last: list[dict] = [{}]

    def still() -> bool:
        now = db_snapshot(conninfo, item_id)
        unchanged, last[0] = now == last[0], now
        return unchanged and drained(stack.settings.amqp_uri)

    eventually(still, timeout=30, interval=0.5)
    return last[0]


def test_redelivered_and_reordered_messages_change_nothing(
    stack: Stack, supervisor: Client, handler_factory, app_conninfo: str
):
    supervisor.set_clock("2026-09-28T09:00:00+08:00")
    item = supervisor.register(title="重复与乱序")
    supervisor.assign(item["id"], "commerce")
    handler_factory("commerce").post(f"/api/v1/items/{item['id']}/acknowledge")
    before = settled(stack, app_conninfo, item["id"])
    history_before = supervisor.history(item["id"])

    envelopes = item_envelopes(stack.settings, item["id"])
    assert len(envelopes) == len(history_before)
    shuffled = envelopes * 3
    random.Random(7).shuffle(shuffled)
    publish(stack.settings.amqp_uri, shuffled)
    eventually(lambda: drained(stack.settings.amqp_uri))
    time.sleep(0.5)

    assert db_snapshot(app_conninfo, item["id"]) == before
    assert supervisor.history(item["id"]) == history_before


def test_a_stream_delivered_shuffled_and_twice_builds_the_same_read_model(
    stack: Stack, supervisor: Client, handler_factory, app_conninfo: str
):
    supervisor.set_clock("2026-09-28T09:00:00+08:00")
    item = supervisor.register(title="乱序到达")
    supervisor.assign(item["id"], "education")
    handler_factory("education").post(f"/api/v1/items/{item['id']}/acknowledge")
    eventually(lambda: drained(stack.settings.amqp_uri))
    in_order = db_snapshot(app_conninfo, item["id"])["read_model"]

    # The same stream under a new item id, so the read model builds it afresh.
    copy_id = uuid4()
    envelopes = [
        e.model_copy(update={"item_id": copy_id})
        for e in item_envelopes(stack.settings, item["id"])
    ]
    pending = envelopes[::-1] + envelopes
    random.Random(11).shuffle(pending)
    reporting = Reporting(store_env(stack.settings.database_url, "reporting", 1))
    outcomes = []
    try:
        while pending:
            envelope = pending.pop(0)
            try:
                outcomes.append(consume(reporting, envelope, reporting.react))
            except OutOfOrder:
                pending.append(envelope)  # as the bus would: hand it back for later
    finally:
        reporting.close()
    try:
        assert outcomes.count("applied") == len(envelopes)
        assert outcomes.count("duplicate") == len(envelopes)
        assert db_snapshot(app_conninfo, str(copy_id))["read_model"] == in_order
    finally:
        # the copy has no events of its own: take it out so the read model stays rebuildable
        with psycopg.connect(app_conninfo) as conn:
            conn.execute("DELETE FROM reporting.items WHERE item_id = %s", (copy_id,))
            conn.execute("DELETE FROM reporting.item_search WHERE item_id = %s", (copy_id,))


def test_an_event_committed_but_not_yet_published_is_published_from_the_log(
    stack: Stack, supervisor: Client
):
    """No dual write: the request path only commits; the relay publishes from the store."""
    intake = Intake(SystemClock(), store_env(stack.settings.database_url, "intake", 1))
    try:
        item_id = uuid4()
        intake.save(
            Submission(
                id=item_id,
                source="netizen",
                title="只写入存储的留言",
                content="...",
                external_ref=None,
                due_date=None,
                complexity="simple",
                issued_by=None,
                actor={"user": "test", "role": "supervisor", "unit": None},
                at=SystemClock().now(),
            )
        )
    finally:
        intake.close()
    eventually(lambda: supervisor.get(f"/api/v1/items/{item_id}").status_code == 200)


class Stray(Aggregate):
    """Stored under a contract's type name with a state that does not fit the contract, as an
    event written before a contract change would be."""

    @event("ItemReceived")
    def __init__(self, note: str) -> None:
        self.note = note


def test_an_event_that_does_not_fit_its_contract_is_recorded_and_does_not_stall_the_relay(
    stack: Stack, supervisor: Client, app_conninfo: str
):
    intake = Intake(SystemClock(), store_env(stack.settings.database_url, "intake", 1))
    try:
        stray = Stray(note="写于契约变更之前")
        intake.save(stray)
        item_id = uuid4()
        intake.save(
            Submission(
                id=item_id,
                source="netizen",
                title="排在不合契约事件之后的留言",
                content="...",
                external_ref=None,
                due_date=None,
                complexity="simple",
                issued_by=None,
                actor={"user": "test", "role": "supervisor", "unit": None},
                at=SystemClock().now(),
            )
        )
    finally:
        intake.close()
    # the event stored after it is published and applied: the relay moved on
    eventually(lambda: supervisor.get(f"/api/v1/items/{item_id}").status_code == 200)
    with psycopg.connect(app_conninfo) as conn:
        rows = conn.execute(
            "SELECT stream_version, type, error FROM intake.outbox_unpublished"
            " WHERE stream_id = %s",
            (stray.id,),
        ).fetchall()
        kept = conn.execute(
            "SELECT count(*) FROM intake.intake_events WHERE originator_id = %s", (stray.id,)
        ).fetchone()
    assert [(v, t) for v, t, _ in rows] == [(1, "ItemReceived")]
    assert "Field required" in rows[0][2]
    assert kept == (1,)
    cli = subprocess.run(
        [sys.executable, "-m", "services.kernel.verify"],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cli.returncode == 1
    listed = json.loads(cli.stdout)["unpublished"]["intake"]
    assert [(e["item"], e["version"], e["type"]) for e in listed] == [
        (str(stray.id), 1, "ItemReceived")
    ]


def test_events_wait_in_the_inbox_while_its_consumer_is_down(stack: Stack, supervisor: Client):
    stack.stop_process("reporting")
    try:
        with ClusterRpcProxy({"AMQP_URI": stack.settings.amqp_uri}, timeout=15) as rpc:
            result = rpc.intake.register(
                {"source": "petition", "title": "信访件", "content": "..."},
                {"user": "supervisor", "role": "supervisor", "unit": None},
            )
        eventually(lambda: queue_depths(stack.settings.amqp_uri, ["reporting.inbox"])[0] > 0)
        assert supervisor.get(f"/api/v1/items/{result['item_id']}").status_code == 404
    finally:
        stack.start_service("reporting")
    eventually(lambda: supervisor.get(f"/api/v1/items/{result['item_id']}").status_code == 200)


def test_poison_is_dead_lettered_after_bounded_tries_and_can_be_replayed(stack: Stack):
    amqp = stack.settings.amqp_uri
    before = dead_letter_counts(amqp)
    with Connection(amqp, transport_options={"confirm_publish": True}) as conn:
        producer = Producer(conn.channel(), exchange=EVENTS)
        # not an event at all: dead-lettered at once
        producer.publish(
            json.dumps({"hello": "world"}),
            routing_key="assignment.Assigned",
            content_type="application/json",
        )
    # a well-formed event about an item nobody knows keeps failing: retried, then parked
    unknown = Envelope(
        event_id=uuid4(),
        type="Acknowledged",
        schema_version=1,
        origin="assignment",
        position=10**9,
        item_id=UUID(int=random.getrandbits(128)),
        stream_version=1,
        occurred_at="2026-10-01T00:00:00+00:00",
        actor={"user": "x", "role": "handler", "unit": "water"},
        data={"unit": "water"},
    )
    publish(amqp, [unknown])

    tries_before = deadline_tries(stack, "Acknowledged")

    def parked() -> bool:
        now = dead_letter_counts(amqp)
        return now["deadline"] == before["deadline"] + 2

    # reporting ignores an unknown item's Acknowledged (it only updates rows), so only the
    # malformed message is parked there; the deadline service cannot apply it and parks it
    # after its delivery limit (BUS_DELIVERY_LIMIT=4 here): the first try and 4 more.
    eventually(parked, timeout=30)
    assert dead_letter_counts(amqp) == {
        "assignment": before["assignment"],
        "deadline": before["deadline"] + 2,
        "reporting": before["reporting"] + 1,
    }
    eventually(lambda: deadline_tries(stack, "Acknowledged") - tries_before == 5, timeout=30)
    moved = replay(amqp, "deadline")
    assert moved == before["deadline"] + 2
    # still poison after the replay, so parked again: never dropped
    eventually(lambda: dead_letter_counts(amqp)["deadline"] == before["deadline"] + 2, timeout=30)
    eventually(lambda: deadline_tries(stack, "Acknowledged") - tries_before == 10, timeout=30)


def test_psycopg_queries_do_not_block_a_green_service_process(settings):
    """Two 0.5 s queries in two green threads finish together, not one after the other."""
    script = f"""
import services.kernel.launch  # makes the process green, as every service process is
import time, eventlet, psycopg
conninfo = {settings.database_url!r}
def sleep():
    with psycopg.connect(conninfo) as c:
        c.execute("SELECT pg_sleep(0.5)")
start = time.monotonic()
pool = eventlet.GreenPool()
for _ in range(2):
    pool.spawn(sleep)
pool.waitall()
print(time.monotonic() - start)
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert float(out.stdout.strip().splitlines()[-1]) < 0.9


def test_a_message_s_effects_and_its_processed_mark_commit_together(
    stack: Stack, app_conninfo: str
):
    """In PostgreSQL: when the effects fail, the mark is not kept; when the mark is refused
    (a repeat), the effects roll back with it."""
    reporting = Reporting(store_env(stack.settings.database_url, "reporting", 1))
    item_id = uuid4()
    at = datetime(2026, 9, 28, 2, tzinfo=UTC)

    def event(version: int, type_name: str, occurred_at: datetime, **data: object) -> Envelope:
        return Envelope(
            event_id=uuid4(),
            type=type_name,
            schema_version=1,
            origin="assignment",
            position=version,
            item_id=item_id,
            stream_version=version,
            occurred_at=occurred_at,
            actor={"user": "supervisor", "role": "supervisor"},
            data=data,
        )

    received = event(1, "ItemReceived", at, source="petition", title="原子性", content="c")

    def failing(envelope: Envelope) -> Reaction:
        def projection(curs: object) -> None:
            item_row(envelope)(curs)
            raise RuntimeError("the effect fails after writing")

        return Reaction(projection=projection)

    def row() -> tuple | None:
        with psycopg.connect(app_conninfo) as conn:
            return conn.execute(
                "SELECT version, updated_at FROM reporting.items WHERE item_id = %s", (item_id,)
            ).fetchone()

    try:
        with pytest.raises(RuntimeError):
            consume(reporting, received, failing)
        assert reporting.processed_versions("assignment", item_id, [1]) == set()
        assert row() is None
        assert consume(reporting, received, reporting.react) == "applied"

        acknowledged = event(2, "Acknowledged", at, unit="water")
        assert consume(reporting, acknowledged, reporting.react) == "applied"
        # The same message again, as if this process had not applied it: not asked about
        # first, its row change is written, and only its mark's conflict tells the repeat.
        repeat = acknowledged.model_copy(update={"occurred_at": at.replace(hour=5)})
        reporting.applied.put(("assignment", item_id), 1)
        assert consume(reporting, repeat, reporting.react) == "duplicate"
        assert row() == (2, at)
    finally:
        reporting.close()
        with psycopg.connect(app_conninfo) as conn:
            conn.execute("DELETE FROM reporting.items WHERE item_id = %s", (item_id,))
            conn.execute("DELETE FROM reporting.item_search WHERE item_id = %s", (item_id,))


class Probe(Aggregate):
    """An aggregate of this test's own: no contract, so no relay publishes it."""

    @event("Probed")
    def __init__(self, id: UUID) -> None:
        """Records only that it was made."""


def test_effects_the_store_refuses_after_the_mark_leave_no_mark(stack: Stack):
    """The mark is written before the events it goes with: committed on its own, it would
    outlive effects the store then refuses (here two writes of one version, as when another
    copy wrote it first), and the message would be taken for a duplicate and lost."""
    reporting = Reporting(store_env(stack.settings.database_url, "reporting", 1))
    item_id, probe_id = uuid4(), uuid4()
    received = Envelope(
        event_id=uuid4(),
        type="ItemReceived",
        schema_version=1,
        origin="assignment",
        position=1,
        item_id=item_id,
        stream_version=1,
        occurred_at=datetime(2026, 9, 28, 2, tzinfo=UTC),
        actor={"user": "supervisor", "role": "supervisor"},
        data={"source": "petition", "title": "原子性", "content": "c"},
    )
    try:
        with pytest.raises(IntegrityError):
            consume(reporting, received, lambda _: Reaction([Probe(probe_id), Probe(probe_id)]))
        assert reporting.processed_versions("assignment", item_id, [1]) == set()
    finally:
        reporting.close()
