"""Reporting's Nameko entrypoints (thin)."""

from __future__ import annotations

from services.kernel import metrics
from services.kernel.clock import Clock
from services.kernel.config import Settings
from services.kernel.consumer import consume
from services.kernel.contracts import Envelope
from services.kernel.shell import Runtime, event_consumer
from services.kernel.store import store_env
from services.reporting import schema
from services.reporting.application import Reporting


def build(settings: Settings, clock: Clock) -> Reporting:
    return Reporting(store_env(settings.database_url, "reporting"))


def observe(app: Reporting) -> None:
    for source, open_items, overdue in app.open_and_overdue():
        metrics.ITEMS_OPEN.labels(source).set(open_items)
        metrics.ITEMS_OVERDUE.labels(source).set(overdue)


class ReportingService:
    name = "reporting"
    runtime = Runtime(build, origin="reporting", migrations=schema.MIGRATIONS, observe=observe)

    @event_consumer("reporting")
    def on_event(self, envelope: Envelope) -> str:
        return consume(self.runtime.app, envelope, self.runtime.app.react)
