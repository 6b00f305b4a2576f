"""The console's item list at 100,000 items: each page as the browser asks for it (a page of 50
items, then their working-day countdowns), through the gateway over HTTP, beside one item read
through the same stack (the floor of any page). The target is under 1 s per page.

    python -m bench.console_list [--items 100000] [--repeat 20]

Starts its own stack in a database, role and vhost of its own; the items are written straight
into the read model (what is measured is reading them), spread over units, sources, states and
due dates as a county's year is.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

import psycopg
import requests

from deploy.stack import Stack, isolated_env
from gateway.schemas import COUNTDOWN_DATES
from services.kernel.config import DatabaseAddress

TARGET_MS = 1000
PAGE = 50
UNITS = ["chengguan", "dongchuan", "xihe", "nanshan", "water", "health", "education", "finance"]
SOURCES = ["instruction", "meeting", "hotline", "netizen", "proposal", "finding", "work_report"]
STATUSES = ["assigned", "acknowledged", "feedback_submitted", "returned", "closed", "closed"]
WORDS = ["道路", "供暖", "学校", "河道", "污水", "路灯", "停车", "菜市场", "拆迁", "医保"]


def fill(admin_conninfo: str, items: int) -> None:
    with psycopg.connect(admin_conninfo) as conn:
        conn.execute(
            """
            INSERT INTO reporting.items (item_id, version, source, title, status, lead_unit,
                co_units, units_involved, due_date, overdue, registered_at, updated_at, details)
            SELECT gen_random_uuid(), 5,
                (%(sources)s::text[])[1 + n %% %(n_sources)s],
                (%(words)s::text[])[1 + n %% %(n_words)s] || '问题整改第' || n || '号',
                (%(statuses)s::text[])[1 + n %% %(n_statuses)s],
                (%(units)s::text[])[1 + n %% %(n_units)s],
                ARRAY[(%(units)s::text[])[1 + (n + 3) %% %(n_units)s]],
                ARRAY[(%(units)s::text[])[1 + n %% %(n_units)s],
                      (%(units)s::text[])[1 + (n + 3) %% %(n_units)s]],
                date '2026-01-05' + (n %% 360),
                n %% 17 = 0,
                timestamptz '2026-01-01 09:00+08' + n * interval '5 minutes',
                timestamptz '2026-01-01 09:00+08' + n * interval '5 minutes',
                '{}'::jsonb
            FROM generate_series(1, %(items)s) AS n
            """,
            {
                "items": items,
                "sources": SOURCES,
                "n_sources": len(SOURCES),
                "words": WORDS,
                "n_words": len(WORDS),
                "statuses": STATUSES,
                "n_statuses": len(STATUSES),
                "units": UNITS,
                "n_units": len(UNITS),
            },
        )
        conn.execute("ANALYZE reporting.items")


def page_ms(session: requests.Session, base: str, params: dict[str, Any]) -> float:
    """One list page as the console loads it: the page, then its items' countdowns."""
    started = time.perf_counter()
    answer = session.get(f"{base}/api/v1/items", params={**params, "limit": PAGE}, timeout=30)
    answer.raise_for_status()
    dates = sorted({i["due_date"] for i in answer.json()["items"] if i["due_date"]})
    for first in range(0, len(dates), COUNTDOWN_DATES):
        countdown = session.get(
            f"{base}/api/v1/calendar/countdown",
            params={"dates": ",".join(dates[first : first + COUNTDOWN_DATES])},
            timeout=30,
        )
        countdown.raise_for_status()
    return (time.perf_counter() - started) * 1000


def timed(repeat: int, measure: Any) -> list[float]:
    measure()  # warm: the first request opens the gateway's connections
    return [measure() for _ in range(repeat)]


def measure(stack: Stack, items: int, repeat: int) -> None:
    stack.prepare()
    stack.start()
    admin = DatabaseAddress.parse(stack.settings.database_admin_url).conninfo()
    started = time.perf_counter()
    fill(admin, items)
    print(f"{items:,} items written in {time.perf_counter() - started:.1f} s", flush=True)
    base = stack.gateway_url
    session = requests.Session()
    token = session.post(
        f"{base}/api/v1/auth/token",
        json={"username": "supervisor", "password": stack.settings.demo_password},
        timeout=30,
    ).json()["access_token"]
    session.headers["Authorization"] = f"Bearer {token}"
    one = session.get(f"{base}/api/v1/items", params={"limit": 1}, timeout=30).json()
    item_id = one["items"][0]["id"]

    def item_read() -> float:
        started = time.perf_counter()
        session.get(f"{base}/api/v1/items/{item_id}", timeout=30).raise_for_status()
        return (time.perf_counter() - started) * 1000

    floor = statistics.median(timed(repeat, item_read))
    pages = {
        "first page, no filter": {},
        "page 1,000 (offset 50,000)": {"offset": 50_000},
        "last page": {"offset": items - PAGE},
        "status = acknowledged": {"status": "acknowledged"},
        "one unit (lead or co-unit)": {"unit": "chengguan"},
        "overdue": {"overdue": "true"},
        "source and status": {"source": "hotline", "status": "returned"},
        "unit, overdue, page 10": {"unit": "water", "overdue": "true", "offset": 450},
    }
    print(
        f"\n| list page at {items:,} items ({repeat} runs) | p50 | p95 | max | "
        f"baseline: one item read, p50 | target |"
    )
    print("|---|---|---|---|---|---|")
    worst = 0.0
    for name, params in pages.items():
        runs = timed(repeat, lambda p=params: page_ms(session, base, p))
        p95 = sorted(runs)[round(0.95 * (len(runs) - 1))]
        worst = max(worst, max(runs))
        print(
            f"| {name} | {statistics.median(runs):.1f} ms | {p95:.1f} ms | {max(runs):.1f} ms "
            f"| {floor:.1f} ms | < {TARGET_MS} ms |"
        )
    verdict = "met" if worst < TARGET_MS else "NOT met"
    print(f"\nslowest page: {worst:.1f} ms — target < {TARGET_MS} ms {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with isolated_env("sv_bench_console", LOG_LEVEL="WARNING") as env:
        stack = Stack(env, Path("var/bench-logs"))
        try:
            measure(stack, args.items, args.repeat)
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
