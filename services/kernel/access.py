"""Who may do what to an item: the one table, read by the gateway (which role may call the
route) and by the item itself (which unit a handler must belong to).

The office (`supervisor`) may act in a unit's place; a handler acts only for its own unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["supervisor", "leader", "auditor", "handler"]
ROLE_LABELS: dict[str, str] = {
    "supervisor": "督查室",
    "leader": "县政府领导",
    "auditor": "监察部门",
    "handler": "承办单位联络员",
}
OFFICE: tuple[Role, ...] = ("supervisor",)
UNIT_OR_OFFICE: tuple[Role, ...] = ("handler", "supervisor")


@dataclass(frozen=True)
class Permission:
    """`roles` may call the command; a handler must moreover belong to the item's lead unit
    (`unit="lead"`) or to one of its co-units (`unit="co"`)."""

    roles: tuple[Role, ...]
    unit: Literal["lead", "co"] | None = None


ITEM_COMMANDS: dict[str, Permission] = {
    "assign": Permission(OFFICE),
    "reassign": Permission(OFFICE),
    "acknowledge": Permission(UNIT_OR_OFFICE, "lead"),
    "report_progress": Permission(UNIT_OR_OFFICE, "lead"),
    "submit_co_unit_opinion": Permission(UNIT_OR_OFFICE, "co"),
    "record_indicator": Permission(UNIT_OR_OFFICE, "lead"),
    "return_to_office": Permission(("handler",), "lead"),
    "submit_feedback": Permission(UNIT_OR_OFFICE, "lead"),
    "accept": Permission(OFFICE),
    "return_for_rework": Permission(OFFICE),
    "request_extension": Permission(UNIT_OR_OFFICE, "lead"),
    "decide_extension": Permission(OFFICE),
    "record_satisfaction": Permission(OFFICE),
}
