"""Reporting's Nameko entrypoints (thin)."""

from __future__ import annotations

from services.kernel.clock import Clock
from services.kernel.config import Settings
from services.kernel.consumer import consume
from services.kernel.contracts import Envelope
from services.kernel.shell import Runtime, event_consumer
from services.kernel.store import store_env
from services.reporting.application import Reporting


def build(settings: Settings, clock: Clock) -> Reporting:
    return Reporting(store_env(settings.database_url, "reporting"))


class ReportingService:
    name = "reporting"
    runtime = Runtime(build, origin="reporting")

    @event_consumer("reporting")
    def on_event(self, envelope: Envelope) -> None:
        consume(self.runtime.app, envelope, self.runtime.app.react)
