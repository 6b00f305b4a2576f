"""分解交办 of many items in one request: the rows of a proposal sheet that name their units, and
the batch call for items already registered.

Each item is assigned by the assignment service's own command (`assign`), one after another, so
every rule of a single assignment holds. A request may stop part-way (a service does not answer):
what it did is kept, it says so row by row (`Unfinished`, a 503), and a retry does the rest. An
item already assigned to the very units asked for is not assigned again ("already_assigned"),
so a retry, with or without its Idempotency-Key, never makes a second assignment or uses a
second notice number. The units asked for are checked before (`gateway/units.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol
from uuid import UUID

from gateway.errors import is_unavailable
from gateway.units import Terms, UnitRegister
from services.kernel.errors import NotFound, Refused
from services.kernel.vocabulary import STATUS_LABELS

Outcome = Literal["assigned", "already_assigned", "refused", "pending"]
OUTCOMES: tuple[Outcome, ...] = ("assigned", "already_assigned", "refused", "pending")
# a sheet's row may also ask for no assignment at all
SHEET_OUTCOMES = (*OUTCOMES, "not_requested")
OUTCOME_LABELS: dict[str, str] = {
    "assigned": "已交办",
    "already_assigned": "此前已交办给这些单位，未重复交办",
    "refused": "未交办",
    "pending": "未交办（服务暂不可用，重试即可）",
    "not_requested": "未填主办单位，仅登记",
}
# An item is taken as assigned to the units asked for only while it is with them: not while it
# waits to be assigned, waits for another unit after a return, or was withdrawn.
NOT_WITH_ITS_UNITS = ("registered", "returned_by_unit", "cancelled", "merged")
PENDING_MESSAGE = "服务暂不可用，尚未交办；请稍后重新提交，已登记、已交办的不会重复"


class Services(Protocol):
    def call(self, service: str, method: str, *args: Any) -> Any: ...


class Reads(Protocol):
    def wait_for(
        self, item_id: UUID, version: int, *, expect_deadline: bool = False
    ) -> dict[str, Any] | None: ...


class Unavailable(Exception):
    """A service did not answer: the step may be retried."""


@dataclass
class Assigning:
    """Assigns items one after another as `actor`; `just_registered`: the items were
    registered by this very request, so one the assignment service does not know yet is
    still on its way to it (a retry will find it), not missing."""

    services: Services
    reads: Reads
    actor: dict[str, Any]
    register: UnitRegister
    just_registered: bool = False

    def each(self, wanted: list[tuple[UUID, Terms]]) -> tuple[list[dict[str, Any]], bool]:
        """One result per item, in order, and whether the run stopped part-way (the rest
        "pending": not tried)."""
        results: list[dict[str, Any]] = []
        stopped = False
        for item_id, terms in wanted:
            if stopped:
                results.append(self._pending(item_id, terms))
                continue
            try:
                results.append(self._one(item_id, terms))
            except Unavailable:
                stopped = True
                results.append(self._pending(item_id, terms))
        self._with_due_dates(results)
        for result in results:
            result["assignment_label"] = OUTCOME_LABELS[result["assignment"]]
        return results, stopped

    def _one(self, item_id: UUID, terms: Terms) -> dict[str, Any]:
        try:
            view = self._call("assign", str(item_id), terms.command(), self.actor, False)
        except NotFound as e:
            if self.just_registered:
                raise Unavailable() from e
            return _refused(item_id, terms, e)
        except Refused as e:
            # perhaps assigned already, the same way (a retry, or a retry racing its first
            # attempt): that is this request's assignment too, whatever else is refused now
            now = self._item(item_id)
            if now is not None and _with(now, terms):
                return _result(item_id, "already_assigned", now)
            return _refused(item_id, terms, self._worded(e, now))
        return _result(item_id, "assigned", view)

    def _item(self, item_id: UUID) -> dict[str, Any] | None:
        """The item as the assignment service has it now; None if it has no such item."""
        try:
            return self._call("get_item", str(item_id))
        except NotFound:
            return None

    def _call(self, method: str, *args: Any) -> Any:
        try:
            return self.services.call("assignment", method, *args)
        except Exception as e:
            if is_unavailable(e):
                raise Unavailable() from e
            raise

    def _worded(self, refusal: Refused, item: dict[str, Any] | None) -> Refused:
        """The service's refusal, naming where an item that cannot be assigned now is."""
        if refusal.code != "wrong_state" or item is None or not item.get("lead_unit"):
            return refusal
        lead = self.register.name(item["lead_unit"])
        return Refused(
            refusal.code,
            f"{refusal.message_zh}（现牵头单位：{lead}）；如需改派，请在事项页面办理改派",
            f"{refusal.message_en} (lead unit now: {item['lead_unit']})",
            refusal.status,
        )

    def _pending(self, item_id: UUID, terms: Terms) -> dict[str, Any]:
        return {
            "item_id": str(item_id),
            "assignment": "pending",
            "lead_unit": terms.lead_unit,
            "co_units": terms.co_units,
            "message": PENDING_MESSAGE,
        }

    def _with_due_dates(self, results: list[dict[str, Any]]) -> None:
        """Each new assignment with the due date the deadline service counts for it, once
        reads show it; after the first that does not come in time, the rest as they are (the
        item's own page shows the date when it comes)."""
        try:
            for result in results:
                if result["assignment"] != "assigned":
                    continue
                item = self.reads.wait_for(
                    UUID(result["item_id"]), result["version"], expect_deadline=True
                )
                if item is None or not item["due_date"]:
                    break
                result["due_date"] = item["due_date"]
        except Exception as e:
            if not is_unavailable(e):
                raise
        for result in results:
            result.pop("version", None)


def _with(item: dict[str, Any], terms: Terms) -> bool:
    """Whether the item is already with exactly these units."""
    return (
        item["status"] not in NOT_WITH_ITS_UNITS
        and item["lead_unit"] == terms.lead_unit
        and sorted(item["co_units"] or []) == sorted(terms.co_units)
    )


def _result(item_id: UUID, outcome: Outcome, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "item_id": str(item_id),
        "assignment": outcome,
        "lead_unit": item["lead_unit"],
        "co_units": item["co_units"] or [],
        "due_date": item["due_date"],
        "notice_number": item["notice_number"],
        "status": item["status"],
        "status_label": STATUS_LABELS[item["status"]],
        "version": item["version"],
    }


def _refused(item_id: UUID, terms: Terms, refusal: Refused) -> dict[str, Any]:
    return {
        "item_id": str(item_id),
        "assignment": "refused",
        "lead_unit": terms.lead_unit,
        "co_units": terms.co_units,
        "error": refusal.code,
        "message": refusal.message_zh,
        "message_en": refusal.message_en,
    }


def counted(results: list[dict[str, Any]], outcomes: tuple[str, ...]) -> dict[str, int]:
    """How many results had each of `outcomes`."""
    return {o: sum(r["assignment"] == o for r in results) for o in outcomes}


def summary(results: list[dict[str, Any]], where: Callable[[dict[str, Any]], str]) -> str:
    """What was done, in a sentence for the staff; `where` names a result's place (第 3 行)."""
    counts = counted(results, SHEET_OUTCOMES)
    said = [f"交办 {counts['assigned']} 件"]
    if counts["already_assigned"]:
        said.append(f"{counts['already_assigned']} 件此前已交办给相同单位，未重复交办")
    if counts["not_requested"]:
        said.append(f"{counts['not_requested']} 件未填主办单位，仅登记")
    refused = [r for r in results if r["assignment"] == "refused"]
    if refused:
        places = "、".join(where(r) for r in refused)
        said.append(f"{len(refused)} 件未交办（{places}），原因见各条说明")
    if counts["pending"]:
        said.append(f"{counts['pending']} 件因服务暂不可用尚未交办，请稍后重新提交，不会重复")
    return "；".join(said)
