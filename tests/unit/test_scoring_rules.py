"""Quarterly evaluation on a seeded quarter of known facts: exact points, scores, ranks,
groups and proposals; rules changed mid-year; appeals; the annual result. No service runs.

The calendar here is Monday to Friday, so every working day below can be counted by hand.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from services.kernel.errors import Refused
from services.scoring.domain import (
    DEFAULT_RULES,
    Fact,
    Quarter,
    RuleBook,
    RuleVersion,
    Unit,
    WorkingDays,
    annual,
    changes_since,
    corrected,
    digest,
    item_outcome,
    score_quarter,
    weekdays,
)
from services.scoring.rules import RuleSet

Q4 = Quarter(2026, 4)
CAL = WorkingDays(weekdays)
BOOK = RuleBook()
UNITS = [
    Unit("chengguan", "城关镇", "town"),
    Unit("dongchuan", "东川镇", "town"),
    Unit("xihe", "西河镇", "town"),
    Unit("nanshan", "南山镇", "town"),
    Unit("community-committee", "社管委", "zone"),
    Unit("finance", "县财政局", "department"),
    Unit("health", "县卫生健康局", "department"),
    Unit("transport", "县交通运输局", "department"),
    Unit("water", "县水务局", "department"),
    Unit("education", "县教育局", "department"),
]


def d(text: str) -> date:
    return date.fromisoformat(f"2026-{text}")


class Log:
    """An item's facts, numbered as its stream would number them."""

    def __init__(self, source: str = "instruction") -> None:
        self.facts: list[Fact] = []
        self.add("ItemReceived", "01-05", source=source)

    def add(self, type_: str, on: str, **data: Any) -> Log:
        self.facts.append(Fact(len(self.facts) + 1, type_, d(on), data))
        return self


def seeded() -> dict[str, list[Fact]]:
    items = {}
    # water leads, xihe helps; due 10-20, xihe's opinion due 10-15 came 10-19
    a = Log().add("Assigned", "10-12", lead_unit="water", co_units=["xihe"], due_date=None)
    a.add("DeadlineSet", "10-12", due_date="2026-10-20", co_unit_due_date="2026-10-15")
    a.add("CoUnitOpinionSubmitted", "10-19", unit="xihe")
    a.add("Overdue", "10-21", due_date="2026-10-20", unit="water")
    a.add("FeedbackSubmitted", "11-03")  # 10 working days late
    a.add("FeedbackReturned", "11-05")  # late again from here: due date passed
    a.add("FeedbackSubmitted", "11-10")  # 3 more
    a.add("Closed", "11-12")
    items["a"] = a.facts
    # a finding of chengguan, due 9-30: overdue from Q3's last day into Q4
    b = Log("finding").add("Assigned", "09-01", lead_unit="chengguan", co_units=[])
    b.add("DeadlineSet", "09-01", due_date="2026-09-30")
    b.add("Overdue", "10-01", due_date="2026-09-30", unit="chengguan")
    b.add("FeedbackSubmitted", "10-09")  # 7 working days late
    b.add("FeedbackReturned", "10-12")  # a rejected rectification; late again
    items["b"] = b.facts
    # dongchuan: on time, a citizen unsatisfied, commended three times (capped at +5)
    c = Log("hotline").add("Assigned", "10-08", lead_unit="dongchuan", co_units=[])
    c.add("DeadlineSet", "10-08", due_date="2026-10-15")
    c.add("FeedbackSubmitted", "10-14").add("Closed", "10-16")
    c.add("SatisfactionRecorded", "10-20", verdict="unsatisfied")
    c.add("Commended", "10-21", unit="dongchuan").add("Commended", "10-22", unit="dongchuan")
    items["c"] = c.facts
    e = Log().add("Assigned", "10-08", lead_unit="dongchuan", co_units=[])
    e.add("Commended", "11-02", unit="dongchuan")
    items["e"] = e.facts
    # penalties recommended by hand
    f = Log().add("Assigned", "10-08", lead_unit="nanshan", co_units=[])
    f.add("PenaltyRecommended", "11-20", penalty="work_interview", unit="nanshan")
    items["f"] = f.facts
    g = Log().add("Assigned", "10-08", lead_unit="education", co_units=[])
    for day, penalty in (("11-02", "disciplinary_action"), ("11-03", "organisational_handling")):
        g.add("PenaltyRecommended", day, penalty=penalty, unit="education")
    g.add("PenaltyRecommended", "11-04", penalty="work_interview", unit=None)
    items["g"] = g.facts
    # cancelled: its lateness counts nothing
    h = Log().add("Assigned", "10-08", lead_unit="xihe", co_units=[])
    h.add("DeadlineSet", "10-08", due_date="2026-10-09")
    h.add("Overdue", "10-12", due_date="2026-10-09", unit="xihe")
    h.add("ItemCancelled", "12-01")
    items["h"] = h.facts
    # five items of the community committee still overdue at the quarter's end
    for n in range(5):
        i = Log().add("Assigned", "12-01", lead_unit="community-committee", co_units=[])
        i.add("DeadlineSet", "12-01", due_date="2026-12-10")
        i.add("Overdue", "12-11", due_date="2026-12-10", unit="community-committee")
        items[f"i{n}"] = i.facts
    return items


def quarter(book: RuleBook = BOOK, today: date = date(2027, 1, 5)) -> dict[str, Any]:
    return score_quarter(Q4, sorted(seeded().items()), UNITS, book, CAL, today)


def points(result: dict[str, Any], unit: str) -> list[tuple[str, str, str, str]]:
    return [
        (p["rule"], p["points"], p["on"], p["item_id"]) for p in result["units"][unit]["points"]
    ]


def test_an_overdue_item_costs_two_then_half_a_point_per_five_working_days():
    result = quarter()
    assert points(result, "water") == [
        ("overdue", "-2", "2026-10-21", "a"),
        ("overdue_step", "-0.5", "2026-10-27", "a"),  # the 5th working day after 10-20
        ("overdue_step", "-0.5", "2026-11-03", "a"),  # the 10th, the day it was answered
        ("return", "-1", "2026-11-05", "a"),
    ]
    assert result["units"]["water"]["score"] == "96"
    facts = result["units"]["water"]["facts"]
    assert (facts["assigned"], facts["closed_late"], facts["overdue_days"]) == (1, 1, 13)
    assert result["units"]["water"]["rates"] == {
        "on_time": "0.0000",
        "rectification": None,
        "satisfaction": None,
    }


def test_a_co_unit_loses_half_a_point_for_an_opinion_past_its_sub_deadline():
    assert points(quarter(), "xihe") == [("co_unit_late", "-0.5", "2026-10-16", "a")]


def test_a_finding_unrectified_takes_three_not_two_and_at_most_five_in_all():
    result = quarter()
    assert points(result, "chengguan") == [
        ("unrectified", "-3", "2026-10-01", "b"),
        ("overdue_step", "-0.5", "2026-10-07", "b"),
        ("rejected_rectification", "-1", "2026-10-12", "b"),
        ("overdue_step", "-0.5", "2026-10-15", "b"),  # 7 before the return, 3 after it
        ("overdue_step", "-0.5", "2026-10-22", "b"),
        ("overdue_step", "-0.5", "2026-10-29", "b"),  # the item's 5 reached: no more
    ]
    card = result["units"]["chengguan"]
    assert card["score"] == "94"
    assert card["facts"]["open_unrectified"] == 1
    assert card["rates"]["rectification"] == "0.0000"  # still open past due: not rectified


def test_commendations_add_at_most_five_a_quarter_and_unsatisfied_costs_one():
    result = quarter()
    assert points(result, "dongchuan") == [
        ("unsatisfied", "-1", "2026-10-20", "c"),
        ("commendation", "2", "2026-10-21", "c"),
        ("commendation", "2", "2026-10-22", "c"),
        ("commendation", "1", "2026-11-02", "e"),
    ]
    card = result["units"]["dongchuan"]
    assert card["score"] == "104"
    assert card["rates"] == {"on_time": "1.0000", "rectification": None, "satisfaction": "0.0000"}


def test_penalties_cost_five_ten_fifteen_twenty_and_a_penalty_without_unit_is_the_leads():
    result = quarter()
    assert [p[:2] for p in points(result, "education")] == [
        ("disciplinary_action", "-20"),
        ("organisational_handling", "-15"),
        ("work_interview", "-10"),
    ]
    assert result["units"]["education"]["score"] == "55"
    assert result["units"]["nanshan"]["score"] == "90"


def test_cancelled_items_count_nothing():
    result = quarter()
    assert all(p[3] != "h" for c in UNITS for p in points(result, c.code))
    assert result["units"]["xihe"]["facts"]["assigned"] == 0


def test_ranks_groups_and_proposals():
    result = quarter()
    towns = [
        (r["unit"], r["score"], r["rank"], r["proposals"])
        for r in result["groups"]["towns"]["ranking"]
    ]
    yes, no = True, False
    assert towns == [
        ("dongchuan", "104", 1, {"commend": yes, "bottom": no, "refer": no}),
        ("xihe", "99.5", 2, {"commend": yes, "bottom": no, "refer": no}),
        ("chengguan", "94", 3, {"commend": yes, "bottom": no, "refer": no}),
        ("nanshan", "90", 4, {"commend": no, "bottom": yes, "refer": no}),
        # 5 items overdue at the quarter's end: referred although above 60
        ("community-committee", "82.5", 5, {"commend": no, "bottom": yes, "refer": yes}),
    ]
    departments = [
        (r["unit"], r["score"], r["rank"], r["proposals"])
        for r in result["groups"]["departments"]["ranking"]
    ]
    assert departments == [
        ("finance", "100", 1, {"commend": yes, "bottom": no, "refer": no}),
        ("health", "100", 1, {"commend": yes, "bottom": no, "refer": no}),
        ("transport", "100", 1, {"commend": yes, "bottom": no, "refer": no}),
        ("water", "96", 4, {"commend": no, "bottom": yes, "refer": no}),
        ("education", "55", 5, {"commend": no, "bottom": yes, "refer": yes}),  # under 60
    ]
    cc = result["units"]["community-committee"]
    assert cc["facts"]["open_overdue"] == 5
    # each: −2 on 12-11, −0.5 on the 5th, 10th and 15th working day late (12-17, 12-24, 12-31)
    assert [p[:3] for p in points(result, "community-committee")[:4]] == [
        ("overdue", "-2", "2026-12-11"),
        ("overdue", "-2", "2026-12-11"),
        ("overdue", "-2", "2026-12-11"),
        ("overdue", "-2", "2026-12-11"),
    ]
    assert sorted({p[2] for p in points(result, "community-committee")}) == [
        "2026-12-11",
        "2026-12-17",
        "2026-12-24",
        "2026-12-31",
    ]


def test_lateness_across_a_quarters_end_is_split_there():
    b = Log().add("Assigned", "09-01", lead_unit="water", co_units=[])
    b.add("DeadlineSet", "09-01", due_date="2026-09-21")
    b.add("Overdue", "09-22", due_date="2026-09-21", unit="water")
    b.add("FeedbackSubmitted", "10-09")
    q3 = score_quarter(Quarter(2026, 3), [("b", b.facts)], UNITS, RuleBook(), CAL, d("12-01"))
    q4 = score_quarter(Q4, [("b", b.facts)], UNITS, RuleBook(), CAL, d("12-01"))
    # late days: 9-22..9-30 (7) in Q3, 10-1..10-9 (7) in Q4; steps on the 5th and 10th
    assert [p[:3] for p in points(q3, "water")] == [
        ("overdue", "-2", "2026-09-22"),
        ("overdue_step", "-0.5", "2026-09-28"),
    ]
    assert [p[:3] for p in points(q4, "water")] == [("overdue_step", "-0.5", "2026-10-05")]
    assert q3["units"]["water"]["facts"]["overdue_days"] == 7
    assert q4["units"]["water"]["facts"]["overdue_days"] == 7


def test_rules_changed_mid_year_apply_only_from_their_effective_date():
    harsher = RuleSet.checked({"return": 3, "overdue": 4}, DEFAULT_RULES.rules)
    book = RuleBook((DEFAULT_RULES, RuleVersion(1, d("11-01"), harsher, "加大退回扣分")))
    water = points(quarter(book), "water")
    # the lateness of 10-21 under version 0, the return of 11-05 under version 1
    assert water[0][:2] == ("overdue", "-2") and water[-1][:2] == ("return", "-3")
    versions = [p["rule_version"] for p in quarter(book)["units"]["water"]["points"]]
    assert versions == [0, 0, 1, 1]
    assert quarter(book)["units"]["water"]["score"] == "94"


def test_the_explanation_names_rule_version_item_and_event():
    p = quarter()["units"]["xihe"]["points"][0]
    assert p == {
        "id": "a:4:co_unit_late:xihe",  # the late opinion, the item's 4th event
        "unit": "xihe",
        "rule": "co_unit_late",
        "label": "配合单位逾期反馈意见",
        "points": "-0.5",
        "on": "2026-10-16",
        "item_id": "a",
        "event": 4,
        "rule_version": 0,
        "detail": "配合意见期限2026-10-15，于2026-10-19提交",
    }


def test_an_overturned_deduction_is_republished_beside_the_original():
    published = quarter()
    return_point = next(p for p in published["units"]["water"]["points"] if p["rule"] == "return")
    fixed = corrected(published, {return_point["id"]: "appeal-1"}, RuleBook())
    assert published["units"]["water"]["score"] == "96"  # the original is untouched
    assert fixed["units"]["water"]["score"] == "97"
    assert [r["unit"] for r in fixed["groups"]["departments"]["ranking"]][3] == "water"
    overturned = [p for p in fixed["units"]["water"]["points"] if p.get("overturned_by")]
    assert [p["id"] for p in overturned] == [return_point["id"]]


def test_a_result_is_the_same_byte_for_byte_whatever_the_item_order():
    items = list(seeded().items())
    one = score_quarter(Q4, items, UNITS, RuleBook(), CAL, date(2027, 1, 5))
    other = score_quarter(Q4, items[::-1], UNITS, RuleBook(), CAL, date(2027, 1, 5))
    assert digest(one) == digest(other)


def test_a_late_event_is_flagged_against_the_published_result_never_applied():
    published = quarter()
    items = seeded()
    items["late"] = (
        Log()
        .add("Assigned", "10-08", lead_unit="finance", co_units=[])
        .add("PenaltyRecommended", "12-30", penalty="circulate_criticism", unit="finance")
    ).facts
    now = score_quarter(Q4, sorted(items.items()), UNITS, RuleBook(), CAL, date(2027, 1, 9))
    assert [(c["change"], c["unit"], c["points"]) for c in changes_since(published, now)] == [
        ("added", "finance", "-5")
    ]


def test_annual_weights_the_four_quarters_and_the_bottom_lose_eligibility():
    q4 = quarter()
    empty = [{"quarter": f"2026Q{n}", "units": {}} for n in (1, 2, 3)]
    result = annual(2026, [*empty, q4], UNITS, RuleBook())
    departments = result["groups"]["departments"]["ranking"]
    assert [(r["unit"], r["score"], r["proposals"]["disqualify"]) for r in departments] == [
        ("finance", "100", False),
        ("health", "100", False),
        ("transport", "100", False),
        ("water", "99", True),
        ("education", "88.75", True),
    ]
    weighted = RuleSet.checked({"annual_weights": [1, 1, 1, 2]}, DEFAULT_RULES.rules)
    book = RuleBook((DEFAULT_RULES, RuleVersion(1, date(2026, 1, 1), weighted)))
    education = annual(2026, [*empty, q4], UNITS, book)["groups"]["departments"]
    assert education["ranking"][-1]["score"] == "82"  # (3 × 100 + 2 × 55) / 5


def test_a_quarter_is_written_2026Q4_or_2026_Q4():
    assert Quarter.parse("2026Q4") == Quarter.parse("2026-Q4") == Q4
    assert (Q4.first_day, Q4.last_day) == (d("10-01"), d("12-31"))
    with pytest.raises(Refused) as e:
        Quarter.parse("2026Q5")
    assert e.value.message_zh == "季度：2026Q5 不是有效的季度，请写作 2026Q4（或 2026-Q4）"


def test_rules_are_checked_and_named_in_chinese():
    with pytest.raises(Refused) as e:
        RuleSet.checked({"return": -1}, DEFAULT_RULES.rules)
    assert (
        e.value.message_zh
        == "考评规则“退回重办每次扣分”（return）：须在 0 至 100 之间，请改为此范围内的分值"
    )
    with pytest.raises(Refused) as e:
        RuleSet.checked({"lunch": 1}, DEFAULT_RULES.rules)
    assert e.value.message_zh.startswith("考评规则“lunch”（lunch）：不是考评规则")
    assert RuleSet.checked({"return": "1.50"}, DEFAULT_RULES.rules)["return"] == Decimal("1.5")


def test_an_item_outcome_stops_at_the_day_asked():
    a = seeded()["a"]
    early = item_outcome("a", a, RuleBook(), CAL, d("10-26"))
    assert [(p.rule, str(p.points)) for p in early.points] == [
        ("overdue", "-2"),
        ("co_unit_late", "-0.5"),
    ]
    assert ("open_overdue", "water", d("10-26"), 1) in early.counts


def test_a_group_all_tied_has_no_bottom():
    empty = score_quarter(Q4, [], UNITS, BOOK, CAL, date(2027, 1, 5))
    rows = empty["groups"]["towns"]["ranking"]
    assert {(r["rank"], r["proposals"]["commend"], r["proposals"]["bottom"]) for r in rows} == {
        (1, True, False)
    }
