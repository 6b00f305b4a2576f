"""A proposal sheet's units (主办单位, 协办单位) as the gateway reads and checks them, and the
gateway's assigning of many items: what it says when a service stops answering part-way, and
why a retry repeats nothing. No service is needed: the assignment service is a fake here."""

from __future__ import annotations

import io
from typing import Any
from uuid import UUID, uuid4

import pytest
from nameko.exceptions import RpcTimeout, deserialize, serialize
from openpyxl import Workbook

import services.kernel.shell  # noqa: F401 - registers refusals so they cross RPC as themselves
from deploy.demo import UNITS
from gateway import limits
from gateway.assigning import OUTCOMES, Assigning, counted
from gateway.imports import ImportRejected, proposal_rows, unit_names, validated_proposals
from gateway.units import API, SHEET, Terms, UnitRegister, checked_units
from services.kernel.errors import NotFound, Refused

REGISTER = UnitRegister([{"code": c, "name": n, "kind": k} for c, n, k in UNITS])
HEADER = ["编号", "类别", "提出人", "标题", "内容", "主办单位", "协办单位"]
OFFICE = {"user": "supervisor", "role": "supervisor", "unit": None}


def sheet(header: list[str], rows: list[list[Any]]) -> io.BytesIO:
    book = Workbook()
    for row in [header, *rows]:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def proposal(number: str, lead: Any = None, co: Any = None) -> list[Any]:
    return [number, "建议", "王代表", f"建议{number}", "内容", lead, co]


def no_register() -> UnitRegister:
    raise AssertionError("the register is asked for only when a row names units")


# --- reading the columns -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "names"),
    [
        ("西河镇、东川镇", ["西河镇", "东川镇"]),
        ("西河镇，东川镇,城关镇", ["西河镇", "东川镇", "城关镇"]),
        ("西河镇;东川镇；城关镇", ["西河镇", "东川镇", "城关镇"]),
        ("西河镇 东川镇\u3000城关镇\n南山镇", ["西河镇", "东川镇", "城关镇", "南山镇"]),
        ("  西河镇、、 东川镇、 ", ["西河镇", "东川镇"]),
        ("县民政局", ["县民政局"]),
        ("", []),
        (None, []),
    ],
)
def test_a_cell_names_its_units_separated_as_the_office_writes_them(cell: Any, names: list[str]):
    assert unit_names(cell) == names


def test_each_row_keeps_its_units_as_written():
    rows = proposal_rows(
        sheet(HEADER, [proposal("1", "县交通运输局", "西河镇、东川镇"), proposal("2")]), 2026
    )
    assert [(r.row, r.lead_unit, r.co_units, r.names_units) for r in rows] == [
        (2, ["县交通运输局"], ["西河镇", "东川镇"], True),
        (3, [], [], False),
    ]
    assert rows[0].command["external_ref"] == "2026-suggestion-1"


def test_the_unit_columns_are_optional_and_found_wherever_they_stand():
    without = proposal_rows(sheet(HEADER[:5], [proposal("1")[:5]]), 2026)
    assert (without[0].lead_unit, without[0].co_units) == ([], [])
    # 协办单位 first, 主办单位 last, after a column nobody reads
    moved = ["协办单位", *HEADER[:5], "备注", "主办单位"]
    rows = proposal_rows(sheet(moved, [["城关镇", *proposal("1")[:5], "x", "县水务局"]]), 2026)
    assert (rows[0].lead_unit, rows[0].co_units) == (["县水务局"], ["城关镇"])


def test_a_sheet_without_units_never_asks_for_the_register():
    rows = proposal_rows(sheet(HEADER, [proposal("1"), proposal("2")]), 2026)
    checked = validated_proposals(rows, no_register)
    assert [(row, terms) for row, _, terms in checked] == [(2, None), (3, None)]


def test_each_row_s_units_become_codes():
    rows = proposal_rows(
        sheet(
            HEADER,
            [
                proposal("1", "县交通运输局", "西河镇、东川镇"),
                # half-width brackets for the register's full-width ones
                proposal("2", "社区管理委员会(社管委)", None),
                proposal("3"),
            ],
        ),
        2026,
    )
    checked = validated_proposals(rows, lambda: REGISTER)
    assert [(row, terms) for row, _, terms in checked] == [
        (2, Terms("transport", ["xihe", "dongchuan"])),
        (3, Terms("community-committee", [])),
        (4, None),
    ]


def test_every_bad_row_is_named_with_its_fields_and_the_file_refused():
    rows = proposal_rows(
        sheet(
            HEADER,
            [
                proposal("1", "县民政局", "县民政局"),
                proposal("2", "县财政局", "城关镇、城关镇"),
                proposal("3", "住建局", "不存在的单位"),
                proposal("4", None, "城关镇"),
                proposal("5", "县财政局、县水务局", None),
                proposal("6", "县财政局", "、".join(["城关镇"] * (limits.CO_UNITS + 1))),
            ],
        ),
        2026,
    )
    with pytest.raises(ImportRejected) as rejected:
        validated_proposals(rows, lambda: REGISTER)
    assert rejected.value.rows == [
        {
            "row": 2,
            "field": "co_units",
            "message": "协办单位：“县民政局”已是主办单位，不能同时作为协办单位，请删去",
        },
        {"row": 3, "field": "co_units", "message": "协办单位：“城关镇”重复填写，请只填一次"},
        {
            "row": 4,
            "field": "lead_unit",
            "message": "主办单位：没有名称为“住建局”的承办单位；是否应为“县住房和城乡建设局”？",
        },
        {
            "row": 4,
            "field": "co_units",
            "message": "协办单位：没有名称为“不存在的单位”的承办单位，请填写单位列表中的单位全称",
        },
        {
            "row": 5,
            "field": "lead_unit",
            "message": "主办单位：填写了协办单位时必填，请填写一个主办单位",
        },
        {
            "row": 6,
            "field": "lead_unit",
            "message": "主办单位：只能填写一个单位（现有 2 个），其余请填在“协办单位”中",
        },
        {
            "row": 7,
            "field": "co_units",
            "message": f"协办单位：最多 {limits.CO_UNITS} 个"
            f"（本行有 {limits.CO_UNITS + 1} 个），请删减",
        },
    ]


def test_a_sheet_assigning_more_than_the_limit_is_refused_before_anything_is_done(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setattr(limits, "IMPORT_ASSIGNMENTS", 2)
    rows = proposal_rows(
        sheet(HEADER, [proposal(str(n), "县水务局") for n in range(3)] + [proposal("9")]), 2026
    )
    with pytest.raises(Refused) as refused:
        validated_proposals(rows, no_register)
    assert (refused.value.status, refused.value.message_zh) == (
        413,
        "主办单位：一次导入最多交办 2 件（本表 3 行填写了主办单位），请分成几个表格导入",
    )


def test_the_api_names_units_by_code_and_suggests_the_nearest():
    assert checked_units(["water"], ["xihe"], REGISTER, API, "2026-03-02") == Terms(
        "water", ["xihe"], "2026-03-02"
    )
    assert checked_units(["watr"], ["water", "nowhere-at-all"], REGISTER, API) == [
        {
            "field": "lead_unit",
            "message": "牵头单位：没有编码为“watr”的承办单位；是否应为“water（县水务局）”？",
        },
        {
            "field": "co_units",
            "message": "配合单位：没有编码为“nowhere-at-all”的承办单位，请在单位列表中选择",
        },
    ]
    # a name is no code, and a code no name
    assert checked_units(["县水务局"], [], REGISTER, API) != Terms("water")
    assert checked_units(["water"], [], REGISTER, SHEET) != Terms("water")


# --- assigning ---------------------------------------------------------------------------


class Assignment:
    """The assignment service as the gateway sees it: items by id; `assign` as the real one
    answers (a 409 for an item not waiting to be assigned); `down_after`: how many calls it
    answers before it stops answering (RpcTimeout)."""

    def __init__(self, *ids: UUID, down_after: int | None = None) -> None:
        self.items = {
            i: {
                "id": str(i),
                "version": 2,
                "status": "registered",
                "lead_unit": None,
                "co_units": [],
                "due_date": None,
                "notice_number": None,
            }
            for i in ids
        }
        self.down_after = down_after
        self.calls: list[tuple[str, str]] = []
        self.numbers = 0

    def call(self, service: str, method: str, *args: Any) -> Any:
        assert service == "assignment"
        if self.down_after is not None and len(self.calls) >= self.down_after:
            raise RpcTimeout(15)
        self.calls.append((method, args[0]))
        item = self.items.get(UUID(args[0]))
        if item is None:
            raise NotFound("事项", "item")
        if method == "get_item":
            return dict(item)
        if item["status"] != "registered":
            raise Refused("wrong_state", "事项当前状态为“已交办”，不能交办", "state", 409)
        return self.assign(item, args[1])

    def assign(self, item: dict[str, Any], command: dict[str, Any]) -> dict[str, Any]:
        self.numbers += 1
        item.update(
            status="assigned",
            version=item["version"] + 1,
            lead_unit=command["lead_unit"],
            co_units=command["co_units"],
            notice_number=f"督转〔2026〕{self.numbers}号",
        )
        return dict(item)


class Reads:
    """The read model: shows each item's due date once asked, or never (`late`)."""

    def __init__(self, late: bool = False) -> None:
        self.late = late
        self.waits = 0

    def wait_for(
        self, item_id: UUID, version: int, *, expect_deadline: bool = False
    ) -> dict[str, Any] | None:
        self.waits += 1
        return None if self.late else {"due_date": "2026-09-02"}


def assigning(service: Assignment, reads: Reads | None = None, **kw: Any) -> Assigning:
    return Assigning(service, reads or Reads(), OFFICE, REGISTER, **kw)


def test_each_item_is_assigned_by_the_service_s_own_command_with_its_due_date():
    a, b = uuid4(), uuid4()
    service = Assignment(a, b)
    results, stopped = assigning(service).each(
        [(a, Terms("water", ["xihe"])), (b, Terms("finance"))]
    )
    assert stopped is False
    assert [
        (r["item_id"], r["assignment"], r["lead_unit"], r["due_date"], r["notice_number"])
        for r in results
    ] == [
        (str(a), "assigned", "water", "2026-09-02", "督转〔2026〕1号"),
        (str(b), "assigned", "finance", "2026-09-02", "督转〔2026〕2号"),
    ]
    assert [r["assignment_label"] for r in results] == ["已交办", "已交办"]
    assert "version" not in results[0]


def test_a_service_that_stops_answering_leaves_the_rest_pending_and_a_retry_repeats_nothing():
    a, b, c = uuid4(), uuid4(), uuid4()
    wanted = [(a, Terms("water")), (b, Terms("finance", ["xihe"])), (c, Terms("health"))]
    service = Assignment(a, b, c, down_after=1)  # a is assigned, then no answer
    results, stopped = assigning(service).each(wanted)
    assert stopped is True
    assert [r["assignment"] for r in results] == ["assigned", "pending", "pending"]
    assert results[1]["message"] == (
        "服务暂不可用，尚未交办；请稍后重新提交，已登记、已交办的不会重复"
    )
    assert counted(results, OUTCOMES) == {
        "assigned": 1,
        "already_assigned": 0,
        "refused": 0,
        "pending": 2,
    }
    # b's assignment was made after all, once the service came back (its caller had given up)
    service.assign(service.items[b], {"lead_unit": "finance", "co_units": ["xihe"]})
    service.down_after = None
    again, stopped = assigning(service).each(wanted)
    assert stopped is False
    assert [r["assignment"] for r in again] == ["already_assigned", "already_assigned", "assigned"]
    assert [r["notice_number"] for r in again] == [
        "督转〔2026〕1号",
        "督转〔2026〕2号",
        "督转〔2026〕3号",
    ]
    assert service.numbers == 3  # no notice numbered twice: nothing assigned twice


def test_an_item_assigned_the_same_way_meanwhile_is_this_request_s_assignment():
    a = uuid4()
    service = Assignment(a)
    real_call = service.call

    def racing(service_name: str, method: str, *args: Any) -> Any:
        if method == "assign":  # another request (the first attempt) got there first
            service.assign(service.items[a], {"lead_unit": "water", "co_units": []})
        return real_call(service_name, method, *args)

    service.call = racing  # type: ignore[method-assign]
    results, _ = assigning(service).each([(a, Terms("water"))])
    assert (results[0]["assignment"], results[0]["notice_number"]) == (
        "already_assigned",
        "督转〔2026〕1号",
    )


def test_an_item_with_other_units_is_refused_naming_its_lead_unit():
    a = uuid4()
    service = Assignment(a)
    service.assign(service.items[a], {"lead_unit": "water", "co_units": ["xihe"]})
    results, stopped = assigning(service).each([(a, Terms("water"))])  # without its co-unit
    assert stopped is False
    assert {k: results[0][k] for k in ("assignment", "error", "message")} == {
        "assignment": "refused",
        "error": "wrong_state",
        "message": "事项当前状态为“已交办”，不能交办（现牵头单位：县水务局）；"
        "如需改派，请在事项页面办理改派",
    }


def test_an_unknown_item_is_refused_unless_this_request_just_registered_it():
    a = uuid4()
    results, stopped = assigning(Assignment()).each([(a, Terms("water"))])
    assert (results[0]["assignment"], results[0]["message"], stopped) == (
        "refused",
        "事项不存在",
        False,
    )
    # registered a moment ago: still on its way to the assignment service
    results, stopped = assigning(Assignment(), just_registered=True).each([(a, Terms("water"))])
    assert (results[0]["assignment"], stopped) == ("pending", True)


def test_once_a_due_date_is_late_the_rest_are_not_waited_for():
    ids = [uuid4() for _ in range(3)]
    reads = Reads(late=True)
    results, _ = assigning(Assignment(*ids), reads).each([(i, Terms("water")) for i in ids])
    assert reads.waits == 1
    assert [r["due_date"] for r in results] == [None, None, None]


def test_a_refusal_keeps_its_status_as_a_number_across_rpc():
    crossed = deserialize(serialize(Refused("wrong_state", "不能交办", "cannot", 409)))
    assert isinstance(crossed, Refused)
    assert crossed.status == 409
