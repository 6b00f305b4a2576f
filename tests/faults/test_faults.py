"""Faults injected under load, on the suite's own PostgreSQL cluster and RabbitMQ node.

Each fault runs a fresh load of 12345 hotline complaints registered on a Monday (simple: due
on Thursday, three working days later), injects its fault mid-load, and then checks that
every ticket is one item, every event was handled once in effect by each consumer, every due
date is right, the ledger's hash chains verify and the dead letters are exactly the ones
injected; then it moves the clock to Friday and checks each item was marked overdue exactly
once, however often the scan runs. The faults run in file order, a week apart.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
import zlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import psycopg
import pytest
import requests
from kombu import Connection, Producer

from deploy.stack import SERVICES, Stack, consumer_counts, free_port
from services.assignment.application import Assignment
from services.assignment.domain import Item
from services.kernel.clock import SystemClock
from services.kernel.config import DatabaseAddress
from services.kernel.contracts import Envelope
from services.kernel.deadletters import count as dead_letter_counts
from services.kernel.ledger import verify_rows
from services.kernel.store import store_env
from services.kernel.topology import EVENTS, inbox_name
from tests.client import Client, eventually
from tests.faults.audit import Audit
from tests.faults.conftest import LOAD_SCALE
from tests.faults.load import Load
from tests.faults.servers import OwnPostgres, OwnRabbit

pytestmark = pytest.mark.integration

CLIENTS = 4
ITEMS_PER_CLIENT = 6 * LOAD_SCALE
INBOXES = [inbox_name(s) for s in ("assignment", "deadline", "reporting")]
FIRST_MONDAY = date(2026, 11, 2)  # November and December 2026 have no holidays
_week = iter(range(100))


class Week:
    """The next week of the suite: items come in on Monday, are due on Thursday."""

    def __init__(self) -> None:
        self.monday = FIRST_MONDAY + timedelta(weeks=next(_week))
        self.due = self.monday + timedelta(days=3)
        self.friday = self.monday + timedelta(days=4)


def at_nine(day: date) -> str:
    return f"{day.isoformat()}T09:00:00+08:00"


def conninfo(stack: Stack, admin: bool = False) -> str:
    url = stack.settings.database_admin_url if admin else stack.settings.database_url
    return DatabaseAddress.parse(url).conninfo()


def settle_and_check(
    office: Client, audit: Audit, load: Load, week: Week, say: Callable[[str], None]
) -> None:
    """The checks every fault ends with."""
    load.finish()
    load.join()
    for fault, instant in load.faults:
        in_flight = load.in_flight_at(instant)
        assert in_flight > 0, f"no request was in flight when '{fault}' hit"
        say(f"{in_flight} requests were in flight when '{fault}' hit")
    assert not load.failures, load.failures
    assert len(load.ids) == load.expected, (len(load.ids), load.expected)
    say(
        f"{load.expected} tickets sent by {load.clients} clients; "
        f"{len(load.retries)} answers were not final and were retried with the same ticket"
    )

    try:
        eventually(lambda: not audit.problems(load.refs, load.ids, week.due), timeout=120)
    finally:
        found = audit.problems(load.refs, load.ids, week.due)
        assert not found, found
    say(
        "checked: each ticket is exactly one item; ItemReceived, Assigned, DeadlineSet and "
        "ClockOpened once each; every shared event handled once by each consumer; "
        "read model current; "
        f"every due date {week.due}; hash chains verify; dead letters "
        f"{audit.dead_letters_expected} as injected"
    )
    office.set_clock(at_nine(week.friday))
    office.set_clock(at_nine(week.friday))  # a second scan at the same moment adds nothing
    eventually(
        lambda: not audit.problems(load.refs, load.ids, week.due, overdue_marked=True),
        timeout=60,
    )
    say(f"moved the clock to {week.friday} and scanned twice: each item Overdue exactly once")


def start_load(
    stack: Stack, office: Client, week: Week, gateways: list[str] | None = None, **options: Any
) -> Load:
    office.set_clock(at_nine(week.monday))
    load = Load(
        gateways or [stack.gateway_url],
        stack.settings.demo_password,
        CLIENTS,
        options.pop("items_per_client", ITEMS_PER_CLIENT),
        **options,
    ).start()
    load.wait_until_started(CLIENTS)
    return load


def unacknowledged(rabbit: OwnRabbit, queue: str) -> str:
    """What the broker says it has handed out and not had back (for the report only)."""
    try:
        out = subprocess.run(
            [
                "rabbitmqctl",
                "-q",
                "-n",
                rabbit.node,
                "list_queues",
                "name",
                "messages_unacknowledged",
            ],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout
    except (subprocess.SubprocessError, OSError):
        return "an unknown number of"
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0] == queue:
            return parts[-1]
    return "an unknown number of"


def test_kill_9_each_service_mid_load_and_restart(
    fault_stack: Stack, office: Client, audit: Audit, own_rabbit: OwnRabbit, say
):
    week = Week()
    load = start_load(fault_stack, office, week)
    for service in SERVICES:
        process = fault_stack.processes[service]
        if service == "reporting":
            # frozen, it keeps taking deliveries up to its prefetch and acks none of them
            process.send_signal(signal.SIGSTOP)
            time.sleep(1.5)
            held = unacknowledged(own_rabbit, inbox_name("reporting"))
            say(f"froze reporting (pid {process.pid}); it held {held} unacknowledged messages")
        load.hit(f"kill -9 {service}")
        fault_stack.stop_process(service, signal.SIGKILL)
        say(f"kill -9 {service} (pid {process.pid}) mid-load")
        time.sleep(0.5)
        fault_stack.start_service(service)
        time.sleep(0.5)
    fault_stack.wait_ready()
    settle_and_check(office, audit, load, week, say)


def test_two_copies_of_each_service_with_one_of_each_stopped_midway(
    fault_stack: Stack, office: Client, audit: Audit, say
):
    second_gateway = free_port()
    for service in SERVICES:
        fault_stack.start_service(service, copy=2)
    fault_stack.start_gateway(copy=2, port=second_gateway)
    amqp = fault_stack.settings.amqp_uri
    eventually(lambda: consumer_counts(amqp, INBOXES) == [2, 2, 2], timeout=60)
    eventually(
        lambda: requests.get(f"http://127.0.0.1:{second_gateway}/readyz", timeout=2).ok,
        timeout=30,
    )
    say("started a second copy of intake, assignment, deadline, reporting and the gateway")
    week = Week()
    try:
        load = start_load(
            fault_stack,
            office,
            week,
            [fault_stack.gateway_url, f"http://127.0.0.1:{second_gateway}"],
        )
        for n, service in enumerate(SERVICES):
            name = service if n % 2 else f"{service}-2"
            load.hit(f"stop {name}")
            fault_stack.stop([name])
            say(f"stopped {name} mid-load")
            time.sleep(0.3)
        settle_and_check(office, audit, load, week, say)
        holders = relay_lock_holders(fault_stack)
        assert holders == dict.fromkeys(SERVICES, 1), holders
        say(f"checked: exactly one outbox relay leads per service {holders}")
    finally:
        for name in [n for n in list(fault_stack.processes) if n.endswith("-2")]:
            fault_stack.stop([name])
        for service in SERVICES:
            if service not in fault_stack.processes:
                fault_stack.start_service(service)
        fault_stack.wait_ready()
        eventually(lambda: consumer_counts(amqp, INBOXES) == [1, 1, 1], timeout=60)


def relay_lock_holders(stack: Stack) -> dict[str, int]:
    with psycopg.connect(conninfo(stack, admin=True)) as conn:
        return {
            service: conn.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND ((classid::bigint << 32) | objid::bigint) = %s",
                (zlib.crc32(f"outbox:{service}".encode()),),
            ).fetchone()[0]
            for service in SERVICES
        }


def test_rabbitmq_killed_mid_load_and_restarted(
    fault_stack: Stack, office: Client, audit: Audit, own_rabbit: OwnRabbit, say
):
    week = Week()
    load = start_load(fault_stack, office, week)
    pid = own_rabbit.beam_pid()
    load.hit("kill -9 RabbitMQ")
    own_rabbit.kill()
    say(f"kill -9 RabbitMQ (beam pid {pid}) mid-load")
    time.sleep(2)
    own_rabbit.start()
    say(f"restarted RabbitMQ on the same data folder (beam pid {own_rabbit.beam_pid()})")
    fault_stack.wait_ready(timeout=90)
    settle_and_check(office, audit, load, week, say)


def test_postgres_stopped_immediately_during_appends_and_restarted(
    fault_stack: Stack, office: Client, audit: Audit, own_postgres: OwnPostgres, say
):
    week = Week()
    load = start_load(fault_stack, office, week)
    # frozen, reporting lets its inbox fill, so it has deliveries to handle while the
    # database is away: they must wait for it, not be spent as poison
    reporting = fault_stack.processes["reporting"]
    reporting.send_signal(signal.SIGSTOP)
    time.sleep(1.0)
    assert own_postgres.process is not None
    pid = own_postgres.process.pid
    load.hit("stop PostgreSQL")
    own_postgres.stop_immediately()
    reporting.send_signal(signal.SIGCONT)
    say(
        f"stopped PostgreSQL immediately (SIGQUIT to postmaster pid {pid}) during appends, "
        "with deliveries waiting in reporting's inbox"
    )
    time.sleep(4)
    own_postgres.start()
    say("restarted PostgreSQL after 4 s; it recovered from its write-ahead log")
    fault_stack.wait_ready(timeout=90)
    settle_and_check(office, audit, load, week, say)


def test_a_service_crashing_between_commit_and_publish(
    fault_stack: Stack, office: Client, audit: Audit, say
):
    """While the test holds intake's relay lock, intake commits but cannot publish; then intake
    is killed, the lock let go, and the restarted intake must publish from its log."""
    lock_key = zlib.crc32(b"outbox:intake")
    fault_stack.stop_process("intake", signal.SIGKILL)
    holder = psycopg.connect(conninfo(fault_stack, admin=True), autocommit=True)
    try:
        eventually(
            lambda: holder.execute("SELECT pg_try_advisory_lock(%s)", (lock_key,)).fetchone()[0]
        )
        fault_stack.start_service("intake")
        fault_stack.wait_ready()
        week = Week()
        # each registration waits out the read model's bound (READ_WAIT_SECONDS): nothing
        # reaches it while intake cannot publish
        load = start_load(
            fault_stack, office, week, items_per_client=2 * LOAD_SCALE, register_all_first=True
        )
        load.finish()  # a batch: each client registers its tickets, then assigns them
        # each client's first ticket is committed and unpublished, its next one on the way
        eventually(lambda: len(load.ids) >= CLIENTS, timeout=120)
        unpublished = outbox_backlog(fault_stack)
        assert unpublished >= len(load.ids), unpublished
        process = fault_stack.processes["intake"]
        load.hit("kill -9 intake with events unpublished")
        fault_stack.stop_process("intake", signal.SIGKILL)
        say(
            f"intake committed {unpublished} events its relay could not publish; "
            f"kill -9 intake (pid {process.pid})"
        )
    finally:
        holder.close()
    fault_stack.start_service("intake")
    fault_stack.wait_ready()
    say("restarted intake: its relay publishes from the last confirmed position")
    settle_and_check(office, audit, load, week, say)
    assert outbox_backlog(fault_stack) == 0


def outbox_backlog(stack: Stack) -> int:
    with psycopg.connect(conninfo(stack)) as conn:
        newest = conn.execute("SELECT coalesce(max(notification_id), 0) FROM intake.intake_events")
        confirmed = conn.execute("SELECT coalesce(max(position), 0) FROM intake.outbox_position")
        return newest.fetchone()[0] - confirmed.fetchone()[0]


def test_poison_messages_fill_a_consumer_mid_load(
    fault_stack: Stack, office: Client, audit: Audit, say
):
    malformed, unknown = 30, 10
    week = Week()
    load = start_load(fault_stack, office, week)
    amqp = fault_stack.settings.amqp_uri
    load.hit("poison published")
    with Connection(amqp, transport_options={"confirm_publish": True}) as connection:
        producer = Producer(connection.channel(), exchange=EVENTS)
        for n in range(malformed):
            producer.publish(
                json.dumps({"poison": n}),
                routing_key="assignment.Assigned",
                content_type="application/json",
            )
        for _ in range(unknown):
            envelope = Envelope(
                event_id=uuid4(),
                type="Acknowledged",
                schema_version=1,
                origin="assignment",
                position=10**9,
                item_id=uuid4(),
                stream_version=1,
                occurred_at=datetime.now(UTC).isoformat(),
                actor={"user": "x", "role": "handler", "unit": "water"},
                data={"unit": "water"},
            )
            producer.publish(
                envelope.model_dump_json(),
                routing_key=envelope.routing_key,
                content_type="application/json",
            )
    # malformed bodies reach both assignment.# inboxes and are parked at once; the deadline
    # service cannot apply an event about an item it never opened a clock for and parks it
    # after its delivery limit; reporting only updates rows, so it has nothing to apply
    audit.dead_letters_expected["deadline"] += malformed + unknown
    audit.dead_letters_expected["reporting"] += malformed
    say(
        f"published {malformed} malformed messages and {unknown} events about unknown items "
        "into the deadline and reporting inboxes mid-load"
    )
    settle_and_check(office, audit, load, week, say)


def test_twenty_writers_at_one_item_with_the_same_expected_version(fault_stack: Stack, say):
    writers, rounds = 20, 3
    office = {"user": "supervisor", "role": "supervisor", "unit": None}
    app = Assignment(SystemClock(), store_env(fault_stack.settings.database_url, "assignment", 20))
    try:
        item = Item(
            id=uuid4(),
            source="special",
            title="并发写入",
            content="...",
            external_ref=None,
            due_date=None,
            complexity=None,
            issued_by=None,
            actor=office,
            at=datetime.now(UTC),
        )
        app.save(item)
        # the running stack answers the registration with the office's dispatch deadline, an
        # event on this item: let it land first, so the rounds are the writers' own
        settled = time.monotonic() + 60
        while app.repository.get(item.id).version < 2 and time.monotonic() < settled:
            time.sleep(0.2)
        assert app.repository.get(item.id).version == 2
        for round_ in range(rounds):
            expected = app.repository.get(item.id).version
            outcomes: list[str] = []
            barrier = threading.Barrier(writers)

            def write(
                expected: int = expected,
                barrier: threading.Barrier = barrier,
                outcomes: list[str] = outcomes,
            ) -> None:
                copy = app.repository.get(item.id, version=expected)
                copy.record_reminder(
                    "before", datetime.now(UTC).date(), "water", None, office, datetime.now(UTC)
                )
                barrier.wait()
                try:
                    app.save(copy)
                    outcomes.append("won")
                except Exception as e:  # the store's IntegrityError: the version is taken
                    outcomes.append(type(e).__name__)

            threads = [threading.Thread(target=write) for _ in range(writers)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            assert outcomes.count("won") == 1, (round_, outcomes)
            assert outcomes.count("IntegrityError") == writers - 1, outcomes
            assert app.repository.get(item.id).version == expected + 1
        rows = app.ledger.chain_rows(item.id)
        assert [r.version for r in rows] == list(range(1, rounds + 3))
        assert list(verify_rows(rows)) == []
        say(
            f"{writers} writers at one item, {rounds} rounds: one won each version, "
            f"{writers - 1} got a conflict, versions 1..{rounds + 1} contiguous, chain verifies"
        )
    finally:
        app.close()


def test_a_table_unwritable_for_15_s_parks_no_healthy_message(
    fault_stack: Stack, office: Client, audit: Audit, say
):
    """The deadline service's processed-message table is locked for 15 s mid-load, with the
    services' role giving up on a lock after 1 s: every delivery to deadline fails on the
    database for 15 s, far beyond BUS_DELIVERY_LIMIT (4) tries; none may be parked."""
    role = DatabaseAddress.parse(fault_stack.settings.database_url).user
    admin = psycopg.connect(conninfo(fault_stack, admin=True), autocommit=True)
    try:
        admin.execute(f"ALTER ROLE \"{role}\" SET lock_timeout = '1s'")
        # the services' open connections take the setting when they reconnect
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,)
        )
        fault_stack.wait_ready(timeout=90)
        week = Week()
        # a pooled connection that was cut fails once, then is replaced
        eventually(
            lambda: office.post("/api/v1/_test/clock", {"now": at_nine(week.monday)}).ok,
            timeout=60,
        )
        load = start_load(fault_stack, office, week)
        time.sleep(1.0)
        load.hit("lock deadline.processed_messages for 15 s")
        with admin.transaction():
            admin.execute("LOCK TABLE deadline.processed_messages IN ACCESS EXCLUSIVE MODE")
            say("locked deadline.processed_messages (ACCESS EXCLUSIVE) for 15 s mid-load")
            time.sleep(15)
        say("released the lock")
        settle_and_check(office, audit, load, week, say)
    finally:
        admin.execute(f'ALTER ROLE "{role}" RESET lock_timeout')
        admin.close()


def test_an_undecodable_body_is_parked_not_dropped(fault_stack: Stack, audit: Audit, say):
    with Connection(
        fault_stack.settings.amqp_uri, transport_options={"confirm_publish": True}
    ) as c:
        producer = Producer(c.channel(), exchange=EVENTS)
        producer.publish(
            b"\xff\xfe not json {",
            routing_key="assignment.Assigned",
            content_type="application/json",
            content_encoding="binary",
            serializer=None,
        )
    # assignment.# reaches the deadline and reporting inboxes
    audit.dead_letters_expected["deadline"] += 1
    audit.dead_letters_expected["reporting"] += 1
    eventually(
        lambda: dead_letter_counts(fault_stack.settings.amqp_uri) == audit.dead_letters_expected,
        timeout=30,
    )
    say("published a body that is not JSON to deadline's and reporting's inboxes: both parked it")
