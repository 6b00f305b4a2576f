"""Scoring a quarter of 100,000 items: the facts read from PostgreSQL and every unit's points,
explanation, rates, ranks and proposals computed, as the scoring service does on each request;
beside two baselines measured in the same run: reading the same rows without scoring them, and
one pass over the facts in memory. The target is under 2 s.

    python -m bench.scoring [--items 100000] [--repeat 5]

Uses a database and role of its own (migrated, no processes started); the facts are written
straight into scoring's read model, spread over 37 units, sources, lateness, returns, co-units,
verdicts, penalties and commendations as a county's quarter is.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import psycopg

from deploy.migrate import MIGRATIONS
from deploy.stack import isolated_env
from services.deadline.calendar import WorkingCalendar
from services.kernel.clock import SystemClock
from services.kernel.config import DatabaseAddress, Settings
from services.kernel.migrations import migrate
from services.kernel.store import memory_env
from services.scoring.application import Scoring
from services.scoring.domain import Fact, Quarter, Unit, WorkingDays, score_quarter
from services.scoring.projections import items_between

TARGET_S = 2.0
QUARTER = Quarter(2026, 4)
UNITS = [Unit(f"town-{n}", f"镇{n}", "town") for n in range(12)] + [
    Unit(f"dept-{n}", f"局{n}", "department") for n in range(25)
]


def item_facts(n: int) -> list[Fact]:
    """One item's facts; every 5th runs late, every 10th is returned, and so on."""
    unit = UNITS[n % len(UNITS)].code
    co = UNITS[(n + 7) % len(UNITS)].code
    source = "finding" if n % 20 == 0 else "hotline" if n % 3 == 0 else "instruction"
    start = date(2026, 9, 1) + timedelta(days=n % 110)
    due = start + timedelta(days=10)
    facts = [("ItemReceived", start, {"source": source})]
    facts.append(("Assigned", start, {"lead_unit": unit, "co_units": [co] if n % 3 == 1 else []}))
    co_due = (start + timedelta(days=5)).isoformat() if n % 3 == 1 else None
    facts.append(("DeadlineSet", start, {"due_date": due.isoformat(), "co_unit_due_date": co_due}))
    if n % 6 == 1:
        facts.append(("CoUnitOpinionSubmitted", start + timedelta(days=3 + n % 5), {"unit": co}))
    answered = due - timedelta(days=1)
    if n % 5 == 0:
        facts.append(
            ("Overdue", due + timedelta(days=1), {"due_date": due.isoformat(), "unit": unit})
        )
        answered = due + timedelta(days=2 + n % 40)
    if n % 7 != 0:  # the rest are still open
        facts.append(("FeedbackSubmitted", answered, {}))
        if n % 10 == 3:
            facts.append(("FeedbackReturned", answered + timedelta(days=2), {}))
            facts.append(("FeedbackSubmitted", answered + timedelta(days=4), {}))
        closed = answered + timedelta(days=5)
        facts.append(("Closed", closed, {}))
        if source == "finding":
            facts.append(("Rectified", closed, {}))
        if source == "hotline":
            verdict = ("satisfied", "basically_satisfied", "unsatisfied")[n % 3]
            facts.append(("SatisfactionRecorded", closed, {"verdict": verdict}))
    if n % 97 == 0:
        facts.append(("Commended", due, {"unit": unit}))
    if n % 211 == 0:
        facts.append(("PenaltyRecommended", due, {"penalty": "circulate_criticism", "unit": unit}))
    facts.sort(key=lambda f: f[1])
    return [Fact(v, t, on, data) for v, (t, on, data) in enumerate(facts, start=1)]


def fill(admin_conninfo: str, items: dict[str, list[Fact]]) -> None:
    with psycopg.connect(admin_conninfo) as conn, conn.cursor() as curs:
        with curs.copy(
            "COPY scoring.item_facts (item_id, version, facts, first_on, last_on, open) FROM STDIN"
        ) as copy:
            for item_id, facts in items.items():
                closing = any(f.type in ("Closed", "Rectified") for f in facts)
                copy.write_row(
                    (
                        item_id,
                        facts[-1].version,
                        json.dumps([f.as_json() for f in facts], ensure_ascii=False),
                        facts[0].on,
                        facts[-1].on,
                        not closing,
                    )
                )
        conn.execute("ANALYZE scoring.item_facts")


def timed(run: Callable[[], object], repeat: int) -> float:
    """The median of `repeat` runs, in seconds (after one warm-up)."""
    run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    items = {f"00000000-0000-4000-8000-{n:012d}": item_facts(n) for n in range(args.items)}
    official = WorkingCalendar()
    cal = WorkingDays(
        lambda y: [
            date(y, 1, 1) + timedelta(days=d)
            for d in range(366)
            if (date(y, 1, 1) + timedelta(days=d)).year == y
            and official.is_working_day(date(y, 1, 1) + timedelta(days=d))
        ]
    )
    today = date(2027, 1, 10)
    with isolated_env("sv_bench_scoring") as env:
        settings = Settings.from_env(env)
        migrate(settings, MIGRATIONS)
        fill(DatabaseAddress.parse(settings.database_admin_url).conninfo(), items)
        conninfo = DatabaseAddress.parse(settings.database_url).conninfo()

        def source(first: date, last: date) -> Iterator[tuple[str, list[Fact]]]:
            return items_between(conninfo, first, last)

        app = Scoring(SystemClock(), memory_env(), source)
        app.today = lambda: today  # type: ignore[method-assign]
        result: dict = {}

        def scored() -> None:
            result.update(app.compute(QUARTER, UNITS, cal))

        def read_only() -> None:
            for _ in items_between(conninfo, QUARTER.first_day, QUARTER.last_day):
                pass

        whole = timed(scored, args.repeat)
        reading = timed(read_only, args.repeat)
        in_memory = timed(
            lambda: score_quarter(QUARTER, items.items(), UNITS, app.rule_book(), cal, today),
            args.repeat,
        )
        one_pass = timed(
            lambda: Counter(f.type for facts in items.values() for f in facts), args.repeat
        )
    points = sum(len(c["points"]) for c in result["units"].values())
    print(f"scoring {QUARTER.label}: {args.items:,} items, {len(UNITS)} units, {points:,} points")
    print("| what | median s | baseline | ratio |")
    print("|---|---|---|---|")
    for what, figure, base, base_name in (
        ("read from PostgreSQL and score", whole, reading, "reading only"),
        ("score in memory", in_memory, one_pass, "one pass over the facts"),
    ):
        print(f"| {what} | {figure:.3f} | {base:.3f} s {base_name} | {figure / base:.2f} |")
    verdict = "met" if whole < TARGET_S else "MISSED"
    print(f"target: a quarter of {args.items:,} items scored in under {TARGET_S} s: {verdict}")


if __name__ == "__main__":
    main()
