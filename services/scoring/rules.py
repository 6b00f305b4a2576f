"""The scoring rules as data: one version of them, checked, with the county's defaults.

A rule set is a flat mapping of named figures; the office changes them through the API, each
change a new version with the date it applies from (`domain.RuleBook`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from services.kernel.errors import Refused
from services.kernel.vocabulary import PENALTY_LABELS

# name -> (Chinese label, default, kind): "points" a figure of points (0-100, at most two
# decimals), "count" a whole number, "weights" the four quarters' weights in the annual result.
RULES: dict[str, tuple[str, Any, str]] = {
    "start": ("起始分", "100", "points"),
    "overdue": ("逾期事项每件扣分", "2", "points"),
    "overdue_step_days": ("逾期后每满多少个工作日加扣", 5, "count"),
    "overdue_step": ("逾期每满上述工作日加扣", "0.5", "points"),
    "overdue_cap": ("每件逾期事项最多扣分（含逾期扣分）", "5", "points"),
    "co_unit_late": ("配合单位逾期反馈意见每件扣分", "0.5", "points"),
    "return": ("退回重办每次扣分", "1", "points"),
    "rejected_rectification": ("整改不到位被退回每次扣分", "1", "points"),
    "unrectified": ("问题逾期未整改销号每件扣分", "3", "points"),
    "circulate_criticism": ("建议通报批评每次扣分", "5", "points"),
    "work_interview": ("建议工作约谈每次扣分", "10", "points"),
    "organisational_handling": ("建议组织处理每次扣分", "15", "points"),
    "disciplinary_action": ("建议纪律处分每次扣分", "20", "points"),
    "unsatisfied": ("不满意每件扣分", "1", "points"),
    "commendation": ("领导批示肯定每次加分", "2", "points"),
    "commendation_cap": ("领导批示肯定每季度最多加分", "5", "points"),
    "commend_top": ("每组前几名提名表彰", 3, "count"),
    "bottom": ("每组后几名（年度取消评先评优资格）", 2, "count"),
    "referral_below": ("低于此分移交监察部门问责", "60", "points"),
    "referral_overdue_items": ("季度末逾期事项达此数移交监察部门问责", 5, "count"),
    "annual_weights": ("年度考核四个季度的权重", ["1", "1", "1", "1"], "weights"),
}
assert set(PENALTY_LABELS) <= set(RULES)  # every penalty the office may recommend has its rule

MAX_POINTS = Decimal(100)
MAX_COUNT = 1000


def canonical(figure: Decimal) -> Decimal:
    """One spelling per value (2.00 and 2 are 2, 0.50 is 0.5), so results compare byte for byte."""
    if figure == figure.to_integral_value():
        return figure.quantize(Decimal(1))
    return figure.normalize()


def _refuse(name: str, what: str) -> Refused:
    label = RULES[name][0] if name in RULES else name
    return Refused(
        "invalid_rule", f"考评规则“{label}”（{name}）：{what}", f"rule {name}: {what}", 422
    )


def _points(name: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise _refuse(name, "须为数字，如 2 或 0.5")
    try:
        figure = Decimal(str(value))
    except InvalidOperation:
        raise _refuse(name, "须为数字，如 2 或 0.5") from None
    if not figure.is_finite() or not Decimal(0) <= figure <= MAX_POINTS:
        raise _refuse(name, f"须在 0 至 {MAX_POINTS} 之间，请改为此范围内的分值")
    if figure != figure.quantize(Decimal("0.01")):
        raise _refuse(name, "最多保留两位小数，如 0.5 或 0.25")
    return canonical(figure)


def _count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise _refuse(name, f"须为 0 至 {MAX_COUNT} 之间的整数")
    if name in ("overdue_step_days", "referral_overdue_items") and value < 1:
        raise _refuse(name, "须至少为 1")
    return value


def _weights(name: str, value: Any) -> tuple[Decimal, ...]:
    if not isinstance(value, list | tuple) or len(value) != 4:
        raise _refuse(name, "须为四个数字，依次为第一至第四季度的权重，如 [1, 1, 1, 1]")
    weights = tuple(_points(name, w) for w in value)
    if sum(weights) == 0:
        raise _refuse(name, "四个权重不能都为 0")
    return weights


@dataclass(frozen=True)
class RuleSet:
    """One version's figures, by name (see RULES)."""

    figures: dict[str, Any]

    @classmethod
    def defaults(cls) -> RuleSet:
        return cls.checked({name: default for name, (_, default, _) in RULES.items()})

    @classmethod
    def checked(cls, data: Any, base: RuleSet | None = None) -> RuleSet:
        """`data` checked and completed from `base` (a change names only what it changes)."""
        if not isinstance(data, dict):
            raise Refused(
                "invalid_rule", "考评规则：须为“规则名: 数值”的对象", "rules: not an object"
            )
        if unknown := sorted(set(data) - set(RULES)):
            raise _refuse(unknown[0], f"不是考评规则，可用的规则有：{'、'.join(RULES)}")
        figures = dict(base.figures) if base else {}
        for name, value in data.items():
            kind = RULES[name][2]
            if kind == "points":
                figures[name] = _points(name, value)
            elif kind == "count":
                figures[name] = _count(name, value)
            else:
                figures[name] = _weights(name, value)
        if missing := [name for name in RULES if name not in figures]:
            raise _refuse(missing[0], "缺少此项，请填写")
        if figures["overdue"] > figures["overdue_cap"]:
            raise _refuse("overdue_cap", "不能小于“逾期事项每件扣分”")
        return cls(figures)

    def __getitem__(self, name: str) -> Any:
        return self.figures[name]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: points as strings (exact), counts as numbers, weights as strings."""
        out: dict[str, Any] = {}
        for name, (_, _, kind) in RULES.items():
            value = self.figures[name]
            if kind == "points":
                out[name] = str(value)
            elif kind == "count":
                out[name] = value
            else:
                out[name] = [str(w) for w in value]
        return out
