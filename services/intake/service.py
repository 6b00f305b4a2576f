"""Intake's Nameko entrypoints (thin): RPC in, events out through the outbox."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from nameko.rpc import RpcProxy
from nameko.timer import timer

from services.intake import schema
from services.intake.application import Intake
from services.kernel.clock import Clock
from services.kernel.config import Settings
from services.kernel.dates import business_date
from services.kernel.shell import Runtime, rpc
from services.kernel.store import store_env

SYSTEM = {"user": "system:intake", "role": "system", "unit": None}
# how often intake makes sure this year's periodic campaigns are drafted (each January: on the
# first scan of the year; on first start: at once)
DRAFT_SCAN_SECONDS = 3600


def build(settings: Settings, clock: Clock) -> Intake:
    return Intake(clock, store_env(settings.database_url, "intake"))


class IntakeService:
    name = "intake"
    runtime = Runtime(build, origin="intake", migrations=schema.MIGRATIONS)
    deadline = RpcProxy("deadline")

    @rpc
    def register(self, command: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        due = command.get("due_date")
        return self.runtime.app.register(
            self.deadline,
            source=command["source"],
            title=command["title"],
            content=command["content"],
            external_ref=command.get("external_ref"),
            due_date=date.fromisoformat(due) if due else None,
            complexity=command.get("complexity"),
            issued_by=command.get("issued_by"),
            details=command.get("details") or {},
            evidence=command.get("evidence") or [],
            actor=actor,
        )

    @rpc
    def register_batch(self, commands: list[dict[str, Any]], actor: dict[str, Any]) -> dict:
        return self.runtime.app.register_batch(commands, actor)

    @rpc
    def verify_ledger(self) -> list[dict[str, object]]:
        return self.runtime.app.verify_ledger()

    # --- inspection campaigns ---

    @timer(interval=DRAFT_SCAN_SECONDS, eager=True)
    def draft_periodic_campaigns(self) -> None:
        self.tick()

    @rpc
    def tick(self) -> list[str]:
        """This year's periodic campaigns drafted if they are not yet (the manual clock moved)."""
        app = self.runtime.app
        return app.ensure_periodic_campaigns(business_date(app.clock.now()).year, SYSTEM)

    @rpc
    def campaign(self, campaign_id: str, unit: str | None = None) -> dict[str, Any]:
        return self.runtime.app.campaign(UUID(campaign_id)).view(unit)

    @rpc
    def plan_campaign(self, command: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        return self.runtime.app.plan_campaign(
            command["kind"], command["title"], command["plan"], command.get("upper_level"), actor
        )

    @rpc
    def change_plan(
        self, campaign_id: str, command: dict[str, Any], actor: dict[str, Any]
    ) -> dict[str, Any]:
        return self.runtime.app.change_plan(
            UUID(campaign_id), command["title"], command["plan"], command["reason"], actor
        )

    @rpc
    def start_campaign(self, campaign_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        return self.runtime.app.start_campaign(UUID(campaign_id), actor)

    @rpc
    def close_campaign(self, campaign_id: str, reason: str, actor: dict[str, Any]) -> dict:
        return self.runtime.app.close_campaign(UUID(campaign_id), reason, actor)

    @rpc
    def record_visit(
        self, campaign_id: str, command: dict[str, Any], actor: dict[str, Any]
    ) -> dict[str, Any]:
        return self.runtime.app.record_visit(
            UUID(campaign_id),
            command["place"],
            datetime.fromisoformat(command["visited_at"]),
            command.get("team") or [],
            command.get("found") or "",
            command.get("evidence") or [],
            actor,
        )

    @rpc
    def record_finding(
        self, campaign_id: str, command: dict[str, Any], units: list[str], actor: dict[str, Any]
    ) -> dict[str, Any]:
        visit, previous = command.get("visit_id"), command.get("previous_item")
        return self.runtime.app.record_finding(
            UUID(campaign_id),
            visit_id=UUID(visit) if visit else None,
            title=command["title"],
            facts=command["facts"],
            unit=command["unit"],
            person=command.get("person"),
            severity=command["severity"],
            evidence=command.get("evidence") or [],
            previous_item=UUID(previous) if previous else None,
            units=set(units),
            actor=actor,
        )

    @rpc
    def issue_finding(
        self, campaign_id: str, finding_id: str, command: dict[str, Any], actor: dict[str, Any]
    ) -> dict[str, Any]:
        return self.runtime.app.issue_finding(
            self.deadline,
            UUID(campaign_id),
            UUID(finding_id),
            task=command["task"],
            measures=command["measures"],
            person=command.get("person"),
            due_date=date.fromisoformat(command["due_date"]),
            actor=actor,
        )
