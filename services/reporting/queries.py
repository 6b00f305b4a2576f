"""Reporting's published read side: the one module of a service the gateway may import.

Item queries from the read model, and waiting for it to catch up with a write (read your
writes). Summaries, ledgers and dashboards join here as they are built.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from services.kernel.dates import BUSINESS_TZ
from services.kernel.vocabulary import (
    AWAITING_ANSWER,
    CAMPAIGN_KIND_LABELS,
    CAMPAIGN_STATUS_LABELS,
    FINAL_STATUSES,
    RECTIFIABLE_SOURCES,
    SEVERITY_LABELS,
    STATUS_LABELS,
)
from services.reporting import schema, search
from services.reporting.projections import CHANNEL

log = logging.getLogger(__name__)

# the read model's tables a reader needs applied (the gateway is not ready without them)
MIGRATIONS = schema.MIGRATIONS

COLUMNS = (
    "item_id, version, source, title, external_ref, complexity, issued_by, status, lead_unit,"
    " co_units, due_date, due_at, original_due_date, extended, overdue, reminders,"
    " escalation_level, penalty, registered_at, updated_at, notice_number, group_key, details,"
    " answer, reported_to, reply_class, satisfaction, reopened, progress_reports,"
    " co_unit_opinions, co_unit_due_date, return_by, indicator_figures, was_overdue,"
    " overdue_unit, dispatch_due_date, assigned_on, unsigned_reminded, extension_requested,"
    " merged_into, escalated_to, notice_numbers, campaign_id, severity, returns,"
    " feedback_on_time, rectified"
)
CAMPAIGN_COLUMNS = (
    "campaign_id, version, kind, year, month, title, upper_level, status, plan, visits,"
    " findings, issued, planned_at, updated_at"
)
# a problem's rectification, as the ledger counts it: crossed off, and whether the
# rectification report the office accepted came by its deadline
RECTIFIED_ON_TIME = "rectified AND feedback_on_time IS TRUE"
RECTIFIED_LATE = "rectified AND feedback_on_time IS NOT TRUE"
OPEN = "status NOT IN ('closed', 'cancelled', 'merged')"


def item_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["item_id"]),
        "version": row["version"],
        "source": row["source"],
        "title": row["title"],
        "external_ref": row["external_ref"],
        "complexity": row["complexity"],
        "issued_by": row["issued_by"],
        "status": row["status"],
        "status_label": STATUS_LABELS[row["status"]],
        "lead_unit": row["lead_unit"],
        "co_units": list(row["co_units"]),
        "due_date": row["due_date"].isoformat() if row["due_date"] else None,
        "due_at": row["due_at"].isoformat() if row["due_at"] else None,
        "original_due_date": (
            row["original_due_date"].isoformat() if row["original_due_date"] else None
        ),
        "extended": row["extended"],
        "overdue": row["overdue"],
        "reminders": row["reminders"],
        "escalation_level": row["escalation_level"],
        "penalty": row["penalty"],
        "registered_at": row["registered_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
        "notice_number": row["notice_number"],
        "notice_numbers": sorted(row["notice_numbers"]),
        "group": row["group_key"],
        "details": row["details"],
        "answer": row["answer"],
        "reported_to": row["reported_to"],
        "reply_class": row["reply_class"],
        "satisfaction": row["satisfaction"],
        "reopened": row["reopened"],
        "progress_reports": row["progress_reports"],
        "co_unit_opinions": row["co_unit_opinions"],
        "co_unit_due_date": _iso(row["co_unit_due_date"]),
        "return_by": _iso(row["return_by"]),
        "indicator": _indicator(row["indicator_figures"], row["details"].get("target")),
        "was_overdue": row["was_overdue"],
        "overdue_unit": row["overdue_unit"],
        "dispatch_due_date": _iso(row["dispatch_due_date"]),
        "assigned_on": _iso(row["assigned_on"]),
        # the office's own lateness: assigned after its dispatch limit (never a unit's)
        "dispatched_late": bool(
            row["dispatch_due_date"]
            and row["assigned_on"]
            and row["assigned_on"] > row["dispatch_due_date"]
        ),
        "unsigned_reminded": row["unsigned_reminded"],
        "extension_requested": _iso(row["extension_requested"]),
        "merged_into": str(row["merged_into"]) if row["merged_into"] else None,
        "escalated_to": row["escalated_to"],
        "campaign_id": str(row["campaign_id"]) if row["campaign_id"] else None,
        "severity": row["severity"],
        "severity_label": SEVERITY_LABELS.get(row["severity"] or ""),
        "returns": row["returns"],
        "rectified": row["rectified"],
        "rectified_on_time": row["rectified"] and row["feedback_on_time"] is True,
        "previous_item": row["details"].get("previous_item"),
    }


def campaign_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["campaign_id"]),
        "version": row["version"],
        "kind": row["kind"],
        "kind_label": CAMPAIGN_KIND_LABELS[row["kind"]],
        "year": row["year"],
        "month": row["month"],
        "title": row["title"],
        "upper_level": row["upper_level"],
        "status": row["status"],
        "status_label": CAMPAIGN_STATUS_LABELS[row["status"]],
        "plan": row["plan"],
        "visits": row["visits"],
        "findings": row["findings"],
        "issued": row["issued"],
        "planned_at": row["planned_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
    }


def _indicator(figures: dict[str, float], target: Any) -> dict[str, Any] | None:
    """An indicator's figures by month; the current one is the latest month's."""
    if not figures:
        return None
    month = max(figures)
    value = figures[month]
    gap = round(float(target) - value, 4) if isinstance(target, int | float) else None
    return {
        "month": month,
        "value": value,
        "target": target,
        "gap": gap,
        "figures": dict(sorted(figures.items())),
    }


def _page(
    conn: Any, clause: str, params: list[Any], limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    """How many items `clause` matches, and one page of them, newest first."""
    total = conn.execute(f"SELECT count(*) AS n FROM reporting.items{clause}", params).fetchone()
    rows = conn.execute(
        f"SELECT {COLUMNS} FROM reporting.items{clause}"
        " ORDER BY registered_at DESC, item_id LIMIT %s OFFSET %s",
        [*params, limit, offset],
    ).fetchall()
    return total["n"], [item_json(r) for r in rows]


def _day_start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), BUSINESS_TZ)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


# A listening connection that only waits would not notice a peer that vanished without a
# reset (a dropped network path); the kernel's keepalives and a periodic query do.
KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}


class Changes:
    """Wakes whoever waits for an item when reporting commits a change to its row: one
    connection LISTENs on the read model's channel for the whole process."""

    # Without the listener (starting, or its connection lost) waiters look this often; with
    # it, they still look this often in case a change went unannounced.
    POLL_SECONDS = 0.02
    LISTENING_POLL_SECONDS = 0.5
    QUIET_CHECK_SECONDS = 30.0

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._lock = threading.Lock()
        self._waiters: dict[str, set[threading.Event]] = {}
        self._listening = threading.Event()
        self._thread: threading.Thread | None = None

    @contextmanager
    def watch(self, item_id: UUID) -> Iterator[threading.Event]:
        """An event set whenever the item's row may have changed, from now on."""
        key, changed = str(item_id), threading.Event()
        with self._lock:
            if self._thread is None:  # started on first use, in the serving process
                self._thread = threading.Thread(target=self._listen, daemon=True)
                self._thread.start()
            self._waiters.setdefault(key, set()).add(changed)
        try:
            yield changed
        finally:
            with self._lock:
                waiting = self._waiters.get(key)
                if waiting is not None:
                    waiting.discard(changed)
                    if not waiting:
                        del self._waiters[key]

    def poll_seconds(self) -> float:
        return self.LISTENING_POLL_SECONDS if self._listening.is_set() else self.POLL_SECONDS

    def _wake(self, key: str) -> None:
        with self._lock:
            if key:
                waiting = list(self._waiters.get(key, ()))
            else:
                waiting = [e for events in self._waiters.values() for e in events]
        for changed in waiting:
            changed.set()

    def _listen(self) -> None:
        while True:
            try:
                with psycopg.connect(self._conninfo, autocommit=True, **KEEPALIVES) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    self._wake("")  # changes made before we listened: everyone looks again
                    while True:
                        for notify in conn.notifies(timeout=self.QUIET_CHECK_SECONDS):
                            self._wake(notify.payload)
                        # quiet for a while: make sure the connection is still there
                        conn.execute("SELECT 1")
            except Exception:
                log.warning("listening for read-model changes failed; retrying", exc_info=True)
            finally:
                self._listening.clear()
                self._wake("")
            time.sleep(1.0)


def _seen_by(unit: str | None, alias: str = "") -> tuple[str, tuple[str, ...]]:
    """The condition that keeps only the items a unit is or was lead or co-unit of (none for
    readers of every item); the GIN index on units_involved answers it."""
    if unit is None:
        return "", ()
    return f" AND {alias}units_involved @> ARRAY[%s]::text[]", (unit,)


def _searched(
    conn: Any, clause: str, params: list[Any], limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    """A search's page and count from one set of matches, found once: a count and a page
    query would each search, and the page query walks the newest items probing each one,
    slow for a rare word."""
    rows = conn.execute(
        f"WITH hits AS MATERIALIZED (SELECT item_id, registered_at FROM reporting.items{clause})"
        f" SELECT counted.total, {COLUMNS} FROM (SELECT count(*) FROM hits) AS counted (total)"
        " LEFT JOIN ((SELECT item_id FROM hits ORDER BY registered_at DESC, item_id"
        " LIMIT %s OFFSET %s) AS page JOIN reporting.items USING (item_id)) ON true"
        " ORDER BY registered_at DESC, item_id",
        [*params, limit, offset],
    ).fetchall()
    # past the last match the one row left carries only the count
    return rows[0]["total"], [item_json(r) for r in rows if r["item_id"] is not None]


class ReadModel:
    """`pool_size` connections at most; a reader that finds none free within `pool_wait_seconds`
    gets psycopg_pool.PoolTimeout."""

    def __init__(
        self, conninfo: str, wait_seconds: float, pool_size: int = 16, pool_wait_seconds: float = 5
    ) -> None:
        self._pool = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=pool_size,
            timeout=pool_wait_seconds,
            # every read is one statement: no BEGIN/COMMIT around it
            kwargs={"row_factory": dict_row, "autocommit": True},
            open=False,
        )
        self._wait_seconds = wait_seconds
        self._changes = Changes(conninfo)

    def _connection(self) -> Any:
        self._pool.open()  # opened on first use, so building the app touches no database
        return self._pool.connection()

    def item(self, item_id: UUID, seen_by: str | None = None) -> dict[str, Any] | None:
        """The item; with `seen_by` (a handler's unit), only if that unit is or was its lead
        or a co-unit."""
        where, params = _seen_by(seen_by)
        with self._connection() as conn:
            row = conn.execute(
                f"SELECT {COLUMNS} FROM reporting.items WHERE item_id = %s{where}",
                (item_id, *params),
            ).fetchone()
        return item_json(row) if row else None

    def file_attached(self, sha: str, seen_by: str | None = None) -> bool:
        """Whether the file is evidence of an item (of one `seen_by` may see, if given)."""
        where, params = _seen_by(seen_by, "i.")
        with self._connection() as conn:
            row = conn.execute(
                "SELECT 1 FROM reporting.evidence e JOIN reporting.items i USING (item_id)"
                f" WHERE e.sha = %s{where} LIMIT 1",
                (sha, *params),
            ).fetchone()
        return row is not None

    def items(
        self,
        *,
        status: str | None = None,
        unit: str | None = None,
        source: str | None = None,
        group: str | None = None,
        overdue: bool | None = None,
        pending_extension: bool | None = None,
        escalated: bool | None = None,
        unsigned: bool | None = None,
        returned_by_unit: bool | None = None,
        due_window: tuple[date, date] | None = None,
        due_from: date | None = None,
        due_to: date | None = None,
        notice_number: str | None = None,
        external_ref: str | None = None,
        q: str | None = None,
        limit: int = 50,
        offset: int = 0,
        seen_by: str | None = None,
    ) -> tuple[int, list[dict[str, Any]]]:
        """A page of items and how many match; `seen_by` (a handler's unit) leaves out the
        items that unit never had. `due_window`: items still awaiting their answer whose due
        date lies in it (the deadline service counts it in working days)."""
        where: list[str] = []
        params: list[Any] = []
        if status:
            where.append("status = %s")
            params.append(status)
        else:  # cancelled and merged items leave the lists, not the record
            where.append("status NOT IN ('cancelled', 'merged')")
        if seen_by is not None:
            where.append("units_involved @> ARRAY[%s]::text[]")
            params.append(seen_by)
        if unit:
            # `@>` (not `= ANY`) so the co-units' GIN index can answer it
            where.append("(lead_unit = %s OR co_units @> ARRAY[%s]::text[])")
            params += [unit, unit]
        if source:
            where.append("source = %s")
            params.append(source)
        if group:
            where.append("group_key = %s")
            params.append(group)
        if overdue is not None:
            where.append("overdue = %s")
            params.append(overdue)
        # the office's work lists: each flag, when false, lists the rest
        flags = [
            # a request the office has not decided, on an item still open
            (
                pending_extension,
                "(extension_requested IS NOT NULL AND status <> ALL(%s))",
                [list(FINAL_STATUSES)],
            ),
            # escalated on the ladder, for its current lead unit, and still open
            (escalated, "(escalation_level > 0 AND status <> ALL(%s))", [list(FINAL_STATUSES)]),
            # assigned, and the lead unit has not signed for it
            (unsigned, "status = 'assigned'", []),
            # returned by its unit as not its business, waiting to be reassigned
            (returned_by_unit, "status = 'returned_by_unit'", []),
        ]
        for wanted, condition, values in flags:
            if wanted is not None:
                where.append(condition if wanted else f"NOT {condition}")
                params += values
        if due_window is not None:
            where.append("due_date BETWEEN %s AND %s AND status = ANY(%s)")
            params += [*due_window, list(AWAITING_ANSWER)]
        if due_from is not None:
            where.append("due_date >= %s")
            params.append(due_from)
        if due_to is not None:
            where.append("due_date <= %s")
            params.append(due_to)
        if notice_number:
            where.append("notice_numbers @> ARRAY[%s]::text[]")
            params.append(notice_number)
        if external_ref:
            where.append("external_ref = %s")
            params.append(external_ref)
        if q:
            found = search.query(q)
            # the keys narrow it down (the GIN index); the text itself decides
            terms = [] if found.exact else list(found.terms)
            where.append(
                "item_id IN (SELECT item_id FROM reporting.item_search WHERE keys @> %s::text[]"
                + " AND strpos(body, %s) > 0" * len(terms)
                + ")"
            )
            params += [list(found.keys), *terms]
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        with self._connection() as conn:
            if q:
                return _searched(conn, clause, params, limit, offset)
            return _page(conn, clause, params, limit, offset)

    def wait_for(
        self, item_id: UUID, version: int, *, expect_deadline: bool = False
    ) -> dict[str, Any] | None:
        """The item once the read model shows at least `version` (and, if a new deadline is
        expected, the next event with a due date); the latest row seen if it does not within
        the wait."""
        if expect_deadline:
            version += 1
        deadline = time.monotonic() + self._wait_seconds
        # watching before the first read: a change committed after it is announced to us
        with self._changes.watch(item_id) as changed:
            while True:
                item = self.item(item_id)
                ready = item is not None and item["version"] >= version
                if ready and (not expect_deadline or item["due_date"]):
                    return item
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return item
                changed.wait(min(remaining, self._changes.poll_seconds()))
                changed.clear()

    def dashboard(self, today: date, seen_by: str | None = None) -> dict[str, Any]:
        """The office's figures of the day: open items by state, per lead unit, due dates of
        the next four weeks (the caller counts them in working days), and twelve weeks of
        items registered and closed; with `seen_by`, only that unit's items."""
        where, params = _seen_by(seen_by)
        final = "status IN ('closed', 'cancelled', 'merged')"
        weeks_from = today - timedelta(days=today.weekday() + 7 * 11)
        with self._connection() as conn:
            counts = conn.execute(
                "SELECT count(*) FILTER (WHERE NOT " + final + ") AS open,"
                " count(*) FILTER (WHERE overdue AND NOT " + final + ") AS overdue,"
                " count(*) FILTER (WHERE status = 'registered') AS to_assign,"
                " count(*) FILTER (WHERE status = 'assigned') AS unsigned,"
                " count(*) FILTER (WHERE status = 'returned_by_unit') AS returned_by_unit,"
                " count(*) FILTER (WHERE status = 'returned') AS rework,"
                " count(*) FILTER (WHERE status = 'feedback_submitted') AS to_review,"
                " count(*) FILTER (WHERE extension_requested IS NOT NULL AND NOT "
                + final
                + ") AS pending_extension,"
                " count(*) FILTER (WHERE status = 'closed') AS closed"
                f" FROM reporting.items WHERE true{where}",
                params,
            ).fetchone()
            units = conn.execute(
                "SELECT lead_unit AS unit, count(*) AS open, count(*) FILTER (WHERE overdue)"
                f" AS overdue FROM reporting.items WHERE lead_unit IS NOT NULL AND NOT {final}"
                f"{where} GROUP BY lead_unit ORDER BY 3 DESC, 2 DESC, 1",
                params,
            ).fetchall()
            due = conn.execute(
                "SELECT due_date, count(*) AS n FROM reporting.items WHERE NOT " + final + ""
                f" AND due_date BETWEEN %s AND %s{where} GROUP BY due_date ORDER BY due_date",
                (today, today + timedelta(days=28), *params),
            ).fetchall()
            weeks = conn.execute(
                "SELECT w::date AS week,"
                " (SELECT count(*) FROM reporting.items WHERE registered_at >= w"
                f"  AND registered_at < w + interval '7 days'{where}) AS registered,"
                " (SELECT count(*) FROM reporting.items WHERE status = 'closed'"
                f"  AND updated_at >= w AND updated_at < w + interval '7 days'{where}) AS closed"
                " FROM generate_series(%s::timestamptz, %s::timestamptz, interval '7 days') w",
                (*params, *params, _day_start(weeks_from), _day_start(today)),
            ).fetchall()
        return {
            "counts": dict(counts),
            "units": [dict(r) for r in units],
            "due_dates": {r["due_date"].isoformat(): r["n"] for r in due},
            "weeks": [{**r, "week": r["week"].isoformat()} for r in weeks],
        }

    def proposal_summary(self, year: int, seen_by: str | None = None) -> list[dict[str, Any]]:
        """The year-end summary for the standing committees: per committee, how the
        suggestions (人大) and proposals (政协) were answered and how their authors felt;
        with `seen_by` (a handler's unit), only that unit's figures."""
        where, params = _seen_by(seen_by)
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT details->>'kind' AS kind, count(*) AS total,"
                " count(*) FILTER (WHERE status = 'closed') AS closed,"
                " count(*) FILTER (WHERE reply_class = 'A') AS a,"
                " count(*) FILTER (WHERE reply_class = 'B') AS b,"
                " count(*) FILTER (WHERE reply_class = 'C') AS c,"
                " count(*) FILTER (WHERE reply_class = 'D') AS d,"
                " count(*) FILTER (WHERE satisfaction = 'satisfied') AS satisfied,"
                " count(*) FILTER (WHERE satisfaction = 'basically_satisfied') AS basically,"
                " count(*) FILTER (WHERE satisfaction = 'unsatisfied') AS unsatisfied,"
                " count(*) FILTER (WHERE overdue) AS overdue"
                " FROM reporting.items WHERE source = 'proposal'"
                f" AND (details->>'session_year')::int = %s{where} GROUP BY 1 ORDER BY 1",
                (year, *params),
            ).fetchall()
        committees = {
            "suggestion": ("npc_standing_committee", "县人大常委会", "人大代表建议"),
            "proposal": ("cppcc_standing_committee", "县政协常委会", "政协委员提案"),
        }
        return [
            {
                "committee": committees[r["kind"]][0],
                "committee_name": committees[r["kind"]][1],
                "kind": committees[r["kind"]][2],
                "total": r["total"],
                "closed": r["closed"],
                "reply_classes": {"A": r["a"], "B": r["b"], "C": r["c"], "D": r["d"]},
                "satisfaction": {
                    "satisfied": r["satisfied"],
                    "basically_satisfied": r["basically"],
                    "unsatisfied": r["unsatisfied"],
                },
                "overdue": r["overdue"],
            }
            for r in rows
            if r["kind"] in committees
        ]

    # --- inspections: campaigns, the ledger (台账), the responsibility list ---

    def campaigns(
        self, year: int | None, kind: str | None, seen_by: str | None = None
    ) -> list[dict[str, Any]]:
        """The campaigns, newest plan first; with `seen_by` (a handler's unit), only those that
        issued a finding to that unit."""
        where, params = ["true"], []
        if year is not None:
            where.append("year = %s")
            params.append(year)
        if kind:
            where.append("kind = %s")
            params.append(kind)
        if seen_by is not None:
            where.append("units_issued @> ARRAY[%s]::text[]")
            params.append(seen_by)
        with self._connection() as conn:
            rows = conn.execute(
                f"SELECT {CAMPAIGN_COLUMNS} FROM reporting.campaigns WHERE {' AND '.join(where)}"
                " ORDER BY year DESC, month NULLS LAST, planned_at DESC, campaign_id",
                params,
            ).fetchall()
        return [campaign_json(r) for r in rows]

    def campaign(self, campaign_id: UUID, seen_by: str | None = None) -> dict[str, Any] | None:
        where = " AND units_issued @> ARRAY[%s]::text[]" if seen_by is not None else ""
        params = (campaign_id, seen_by) if seen_by is not None else (campaign_id,)
        with self._connection() as conn:
            row = conn.execute(
                f"SELECT {CAMPAIGN_COLUMNS} FROM reporting.campaigns WHERE campaign_id = %s{where}",
                params,
            ).fetchone()
        return campaign_json(row) if row else None

    def wait_for_campaign(self, campaign_id: UUID, version: int) -> dict[str, Any] | None:
        """The campaign's row once it shows at least `version` (read your writes)."""
        deadline = time.monotonic() + self._wait_seconds
        with self._changes.watch(campaign_id) as changed:
            while True:
                row = self.campaign(campaign_id)
                if row is not None and row["version"] >= version:
                    return row
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return row
                changed.wait(min(remaining, self._changes.poll_seconds()))
                changed.clear()

    def ledger(
        self,
        *,
        campaign: UUID | None,
        unit: str | None,
        source: str | None,
        severity: str | None,
        status: str | None,
        overdue: bool | None,
        registered_from: date | None,
        registered_to: date | None,
        problems: bool,
        limit: int,
        offset: int,
        seen_by: str | None = None,
    ) -> tuple[int, list[dict[str, Any]]]:
        """台账: every item, open and closed (cancelled and merged ones too, by status), with
        the filters; `problems`: only problems (findings, upper-level findings)."""
        where, params = _ledger_where(
            campaign, unit, source, severity, status, overdue, registered_from, registered_to
        )
        if problems:
            where.append("source = ANY(%s)")
            params.append(list(RECTIFIABLE_SOURCES))
        if seen_by is not None:
            where.append("units_involved @> ARRAY[%s]::text[]")
            params.append(seen_by)
        with self._connection() as conn:
            return _page(conn, f" WHERE {' AND '.join(where)}", params, limit, offset)

    def campaign_figures(self, campaign_id: UUID, seen_by: str | None = None) -> dict[str, int]:
        """Per campaign: problems found (issued to a unit), rectified on time and late,
        rejected at least once, open, overdue now."""
        where, params = _seen_by(seen_by)
        with self._connection() as conn:
            row = conn.execute(
                "SELECT count(*) AS found,"
                f" count(*) FILTER (WHERE {RECTIFIED_ON_TIME}) AS rectified_on_time,"
                f" count(*) FILTER (WHERE {RECTIFIED_LATE}) AS rectified_late,"
                " count(*) FILTER (WHERE returns > 0) AS rejected,"
                f" count(*) FILTER (WHERE {OPEN}) AS open,"
                f" count(*) FILTER (WHERE overdue AND {OPEN}) AS overdue"
                f" FROM reporting.items WHERE campaign_id = %s{where}",
                (campaign_id, *params),
            ).fetchone()
        return dict(row)

    def responsibility_list(self, unit: str) -> list[dict[str, Any]]:
        """问题责任清单: every open problem the unit leads, soonest deadline first."""
        with self._connection() as conn:
            rows = conn.execute(
                f"SELECT {COLUMNS} FROM reporting.items WHERE lead_unit = %s"
                f" AND source = ANY(%s) AND {OPEN}"
                " ORDER BY due_date NULLS LAST, registered_at, item_id",
                (unit, list(RECTIFIABLE_SOURCES)),
            ).fetchall()
        return [item_json(r) for r in rows]


def _ledger_where(
    campaign: UUID | None,
    unit: str | None,
    source: str | None,
    severity: str | None,
    status: str | None,
    overdue: bool | None,
    registered_from: date | None,
    registered_to: date | None,
) -> tuple[list[str], list[Any]]:
    where: list[str] = ["true"]
    params: list[Any] = []
    for column, value in (
        ("campaign_id", campaign),
        ("source", source),
        ("severity", severity),
        ("status", status),
        ("overdue", overdue),
    ):
        if value is not None:
            where.append(f"{column} = %s")
            params.append(value)
    if unit:
        where.append("(lead_unit = %s OR co_units @> ARRAY[%s]::text[])")
        params += [unit, unit]
    if registered_from is not None:
        where.append("registered_at >= %s")
        params.append(_day_start(registered_from))
    if registered_to is not None:
        where.append("registered_at < %s")
        params.append(_day_start(registered_to + timedelta(days=1)))
    return where, params
