"""Quarterly evaluation (季度考评打分): how a unit's points, score, rank and proposals follow
from its items' events. Pure Python; this module is the one place a deduction is computed
(`_ItemWalk`), ranked (`ranked`) and combined into the year (`annual`).

An item's facts are the events of its log that scoring reads (`Fact`), in stream order. Every
point carries the item and event it comes from, the rule and the rule version in force on the
day it happened, and falls in the quarter of that day: an overdue item's working days are
counted day by day, so a lateness running across a quarter's end is split there.
"""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any, NamedTuple

from services.kernel.errors import Refused
from services.kernel.vocabulary import PENALTY_LABELS, RECTIFIABLE_SOURCES
from services.scoring.rules import RuleSet, canonical

# A unit's kind (as the county registers units) -> its ranking group.
GROUP_OF_KIND = {"town": "towns", "zone": "towns", "department": "departments"}
GROUP_LABELS = {"towns": "乡镇（含社管委、工业园区）", "departments": "县直部门"}
RULE_LABELS = {
    "overdue": "逾期未办结",
    "overdue_step": "逾期每满规定工作日加扣",
    "unrectified": "问题逾期未整改销号",
    "co_unit_late": "配合单位逾期反馈意见",
    "return": "退回重办",
    "rejected_rectification": "整改不到位被退回",
    "unsatisfied": "不满意",
    "commendation": "领导批示肯定",
    **{penalty: f"建议{label.split('（')[0]}" for penalty, label in PENALTY_LABELS.items()},
}
ONE_DAY = timedelta(days=1)
# Rates to four places, half up: the same figure whoever computes it.
RATE_PLACES = Decimal("0.0001")
ANNUAL_PLACES = Decimal("0.01")


class Quarter(NamedTuple):
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """`2026Q4` (or `2026-Q4`)."""
        t = text.strip().upper().replace("-", "")
        if len(t) == 6 and t[:4].isdigit() and t[:4].isascii() and t[4] == "Q" and t[5] in "1234":
            year = int(t[:4])
            if 2000 <= year <= 2100:
                return cls(year, int(t[5]))
        raise Refused(
            "invalid_quarter",
            f"季度：{text[:20]} 不是有效的季度，请写作 2026Q4（或 2026-Q4）",
            f"quarter {text[:20]!r}: write it as 2026Q4",
        )

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> date:
        if self.number == 4:
            return date(self.year, 12, 31)
        return date(self.year, 3 * self.number + 1, 1) - ONE_DAY

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first_day <= day <= self.last_day


def weekdays(year: int) -> list[date]:
    """Monday to Friday of `year`: a calendar without the official arrangement (tests)."""
    day, days = date(year, 1, 1), []
    while day.year == year:
        if day.weekday() < 5:
            days.append(day)
        day += ONE_DAY
    return days


class WorkingDays:
    """Working-day arithmetic over the official calendar, a year at a time, by bisection:
    a year's working days come from `year_days` (the deadline service's calendar)."""

    def __init__(self, year_days: Callable[[int], Iterable[date]]) -> None:
        self._source = year_days
        self._years: dict[int, list[int]] = {}

    def _ordinals(self, year: int) -> list[int]:
        if (ords := self._years.get(year)) is None:
            ords = self._years[year] = sorted(d.toordinal() for d in self._source(year))
        return ords

    def count(self, start: date, end: date) -> int:
        """Working days in (start, end]."""
        if end <= start:
            return 0
        total = 0
        for year in range(start.year, end.year + 1):
            ords = self._ordinals(year)
            lo = bisect_right(ords, start.toordinal()) if year == start.year else 0
            hi = bisect_right(ords, end.toordinal()) if year == end.year else len(ords)
            total += hi - lo
        return total

    def nth_after(self, start: date, n: int) -> date:
        """The n-th working day after `start` (n >= 1; `start` itself not counted)."""
        year = start.year
        lo = bisect_right(self._ordinals(year), start.toordinal())
        while True:
            ords = self._ordinals(year)
            if n <= len(ords) - lo:
                return date.fromordinal(ords[lo + n - 1])
            n -= len(ords) - lo
            year, lo = year + 1, 0


class Fact(NamedTuple):
    """One event of an item's log as scoring keeps it: its stream version, type, business
    date and the fields scoring reads (FACT_FIELDS)."""

    version: int
    type: str
    on: date
    data: dict[str, Any]

    def as_json(self) -> list[Any]:
        return [self.version, self.type, self.on.isoformat(), self.data]

    @classmethod
    def from_json(cls, row: Sequence[Any]) -> Fact:
        return cls(row[0], row[1], date.fromisoformat(row[2]), row[3])


# The item events scoring reads, and which of their fields it keeps.
FACT_FIELDS: dict[str, tuple[str, ...]] = {
    "ItemReceived": ("source",),
    "Assigned": ("lead_unit", "co_units", "due_date"),
    "Reassigned": ("lead_unit", "co_units", "due_date"),
    "DeadlineSet": ("due_date", "co_unit_due_date"),
    "Overdue": ("due_date", "unit"),
    "FeedbackSubmitted": (),
    "FeedbackReturned": (),
    "Closed": (),
    "Rectified": (),
    "ExtensionGranted": ("due_date",),
    "PenaltyRecommended": ("penalty", "unit"),
    "SatisfactionRecorded": ("verdict",),
    "Commended": ("unit",),
    "CoUnitOpinionSubmitted": ("unit",),
    "Reopened": ("due_date",),
    "ItemCancelled": (),
    "ItemMerged": (),
}


@dataclass(frozen=True)
class RuleVersion:
    version: int
    effective_from: date
    rules: RuleSet
    reason: str = "默认规则"

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "effective_from": self.effective_from.isoformat(),
            "reason": self.reason,
            "rules": self.rules.as_dict(),
        }


DEFAULT_RULES = RuleVersion(0, date(2000, 1, 1), RuleSet.defaults())


@dataclass(frozen=True)
class RuleBook:
    """Every version of the rules; the one in force on a day is the latest that took effect
    by then (version 0: the defaults, in force from the start)."""

    versions: tuple[RuleVersion, ...] = (DEFAULT_RULES,)

    def in_force(self, day: date) -> RuleVersion:
        current = self.versions[0]
        for v in self.versions:
            if v.effective_from <= day and (v.effective_from, v.version) >= (
                current.effective_from,
                current.version,
            ):
                current = v
        return current


@dataclass(slots=True)
class Point:
    """A deduction (negative) or a bonus, and where it comes from."""

    unit: str
    rule: str
    points: Decimal
    on: date
    item_id: str
    event: int  # the item's stream version of the event it comes from
    rule_version: int
    detail: str
    key: str = ""  # tells apart points of one event and rule (a step, a co-unit)

    @property
    def id(self) -> str:
        return f"{self.item_id}:{self.event}:{self.rule}{self.key}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "unit": self.unit,
            "rule": self.rule,
            "label": RULE_LABELS[self.rule],
            "points": _written(self.points),
            "on": self.on.isoformat(),
            "item_id": self.item_id,
            "event": self.event,
            "rule_version": self.rule_version,
            "detail": self.detail,
        }


@lru_cache(maxsize=1024)
def _written(points: Decimal) -> str:
    """A figure as results spell it (the same few values again and again)."""
    return str(canonical(points))


@dataclass(slots=True)
class Outcome:
    """What one item contributes: its points, and its counted facts (kind, unit, day, how
    many)."""

    points: list[Point] = field(default_factory=list)
    counts: list[tuple[str, str, date, int]] = field(default_factory=list)


@dataclass
class _Lateness:
    """One unit's lateness on one item: its base point and the spans of working days late,
    each (counted from after, up to and including)."""

    base: Point
    spans: list[tuple[date, date]] = field(default_factory=list)
    open_since: date | None = None
    due: date | None = None


class _ItemWalk:
    """Reads one item's facts in order and says what each unit gains or loses for it."""

    def __init__(self, item_id: str, book: RuleBook, cal: WorkingDays, as_of: date) -> None:
        self.item_id, self.book, self.cal, self.as_of = item_id, book, cal, as_of
        self.out = Outcome()
        self.source: str | None = None
        self.lead: str | None = None
        self.co_units: list[str] = []
        self.due: date | None = None
        self.co_due: tuple[date, int] | None = None  # the co-units' sub-deadline and its event
        self.overdue_dues: set[date] = set()
        self.late: dict[str, _Lateness] = {}
        self.opinions: dict[str, Fact] = {}

    @property
    def rectifiable(self) -> bool:
        return self.source in RECTIFIABLE_SOURCES

    def point(self, unit: str, rule: str, sign: int, f: Fact, detail: str, key: str = "") -> Point:
        version = self.book.in_force(f.on)
        p = Point(
            unit,
            rule,
            sign * version.rules[rule],
            f.on,
            self.item_id,
            f.version,
            version.version,
            detail,
            key,
        )
        self.out.points.append(p)
        return p

    def count(self, kind: str, unit: str | None, on: date, n: int = 1) -> None:
        if unit is not None:
            self.out.counts.append((kind, unit, on, n))

    def stop_lateness(self, on: date) -> None:
        for late in self.late.values():
            if late.open_since is not None:
                late.spans.append((late.open_since, on))
                late.open_since = None

    def walk(self, facts: Sequence[Fact]) -> Outcome:
        for f in facts:
            if f.type in UNCOUNTED:
                return self.out  # cancelled and merged items count nothing
        handlers = _HANDLERS
        for f in facts:
            if f.on > self.as_of:
                break
            handlers[f.type](self, f, f.data)
        for unit, late in self.late.items():
            if late.open_since is not None:  # still late when the period ends
                self.count(
                    "open_unrectified" if self.rectifiable else "open_overdue", unit, self.as_of
                )
        self.stop_lateness(self.as_of)
        self._steps()
        self._co_units()
        return self.out

    def _ItemReceived(self, f: Fact, d: dict[str, Any]) -> None:
        self.source = d["source"]

    def _Assigned(self, f: Fact, d: dict[str, Any]) -> None:
        if d["lead_unit"] != self.lead:
            self.stop_lateness(f.on)
        self.lead, self.co_units = d["lead_unit"], list(d["co_units"])
        self.due = _day(d.get("due_date")) or self.due
        self.count("assigned", self.lead, f.on)

    _Reassigned = _Assigned

    def _DeadlineSet(self, f: Fact, d: dict[str, Any]) -> None:
        due = _day(d["due_date"])
        assert due is not None
        if due > f.on:  # a new due date still ahead: no longer late
            self.stop_lateness(f.on)
        self.due = due
        if co_due := _day(d.get("co_unit_due_date")):
            self.co_due = (co_due, f.version)

    def _ExtensionGranted(self, f: Fact, d: dict[str, Any]) -> None:
        self.count("extension", self.lead, f.on)

    def _Overdue(self, f: Fact, d: dict[str, Any]) -> None:
        due = _day(d["due_date"])
        assert due is not None
        unit = d.get("unit") or self.lead
        if unit is None:
            return
        self.overdue_dues.add(due)
        late = self.late.get(unit)
        if late is None:
            rule = "unrectified" if self.rectifiable else "overdue"
            what = "整改期限" if self.rectifiable else "办理时限"
            base = self.point(unit, rule, -1, f, f"{what}{due.isoformat()}已过仍未办结")
            late = self.late[unit] = _Lateness(base)
        if late.open_since is None:
            late.open_since, late.due = due, due

    def _FeedbackSubmitted(self, f: Fact, d: dict[str, Any]) -> None:
        self.stop_lateness(f.on)

    def _FeedbackReturned(self, f: Fact, d: dict[str, Any]) -> None:
        if self.lead is None:
            return
        if self.rectifiable:
            self.point(
                self.lead, "rejected_rectification", -1, f, "整改结果审核未通过，退回重新整改"
            )
            self.count("rejected_rectification", self.lead, f.on)
        else:
            self.point(self.lead, "return", -1, f, "办理结果审核未通过，退回重办")
            self.count("returned", self.lead, f.on)
        # Back to work on a due date already passed: late again from today.
        late = self.late.get(self.lead)
        if late and self.due in self.overdue_dues and self.due is not None and self.due < f.on:
            late.open_since, late.due = f.on, self.due

    def _Closed(self, f: Fact, d: dict[str, Any]) -> None:
        self.stop_lateness(f.on)
        if not self.rectifiable:
            kind = "closed_late" if self.overdue_dues else "closed_on_time"
            self.count(kind, self.lead, f.on)

    def _Rectified(self, f: Fact, d: dict[str, Any]) -> None:
        self.stop_lateness(f.on)
        kind = "rectified_late" if self.overdue_dues else "rectified_on_time"
        self.count(kind, self.lead, f.on)

    def _PenaltyRecommended(self, f: Fact, d: dict[str, Any]) -> None:
        unit = d.get("unit") or self.lead
        if unit is not None:
            self.point(
                unit, d["penalty"], -1, f, f"督查室提出问责建议：{RULE_LABELS[d['penalty']]}"
            )
            self.count("penalty", unit, f.on)

    def _SatisfactionRecorded(self, f: Fact, d: dict[str, Any]) -> None:
        self.count(f"verdict_{d['verdict']}", self.lead, f.on)
        if d["verdict"] == "unsatisfied" and self.lead is not None:
            self.point(self.lead, "unsatisfied", -1, f, "回访结果为不满意")

    def _Commended(self, f: Fact, d: dict[str, Any]) -> None:
        self.point(d["unit"], "commendation", 1, f, "县领导或督查室肯定本单位的办理工作")
        self.count("commendation", d["unit"], f.on)

    def _Reopened(self, f: Fact, d: dict[str, Any]) -> None:
        """Back to work; its new due date comes as a DeadlineSet."""

    def _CoUnitOpinionSubmitted(self, f: Fact, d: dict[str, Any]) -> None:
        self.opinions.setdefault(d["unit"], f)

    def _steps(self) -> None:
        """−0.5 for every further 5 working days late, on the day the 5th is reached, until
        the item has cost the unit 5 in all: each step in the quarter of its own day."""
        for unit, late in self.late.items():
            base = late.base
            if base.on > self.as_of:
                continue
            every = self.book.in_force(base.on).rules["overdue_step_days"]
            total, n, before, capped = -base.points, every, 0, False
            for start, end in late.spans:
                days = self.cal.count(start, end)
                self.count_days(unit, start, end)
                while n <= before + days and not capped:
                    day = self.cal.nth_after(start, n - before)
                    version = self.book.in_force(day)
                    room = version.rules["overdue_cap"] - total
                    if room <= 0:
                        capped = True
                        break
                    amount = min(version.rules["overdue_step"], room)
                    total += amount
                    self.out.points.append(
                        Point(
                            unit,
                            "overdue_step",
                            -amount,
                            day,
                            self.item_id,
                            base.event,
                            version.version,
                            f"逾期满{n}个工作日",
                            f":{n}",
                        )
                    )
                    n += every
                before += days

    def count_days(self, unit: str, start: date, end: date) -> None:
        """The working days late in (start, end], counted in the quarter each falls in."""
        while start < end:
            last = min(end, Quarter.of(start + ONE_DAY).last_day)
            if days := self.cal.count(start, last):
                self.count("overdue_days", unit, last, days)
            start = last

    def _co_units(self) -> None:
        """A co-unit whose opinion came after its sub-deadline, or not by now, loses 0.5,
        on the day after the sub-deadline."""
        if self.co_due is None:
            return
        co_due, version = self.co_due
        late_on = co_due + ONE_DAY
        if late_on > self.as_of:
            return
        for unit in self.co_units:
            opinion = self.opinions.get(unit)
            if opinion is not None and opinion.on <= co_due:
                continue
            source = opinion or Fact(version, "DeadlineSet", late_on, {})
            when = f"于{opinion.on.isoformat()}提交" if opinion else "至今未提交"
            self.point(
                unit,
                "co_unit_late",
                -1,
                source._replace(on=late_on),
                f"配合意见期限{co_due.isoformat()}，{when}",
                f":{unit}",
            )


UNCOUNTED = frozenset({"ItemCancelled", "ItemMerged"})
# Fact type -> its handler, looked up once (a quarter walks hundreds of thousands of facts).
_HANDLERS: dict[str, Callable[[_ItemWalk, Fact, dict[str, Any]], None]] = {
    name: getattr(_ItemWalk, f"_{name}") for name in FACT_FIELDS if name not in UNCOUNTED
}


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def item_outcome(
    item_id: str, facts: Sequence[Fact], book: RuleBook, cal: WorkingDays, as_of: date
) -> Outcome:
    """Every point and counted fact of one item, up to `as_of`, in whatever quarter."""
    return _ItemWalk(item_id, book, cal, as_of).walk(facts)


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    kind: str  # town, zone or department

    @property
    def group(self) -> str:
        return GROUP_OF_KIND.get(self.kind, "departments")


# The counted facts a unit's card shows, by kind.
FACT_KINDS = (
    "assigned",
    "closed_on_time",
    "closed_late",
    "open_overdue",
    "overdue_days",
    "returned",
    "extension",
    "rectified_on_time",
    "rectified_late",
    "open_unrectified",
    "rejected_rectification",
    "penalty",
    "verdict_satisfied",
    "verdict_basically_satisfied",
    "verdict_unsatisfied",
    "commendation",
)


def _rate(numerator: int, denominator: int) -> str | None:
    if denominator == 0:
        return None
    return str((Decimal(numerator) / Decimal(denominator)).quantize(RATE_PLACES, ROUND_HALF_UP))


def rates(facts: dict[str, int]) -> dict[str, str | None]:
    """按时办结率, 整改销号率, 满意率: an item still open past its due date counts as late, so
    a unit cannot look punctual by not answering."""
    closed = facts["closed_on_time"] + facts["closed_late"]
    rectified = facts["rectified_on_time"] + facts["rectified_late"]
    verdicts = sum(
        facts[f"verdict_{v}"] for v in ("satisfied", "basically_satisfied", "unsatisfied")
    )
    return {
        "on_time": _rate(facts["closed_on_time"], closed + facts["open_overdue"]),
        "rectification": _rate(rectified, rectified + facts["open_unrectified"]),
        "satisfaction": _rate(
            facts["verdict_satisfied"] + facts["verdict_basically_satisfied"], verdicts
        ),
    }


def score_quarter(
    quarter: Quarter,
    items: Iterable[tuple[str, Sequence[Fact]]],
    units: Sequence[Unit],
    book: RuleBook,
    cal: WorkingDays,
    today: date,
) -> dict[str, Any]:
    """The quarter's result as of `today` (its end, once it is over): every unit's points
    with their explanation, its facts and rates, its score, rank and proposals."""
    as_of = min(quarter.last_day, today)
    known = {u.code for u in units}
    points: dict[str, list[Point]] = defaultdict(list)
    facts: dict[str, dict[str, int]] = {u.code: dict.fromkeys(FACT_KINDS, 0) for u in units}
    first, last = quarter.first_day, quarter.last_day
    for item_id, item_facts in items:
        outcome = item_outcome(item_id, item_facts, book, cal, as_of)
        for p in outcome.points:
            if first <= p.on <= last and p.unit in known:
                points[p.unit].append(p)
        for kind, unit, on, n in outcome.counts:
            if first <= on <= last and unit in known:
                facts[unit][kind] += n
    cards = {}
    for u in units:
        own = sorted(points[u.code], key=lambda p: (p.on, p.item_id, p.event, p.rule, p.key))
        _cap_commendations(own, book)
        cards[u.code] = {
            "unit": u.code,
            "name": u.name,
            "group": u.group,
            "facts": facts[u.code],
            "rates": rates(facts[u.code]),
            "points": [p.as_dict() for p in own],
        }
    return ranked(quarter.label, as_of, cards, book.in_force(quarter.last_day))


def _cap_commendations(points: list[Point], book: RuleBook) -> None:
    """Commendations add at most the cap a quarter: those past it count 0, still shown."""
    total = Decimal(0)
    for p in points:
        if p.rule != "commendation":
            continue
        cap = book.in_force(p.on).rules["commendation_cap"]
        p.points = max(Decimal(0), min(p.points, cap - total))
        total += p.points
        if p.points == 0:
            p.detail += "（本季度加分已达上限，不再加分）"


def ranked(
    quarter: str, as_of: date, cards: dict[str, dict[str, Any]], rules: RuleVersion
) -> dict[str, Any]:
    """Scores from the points not overturned on appeal, ranks within each group, and what the
    ranking proposes: the top for commendation, the bottom flagged, referral for a score under
    the line or too many items overdue at the quarter's end."""
    r = rules.rules
    for card in cards.values():
        counted = [Decimal(p["points"]) for p in card["points"] if not p.get("overturned_by")]
        card["score"] = str(canonical(r["start"] + sum(counted, Decimal(0))))
    groups: dict[str, list[dict[str, Any]]] = {g: [] for g in GROUP_LABELS}
    for card in sorted(cards.values(), key=lambda c: (-Decimal(c["score"]), c["unit"])):
        groups[card["group"]].append(card)
    table = {}
    for group, members in groups.items():
        scores = [Decimal(c["score"]) for c in members]
        rows = []
        for card in members:
            mine = Decimal(card["score"])
            card["rank"] = 1 + sum(s > mine for s in scores)
            from_bottom = 1 + sum(s < mine for s in scores)
            card["proposals"] = {
                "commend": card["rank"] <= r["commend_top"],
                # only below someone: a group all tied has no bottom
                "bottom": from_bottom <= r["bottom"] and mine < scores[0],
                "refer": mine < r["referral_below"]
                or card["facts"]["open_overdue"] + card["facts"]["open_unrectified"]
                >= r["referral_overdue_items"],
            }
            rows.append(
                {k: card[k] for k in ("unit", "name", "score", "rank", "proposals", "rates")}
            )
        table[group] = {"label": GROUP_LABELS[group], "ranking": rows}
    return {
        "quarter": quarter,
        "as_of": as_of.isoformat(),
        "rules_version": rules.version,
        "groups": table,
        "units": {code: cards[code] for code in sorted(cards)},
    }


def corrected(result: dict[str, Any], overturned: dict[str, str], book: RuleBook) -> dict[str, Any]:
    """A published result with the points `overturned` (point id -> appeal id) no longer
    counted, re-ranked: the correction published beside the original."""
    cards = json.loads(json.dumps(result["units"]))
    for card in cards.values():
        for p in card["points"]:
            if p["id"] in overturned:
                p["overturned_by"] = overturned[p["id"]]
    rules = next(v for v in book.versions if v.version == result["rules_version"])
    return ranked(result["quarter"], date.fromisoformat(result["as_of"]), cards, rules)


def changes_since(published: dict[str, Any], now: dict[str, Any]) -> list[dict[str, Any]]:
    """What the record says now about a published quarter that its published result does not:
    points added or gone since (late events), for the office to look at; never applied."""
    before = {p["id"]: p for c in published["units"].values() for p in c["points"]}
    after = {p["id"]: p for c in now["units"].values() for p in c["points"]}
    found = []
    for pid in sorted(before.keys() | after.keys()):
        was, is_ = before.get(pid), after.get(pid)
        if was is None:
            found.append({**is_, "change": "added"})
        elif is_ is None:
            found.append({**was, "change": "removed"})
        elif was["points"] != is_["points"]:
            found.append({**is_, "change": "changed", "published_points": was["points"]})
    return found


def digest(result: dict[str, Any]) -> str:
    """The result's fingerprint: the same result, byte for byte, has the same one."""
    text = json.dumps(result, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def annual(
    year: int, quarters: Sequence[dict[str, Any]], units: Sequence[Unit], book: RuleBook
) -> dict[str, Any]:
    """目标责任考核: the four quarters weighted (equal by default), ranked per group; the
    bottom of each group lose the year's award eligibility."""
    rules = book.in_force(date(year, 12, 31))
    weights = rules.rules["annual_weights"]
    total_weight = sum(weights, Decimal(0))
    r = rules.rules
    rows: dict[str, list[dict[str, Any]]] = {g: [] for g in GROUP_LABELS}
    for u in units:
        scores = [
            Decimal(q["units"][u.code]["score"]) if u.code in q["units"] else r["start"]
            for q in quarters
        ]
        weighted = sum((w * s for w, s in zip(weights, scores, strict=True)), Decimal(0))
        score = (weighted / total_weight).quantize(ANNUAL_PLACES, ROUND_HALF_UP)
        rows[u.group].append(
            {
                "unit": u.code,
                "name": u.name,
                "score": str(canonical(score)),
                "quarters": [str(s) for s in scores],
            }
        )
    groups = {}
    for group, members in rows.items():
        members.sort(key=lambda m: (-Decimal(m["score"]), m["unit"]))
        scores = [Decimal(m["score"]) for m in members]
        for m in members:
            mine = Decimal(m["score"])
            m["rank"] = 1 + sum(s > mine for s in scores)
            m["proposals"] = {
                "commend": m["rank"] <= r["commend_top"],
                "disqualify": 1 + sum(s < mine for s in scores) <= r["bottom"] and mine < scores[0],
                "refer": mine < r["referral_below"],
            }
        groups[group] = {"label": GROUP_LABELS[group], "ranking": members}
    return {
        "year": year,
        "rules_version": rules.version,
        "weights": [str(w) for w in weights],
        "quarters": [
            {
                "quarter": q["quarter"],
                "published": q.get("published", False),
                "version": q.get("version"),
            }
            for q in quarters
        ],
        "groups": groups,
    }
