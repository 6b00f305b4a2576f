"""Deadline's Nameko entrypoints (thin): its inbox, its timer, admin RPCs, a tick for tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from eventlet.semaphore import Semaphore
from nameko.timer import timer

from services.deadline import schema
from services.deadline.application import Deadline
from services.kernel import metrics
from services.kernel.clock import Clock
from services.kernel.config import DatabaseAddress, Settings
from services.kernel.consumer import consume
from services.kernel.contracts import Envelope
from services.kernel.dates import DUE_DATE
from services.kernel.leader import LeaderLock
from services.kernel.shell import Runtime, event_consumer, rpc
from services.kernel.store import store_env

SETTINGS = Settings.from_env()
# One scan at a time across every replica.
SCAN_LOCK = LeaderLock(DatabaseAddress.parse(SETTINGS.database_url).conninfo(), "deadline:scan")
SCAN_MUTEX = Semaphore()


def build(settings: Settings, clock: Clock) -> Deadline:
    return Deadline(clock, store_env(settings.database_url, "deadline"))


class DeadlineService:
    name = "deadline"
    runtime = Runtime(build, origin="deadline", migrations=schema.MIGRATIONS)

    @event_consumer("deadline")
    def on_event(self, envelope: Envelope) -> str:
        return consume(self.runtime.app, envelope, self.runtime.app.react)

    @timer(interval=SETTINGS.deadline_scan_seconds)
    def scan_periodically(self) -> None:
        self._scan()

    @rpc
    def tick(self) -> int:
        """Scan now (the manual clock moved); returns how many actions were issued."""
        return self._scan()

    @rpc
    def check_due_date(
        self, source: str, due_date: str | None, explicit: bool, label: str = DUE_DATE
    ) -> None:
        self.runtime.app.check_due_date(
            source, date.fromisoformat(due_date) if due_date else None, explicit, label=label
        )

    @rpc
    def assignment_terms(
        self, source: str, due_date: str | None, explicit: bool, assigned_on: str
    ) -> str:
        return self.runtime.app.assignment_terms(
            source,
            date.fromisoformat(due_date) if due_date else None,
            explicit,
            date.fromisoformat(assigned_on),
        ).isoformat()

    @rpc
    def countdowns(self, due_dates: list[str]) -> dict[str, Any]:
        today, days = self.runtime.app.countdowns([date.fromisoformat(d) for d in due_dates])
        return {"today": today.isoformat(), "days": {d.isoformat(): n for d, n in days.items()}}

    @rpc
    def due_date_preview(
        self, source: str, complexity: str | None, due_date: str | None
    ) -> dict[str, Any]:
        return self.runtime.app.due_date_preview(
            source, complexity, date.fromisoformat(due_date) if due_date else None
        )

    @rpc
    def due_window(self, working_days: int) -> list[str]:
        return [day.isoformat() for day in self.runtime.app.due_window(working_days)]

    @rpc
    def time_limits(self) -> dict[str, Any]:
        return self.runtime.app.policy_view()

    @rpc
    def change_time_limits(self, limits: Any, reason: str, actor: dict[str, Any]) -> dict:
        return self.runtime.app.change_policy(limits, reason, actor)

    @rpc
    def calendar(self, year: int) -> dict[str, Any]:
        return self.runtime.app.calendar_view(year)

    @rpc
    def load_schedule(self, schedule: Any, reason: str, actor: dict[str, Any]) -> dict:
        return self.runtime.app.load_schedule(schedule, reason, actor)

    @rpc
    def verify_ledger(self) -> list[dict[str, object]]:
        return self.runtime.app.verify_ledger()

    def _scan(self) -> int:
        with SCAN_MUTEX:
            if not SCAN_LOCK.held():
                return 0
            with metrics.DEADLINE_SCANS.time():
                issued = self.runtime.app.scan()
        for source, action in issued:
            kind, _, detail = action.partition(":")
            if kind == "reminder":
                metrics.REMINDERS.labels(detail).inc()
            elif kind == "overdue":
                metrics.OVERDUE.labels(source).inc()
            else:
                metrics.ESCALATIONS.labels(detail).inc()
        return len(issued)
