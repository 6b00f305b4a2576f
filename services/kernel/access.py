"""Who may do what: the roles and machine clients, and the one table of item commands, read
by the gateway (which role may call the route) and by the item itself (which unit a handler
must belong to).

The office (`supervisor`) may act in a unit's place; a handler acts only for its own unit; an
administrator (`admin`) manages users and API keys. A machine client (role `client`) signs
in with an API key of one platform and may call only the routes that accept that platform.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["supervisor", "leader", "auditor", "handler", "admin"]
ROLE_LABELS: dict[str, str] = {
    "supervisor": "督查室",
    "leader": "县政府领导",
    "auditor": "监察部门",
    "handler": "承办单位联络员",
    "admin": "系统管理员",
}
OFFICE: tuple[Role, ...] = ("supervisor",)
UNIT_OR_OFFICE: tuple[Role, ...] = ("handler", "supervisor")
ADMIN: tuple[Role, ...] = ("admin",)
# who reads the login record
AUDIT: tuple[Role, ...] = ("auditor", "admin")

# The role of a principal signed in with an API key; never a user's role.
CLIENT = "client"
Platform = Literal["hotline", "netizen", "petition", "upper_inspection"]
PLATFORM_LABELS: dict[str, str] = {
    "hotline": "12345 政务服务便民热线平台",
    "netizen": "“互联网+督查”平台和领导留言板",
    "petition": "信访信息系统",
    "upper_inspection": "上级督查平台",
}


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
    "recommend_penalty": Permission(OFFICE),
    "commend": Permission(("leader", "supervisor")),
    "cancel": Permission(OFFICE),
    "merge": Permission(OFFICE),
}


# Who reads items: the office, leaders and auditors read every item; a unit's handler reads an
# item only while its unit is, or has been, its lead or a co-unit (elsewhere: 404).
READERS: tuple[Role, ...] = ("supervisor", "leader", "auditor", "handler")
# Who registers items: the office any item, a leader the instructions (批示) it issues.
REGISTRARS: tuple[Role, ...] = ("supervisor", "leader")
LEADER_SOURCES = ("instruction",)


def seen_by(role: str, unit: str | None) -> str | None:
    """The unit whose items alone this reader may see; None for readers of every item. A
    handler without a unit sees nothing (a unit no item has)."""
    return (unit or "") if role == "handler" else None


def may_register(role: str, source: str) -> bool:
    return role == "supervisor" or (role == "leader" and source in LEADER_SOURCES)
