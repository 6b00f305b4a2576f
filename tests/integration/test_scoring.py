"""Quarterly evaluation through the gateway: provisional scores with their explanation, what a
unit's handler may see, rules changed from a date, publication frozen, an appeal overturned
and republished beside the original, a late event flagged, and the facts replayed.

Other tests share this database (their items lie in 2026-2027), so this one works in 2031 and
checks its own items' points exactly; exact ranks and proposals of a seeded quarter are in
tests/unit/test_scoring_rules.py."""

from __future__ import annotations

from typing import Any

import pytest

from deploy.stack import Stack
from services.scoring.rebuild import rebuild
from tests.client import Client, eventually

pytestmark = pytest.mark.integration

QUARTER = "2031Q2"


def own_points(client: Client, unit: str, items: set[str]) -> list[tuple[str, str, str, int]]:
    response = client.get(f"/api/v1/scores/{unit}/{QUARTER}")
    assert response.status_code == 200, response.text
    return [
        (p["rule"], p["points"], p["on"], p["rule_version"])
        for p in response.json()["points"]
        if p["item_id"] in items
    ]


def test_a_quarter_scored_published_appealed_and_replayed(
    stack: Stack, supervisor: Client, handler_factory
):
    veterans = handler_factory("veterans")
    leader = Client(stack.gateway_url).login("leader", stack.settings.demo_password)
    supervisor.set_clock("2031-04-01T09:00:00+08:00")

    # a return for rework costs 3 from 2031-05-01 on, 1 before
    change = supervisor.post(
        "/api/v1/scoring/rules",
        {"rules": {"return": 3}, "effective_from": "2031-05-01", "reason": "加大退回扣分"},
    )
    assert change.status_code == 200, change.text
    versions = change.json()["versions"]
    assert [(v["version"], v["effective_from"]) for v in versions][-1][1] == "2031-05-01"
    new_version = versions[-1]["version"]
    assert versions[-1]["rules"]["return"] == "3"
    past = supervisor.post(
        "/api/v1/scoring/rules",
        {"rules": {"return": 2}, "effective_from": "2031-03-01", "reason": "追溯"},
    )
    assert past.status_code == 422
    assert past.json()["message"].startswith("生效日期：2031年3月1日早于今天")

    item = supervisor.register(title="考评测试", content="...")
    supervisor.assign(item["id"], "veterans", due_date="2031-04-10")
    veterans.post(f"/api/v1/items/{item['id']}/acknowledge")
    supervisor.set_clock("2031-04-11T00:00:01+08:00")  # overdue: −2
    eventually(lambda: supervisor.item(item["id"])["overdue"])
    supervisor.set_clock("2031-04-14T10:00:00+08:00")
    veterans.post(f"/api/v1/items/{item['id']}/feedback", {"content": "已办理"})
    supervisor.set_clock("2031-05-06T10:00:00+08:00")
    returned = supervisor.post(
        f"/api/v1/items/{item['id']}/review",
        {"decision": "return", "comment": "材料不全", "due_date": "2031-05-20"},
    )
    assert returned.status_code == 200, returned.text
    veterans.post(f"/api/v1/items/{item['id']}/feedback", {"content": "已补充"})
    supervisor.post(
        f"/api/v1/items/{item['id']}/review", {"decision": "accept", "comment": "同意办结"}
    )
    praised = leader.post(
        f"/api/v1/items/{item['id']}/commendations", {"unit": "veterans", "reasons": "办理扎实"}
    )
    assert praised.status_code == 200, praised.text
    # a second item whose penalty will be crossed out after publication (cancelled)
    other = supervisor.register(title="考评测试二", content="...")
    supervisor.assign(other["id"], "veterans", due_date="2031-06-30")
    penalty = supervisor.post(
        f"/api/v1/items/{other['id']}/penalties",
        {"penalty": "circulate_criticism", "unit": "veterans", "reasons": "推诿"},
    )
    assert penalty.status_code == 200, penalty.text

    mine = {item["id"], other["id"]}
    expected = [
        ("overdue", "-2", "2031-04-11", 0),
        ("return", "-3", "2031-05-06", new_version),
        ("commendation", "2", "2031-05-06", new_version),
        ("circulate_criticism", "-5", "2031-05-06", new_version),
    ]
    eventually(lambda: sorted(own_points(supervisor, "veterans", mine)) == sorted(expected))

    # before publication: the office sees it provisional; a unit only its own card
    provisional = supervisor.get("/api/v1/scores", quarter=QUARTER).json()
    assert provisional["published"] is False
    departments = [r["unit"] for r in provisional["groups"]["departments"]["ranking"]]
    towns = [r["unit"] for r in provisional["groups"]["towns"]["ranking"]]
    assert "veterans" in departments and {"chengguan", "community-committee"} <= set(towns)
    hidden = veterans.get("/api/v1/scores", quarter="2031-Q2")
    assert hidden.status_code == 404
    assert hidden.json()["message"].startswith("季度：2031Q2 的考评排名尚未发布")
    assert veterans.get(f"/api/v1/scores/water/{QUARTER}").status_code == 404
    card = veterans.get(f"/api/v1/scores/veterans/{QUARTER}").json()
    assert card["published"] is False
    total = 100 + sum(float(p["points"]) for p in card["points"])
    assert float(card["score"]) == total

    early = supervisor.post(f"/api/v1/scoring/quarters/{QUARTER}/publication")
    assert early.status_code == 409
    assert early.json()["message"] == (
        "季度：2031Q2 到2031年6月30日才结束，请在季度结束后发布考评结果"
    )

    supervisor.set_clock("2031-07-02T10:00:00+08:00")
    published = supervisor.post(f"/api/v1/scoring/quarters/{QUARTER}/publication")
    assert published.status_code == 200, published.text
    assert (published.json()["published"], published.json()["version"]) == (True, 1)
    assert supervisor.post(f"/api/v1/scoring/quarters/{QUARTER}/publication").status_code == 409
    ranking = veterans.get("/api/v1/scores", quarter=QUARTER)
    assert ranking.status_code == 200 and "units" not in ranking.json()
    assert "late_changes" not in ranking.json()
    score_v1 = veterans.get(f"/api/v1/scores/veterans/{QUARTER}").json()["score"]

    # a late fact: the penalised item cancelled after publication is flagged, not applied
    cancelled = supervisor.post(f"/api/v1/items/{other['id']}/cancel", {"reason": "重复登记"})
    assert cancelled.status_code == 200, cancelled.text

    def flagged() -> list[dict[str, Any]]:
        view = supervisor.get("/api/v1/scores", quarter=QUARTER).json()
        return [c for c in view["late_changes"] if c["item_id"] == other["id"]]

    late = eventually(flagged)
    assert [(c["change"], c["rule"], c["points"]) for c in late] == [
        ("removed", "circulate_criticism", "-5")
    ]
    assert veterans.get(f"/api/v1/scores/veterans/{QUARTER}").json()["score"] == score_v1

    # the unit appeals the return; the office overturns it: version 2 beside version 1
    points = veterans.get(f"/api/v1/scores/veterans/{QUARTER}").json()["points"]
    the_return = next(p for p in points if p["rule"] == "return" and p["item_id"] == item["id"])
    water = handler_factory("water")
    assert (
        water.post(
            f"/api/v1/scoring/quarters/{QUARTER}/appeals",
            {"point": the_return["id"], "reasons": "不是我们的"},
        ).status_code
        == 404
    )
    appeal = veterans.post(
        f"/api/v1/scoring/quarters/{QUARTER}/appeals",
        {"point": the_return["id"], "reasons": "退回原因是督查室通知有误"},
    )
    assert appeal.status_code == 201, appeal.text
    assert appeal.json()["status"] == "pending"
    number = appeal.json()["id"].rsplit("-", 1)[1]
    again = veterans.post(
        f"/api/v1/scoring/quarters/{QUARTER}/appeals",
        {"point": the_return["id"], "reasons": "再申诉"},
    )
    assert again.status_code == 409
    decided = supervisor.post(
        f"/api/v1/scoring/quarters/{QUARTER}/appeals/{number}/decision",
        {"outcome": "overturned", "comment": "核实属实，撤销扣分"},
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "overturned"
    view = supervisor.get("/api/v1/scores", quarter=QUARTER).json()
    assert view["version"] == 2
    assert [v["version"] for v in view["versions"]] == [1, 2]
    assert view["versions"][0]["digest"] != view["versions"][1]["digest"]
    corrected = veterans.get(f"/api/v1/scores/veterans/{QUARTER}").json()
    assert float(corrected["score"]) == float(score_v1) + 3
    assert [p["overturned_by"] for p in corrected["points"] if p.get("overturned_by")] == [
        appeal.json()["id"]
    ]
    listed = veterans.get(f"/api/v1/scoring/quarters/{QUARTER}/appeals").json()["appeals"]
    assert [a["status"] for a in listed] == ["overturned"]
    assert water.get(f"/api/v1/scoring/quarters/{QUARTER}/appeals").json()["appeals"] == []

    # replay: the facts dropped and rebuilt from the item events answer byte for byte the same
    before = supervisor.get("/api/v1/scores", quarter=QUARTER).content
    card_before = supervisor.get(f"/api/v1/scores/veterans/{QUARTER}").content
    assert rebuild(stack.settings) > 0
    assert supervisor.get("/api/v1/scores", quarter=QUARTER).content == before
    assert supervisor.get(f"/api/v1/scores/veterans/{QUARTER}").content == card_before

    annual = supervisor.get("/api/v1/scores/annual/2031").json()
    assert [q["published"] for q in annual["quarters"]] == [False, True, False, False]
    row = next(r for r in annual["groups"]["departments"]["ranking"] if r["unit"] == "veterans")
    assert row["quarters"][1] == corrected["score"]
