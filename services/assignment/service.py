"""Assignment's Nameko entrypoints (thin)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from nameko.rpc import RpcProxy

from services.assignment import schema
from services.assignment.application import Assignment
from services.kernel.clock import Clock
from services.kernel.config import Settings
from services.kernel.consumer import consume
from services.kernel.contracts import Envelope
from services.kernel.shell import Runtime, event_consumer, rpc
from services.kernel.store import store_env


def build(settings: Settings, clock: Clock) -> Assignment:
    return Assignment(clock, store_env(settings.database_url, "assignment"))


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


class AssignmentService:
    name = "assignment"
    runtime = Runtime(build, origin="assignment", migrations=schema.MIGRATIONS)
    deadline = RpcProxy("deadline")

    @event_consumer("assignment")
    def on_event(self, envelope: Envelope) -> str:
        return consume(self.runtime.app, envelope, self.runtime.app.react)

    @rpc
    def get_item(self, item_id: str) -> dict[str, Any]:
        return self.runtime.app.item(UUID(item_id)).view()

    @rpc
    def history(self, item_id: str) -> list[dict[str, Any]]:
        return self.runtime.app.history(UUID(item_id))

    @rpc
    def list_units(self) -> list[dict[str, str]]:
        return self.runtime.app.list_units()

    @rpc
    def assign(
        self, item_id: str, command: dict[str, Any], actor: dict[str, Any], reassign: bool = False
    ) -> dict:
        """交办, or 改派 with `reassign`."""
        return self.runtime.app.assign(
            UUID(item_id),
            command["lead_unit"],
            command.get("co_units") or [],
            _date(command.get("due_date")),
            actor,
            self.deadline,
            reassign=reassign,
        )

    @rpc
    def return_to_office(self, item_id: str, reason: str, actor: dict[str, Any]) -> dict:
        return self.runtime.app.return_to_office(UUID(item_id), reason, actor)

    @rpc
    def report_progress(self, item_id: str, command: dict[str, Any], actor: dict) -> dict:
        return self.runtime.app.report_progress(
            UUID(item_id),
            command["content"],
            command.get("evidence") or [],
            command.get("period"),
            actor,
        )

    @rpc
    def submit_co_unit_opinion(self, item_id: str, command: dict[str, Any], actor: dict) -> dict:
        return self.runtime.app.submit_co_unit_opinion(
            UUID(item_id), command["content"], command.get("evidence") or [], actor
        )

    @rpc
    def record_indicator(self, item_id: str, command: dict[str, Any], actor: dict) -> dict:
        return self.runtime.app.record_indicator(
            UUID(item_id), command["month"], float(command["value"]), actor
        )

    @rpc
    def record_satisfaction(self, item_id: str, command: dict[str, Any], actor: dict) -> dict:
        return self.runtime.app.record_satisfaction(
            UUID(item_id),
            command["verdict"],
            command.get("comment") or "",
            _date(command.get("due_date")),
            actor,
            self.deadline,
        )

    @rpc
    def acknowledge(self, item_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        return self.runtime.app.acknowledge(UUID(item_id), actor)

    @rpc
    def submit_feedback(self, item_id: str, command: dict[str, Any], actor: dict) -> dict:
        return self.runtime.app.submit_feedback(
            UUID(item_id),
            command["content"],
            actor,
            command.get("evidence") or [],
            command.get("reply_class"),
        )

    @rpc
    def review(self, item_id: str, command: dict[str, Any], actor: dict[str, Any]) -> dict:
        return self.runtime.app.review(
            UUID(item_id),
            command["decision"],
            command.get("comment") or "",
            _date(command.get("due_date")),
            actor,
            self.deadline,
            command.get("evidence") or [],
            command.get("verification"),
        )

    @rpc
    def recommend_penalty(self, item_id: str, command: dict[str, Any], actor: dict) -> dict:
        return self.runtime.app.recommend_penalty(
            UUID(item_id), command["penalty"], command["unit"], command["reasons"], actor
        )

    @rpc
    def commend(self, item_id: str, command: dict[str, Any], actor: dict) -> dict:
        return self.runtime.app.commend(UUID(item_id), command["unit"], command["reasons"], actor)

    @rpc
    def cancel(self, item_id: str, command: dict[str, Any], actor: dict) -> dict:
        return self.runtime.app.cancel(UUID(item_id), command["reason"], actor)

    @rpc
    def merge(self, item_id: str, command: dict[str, Any], actor: dict) -> dict:
        return self.runtime.app.merge(
            UUID(item_id), UUID(command["into"]), command["reason"], actor
        )

    @rpc
    def leaders(self) -> dict[str, Any]:
        return self.runtime.app.leaders()

    @rpc
    def record_leader(self, code: str, command: dict[str, Any], actor: dict) -> dict:
        return self.runtime.app.record_leader(
            code,
            command["name"],
            command["title"],
            command.get("username"),
            command["reason"],
            actor,
        )

    @rpc
    def put_in_charge(self, unit: str, command: dict[str, Any], actor: dict) -> dict:
        return self.runtime.app.put_in_charge(unit, command["leader"], command["reason"], actor)

    @rpc
    def make_default_leader(self, command: dict[str, Any], actor: dict) -> dict:
        return self.runtime.app.make_default_leader(command["leader"], command["reason"], actor)

    @rpc
    def request_extension(self, item_id: str, command: dict[str, Any], actor: dict) -> dict:
        return self.runtime.app.request_extension(
            UUID(item_id),
            command["reason"],
            date.fromisoformat(command["proposed_due_date"]),
            actor,
            self.deadline,
        )

    @rpc
    def decide_extension(self, item_id: str, command: dict[str, Any], actor: dict) -> dict:
        return self.runtime.app.decide_extension(
            UUID(item_id),
            command["decision"],
            _date(command.get("due_date")),
            command.get("comment") or "",
            actor,
            self.deadline,
        )

    @rpc
    def verify_ledger(self) -> list[dict[str, object]]:
        return self.runtime.app.verify_ledger()
