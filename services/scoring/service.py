"""Scoring's Nameko entrypoints (thin): its inbox, and the RPCs the gateway calls. The units
(and their kinds) come from assignment, the working days from deadline, both by RPC."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from nameko.rpc import RpcProxy

from services.kernel.clock import Clock
from services.kernel.config import DatabaseAddress, Settings
from services.kernel.consumer import consume
from services.kernel.contracts import Envelope
from services.kernel.shell import Runtime, event_consumer, rpc
from services.kernel.store import store_env
from services.scoring import schema
from services.scoring.application import Scoring
from services.scoring.domain import Fact, Quarter, Unit, WorkingDays
from services.scoring.projections import items_between


def build(settings: Settings, clock: Clock) -> Scoring:
    conninfo = DatabaseAddress.parse(settings.database_url).conninfo()

    def items(first: date, last: date) -> Iterator[tuple[str, list[Fact]]]:
        return items_between(conninfo, first, last)

    return Scoring(clock, store_env(settings.database_url, "scoring"), items)


class ScoringService:
    name = "scoring"
    runtime = Runtime(build, origin="scoring", migrations=schema.MIGRATIONS)
    assignment = RpcProxy("assignment")
    deadline = RpcProxy("deadline")

    @event_consumer("scoring")
    def on_event(self, envelope: Envelope) -> str:
        return consume(self.runtime.app, envelope, self.runtime.app.react)

    def _units(self) -> list[Unit]:
        return [Unit(u["code"], u["name"], u["kind"]) for u in self.assignment.list_units()]

    def _calendar(self) -> WorkingDays:
        return WorkingDays(
            lambda year: [date.fromisoformat(d) for d in self.deadline.working_days(year)]
        )

    @rpc
    def quarter(self, quarter: str, unit: str | None = None) -> dict[str, Any]:
        """The ranking (without the units' explanations), or with `unit` that unit's card:
        a quarter's points run to tens of thousands, too many to send for one page."""
        view = self.runtime.app.quarter_view(
            Quarter.parse(quarter), self._units(), self._calendar()
        )
        cards = view.pop("units")
        if unit is None:
            return view
        return {**view, "card": cards.get(unit)}

    @rpc
    def publication(self, quarter: str, version: int) -> dict[str, Any]:
        return self.runtime.app.publication(Quarter.parse(quarter), version)

    @rpc
    def publish(self, quarter: str, actor: dict[str, Any]) -> dict[str, Any]:
        view = self.runtime.app.publish(
            Quarter.parse(quarter), self._units(), self._calendar(), actor
        )
        view.pop("units")
        return view

    @rpc
    def appeals(self, quarter: str, unit: str | None) -> list[dict[str, Any]]:
        return self.runtime.app.appeals(Quarter.parse(quarter), unit)

    @rpc
    def file_appeal(
        self, quarter: str, point: str, reasons: str, unit: str | None, actor: dict[str, Any]
    ) -> dict[str, Any]:
        return self.runtime.app.file_appeal(Quarter.parse(quarter), point, reasons, unit, actor)

    @rpc
    def decide_appeal(
        self, quarter: str, appeal_id: str, outcome: str, comment: str, actor: dict[str, Any]
    ) -> dict[str, Any]:
        return self.runtime.app.decide_appeal(
            Quarter.parse(quarter), appeal_id, outcome, comment, actor
        )

    @rpc
    def rules(self) -> dict[str, Any]:
        return self.runtime.app.rules_view()

    @rpc
    def change_rules(
        self, rules: Any, effective_from: str, reason: str, actor: dict[str, Any]
    ) -> dict[str, Any]:
        return self.runtime.app.change_rules(
            rules, date.fromisoformat(effective_from), reason, actor
        )

    @rpc
    def annual(self, year: int) -> dict[str, Any]:
        return self.runtime.app.annual_view(year, self._units(), self._calendar())

    @rpc
    def verify_ledger(self) -> list[dict[str, object]]:
        return self.runtime.app.verify_ledger()
