"""All benchmarks, each figure beside a baseline measured in the same run on this machine.

    make bench            (or: python -m bench.run [--events 1000000] [--items 100000])

Starts its own stack in a database, role and vhost of its own, and writes bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import requests
from kombu import Connection, Exchange, Producer, Queue

from deploy.stack import Stack, isolated_env
from services.assignment.application import Assignment
from services.assignment.domain import Item
from services.intake.application import Intake
from services.intake.domain import Submission
from services.kernel.clock import SystemClock
from services.kernel.config import DatabaseAddress, Settings
from services.kernel.ledger import GENESIS, chain_hash
from services.kernel.outbox import OutboxRelay
from services.kernel.store import store_env
from services.reporting.rebuild import rebuild

RESULTS = Path(__file__).with_name("RESULTS.md")
PARTIAL = Path("var/bench-results.partial.md")
OFFICE = {"user": "bench", "role": "supervisor", "unit": None}
lines: list[str] = []


def say(text: str = "") -> None:
    print(text, flush=True)
    lines.append(text)
    PARTIAL.write_text("\n".join(lines) + "\n", encoding="utf-8")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def row(
    name: str, figure: float, unit: str, baseline: float | None = None, base_name: str = ""
) -> None:
    ratio = f"{figure / baseline:.3f}" if baseline else ""
    base = f"{baseline:,.1f} {base_name}" if baseline else ""
    say(f"| {name} | {figure:,.1f} {unit} | {base} | {ratio} |")


# --- baselines ---------------------------------------------------------------------------


def pg_single_row_tps(conninfo: str, seconds: float = 3.0) -> float:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("CREATE TEMP TABLE bench_rows (id uuid PRIMARY KEY, body text)")
        n, end = 0, time.perf_counter() + seconds
        start = time.perf_counter()
        while time.perf_counter() < end:
            with conn.transaction():
                conn.execute("INSERT INTO bench_rows VALUES (%s, 'x')", (uuid.uuid4(),))
            n += 1
        return n / (time.perf_counter() - start)


def rabbit_confirmed_publishes(amqp_uri: str, seconds: float = 3.0) -> float:
    exchange = Exchange("bench.baseline", type="direct", durable=False, auto_delete=True)
    queue = Queue("bench.baseline", exchange, routing_key="x", auto_delete=True)
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        channel = conn.channel()
        queue(channel).declare()
        producer = Producer(channel, exchange=exchange)
        body = "x" * 600
        n, end = 0, time.perf_counter() + seconds
        start = time.perf_counter()
        while time.perf_counter() < end:
            producer.publish(body, routing_key="x", delivery_mode=2)
            n += 1
        rate = n / (time.perf_counter() - start)
        queue(channel).delete()
        return rate


# --- end to end --------------------------------------------------------------------------


def login(url: str, password: str) -> requests.Session:
    s = requests.Session()
    token = s.post(
        f"{url}/api/v1/auth/token",
        json={"username": "supervisor", "password": password},
        timeout=10,
    ).json()["access_token"]
    s.headers["Authorization"] = f"Bearer {token}"
    return s


def one_item(session: requests.Session, url: str, register: list, assign: list) -> None:
    t0 = time.perf_counter()
    item = session.post(
        f"{url}/api/v1/items",
        json={"source": "hotline", "title": "基准", "content": "...", "complexity": "simple"},
        timeout=60,
    ).json()
    t1 = time.perf_counter()
    done = session.post(
        f"{url}/api/v1/items/{item['id']}/assign", json={"lead_unit": "water"}, timeout=60
    ).json()
    t2 = time.perf_counter()
    if done.get("due_date"):
        register.append((t1 - t0) * 1e3)
        assign.append((t2 - t1) * 1e3)


def end_to_end(url: str, password: str, clients: int, per_client: int) -> dict:
    register: list[float] = []
    assign: list[float] = []

    def work() -> None:
        session = login(url, password)
        for _ in range(per_client):
            one_item(session, url, register, assign)

    threads = [threading.Thread(target=work) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return {"rate": len(assign) / elapsed, "register": register, "assign": assign}


def paced(url: str, password: str, rate: float, seconds: float) -> list[float]:
    """Items started at a fixed rate; the time from registration to a due date, per item."""
    totals: list[float] = []
    sessions = [login(url, password) for _ in range(64)]
    threads = []
    start = time.perf_counter()
    for n in range(int(rate * seconds)):
        time.sleep(max(0.0, start + n / rate - time.perf_counter()))
        register: list[float] = []
        assign: list[float] = []

        def work(s=sessions[n % 64], r=register, a=assign) -> None:
            one_item(s, url, r, a)
            if a:
                totals.append(r[0] + a[0])

        t = threading.Thread(target=work)
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    return totals


# --- store, relay, replay, reads ---------------------------------------------------------


def submissions(n: int) -> list[Submission]:
    now = datetime.now(UTC)
    return [
        Submission(
            id=uuid.uuid4(),
            source="hotline",
            title="基准",
            content="...",
            external_ref=None,
            due_date=None,
            complexity="simple",
            issued_by=None,
            actor=OFFICE,
            at=now,
        )
        for _ in range(n)
    ]


def appends(settings: Settings, writers: int, per_writer: int) -> float:
    app = Intake(SystemClock(), store_env(settings.database_url, "intake", writers))
    batches = [submissions(per_writer) for _ in range(writers)]

    def work(batch: list[Submission]) -> None:
        for s in batch:
            app.save(s)

    threads = [threading.Thread(target=work, args=(b,)) for b in batches]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rate = writers * per_writer / (time.perf_counter() - start)
    app.close()
    return rate


def raw_inserts(conninfo: str, writers: int, per_writer: int) -> float:
    state = b"x" * 500

    def work() -> None:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute("CREATE TEMP TABLE bench_raw (id uuid PRIMARY KEY, state bytea)")
            for _ in range(per_writer):
                conn.execute("INSERT INTO bench_raw VALUES (%s, %s)", (uuid.uuid4(), state))

    threads = [threading.Thread(target=work) for _ in range(writers)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return writers * per_writer / (time.perf_counter() - start)


def relay_rate(settings: Settings, events: int) -> float:
    """Events from store to confirmed on the bus, with the services stopped (no competition)."""
    app = Intake(SystemClock(), store_env(settings.database_url, "intake", 4))
    conninfo = DatabaseAddress.parse(settings.database_url).conninfo()
    relay = OutboxRelay(
        app,
        "intake",
        settings.amqp_uri,
        conninfo,
        settings.delivery_backstop,
        settings.inbox_max_length,
        batch_size=500,
    )
    for chunk in range(0, events, 500):
        app.save(*submissions(min(500, events - chunk)))
    start = time.perf_counter()
    published = 0
    while relay.lag() > 0:
        published += relay.run_once()
    rate = published / (time.perf_counter() - start)
    relay.close()
    app.close()
    return rate


def bulk_item_events(settings: Settings, items: int, per_item: int) -> int:
    """Writes items with `per_item` events each straight into assignment's store (COPY, with
    valid chain hashes), as many events as a busy province makes in weeks."""
    app = Assignment(SystemClock(), store_env(settings.database_url, "assignment", 1))
    admin = DatabaseAddress.parse(settings.database_admin_url).conninfo()
    today = datetime.now(UTC).date()
    written = 0
    with (
        psycopg.connect(admin) as conn,
        conn.cursor() as cur,
        cur.copy(
            "COPY assignment.assignment_events (originator_id, originator_version, topic, state,"
            " chain_hash) FROM STDIN"
        ) as copy,
    ):
        for _ in range(items):
            item = Item(
                id=uuid.uuid4(),
                source="hotline",
                title="基准",
                content="...",
                external_ref=None,
                due_date=None,
                complexity="simple",
                issued_by=None,
                actor=OFFICE,
                at=datetime.now(UTC),
            )
            for _ in range(per_item - 1):
                item.record_reminder("before", today, "water", None, OFFICE, datetime.now(UTC))
            previous = GENESIS
            for event in item.collect_events():
                stored = app.mapper.to_stored_event(event)
                h = chain_hash(
                    previous,
                    stored.originator_id,
                    stored.originator_version,
                    stored.topic,
                    stored.state,
                )
                previous = h
                copy.write_row(
                    (
                        stored.originator_id,
                        stored.originator_version,
                        stored.topic,
                        stored.state,
                        h,
                    )
                )
                written += 1
    app.close()
    return written


def replay_one_item(settings: Settings, per_item: int = 200) -> tuple[float, float]:
    # no aggregate cache: every load replays the item from the store
    app = Assignment(SystemClock(), store_env(settings.database_url, "assignment", 1, 0))
    with psycopg.connect(DatabaseAddress.parse(settings.database_url).conninfo()) as conn:
        item_id = conn.execute(
            "SELECT originator_id FROM assignment.assignment_events GROUP BY originator_id"
            " HAVING max(originator_version) = %s AND bool_or(topic LIKE %s) LIMIT 1",
            (per_item, "%:Item.ItemReceived"),
        ).fetchone()[0]
        times, raw = [], []
        for _ in range(50):
            t = time.perf_counter()
            version = app.repository.get(item_id).version
            times.append((time.perf_counter() - t) * 1e3)
            t = time.perf_counter()
            conn.execute(
                "SELECT * FROM assignment.assignment_events WHERE originator_id = %s"
                " ORDER BY originator_version",
                (item_id,),
            ).fetchall()
            raw.append((time.perf_counter() - t) * 1e3)
    app.close()
    say(f"(the item replayed has {version} events)")
    return statistics.median(times), statistics.median(raw)


def raw_sequential_read(conninfo: str) -> float:
    with psycopg.connect(conninfo) as conn, conn.cursor(name="scan") as cur:
        cur.itersize = 5000
        start = time.perf_counter()
        cur.execute("SELECT * FROM assignment.assignment_events ORDER BY notification_id")
        n = sum(1 for _ in cur)
        return n / (time.perf_counter() - start)


def read_p99(url: str, password: str, queries: int = 300) -> tuple[float, float]:
    session = login(url, password)
    filters = [
        {"status": "registered"},
        {"source": "hotline"},
        {"unit": "water"},
        {"overdue": "false", "source": "hotline"},
        {"status": "assigned", "unit": "water"},
        {},
    ]
    times = []
    for n in range(queries):
        t = time.perf_counter()
        r = session.get(
            f"{url}/api/v1/items", params={**filters[n % len(filters)], "limit": 50}, timeout=30
        )
        r.raise_for_status()
        times.append((time.perf_counter() - t) * 1e3)
    return pct(times, 50), pct(times, 99)


def wait_for_gateway(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/healthz", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise TimeoutError("the gateway did not start")


def rss(stack: Stack) -> dict[str, float]:
    """Resident MiB per process started, with its children (the gateway's gunicorn worker)."""

    def tree_kb(pid: int) -> int:
        status = Path(f"/proc/{pid}/status").read_text()
        kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return kb + sum(tree_kb(int(child)) for child in children)

    return {name: tree_kb(process.pid) / 1024 for name, process in stack.processes.items()}


# --- the run -----------------------------------------------------------------------------


def measure(stack: Stack, args: argparse.Namespace) -> None:
    PARTIAL.parent.mkdir(exist_ok=True)
    stack.prepare()
    settings = stack.settings
    app_conninfo = DatabaseAddress.parse(settings.database_url).conninfo()
    say(
        f"# Benchmark results\n\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, `python -m bench.run"
        f" --events {args.events}`, on {platform.node()}:"
        f" {os.cpu_count()} cores, {platform.python_version()}, {platform.platform()}.\n"
    )
    pg_tps = pg_single_row_tps(app_conninfo)
    rabbit = rabbit_confirmed_publishes(settings.amqp_uri)
    lower = min(pg_tps, rabbit)
    say("## Baselines (one Python client)\n")
    say(f"- PostgreSQL single-row transactions: {pg_tps:,.0f}/s")
    say(f"- RabbitMQ confirmed publishes: {rabbit:,.0f}/s\n")

    stack.start()
    password = settings.demo_password
    url = stack.gateway_url
    idle = rss(stack)
    say("## End to end: POST /api/v1/items to assigned with a due date\n")
    say("| clients | items/s | ratio to lower | register ms p50/95/99 | assign ms p50/95/99 |")
    say("|---|---|---|---|---|")
    for clients in (1, 8, 32):
        r = end_to_end(url, password, clients, max(5, args.per_client // max(1, clients // 4)))
        say(
            f"| {clients} | {r['rate']:.1f} | {r['rate'] / lower:.4f} | "
            + "/".join(f"{pct(r['register'], p):.0f}" for p in (50, 95, 99))
            + " | "
            + "/".join(f"{pct(r['assign'], p):.0f}" for p in (50, 95, 99))
            + " |"
        )
    loaded = rss(stack)
    say()
    # the target's rate, then half of it: how latency looks above and below saturation
    for rate in (args.paced_rate, args.paced_rate / 2):
        totals = paced(url, password, rate=rate, seconds=10)
        say(
            f"Paced at {rate:g} items/s for 10 s: {len(totals)} items,"
            f" register-to-due-date p50 {pct(totals, 50):.0f} ms,"
            f" p99 {pct(totals, 99):.0f} ms (target p99 < 250 ms at {args.paced_rate:g}/s).\n"
        )

    say("## Memory (resident, MiB)\n")
    say("| process | idle | after load |")
    say("|---|---|---|")
    for name in idle:
        say(f"| {name} | {idle[name]:.0f} | {loaded.get(name, 0):.0f} |")
    stack.stop()

    say("\n## Store and bus\n")
    say("| what | figure | baseline | ratio |")
    say("|---|---|---|---|")
    for writers in (1, 8):
        row(
            f"appends, {writers} writer(s)",
            appends(settings, writers, 2000 // writers),
            "events/s",
            raw_inserts(app_conninfo, writers, 2000 // writers),
            "raw inserts/s",
        )
    row(
        "outbox relay, store to confirmed",
        relay_rate(settings, 5000),
        "events/s",
        rabbit,
        "raw confirmed publishes/s",
    )

    per_item = 200
    heavy = bulk_item_events(settings, 20, per_item)
    rest = max(0, args.events - heavy)
    bulk_item_events(settings, rest // 10, 10)
    one, raw_one = replay_one_item(settings, per_item)
    row(f"rebuild one item of {per_item} events (median)", one, "ms", raw_one, "ms raw select")
    t = time.perf_counter()
    replayed = rebuild(settings)
    rebuild_rate = replayed / (time.perf_counter() - t)
    row(
        f"rebuild the read model from {replayed:,} events",
        rebuild_rate,
        "events/s",
        raw_sequential_read(app_conninfo),
        "rows/s raw sequential read",
    )

    with psycopg.connect(app_conninfo) as conn:
        items = conn.execute("SELECT count(*) FROM reporting.items").fetchone()[0]
    # fresh planner statistics after the bulk load, as autovacuum gathers them within a minute
    admin = DatabaseAddress.parse(stack.settings.database_admin_url).conninfo()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE reporting.items")
    stack.start_gateway()
    wait_for_gateway(url)
    p50, p99 = read_p99(url, password)
    say(
        f"\nItem list with filters over {items:,} items: p50 {p50:.1f} ms, p99 {p99:.1f} ms"
        " (target p99 < 50 ms), through the gateway, after VACUUM ANALYZE."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--events",
        type=int,
        default=1_000_000,
        help="item events for the replay; the read benchmark lists their items (a tenth)",
    )
    parser.add_argument("--per-client", type=int, default=40)
    parser.add_argument("--paced-rate", type=float, default=50.0, help="items/s for the p99")
    args = parser.parse_args()
    started = time.time()
    with isolated_env("sv_bench", READ_WAIT_SECONDS="10", LOG_LEVEL="WARNING") as env:
        stack = Stack(env, Path("var/bench-logs"))
        try:
            measure(stack, args)
        finally:
            stack.stop()  # also when a measurement fails or the run is interrupted
    say(f"\nThe whole run took {time.time() - started:.0f} s.")
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
