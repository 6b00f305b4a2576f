"""The county's leaders (县政府领导) and who is in charge of which unit (分管县领导): where an
escalation goes. Each leader is linked to a `leader` login, who is told."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.kernel.errors import Refused

COUNTY_NAMESPACE = UUID("4d1f6a52-7f3c-4e1b-9b36-0a9c2f8e5d71")
# Where an escalation goes when the county has named no default leader yet: never to nobody.
OFFICE = {"code": None, "name": "县政府办公室（未设默认县领导）", "username": None}


class CountyLeaders(Aggregate):
    ID = uuid5(COUNTY_NAMESPACE, "county-leaders")

    @event("LeadersRegisterOpened")
    def __init__(self, id: UUID, actor: dict[str, Any], at: datetime) -> None:
        self.leaders: dict[str, dict[str, Any]] = {}
        self.in_charge: dict[str, str] = {}  # unit code -> leader code
        self.default: str | None = None

    def record_leader(
        self,
        code: str,
        name: str,
        title: str,
        username: str | None,
        reason: str,
        actor: dict[str, Any],
        at: datetime,
    ) -> bool:
        """Adds or corrects a leader; returns whether anything changed."""
        _reason(reason)
        entry = {"code": code, "name": name, "title": title, "username": username}
        if self.leaders.get(code) == entry:
            return False
        self._leader_recorded(**entry, reason=reason, actor=actor, at=at)
        return True

    def put_in_charge(
        self, unit: str, leader: str, reason: str, actor: dict[str, Any], at: datetime
    ) -> bool:
        _reason(reason)
        self._known(leader)
        if self.in_charge.get(unit) == leader:
            return False
        self._unit_leader_assigned(unit=unit, leader=leader, reason=reason, actor=actor, at=at)
        return True

    def make_default(self, leader: str, reason: str, actor: dict[str, Any], at: datetime) -> bool:
        _reason(reason)
        self._known(leader)
        if self.default == leader:
            return False
        self._default_leader_set(leader=leader, reason=reason, actor=actor, at=at)
        return True

    def leader_for(self, source: str, issued_by: str | None, unit: str | None) -> dict[str, Any]:
        """Who an escalation goes to: the county leader who issued an instruction, else the
        lead unit's leader in charge, else the county's default leader."""
        if source == "instruction" and issued_by and (issuer := self._named(issued_by)):
            return issuer
        if unit in self.in_charge:
            return self._entry(self.in_charge[unit])
        if self.default is not None:
            return self._entry(self.default)
        return OFFICE

    def view(self) -> dict[str, Any]:
        return {
            "leaders": sorted(self.leaders.values(), key=lambda e: e["code"]),
            "in_charge": dict(sorted(self.in_charge.items())),
            "default": self.default,
        }

    def _named(self, words: str) -> dict[str, Any] | None:
        """The one leader whose code, name or (unshared) title the words are."""
        found = [
            e
            for e in self.leaders.values()
            if words in (e["code"], e["name"], e["title"], f"{e['title']}{e['name']}")
        ]
        return self._entry(found[0]["code"]) if len(found) == 1 else None

    def _entry(self, code: str) -> dict[str, Any]:
        e = self.leaders[code]
        return {"code": code, "name": f"{e['title']}{e['name']}", "username": e["username"]}

    def _known(self, leader: str) -> None:
        if leader not in self.leaders:
            known = "、".join(f"{c}（{e['title']}{e['name']}）" for c, e in self.leaders.items())
            raise Refused(
                "unknown_leader",
                f"县领导：没有编码为 {leader} 的县领导，"
                + (f"请从已登记的县领导中选择：{known}" if known else "请先登记该县领导"),
                f"no leader {leader}",
            )

    @event("LeaderRecorded")
    def _leader_recorded(
        self,
        code: str,
        name: str,
        title: str,
        username: str | None,
        reason: str,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        self.leaders = {
            **self.leaders,
            code: {"code": code, "name": name, "title": title, "username": username},
        }

    @event("UnitLeaderAssigned")
    def _unit_leader_assigned(
        self, unit: str, leader: str, reason: str, actor: dict[str, Any], at: datetime
    ) -> None:
        self.in_charge = {**self.in_charge, unit: leader}

    @event("DefaultLeaderSet")
    def _default_leader_set(
        self, leader: str, reason: str, actor: dict[str, Any], at: datetime
    ) -> None:
        self.default = leader


def _reason(reason: str) -> None:
    if not reason.strip():
        raise Refused("reason_required", "理由：必填，写明变更的依据", "a change needs a reason")
