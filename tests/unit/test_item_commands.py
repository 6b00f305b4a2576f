"""Every item command through the assignment application, on the in-memory store: each from
every status it can meet, refused (409, nothing recorded) exactly where the one table says."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.assignment.adapters import MemoryUnitDirectory
from services.assignment.application import Assignment
from services.assignment.domain import ALLOWED_STATES, SIGN_FIRST
from services.kernel.contracts import Envelope
from services.kernel.dates import DUE_DATE
from services.kernel.errors import Refused
from services.kernel.store import memory_env
from services.kernel.vocabulary import STATUSES

OFFICE = {"user": "supervisor", "role": "supervisor", "unit": None}
WATER = {"user": "handler-water", "role": "handler", "unit": "water"}
XIHE = {"user": "handler-xihe", "role": "handler", "unit": "xihe"}
UNITS = [
    {"code": "water", "name": "县水务局", "kind": "department"},
    {"code": "xihe", "name": "西河镇", "kind": "town"},
    {"code": "health", "name": "县卫生健康局", "kind": "department"},
]


class Clock:
    def __init__(self) -> None:
        self.instant = datetime(2026, 9, 28, 2, tzinfo=UTC)  # Monday 10:00 in Shanghai

    def now(self) -> datetime:
        return self.instant


class Rules:
    """The deadline service's answers: any date is a working day; 3 days to return."""

    def __init__(self) -> None:
        self.checked: list[tuple[str, str | None, bool, str]] = []

    def check_due_date(
        self, source: str, due_date: str | None, explicit: bool, label: str = DUE_DATE
    ) -> None:
        self.checked.append((source, due_date, explicit, label))

    def assignment_terms(
        self, source: str, due_date: str | None, explicit: bool, assigned_on: str
    ) -> str:
        self.check_due_date(source, due_date, explicit)
        return (date.fromisoformat(assigned_on) + timedelta(days=3)).isoformat()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def rules() -> Rules:
    return Rules()


@pytest.fixture
def app(clock: Clock) -> Assignment:
    return Assignment(clock, memory_env(), units=MemoryUnitDirectory(UNITS))  # type: ignore[arg-type]


def received(app: Assignment, source: str = "instruction", **details: Any) -> UUID:
    item_id = uuid4()
    envelope = Envelope(
        event_id=uuid4(),
        type="ItemReceived",
        schema_version=1,
        origin="intake",
        position=1,
        item_id=item_id,
        stream_version=1,
        occurred_at=datetime(2026, 9, 28, 1, tzinfo=UTC),
        actor=OFFICE,
        data={"source": source, "title": "标题", "content": "内容", "details": details},
    )
    app.save(*app.react(envelope).aggregates)
    return item_id


def to_status(app: Assignment, rules: Rules, status: str, source: str = "work_report") -> UUID:
    """An item brought to `status` through the commands; a work report indicator by default
    (every command but satisfaction applies to one)."""
    details = {"kind": "indicator", "target": 100, "year": 2026, "number": "1"}
    item_id = received(app, source, **(details if source == "work_report" else {}))
    if status == "cancelled":
        app.cancel(item_id, "重复登记", OFFICE)
    if status == "merged":
        app.merge(item_id, received(app, source), "与原事项重复", OFFICE)
    if status in ("registered", "cancelled", "merged"):
        return item_id
    app.assign(item_id, "water", ["xihe"], None, OFFICE, rules)
    if status == "returned_by_unit":
        app.return_to_office(item_id, "不属于本单位职责", WATER)
        return item_id
    if status != "assigned":
        app.acknowledge(item_id, WATER)
    if status in ("feedback_submitted", "returned", "closed"):
        app.submit_feedback(item_id, "已办理", WATER)
    if status == "returned":
        app.review(item_id, "return", "补充材料", None, OFFICE, rules)
    if status == "closed":
        app.review(item_id, "accept", "同意", None, OFFICE, rules)
    return item_id


Command = Callable[[Assignment, UUID, Rules], object]
COMMANDS: dict[str, Command] = {
    "assign": lambda app, i, r: app.assign(i, "water", [], None, OFFICE, r),
    "reassign": lambda app, i, r: app.assign(i, "health", [], None, OFFICE, r, reassign=True),
    "acknowledge": lambda app, i, r: app.acknowledge(i, OFFICE),
    "report_progress": lambda app, i, r: app.report_progress(i, "进展", [], None, OFFICE),
    "submit_co_unit_opinion": lambda app, i, r: app.submit_co_unit_opinion(i, "意见", [], OFFICE),
    "record_indicator": lambda app, i, r: app.record_indicator(i, "2026-09", 40.0, OFFICE),
    "return_to_office": lambda app, i, r: app.return_to_office(i, "非本单位职责", WATER),
    "submit_feedback": lambda app, i, r: app.submit_feedback(i, "结果", OFFICE),
    "accept": lambda app, i, r: app.review(i, "accept", "同意", None, OFFICE, r),
    "return_for_rework": lambda app, i, r: app.review(i, "return", "重办", None, OFFICE, r),
    "request_extension": lambda app, i, r: app.request_extension(
        i, "需要时间", date(2026, 12, 1), OFFICE, r
    ),
    "decide_extension": lambda app, i, r: app.decide_extension(
        i, "deny", None, "不同意", OFFICE, r
    ),
    "record_satisfaction": lambda app, i, r: app.record_satisfaction(
        i, "satisfied", "", None, OFFICE, r
    ),
    "recommend_penalty": lambda app, i, r: app.recommend_penalty(
        i, "circulate_criticism", "water", "逾期未办结", OFFICE
    ),
    "cancel": lambda app, i, r: app.cancel(i, "误登记", OFFICE),
    "merge": lambda app, i, r: app.merge(i, received(app), "重复登记", OFFICE),
}
RESTING_STATES = [s for s in STATUSES if s != "feedback_accepted"]  # passed through in one save


def test_the_table_names_every_command_and_every_status_it_allows_exists():
    assert set(ALLOWED_STATES) == set(COMMANDS)
    assert {s for allowed in ALLOWED_STATES.values() for s in allowed} <= set(STATUSES)


@pytest.mark.parametrize("status", RESTING_STATES)
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_from_every_status(app: Assignment, rules: Rules, command: str, status: str):
    item_id = to_status(
        app, rules, status, "hotline" if command == "record_satisfaction" else "work_report"
    )
    if command == "decide_extension" and status in ALLOWED_STATES["request_extension"]:
        app.request_extension(item_id, "需要时间", date(2026, 12, 1), WATER, rules)
    version = app.item(item_id).version
    if status in ALLOWED_STATES[command]:
        COMMANDS[command](app, item_id, rules)
        assert app.item(item_id).version > version
        return
    with pytest.raises(Refused) as refused:
        COMMANDS[command](app, item_id, rules)
    waits_to_be_signed = status == "assigned" and command in SIGN_FIRST
    expected = "sign_first" if waits_to_be_signed else "wrong_state"
    assert (refused.value.code, refused.value.status) == (expected, 409)
    assert app.item(item_id).version == version


def test_a_refusal_in_the_wrong_state_names_the_status_and_the_action(app, rules):
    item_id = to_status(app, rules, "registered")
    with pytest.raises(Refused) as refused:
        app.acknowledge(item_id, WATER)
    assert refused.value.message_zh == (
        "事项当前状态为“待交办”，不能签收；此状态下可以：交办、撤销、合并"
    )
    item_id = to_status(app, rules, "closed")
    with pytest.raises(Refused) as refused:
        app.report_progress(item_id, "进展", [], None, WATER)
    assert refused.value.message_zh == (
        "事项当前状态为“已办结”，不能报送进展；此状态下可以：记录满意度、提出问责建议"
    )


def test_a_handler_acts_only_for_its_own_unit(app, rules):
    item_id = to_status(app, rules, "assigned")
    with pytest.raises(Refused) as refused:
        app.acknowledge(item_id, XIHE)
    assert (refused.value.code, refused.value.status) == ("not_lead_unit", 403)
    assert refused.value.message_zh == (
        "只有牵头单位可以签收；本单位不是此事项的牵头单位，如需提出意见请报送配合意见"
    )
    app.submit_co_unit_opinion(item_id, "配合意见", [], XIHE)
    with pytest.raises(Refused) as refused:
        app.submit_co_unit_opinion(item_id, "配合意见", [], WATER)
    assert (refused.value.code, refused.value.status) == ("not_co_unit", 403)
    assert refused.value.message_zh == (
        "只有配合单位可以报送配合意见；牵头单位请报送进展或反馈办理结果"
    )
    with pytest.raises(Refused) as refused:
        app.assign(item_id, "health", [], None, WATER, rules, reassign=True)
    assert (refused.value.code, refused.value.status) == ("forbidden", 403)
    assert refused.value.message_zh == "无权执行此操作：改派仅限督查室办理"


def test_assignments_and_reassignments_number_their_notices_in_one_yearly_register(app, rules):
    first = to_status(app, rules, "assigned")
    second = to_status(app, rules, "returned_by_unit")
    view = app.assign(second, "health", [], None, OFFICE, rules, reassign=True)
    assert app.item(first).notice_number == "督转〔2026〕1号"
    assert view["notice_number"] == "督转〔2026〕3号"
    assert view["lead_unit"] == "health"
    assert [e["type"] for e in app.history(second)][-1] == "Reassigned"
    assert app.history(second)[-1]["data"]["previous_lead_unit"] == "water"


def test_an_unknown_unit_is_refused_by_name_and_nothing_is_numbered(app, rules):
    item_id = received(app)
    with pytest.raises(Refused) as refused:
        app.assign(item_id, "nowhere", ["xihe", "elsewhere"], None, OFFICE, rules)
    assert refused.value.message_zh == (
        "单位：没有编码为 nowhere、elsewhere 的承办单位，请在单位列表中选择"
    )
    assert app.item(item_id).version == 1
    assert app.assign(item_id, "water", [], None, OFFICE, rules)["notice_number"] == (
        "督转〔2026〕1号"
    )


def test_the_return_window_closes_after_its_last_day(app, clock, rules):
    item_id = to_status(app, rules, "assigned")  # window ends 2026-10-01 (the fake's 3 days)
    clock.instant = datetime(2026, 10, 1, 16, tzinfo=UTC)  # 00:00 the day after, in Shanghai
    with pytest.raises(Refused) as refused:
        app.return_to_office(item_id, "不属于本单位", WATER)
    assert refused.value.code == "return_window_passed"
    clock.instant = datetime(2026, 10, 1, 15, 59, tzinfo=UTC)
    assert app.return_to_office(item_id, "不属于本单位", WATER)["status"] == "returned_by_unit"


def test_an_extension_is_asked_once_and_granted_to_the_office_s_date(app, rules):
    item_id = to_status(app, rules, "acknowledged")
    app.request_extension(item_id, "工程量大", date(2026, 11, 20), WATER, rules)
    assert rules.checked[-1] == ("work_report", "2026-11-20", True, "申请延期至")
    with pytest.raises(Refused) as refused:
        app.request_extension(item_id, "再申请", date(2026, 11, 27), WATER, rules)
    assert refused.value.code == "extension_pending"
    assert refused.value.message_zh == (
        "已有一份待审批的延期申请（申请延期至2026年11月20日），请等督查室审批后再申请"
    )
    app.decide_extension(item_id, "grant", date(2026, 11, 13), "同意延期", OFFICE, rules)
    granted = app.history(item_id)[-1]
    assert (granted["type"], granted["data"]["due_date"]) == ("ExtensionGranted", "2026-11-13")
    assert rules.checked[-1] == ("work_report", "2026-11-13", True, "办理时限")
    with pytest.raises(Refused) as refused:
        app.decide_extension(item_id, "grant", None, "", OFFICE, rules)
    assert refused.value.code == "no_extension_request"


def test_an_unsatisfied_verdict_reopens_the_item_once(app, rules):
    item_id = to_status(app, rules, "closed", "hotline")
    view = app.record_satisfaction(item_id, "unsatisfied", "仍未解决", None, OFFICE, rules)
    assert view["status"] == "returned"
    app.submit_feedback(item_id, "再次处理", WATER)
    app.review(item_id, "accept", "同意", None, OFFICE, rules)
    view = app.record_satisfaction(item_id, "unsatisfied", "仍未解决", None, OFFICE, rules)
    assert view["status"] == "closed"  # the second 不满意 does not reopen it again
    types = [e["type"] for e in app.history(item_id)]
    assert types.count("Reopened") == 1


def test_the_history_chains_every_event_by_its_hash(app, rules):
    item_id = to_status(app, rules, "acknowledged")
    history = app.history(item_id)
    assert [e["type"] for e in history] == ["ItemReceived", "Assigned", "Acknowledged"]
    assert [e["version"] for e in history] == [1, 2, 3]
    assert len({e["hash"] for e in history}) == 3
    assert history[2]["actor"] == WATER
    assert history[2]["data"] == {"unit": "water"}
