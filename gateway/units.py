"""The county's units as a request names them: a proposal sheet by name (主办单位, 协办单位), the
API by code. Checked against the county's register (assignment's `list_units`) before anything is
written, each problem named in the staff's words: an unknown unit (with the nearest one), a
co-unit that is also the lead unit, a unit named twice, more than one lead unit.
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class Wording:
    """How a request names units: a sheet by name under its own column headings, the API by
    code under the glossary's."""

    lead: str
    co: str
    by: Literal["名称", "编码"]
    otherwise: str  # what to do when no unit is near what was written


SHEET = Wording("主办单位", "协办单位", "名称", "请填写单位列表中的单位全称")
API = Wording("牵头单位", "配合单位", "编码", "请在单位列表中选择")


def _normal(name: str) -> str:
    # full-width and half-width brackets, letters and digits are one name (社管委（…） / (…))
    return unicodedata.normalize("NFKC", name).strip()


class UnitRegister:
    """The county's units as the assignment service lists them, found by code or by name."""

    def __init__(self, units: list[dict[str, Any]]) -> None:
        self._names = {u["code"]: u["name"] for u in units}
        self._by_name = {_normal(u["name"]): u["code"] for u in units}

    def name(self, code: str) -> str:
        return self._names.get(code, code)

    def find(self, written: str, wording: Wording) -> str | None:
        """The code of the unit `written` names (a name or a code, as `wording` says)."""
        if wording.by == "编码":
            return written if written in self._names else None
        return self._by_name.get(_normal(written))

    def nearest(self, written: str, wording: Wording) -> str | None:
        """What the staff most likely meant, as they would write it, to suggest."""
        if wording.by == "编码":
            near = difflib.get_close_matches(written, list(self._names), n=1, cutoff=0.6)
            return f"{near[0]}（{self._names[near[0]]}）" if near else None
        near = difflib.get_close_matches(_normal(written), list(self._by_name), n=1, cutoff=0.5)
        return near[0] if near else None


@dataclass(frozen=True)
class Terms:
    """An assignment as asked for: the lead unit, the co-units and, if named, the due date."""

    lead_unit: str
    co_units: list[str] = field(default_factory=list)
    due_date: str | None = None

    def command(self) -> dict[str, Any]:
        return {"lead_unit": self.lead_unit, "co_units": self.co_units, "due_date": self.due_date}


def checked_units(
    lead: list[str],
    co: list[str],
    register: UnitRegister,
    wording: Wording,
    due_date: str | None = None,
) -> Terms | list[dict[str, str]]:
    """The terms, or every problem with the units as written (`lead`: one unit is right), each
    as {field, message}."""
    problems: list[dict[str, str]] = []

    def problem(field_name: str, message: str) -> None:
        problems.append({"field": field_name, "message": message})

    if not lead:
        problem("lead_unit", f"{wording.lead}：填写了{wording.co}时必填，请填写一个{wording.lead}")
    if len(lead) > 1:
        problem(
            "lead_unit",
            f"{wording.lead}：只能填写一个单位（现有 {len(lead)} 个），其余请填在“{wording.co}”中",
        )
    codes: dict[str, str] = {}  # as written -> code
    for written, field_name, label in [
        *((w, "lead_unit", wording.lead) for w in lead[:1]),
        *((w, "co_units", wording.co) for w in co),
    ]:
        code = register.find(written, wording)
        if code is None:
            near = register.nearest(written, wording)
            hint = f"；是否应为“{near}”？" if near else f"，{wording.otherwise}"
            problem(field_name, f"{label}：没有{wording.by}为“{written}”的承办单位{hint}")
        else:
            codes[written] = code
    lead_code = codes.get(lead[0]) if lead else None
    seen: set[str] = set()
    for written in co:
        code = codes.get(written)
        if code is None:
            continue  # unknown: said above
        if code == lead_code:
            problem(
                "co_units",
                f"{wording.co}：“{written}”已是{wording.lead}，不能同时作为{wording.co}，请删去",
            )
        elif code in seen:
            problem("co_units", f"{wording.co}：“{written}”重复填写，请只填一次")
        seen.add(code)
    if problems or lead_code is None:
        return problems
    return Terms(lead_code, [codes[w] for w in co], due_date)
