"""Sequential round trips through a running stack: register, then assign until the due date
is visible, beside a baseline of single-row PostgreSQL transactions from one Python client.

    python -m bench.item_roundtrip --url http://127.0.0.1:8000 --items 100

Environment as for `make run` (DATABASE_URL for the baseline, DEMO_PASSWORD for the login).
This is the sequential figure only; the concurrent benchmarks belong to bench/ as they come.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid

import psycopg
import requests

from services.kernel.config import DatabaseAddress, Settings


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def baseline_tps(conninfo: str, n: int = 500) -> float:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("CREATE TEMP TABLE bench_rows (id uuid PRIMARY KEY, body text)")
        start = time.perf_counter()
        for _ in range(n):
            with conn.transaction():
                conn.execute("INSERT INTO bench_rows VALUES (%s, 'x')", (uuid.uuid4(),))
        return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--items", type=int, default=100)
    args = parser.parse_args()
    settings = Settings.from_env()
    session = requests.Session()
    token = session.post(
        f"{args.url}/api/v1/auth/token",
        json={"username": "supervisor", "password": settings.demo_password},
        timeout=10,
    ).json()["access_token"]
    session.headers["Authorization"] = f"Bearer {token}"
    register, assign = [], []
    start = time.perf_counter()
    for i in range(args.items):
        t0 = time.perf_counter()
        item = session.post(
            f"{args.url}/api/v1/items",
            json={
                "source": "hotline",
                "title": f"基准 {i}",
                "content": "...",
                "complexity": "simple",
            },
            timeout=30,
        ).json()
        t1 = time.perf_counter()
        assigned = session.post(
            f"{args.url}/api/v1/items/{item['id']}/assign", json={"lead_unit": "water"}, timeout=30
        ).json()
        assert assigned["due_date"], assigned
        register.append((t1 - t0) * 1000)
        assign.append((time.perf_counter() - t1) * 1000)
    elapsed = time.perf_counter() - start
    items_per_second = args.items / elapsed
    tps = baseline_tps(DatabaseAddress.parse(settings.database_url).conninfo())
    for name, values in (("register (ms)", register), ("assign to due date (ms)", assign)):
        print(
            f"{name:26} p50 {statistics.median(values):7.1f}  p95 {percentile(values, 95):7.1f}"
            f"  p99 {percentile(values, 99):7.1f}"
        )
    print(f"items/s, one client:        {items_per_second:7.1f}")
    print(f"baseline single-row tx/s:   {tps:7.1f}")
    print(f"ratio:                      {items_per_second / tps:7.3f}")


if __name__ == "__main__":
    main()
