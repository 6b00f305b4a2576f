"""Inspection campaigns through the intake application, on the in-memory store: the periodic
drafts from the plan file, the plan's edits, visits, findings and issuing a finding with its
supervision notice; and the notice's number in assignment's one yearly register."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from services.assignment.adapters import MemoryUnitDirectory
from services.assignment.application import Assignment
from services.assignment.domain import notice_number
from services.intake.application import Intake
from services.intake.campaign import periodic_drafts, periodic_id
from services.kernel.contracts import CONTRACTS, Envelope, envelope_from_state
from services.kernel.errors import Refused
from services.kernel.store import event_type, memory_env, transcoder

OFFICE = {"user": "supervisor", "role": "supervisor", "unit": None}
UNITS = {"water", "xihe", "industrial-park"}
PHOTO = {"sha": "a" * 64, "name": "现场.jpg", "size": 1024, "content_type": "image/jpeg"}


class Clock:
    def now(self) -> datetime:
        return datetime(2026, 3, 2, 2, tzinfo=UTC)  # Monday 10:00 in Shanghai


class Rules:
    """The deadline service's word: 2026-03-07 is a Saturday, a rest day."""

    def check_due_date(
        self, source: str, due_date: str | None, explicit: bool, label: str = "办理时限"
    ) -> None:
        if due_date == "2026-03-07":
            raise Refused("not_a_working_day", f"{label}：休息日", "rest day")

    def assignment_terms(
        self, source: str, due_date: str | None, explicit: bool, assigned_on: str
    ) -> str:
        return (date.fromisoformat(assigned_on) + timedelta(days=3)).isoformat()


@pytest.fixture
def app() -> Intake:
    return Intake(Clock(), memory_env())


def underway(app: Intake, kind: str = "random", upper_level: str | None = None) -> UUID:
    view = app.plan_campaign(
        kind, "城区占道经营专项督查", {"themes": ["占道"]}, upper_level, OFFICE
    )
    app.start_campaign(UUID(view["id"]), OFFICE)
    return UUID(view["id"])


def finding(app: Intake, campaign: UUID, **fields: object) -> UUID:
    values: dict = {
        "visit_id": None,
        "title": "园区道路破损",
        "facts": "主干道 30 米破损未修复",
        "unit": "industrial-park",
        "person": "张三",
        "severity": "serious",
        "evidence": [PHOTO],
        "previous_item": None,
        **fields,
    }
    view = app.record_finding(campaign, units=UNITS, actor=OFFICE, **values)
    return UUID(view["findings"][-1]["finding_id"])


def issue(app: Intake, campaign: UUID, found: UUID, due: date = date(2026, 3, 20)) -> dict:
    return app.issue_finding(
        Rules(),
        campaign,
        found,
        task="修复破损路面",
        measures="三日内围挡，月内修复",
        person=None,
        due_date=due,
        actor=OFFICE,
    )


def test_the_years_periodic_campaigns_are_drafted_once_from_the_plan_file(app):
    made = app.ensure_periodic_campaigns(2026, OFFICE)
    assert made == [str(periodic_id(2026, m)) for m in (3, 6, 9, 12)]
    assert app.ensure_periodic_campaigns(2026, OFFICE) == []
    march = app.campaign(periodic_id(2026, 3)).view()
    assert (march["kind"], march["status"], march["title"]) == (
        "periodic",
        "draft",
        "2026年3月定期综合督查",
    )
    assert march["plan"]["themes"][2] == "一季度主要经济指标调度"
    assert march["plan"]["scope"] == ["town", "zone", "department"]
    assert (march["plan"]["starts_on"], march["plan"]["ends_on"]) == ("2026-03-01", "2026-03-31")
    assert app.campaign(periodic_id(2026, 12)).view()["plan"]["themes"][-1] == "防范化解重大风险"
    assert periodic_drafts(2027)[1]["title"] == "2027年6月定期综合督查"


def test_a_draft_plan_is_edited_and_once_started_it_is_fixed(app):
    app.ensure_periodic_campaigns(2026, OFFICE)
    march = periodic_id(2026, 3)
    plan = {"themes": ["春季安全生产"], "scope": ["xihe"], "methods": ["unannounced"]}
    edited = app.change_plan(march, "3月安全生产督查", plan, "聚焦安全生产", OFFICE)
    assert (edited["title"], edited["plan"]) == ("3月安全生产督查", plan)
    app.start_campaign(march, OFFICE)
    with pytest.raises(Refused) as refused:
        app.change_plan(march, "再改", plan, "", OFFICE)
    assert (refused.value.code, refused.value.status) == ("wrong_campaign_state", 409)
    assert refused.value.message_zh == (
        "督查当前状态为“督查中”，不能修改方案；只有方案草稿的督查可以修改方案"
    )
    # the drafts scan leaves an edited campaign as it is
    app.ensure_periodic_campaigns(2026, OFFICE)
    assert app.campaign(march).view()["title"] == "3月安全生产督查"


def test_a_visit_is_recorded_only_once_the_campaign_is_underway(app):
    draft = app.plan_campaign("special", "专项督查", {}, None, OFFICE)
    with pytest.raises(Refused) as refused:
        app.record_visit(
            UUID(draft["id"]), "西河镇", datetime(2026, 3, 2, 1, tzinfo=UTC), [], "", [], OFFICE
        )
    assert refused.value.code == "wrong_campaign_state"
    campaign = underway(app)
    view = app.record_visit(
        campaign,
        "西河镇集贸市场",
        datetime(2026, 3, 2, 1, tzinfo=UTC),
        ["李四"],
        "占道",
        [PHOTO],
        OFFICE,
    )
    assert view["visits"][0]["place"] == "西河镇集贸市场"
    assert view["visits"][0]["evidence"] == [PHOTO]


def test_a_finding_names_a_known_unit_and_a_visit_of_its_campaign(app):
    campaign = underway(app)
    with pytest.raises(Refused) as refused:
        finding(app, campaign, unit="nowhere")
    assert refused.value.message_zh == (
        "责任单位：没有编码为 nowhere 的承办单位，请在单位列表中选择"
    )
    with pytest.raises(Refused) as refused:
        finding(app, campaign, visit_id=UUID(int=7))
    assert refused.value.code == "unknown_visit"
    assert app.campaign(campaign).view()["findings"] == []


def test_issuing_a_finding_records_its_item_in_the_same_transaction_once(app):
    campaign = underway(app)
    found = finding(app, campaign)
    before = app.recorder.max_notification_id()
    first = issue(app, campaign, found)
    assert first["created"] is True
    assert app.recorder.max_notification_id() == before + 2  # FindingIssued + ItemReceived
    again = issue(app, campaign, found)
    assert (again["created"], again["item_id"]) == (False, first["item_id"])
    assert app.recorder.max_notification_id() == before + 2
    received = app.repository.get(UUID(first["item_id"]))
    assert (received.source, received.group) == ("finding", f"campaign:{campaign}")
    assert received.due_date == date(2026, 3, 20)
    assert received.evidence == [PHOTO]
    assert received.details["severity"] == "serious"
    assert received.details["task"] == "修复破损路面"
    assert received.details["responsible_person"] == "张三"
    notice = app.campaign(campaign).view()["findings"][0]["notice"]
    assert notice == {
        "task": "修复破损路面",
        "measures": "三日内围挡，月内修复",
        "person": "张三",
        "due_date": "2026-03-20",
    }


def test_a_notice_needs_a_working_day_and_nothing_is_stored_without_one(app):
    campaign = underway(app)
    found = finding(app, campaign)
    before = app.recorder.max_notification_id()
    with pytest.raises(Refused) as refused:
        issue(app, campaign, found, date(2026, 3, 7))
    assert refused.value.message_zh == "整改时限：休息日"
    with pytest.raises(Refused) as refused:
        issue(app, campaign, found, date(2026, 3, 1))
    assert refused.value.message_zh == (
        "整改时限：2026年3月1日早于今天（2026年3月2日），请选择今天或以后的日期"
    )
    assert app.recorder.max_notification_id() == before


def test_an_upper_level_campaigns_findings_are_upper_inspection_items(app):
    with pytest.raises(Refused) as refused:
        app.plan_campaign("upper", "省政府督查反馈", {}, None, OFFICE)
    assert refused.value.code == "upper_level_required"
    campaign = underway(app, "upper", "province")
    item = app.repository.get(UUID(issue(app, campaign, finding(app, campaign))["item_id"]))
    assert item.source == "upper_inspection"
    assert item.details["upper_level"] == "province"


def test_every_campaign_event_leaves_intake_under_its_contract(app):
    campaign = underway(app)
    found = finding(app, campaign)
    app.record_visit(campaign, "现场", datetime(2026, 3, 2, 1, tzinfo=UTC), [], "", [], OFFICE)
    issue(app, campaign, found)
    decode = transcoder().decode
    types = []
    for n in app.recorder.select_notifications(1, 100):
        name = event_type(n.topic)
        if n.originator_id != campaign:
            continue
        envelope = envelope_from_state(
            "intake", n.id, campaign, n.originator_version, name, decode(n.state), 0
        )
        assert envelope is not None and name in CONTRACTS
        types.append(envelope.type)
    assert types == [
        "CampaignPlanned",
        "CampaignStarted",
        "FindingRecorded",
        "VisitRecorded",
        "FindingIssued",
    ]


def test_a_supervision_notice_is_numbered_in_the_transfer_notices_register():
    assert notice_number(2026, 7, "finding") == "督办〔2026〕7号"
    assert notice_number(2026, 8, "upper_inspection") == "督办〔2026〕8号"
    assert notice_number(2026, 9, "instruction") == "督转〔2026〕9号"
    app = Assignment(
        Clock(),
        memory_env(),
        MemoryUnitDirectory(
            [
                {"code": "water", "name": "县水务局", "kind": "department"},
            ]
        ),
    )
    numbers = []
    for source in ("instruction", "finding", "instruction"):
        item_id = _received(app, source)
        numbers.append(
            app.assign(item_id, "water", [], date(2026, 3, 20), OFFICE, Rules())["notice_number"]
        )
    assert numbers == ["督转〔2026〕1号", "督办〔2026〕2号", "督转〔2026〕3号"]


def _received(app: Assignment, source: str) -> UUID:
    item_id = uuid4()
    envelope = Envelope(
        event_id=uuid4(),
        type="ItemReceived",
        schema_version=1,
        origin="intake",
        position=1,
        item_id=item_id,
        stream_version=1,
        occurred_at=Clock().now(),
        actor=OFFICE,
        data={"source": source, "title": "t", "content": "c"},
    )
    reaction = app.react(envelope)
    app.save(*reaction.aggregates)
    return item_id
