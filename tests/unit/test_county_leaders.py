"""The county's leaders and who is in charge of which unit: where an escalation goes, and the
register's record of each change (who, when, why)."""

from __future__ import annotations

from datetime import UTC, datetime

from services.assignment.county import OFFICE, CountyLeaders
from tests.recorded import recorded, refusal

ADMIN = {"user": "admin", "role": "admin", "unit": None}
AT = datetime(2026, 9, 28, 2, tzinfo=UTC)
HEAD = ("county-head", "王建国", "县长", "leader")
DEPUTY = ("deputy-agriculture", "赵强", "副县长", "leader-agriculture")
EXECUTIVE = ("executive-deputy", "李明", "常务副县长", None)


def register(*leaders: tuple[str, str, str, str | None]) -> CountyLeaders:
    county = CountyLeaders(id=CountyLeaders.ID, actor=ADMIN, at=AT)
    for code, name, title, username in leaders:
        county.record_leader(code, name, title, username, "县政府分工文件", ADMIN, AT)
    recorded(county)
    return county


def test_each_change_is_recorded_with_who_and_why_and_a_repeat_changes_nothing():
    county = CountyLeaders(id=CountyLeaders.ID, actor=ADMIN, at=AT)
    assert county.record_leader(*HEAD, "县政府分工文件", ADMIN, AT) is True
    assert county.record_leader(*HEAD, "县政府分工文件", ADMIN, AT) is False
    assert county.put_in_charge("water", "county-head", "分工调整", ADMIN, AT) is True
    assert county.put_in_charge("water", "county-head", "分工调整", ADMIN, AT) is False
    assert county.make_default("county-head", "县长兼管", ADMIN, AT) is True
    assert county.make_default("county-head", "县长兼管", ADMIN, AT) is False
    assert recorded(county) == [
        ("LeadersRegisterOpened", {"actor": ADMIN, "at": AT}),
        (
            "LeaderRecorded",
            {
                "code": "county-head",
                "name": "王建国",
                "title": "县长",
                "username": "leader",
                "reason": "县政府分工文件",
                "actor": ADMIN,
                "at": AT,
            },
        ),
        (
            "UnitLeaderAssigned",
            {
                "unit": "water",
                "leader": "county-head",
                "reason": "分工调整",
                "actor": ADMIN,
                "at": AT,
            },
        ),
        (
            "DefaultLeaderSet",
            {"leader": "county-head", "reason": "县长兼管", "actor": ADMIN, "at": AT},
        ),
    ]


def test_a_leader_s_correction_and_a_new_leader_in_charge_are_changes():
    county = register(HEAD, DEPUTY)
    county.put_in_charge("water", "county-head", "分工", ADMIN, AT)
    county.make_default("county-head", "分工", ADMIN, AT)
    recorded(county)
    assert county.record_leader("county-head", "王建国", "县长", "wang", "换账号", ADMIN, AT)
    assert county.put_in_charge("water", "deputy-agriculture", "分工调整", ADMIN, AT)
    assert county.make_default("deputy-agriculture", "分工调整", ADMIN, AT)
    assert [t for t, _ in recorded(county)] == [
        "LeaderRecorded",
        "UnitLeaderAssigned",
        "DefaultLeaderSet",
    ]


def test_every_change_needs_a_reason():
    county = register(HEAD)
    for change in (
        lambda: county.record_leader(*DEPUTY, " ", ADMIN, AT),
        lambda: county.put_in_charge("water", "county-head", "", ADMIN, AT),
        lambda: county.make_default("county-head", " ", ADMIN, AT),
    ):
        assert refusal(change) == (
            "reason_required",
            "理由：必填，写明变更的依据",
            "a change needs a reason",
            422,
        )
    assert recorded(county) == []


def test_an_unknown_leader_is_refused_naming_the_known_ones():
    empty = register()
    assert refusal(lambda: empty.make_default("nobody", "分工", ADMIN, AT)) == (
        "unknown_leader",
        "县领导：没有编码为 nobody 的县领导，请先登记该县领导",
        "no leader nobody",
        422,
    )
    county = register(HEAD, DEPUTY)
    assert refusal(lambda: county.put_in_charge("water", "nobody", "分工", ADMIN, AT)) == (
        "unknown_leader",
        "县领导：没有编码为 nobody 的县领导，请从已登记的县领导中选择："
        "county-head（县长王建国）、deputy-agriculture（副县长赵强）",
        "no leader nobody",
        422,
    )
    assert recorded(empty) + recorded(county) == []


def test_an_instruction_s_escalation_goes_to_the_leader_who_issued_it():
    county = register(HEAD, DEPUTY, EXECUTIVE)
    county.put_in_charge("water", "deputy-agriculture", "分工", ADMIN, AT)
    issuer = {"code": "county-head", "name": "县长王建国", "username": "leader"}
    for words in ("county-head", "王建国", "县长", "县长王建国"):
        assert county.leader_for("instruction", words, "water") == issuer, words


def test_otherwise_to_the_unit_s_leader_in_charge_then_the_default_then_the_office():
    county = register(HEAD, DEPUTY, EXECUTIVE)
    county.put_in_charge("water", "deputy-agriculture", "分工", ADMIN, AT)
    in_charge = {
        "code": "deputy-agriculture",
        "name": "副县长赵强",
        "username": "leader-agriculture",
    }
    # a meeting names no issuing leader; an instruction's issuer may be no registered leader
    assert county.leader_for("meeting", "县长", "water") == in_charge
    assert county.leader_for("instruction", "县委书记", "water") == in_charge
    assert county.leader_for("instruction", None, "water") == in_charge
    assert county.leader_for("instruction", "county-head", "xihe") == {
        "code": "county-head",
        "name": "县长王建国",
        "username": "leader",
    }
    assert county.leader_for("hotline", None, "xihe") == OFFICE  # no default named yet
    county.make_default("executive-deputy", "常务副县长兜底", ADMIN, AT)
    assert county.leader_for("hotline", None, "xihe") == {
        "code": "executive-deputy",
        "name": "常务副县长李明",
        "username": None,
    }


def test_words_two_leaders_share_name_no_one():
    county = register(("deputy-a", "张伟", "副县长", None), ("deputy-b", "刘洋", "副县长", None))
    county.put_in_charge("water", "deputy-b", "分工", ADMIN, AT)
    assert county.leader_for("instruction", "副县长", "water")["code"] == "deputy-b"
    assert county.leader_for("instruction", "副县长张伟", "water")["code"] == "deputy-a"


def test_the_register_s_view_is_sorted():
    county = register(DEPUTY, HEAD)
    county.put_in_charge("xihe", "county-head", "分工", ADMIN, AT)
    county.put_in_charge("agriculture", "deputy-agriculture", "分工", ADMIN, AT)
    county.make_default("county-head", "分工", ADMIN, AT)
    assert county.view() == {
        "leaders": [
            {"code": "county-head", "name": "王建国", "title": "县长", "username": "leader"},
            {
                "code": "deputy-agriculture",
                "name": "赵强",
                "title": "副县长",
                "username": "leader-agriculture",
            },
        ],
        "in_charge": {"agriculture": "deputy-agriculture", "xihe": "county-head"},
        "default": "county-head",
    }
    assert list(county.view()["in_charge"]) == ["agriculture", "xihe"]
