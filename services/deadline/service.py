"""Deadline's Nameko entrypoints (thin): its inbox, its timer, and a tick for tests."""

from __future__ import annotations

from eventlet.semaphore import Semaphore
from nameko.rpc import rpc
from nameko.timer import timer

from services.deadline.application import Deadline
from services.kernel.clock import Clock
from services.kernel.config import DatabaseAddress, Settings
from services.kernel.consumer import consume
from services.kernel.contracts import Envelope
from services.kernel.leader import LeaderLock
from services.kernel.shell import Runtime, event_consumer
from services.kernel.store import store_env

SETTINGS = Settings.from_env()
# One scan at a time across every replica.
SCAN_LOCK = LeaderLock(DatabaseAddress.parse(SETTINGS.database_url).conninfo(), "deadline:scan")
SCAN_MUTEX = Semaphore()


def build(settings: Settings, clock: Clock) -> Deadline:
    return Deadline(clock, store_env(settings.database_url, "deadline"))


class DeadlineService:
    name = "deadline"
    runtime = Runtime(build, origin="deadline")

    @event_consumer("deadline")
    def on_event(self, envelope: Envelope) -> None:
        consume(self.runtime.app, envelope, self.runtime.app.react)

    @timer(interval=SETTINGS.deadline_scan_seconds)
    def scan_periodically(self) -> None:
        self._scan()

    @rpc
    def tick(self) -> int:
        """Scan now (the manual clock moved); returns how many items went overdue."""
        return self._scan()

    @rpc
    def verify_ledger(self) -> list[dict[str, object]]:
        return self.runtime.app.verify_ledger()

    def _scan(self) -> int:
        with SCAN_MUTEX:
            if not SCAN_LOCK.held():
                return 0
            return self.runtime.app.scan()
