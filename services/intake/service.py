"""Intake's Nameko entrypoints (thin): RPC in, events out through the outbox."""

from __future__ import annotations

from datetime import date
from typing import Any

from nameko.rpc import RpcProxy

from services.intake import schema
from services.intake.application import Intake
from services.kernel.clock import Clock
from services.kernel.config import Settings
from services.kernel.shell import Runtime, rpc
from services.kernel.store import store_env


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
