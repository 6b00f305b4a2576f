"""The item's record, command by command: every field of each event it records, and every
refusal whole (code, what staff read, the English, the HTTP status), with nothing recorded."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from services.assignment.domain import Item, report_recipient
from tests.recorded import recorded, refusal

OFFICE = {"user": "supervisor", "role": "supervisor", "unit": None}
WATER = {"user": "handler-water", "role": "handler", "unit": "water"}
XIHE = {"user": "handler-xihe", "role": "handler", "unit": "xihe"}
DEADLINE = {"user": "system:deadline", "role": "system", "unit": None, "correlation_id": "c-1"}
AT = datetime(2026, 9, 28, 2, tzinfo=UTC)  # Monday 10:00 in Shanghai
TODAY = date(2026, 9, 28)
DUE = date(2026, 10, 13)
DUE_AT = datetime(2026, 10, 13, 16, tzinfo=UTC)  # 24:00 on 10/13 in Shanghai
INDICATOR = {"year": 2026, "kind": "indicator", "target": 8.5, "measure": "%"}


def received(source: str = "instruction", **fields: Any) -> Item:
    item = Item(
        id=uuid4(),
        source=source,
        title="标题",
        content="内容",
        external_ref=None,
        due_date=fields.pop("due_date", None),
        complexity=None,
        issued_by=fields.pop("issued_by", None),
        actor=OFFICE,
        at=AT,
        details=fields.pop("details", None),
    )
    recorded(item)
    return item


def assigned(source: str = "instruction", **fields: Any) -> Item:
    """Assigned to water with xihe helping; the return window ends on 10/1."""
    item = received(source, **fields)
    item.assign("water", ["xihe"], None, "督转〔2026〕1号", date(2026, 10, 1), TODAY, OFFICE, AT)
    recorded(item)
    return item


def signed(source: str = "instruction", **fields: Any) -> Item:
    item = assigned(source, **fields)
    item.acknowledge(WATER, AT)
    recorded(item)
    return item


def with_deadline(item: Item) -> Item:
    item.record_deadline(
        {
            "due_date": DUE,
            "due_at": DUE_AT,
            "basis": "7个工作日",
            "official_calendar": True,
            "original_due_date": DUE,
            "extension": False,
            "period": "working_days:7",
            "period_start": TODAY,
            "co_unit_due_date": date(2026, 10, 9),
        },
        DEADLINE,
        AT,
    )
    recorded(item)
    return item


def answered(source: str = "instruction", **fields: Any) -> Item:
    item = signed(source, **fields)
    item.submit_feedback("已办结", WATER, AT)
    recorded(item)
    return item


def closed(source: str = "hotline") -> Item:
    item = answered(source)
    item.accept("同意", OFFICE, AT)
    recorded(item)
    return item


def refused_and_unchanged(item: Item, command: Any) -> tuple[str, str, str, int]:
    said = refusal(command)
    assert recorded(item) == []
    return said


# --- assignment ---


def test_an_assignment_names_the_units_the_notice_and_the_date_the_issuer_named():
    item = received(due_date=date(2026, 10, 30))
    item.assign(
        "water", ["xihe", "xihe"], None, "督转〔2026〕1号", date(2026, 10, 1), TODAY, OFFICE, AT
    )
    assert recorded(item) == [
        (
            "Assigned",
            {
                "lead_unit": "water",
                "co_units": ["xihe"],
                "due_date": date(2026, 10, 30),
                "assigned_on": TODAY,
                "actor": OFFICE,
                "at": AT,
                "notice_number": "督转〔2026〕1号",
                "return_by": date(2026, 10, 1),
            },
        )
    ]


def test_a_reassignment_records_the_unit_it_leaves():
    item = assigned()
    item.assign(
        "health",
        [],
        date(2026, 10, 20),
        "督转〔2026〕2号",
        date(2026, 10, 1),
        TODAY,
        OFFICE,
        AT,
        reassign=True,
    )
    assert recorded(item) == [
        (
            "Reassigned",
            {
                "lead_unit": "health",
                "co_units": [],
                "due_date": date(2026, 10, 20),
                "assigned_on": TODAY,
                "notice_number": "督转〔2026〕2号",
                "return_by": date(2026, 10, 1),
                "previous_lead_unit": "water",
                "actor": OFFICE,
                "at": AT,
            },
        )
    ]


def test_an_assignment_is_refused_a_lead_unit_among_its_co_units_or_a_past_date():
    item = received()
    notice = ("督转〔2026〕1号", date(2026, 10, 1))
    assert refused_and_unchanged(
        item, lambda: item.assign("water", ["water"], None, *notice, TODAY, OFFICE, AT)
    ) == (
        "lead_unit_in_co_units",
        "配合单位：牵头单位 water 不能同时作为配合单位，请从配合单位中去掉",
        "the lead unit cannot also be a co-unit",
        422,
    )
    yesterday = date(2026, 9, 27)
    assert refused_and_unchanged(
        item, lambda: item.assign("water", [], yesterday, *notice, TODAY, OFFICE, AT)
    ) == (
        "due_date_in_past",
        "办理时限：2026年9月27日早于今天（2026年9月28日），请选择今天或以后的日期",
        "due date 2026-09-27 is before today 2026-09-28",
        422,
    )


# --- who may act, and in which state ---


def test_the_guard_says_why_a_command_is_refused():
    item = assigned()
    assert refused_and_unchanged(item, lambda: item.submit_feedback("已办结", WATER, AT)) == (
        "sign_first",
        "请先签收：事项交办后须由牵头单位签收，签收后才能反馈办理结果",
        "sign for the item before you submit_feedback",
        409,
    )
    assert refused_and_unchanged(item, lambda: item.cancel("误登记", WATER, AT)) == (
        "forbidden",
        "无权执行此操作：撤销仅限督查室办理",
        "role handler may not cancel",
        403,
    )
    assert refused_and_unchanged(item, lambda: item.acknowledge(XIHE, AT)) == (
        "not_lead_unit",
        "只有牵头单位可以签收；本单位不是此事项的牵头单位，如需提出意见请报送配合意见",
        "only the lead unit may act on this item",
        403,
    )
    opinion = lambda: item.submit_co_unit_opinion("意见", [], WATER, AT)  # noqa: E731
    assert refused_and_unchanged(item, opinion) == (
        "not_co_unit",
        "只有配合单位可以报送配合意见；牵头单位请报送进展或反馈办理结果",
        "only a co-unit may send an opinion",
        403,
    )
    done = closed()
    assert refused_and_unchanged(done, lambda: done.acknowledge(WATER, AT)) == (
        "wrong_state",
        "事项当前状态为“已办结”，不能签收；此状态下可以：记录满意度、提出问责建议、表扬",
        "cannot acknowledge an item in status closed",
        409,
    )


# --- the unit's work ---


def test_signing_for_the_item_names_the_lead_unit():
    item = assigned()
    item.acknowledge(WATER, AT)
    assert recorded(item) == [("Acknowledged", {"unit": "water", "actor": WATER, "at": AT})]


def test_a_unit_returns_an_item_with_a_reason_within_its_window():
    item = assigned()
    assert refused_and_unchanged(item, lambda: item.return_to_office(" ", TODAY, WATER, AT)) == (
        "reason_required",
        "退回理由：必填，请写明为何不属于本单位职责",
        "a return needs a reason",
        422,
    )
    late = date(2026, 10, 2)
    assert refused_and_unchanged(
        item, lambda: item.return_to_office("非本单位职责", late, WATER, AT)
    ) == (
        "return_window_passed",
        "已超过退回期限（2026-10-01），如确非本单位职责请联系督查室改派",
        "the return window ended on 2026-10-01; ask the office to reassign",
        409,
    )
    item.return_to_office("非本单位职责", date(2026, 10, 1), WATER, AT)  # its last day
    assert recorded(item) == [
        ("ReturnedByUnit", {"unit": "water", "reason": "非本单位职责", "actor": WATER, "at": AT})
    ]


def test_progress_and_a_co_unit_s_opinion_are_recorded_with_their_evidence():
    item = signed()
    evidence = [{"file_id": "f-1", "name": "现场照片"}]
    item.report_progress("已完成选址", evidence, "2025-Q4", WATER, AT)  # a period, not checked
    item.submit_co_unit_opinion("同意方案", evidence, XIHE, AT)
    assert recorded(item) == [
        (
            "ProgressReported",
            {
                "unit": "water",
                "content": "已完成选址",
                "evidence": evidence,
                "period": "2025-Q4",
                "actor": WATER,
                "at": AT,
            },
        ),
        (
            "CoUnitOpinionSubmitted",
            {"unit": "xihe", "content": "同意方案", "evidence": evidence, "actor": XIHE, "at": AT},
        ),
    ]


def test_a_work_report_s_progress_names_a_quarter_of_its_own_year():
    item = signed("work_report", details={"year": 2026, "kind": "task"})
    assert refused_and_unchanged(
        item, lambda: item.report_progress("进展", [], "2025-Q4", WATER, AT)
    ) == (
        "period_outside_year",
        "报告期：2025-Q4 不在报告年度 2026 年内，请填写 2026-Q1 至 2026-Q4",
        "period 2025-Q4 is outside the report's year 2026",
        422,
    )
    item.report_progress("进展", [], "2026-Q3", WATER, AT)
    assert [(t, e["period"]) for t, e in recorded(item)] == [("ProgressReported", "2026-Q3")]


def test_an_indicator_s_figure_is_recorded_with_its_gap_to_the_target():
    item = signed("work_report", details=INDICATOR)
    item.record_indicator("2026-09", 7.23456, TODAY, WATER, AT)
    assert recorded(item) == [
        (
            "IndicatorReported",
            {
                "month": "2026-09",
                "value": 7.23456,
                "target": 8.5,
                "gap": 1.2654,  # to four places
                "actor": WATER,
                "at": AT,
            },
        )
    ]


def test_an_indicator_whose_target_is_zero_measures_its_gap_from_zero():
    item = signed("work_report", details={**INDICATOR, "target": 0})  # 零事故
    item.record_indicator("2026-09", 2, TODAY, WATER, AT)
    assert [(e["target"], e["gap"]) for _, e in recorded(item)] == [(0.0, -2)]


def test_december_s_figure_may_come_in_january_and_this_month_s_on_its_first_day():
    item = signed("work_report", details=INDICATOR)
    item.record_indicator("2026-12", 8.9, date(2027, 1, 5), WATER, AT)
    item.record_indicator("2026-10", 8.0, date(2026, 10, 1), WATER, AT)
    assert [e["month"] for _, e in recorded(item)] == ["2026-12", "2026-10"]


def test_an_indicator_s_month_must_lie_in_its_year_and_not_ahead():
    item = signed("work_report", details=INDICATOR)
    assert refused_and_unchanged(
        item, lambda: item.record_indicator("2025-12", 8.0, TODAY, WATER, AT)
    ) == (
        "month_outside_year",
        "月份：2025-12 不在报告年度 2026 年内，请填写 2026-01 至 2026-12 之间的月份",
        "month 2025-12 is outside the report's year 2026",
        422,
    )
    assert refused_and_unchanged(
        item, lambda: item.record_indicator("2026-12", 8.0, date(2026, 10, 1), WATER, AT)
    ) == (
        "month_in_future",
        "月份：2026-12 还未到，只能报送本月及以前月份的数据",
        "month 2026-12 is in the future",
        422,
    )


@pytest.mark.parametrize(
    ("source", "details", "label"),
    [
        ("work_report", {"year": 2026, "kind": "task"}, "《政府工作报告》重点任务"),
        ("instruction", None, "领导批示和交办事项"),
    ],
)
def test_only_an_indicator_takes_monthly_figures(source: str, details: Any, label: str):
    item = signed(source, details=details)
    assert refused_and_unchanged(
        item, lambda: item.record_indicator("2026-09", 8.0, TODAY, WATER, AT)
    ) == (
        "not_an_indicator",
        f"月份：只有《政府工作报告》主要经济指标报送月度数据，本事项是“{label}”，请改为报送进展",
        "not an indicator",
        409,
    )


# --- answers and their review ---


def test_an_answer_records_its_due_dates_and_whether_it_came_in_time():
    item = with_deadline(signed())
    evidence = [{"file_id": "f-1", "name": "验收报告"}]
    item.submit_feedback("已办结", WATER, DUE_AT, evidence)  # at 24:00 itself: in time
    assert recorded(item) == [
        (
            "FeedbackSubmitted",
            {
                "unit": "water",
                "content": "已办结",
                "due_date": DUE,
                "original_due_date": DUE,
                "on_time": True,
                "actor": WATER,
                "at": DUE_AT,
                "evidence": evidence,
                "reply_class": None,
            },
        )
    ]
    late = with_deadline(signed())
    late.submit_feedback("已办结", WATER, DUE_AT + timedelta(microseconds=1))
    assert [(e["on_time"], e["evidence"]) for _, e in recorded(late)] == [(False, [])]
    no_deadline = signed()
    no_deadline.submit_feedback("已办结", WATER, AT)
    assert [e["on_time"] for _, e in recorded(no_deadline)] == [None]


def test_a_reply_to_a_proposal_names_its_class():
    item = signed("proposal", details={"author": "王代表"})
    assert refused_and_unchanged(item, lambda: item.submit_feedback("答复", WATER, AT)) == (
        "reply_class_required",
        "答复类别：建议提案的答复须注明类别，请选择以下之一：A（已解决或采纳）、"
        "B（正在解决或列入计划）、C（因条件限制暂不能解决）、D（留作参考）",
        "a reply to a proposal needs its class A, B, C or D",
        422,
    )
    item.submit_feedback("答复", WATER, AT, reply_class="B")
    assert [e["reply_class"] for _, e in recorded(item)] == ["B"]


def test_accepting_a_finding_crosses_it_off_reports_back_and_closes_it():
    item = answered("finding", issued_by="县委督查室")
    evidence = [{"file_id": "f-2", "name": "复核照片"}]
    item.accept("整改到位", OFFICE, AT, evidence)
    assert recorded(item) == [
        (
            "FeedbackAccepted",
            {
                "comment": "整改到位",
                "actor": OFFICE,
                "at": AT,
                "evidence": evidence,
                "verification": None,
            },
        ),
        ("Rectified", {"note": "整改到位", "actor": OFFICE, "at": AT}),
        (
            "ReportedBack",
            {"recipient": "县委督查室", "answer": "已办结", "actor": OFFICE, "at": AT},
        ),
        ("Closed", {"actor": OFFICE, "at": AT}),
    ]
    proposal = signed("proposal", details={"author": "王代表"})
    proposal.submit_feedback("已采纳", WATER, AT, reply_class="A")
    recorded(proposal)
    proposal.accept("同意", OFFICE, AT)
    assert [(t, e.get("evidence"), e.get("recipient")) for t, e in recorded(proposal)] == [
        ("FeedbackAccepted", [], None),
        ("ReportedBack", None, "王代表"),  # to the deputy who wrote it
        ("Closed", None, None),
    ]


@pytest.mark.parametrize(
    ("source", "issued_by", "details", "recipient"),
    [
        ("instruction", "县长", {}, "县长"),
        ("instruction", None, {}, "交办领导"),
        ("netizen", None, {}, "网民留言平台"),
        ("hotline", None, {}, "12345 热线平台"),
        ("petition", None, {}, "信访部门"),
        ("proposal", None, {"author": "王代表"}, "王代表"),
        ("proposal", None, {}, "代表委员"),
        ("meeting", "县政府常务会议", {}, "县政府常务会议"),
        ("meeting", None, {}, "县政府"),
    ],
)
def test_the_answer_goes_back_to_whoever_raised_the_item(
    source: str, issued_by: str | None, details: dict[str, Any], recipient: str
):
    assert report_recipient(source, issued_by, details) == recipient


def test_a_return_for_rework_says_what_is_missing():
    item = answered()
    assert refused_and_unchanged(
        item, lambda: item.return_for_rework(" ", None, TODAY, OFFICE, AT)
    ) == (
        "comment_required",
        "审核意见：退回重办须写明理由，告诉承办单位还差什么",
        "a return needs a reason",
        422,
    )
    past = date(2026, 9, 1)
    assert refusal(lambda: item.return_for_rework("补充", past, TODAY, OFFICE, AT))[0] == (
        "due_date_in_past"
    )
    item.return_for_rework("补充验收材料", date(2026, 10, 20), TODAY, OFFICE, AT)
    assert recorded(item) == [
        (
            "FeedbackReturned",
            {
                "comment": "补充验收材料",
                "due_date": date(2026, 10, 20),
                "returned_on": TODAY,
                "actor": OFFICE,
                "at": AT,
                "evidence": [],
                "verification": None,
            },
        )
    ]


# --- the verdict of whoever raised it ---


def test_a_verdict_is_recorded_once_per_answer_and_an_unsatisfied_one_reopens_the_item():
    item = closed("hotline")
    item.record_satisfaction("unsatisfied", "仍有噪音", date(2026, 10, 20), TODAY, OFFICE, AT)
    assert recorded(item) == [
        (
            "SatisfactionRecorded",
            {"verdict": "unsatisfied", "comment": "仍有噪音", "actor": OFFICE, "at": AT},
        ),
        (
            "Reopened",
            {
                "reason": "仍有噪音",
                "due_date": date(2026, 10, 20),
                "reopened_on": TODAY,
                "actor": OFFICE,
                "at": AT,
            },
        ),
    ]


def test_a_verdict_is_refused_where_it_has_no_place():
    instruction = closed("instruction")
    assert refused_and_unchanged(
        instruction,
        lambda: instruction.record_satisfaction("satisfied", "", None, TODAY, OFFICE, AT),
    ) == (
        "no_satisfaction",
        "满意度：“领导批示和交办事项”不做满意度回访，"
        "只有人大代表建议和政协委员提案、网民留言、12345 热线投诉、重点信访案件回访",
        "this source has no satisfaction",
        409,
    )
    item = closed("hotline")
    assert refused_and_unchanged(
        item, lambda: item.record_satisfaction("happy", "", None, TODAY, OFFICE, AT)
    ) == (
        "unknown_verdict",
        "满意度：happy 不是可选的取值，请选择以下之一：satisfied（满意）、"
        "basically_satisfied（基本满意）、unsatisfied（不满意）",
        "unknown verdict happy",
        422,
    )
    past = date(2026, 9, 1)
    assert refused_and_unchanged(
        item, lambda: item.record_satisfaction("unsatisfied", "", past, TODAY, OFFICE, AT)
    )[0] == ("due_date_in_past")
    item.record_satisfaction("satisfied", "", None, TODAY, OFFICE, AT)
    recorded(item)
    assert refused_and_unchanged(
        item, lambda: item.record_satisfaction("satisfied", "", None, TODAY, OFFICE, AT)
    ) == (
        "verdict_recorded",
        "满意度：本次答复的回访结果已记录，同一答复只记录一次；如需更正请联系督查室",
        "a verdict on this answer is already on record",
        409,
    )


# --- extensions ---


def test_an_extension_is_asked_once_with_a_reason_and_a_date_not_past():
    item = signed()
    assert refused_and_unchanged(
        item, lambda: item.request_extension(" ", date(2026, 11, 30), TODAY, WATER, AT)
    ) == (
        "reason_required",
        "延期理由：必填，请写明需要延期的原因",
        "a request needs a reason",
        422,
    )
    assert refusal(lambda: item.request_extension("工程量大", date(2026, 9, 1), TODAY, WATER, AT))[
        0
    ] == ("due_date_in_past")
    item.request_extension("工程量大", date(2026, 11, 30), TODAY, WATER, AT)
    assert recorded(item) == [
        (
            "ExtensionRequested",
            {
                "unit": "water",
                "reason": "工程量大",
                "proposed_due_date": date(2026, 11, 30),
                "actor": WATER,
                "at": AT,
            },
        )
    ]
    assert refused_and_unchanged(
        item, lambda: item.request_extension("再申请", date(2026, 12, 30), TODAY, WATER, AT)
    ) == (
        "extension_pending",
        "已有一份待审批的延期申请（申请延期至2026年11月30日），请等督查室审批后再申请",
        "an extension request is pending",
        409,
    )


def test_the_office_decides_only_a_pending_request_and_grants_no_past_date():
    item = signed()
    assert refused_and_unchanged(
        item, lambda: item.decide_extension(True, None, "", TODAY, OFFICE, AT)
    ) == (
        "no_extension_request",
        "没有待审批的延期申请，无需审批；请刷新事项查看最新情况",
        "no extension request pending",
        409,
    )
    item.request_extension("工程量大", date(2026, 11, 30), TODAY, WATER, AT)
    recorded(item)
    past = date(2026, 9, 1)
    assert refused_and_unchanged(
        item, lambda: item.decide_extension(True, past, "", TODAY, OFFICE, AT)
    )[0] == ("due_date_in_past")
    item.decide_extension(True, date(2026, 12, 15), "同意至12月15日", TODAY, OFFICE, AT)
    assert recorded(item) == [
        (
            "ExtensionGranted",
            {
                "due_date": date(2026, 12, 15),
                "comment": "同意至12月15日",
                "granted_on": TODAY,
                "actor": OFFICE,
                "at": AT,
            },
        )
    ]


def test_granting_without_a_date_grants_the_one_asked_and_a_denial_keeps_its_comment():
    item = signed()
    item.request_extension("工程量大", date(2026, 11, 30), TODAY, WATER, AT)
    item.decide_extension(True, None, "同意", TODAY, OFFICE, AT)
    item.request_extension("仍需时间", date(2026, 12, 30), TODAY, WATER, AT)
    item.decide_extension(False, None, "不同意", TODAY, OFFICE, AT)
    decisions = [e for e in recorded(item) if e[0] != "ExtensionRequested"]
    assert decisions == [
        (
            "ExtensionGranted",
            {
                "due_date": date(2026, 11, 30),
                "comment": "同意",
                "granted_on": TODAY,
                "actor": OFFICE,
                "at": AT,
            },
        ),
        ("ExtensionDenied", {"comment": "不同意", "actor": OFFICE, "at": AT}),
    ]


# --- penalties, cancelling, merging ---


def test_a_penalty_by_hand_names_a_unit_that_had_the_item_and_the_reasons():
    item = signed()
    assert refused_and_unchanged(
        item, lambda: item.recommend_penalty("fine", "water", "虚报", OFFICE, AT)
    ) == (
        "unknown_penalty",
        "问责措施：fine 不是可选的取值，请选择以下之一：circulate_criticism（通报批评）、"
        "work_interview（工作约谈）、"
        "organisational_handling（组织处理（移交组织部门））、"
        "disciplinary_action（纪律处分（移交纪检监察机关））",
        "unknown penalty fine",
        422,
    )
    assert refused_and_unchanged(
        item, lambda: item.recommend_penalty("work_interview", "health", "虚报", OFFICE, AT)
    ) == (
        "unit_not_involved",
        "单位：health 没有承办过本事项，问责建议只能针对承办过它的单位：water、xihe",
        "unit health never had this item",
        422,
    )
    assert refused_and_unchanged(
        item, lambda: item.recommend_penalty("work_interview", "xihe", " ", OFFICE, AT)
    ) == (
        "reasons_required",
        "问责理由：必填，请写明事实和理由",
        "a penalty needs its reasons",
        422,
    )
    item.recommend_penalty("work_interview", "xihe", "配合不力", OFFICE, AT)
    assert recorded(item) == [
        (
            "PenaltyRecommended",
            {
                "level": None,
                "penalty": "work_interview",
                "unit": "xihe",
                "actor": OFFICE,
                "at": AT,
                "due_date": None,
                "overdue_working_days": None,
                "reasons": "配合不力",
            },
        )
    ]


def test_a_cancellation_and_a_merge_need_a_reason_and_a_merge_another_item():
    item = received()
    assert refused_and_unchanged(item, lambda: item.cancel(" ", OFFICE, AT)) == (
        "reason_required",
        "撤销理由：必填，请写明撤销的原因，如重复登记、登记有误",
        "a cancellation needs a reason",
        422,
    )
    assert refused_and_unchanged(item, lambda: item.merge(item.id, "重复", OFFICE, AT)) == (
        "merge_into_itself",
        "合并到：不能合并到事项自身，请填写原事项的编号",
        "cannot merge into itself",
        422,
    )
    original = uuid4()
    assert refused_and_unchanged(item, lambda: item.merge(original, " ", OFFICE, AT)) == (
        "reason_required",
        "合并理由：必填，请写明与原事项重复之处",
        "a merge needs a reason",
        422,
    )
    item.merge(original, "与原事项重复", OFFICE, AT)
    other = received()
    other.cancel("误登记", OFFICE, AT)
    assert recorded(item) + recorded(other) == [
        ("ItemMerged", {"into": original, "reason": "与原事项重复", "actor": OFFICE, "at": AT}),
        ("ItemCancelled", {"reason": "误登记", "actor": OFFICE, "at": AT}),
    ]


# --- what the deadline service told the item ---


def test_the_deadline_service_s_dates_and_reminders_are_recorded_as_told():
    item = received()
    item.record_dispatch_deadline(date(2026, 10, 8), 3, DEADLINE, AT)
    item.record_reminder("before", DUE, "water", None, DEADLINE, AT)
    item.record_reminder("progress", None, "water", "2026-Q3", DEADLINE, AT)
    assert recorded(item) == [
        (
            "DispatchDeadlineSet",
            {"due_date": date(2026, 10, 8), "working_days": 3, "actor": DEADLINE, "at": AT},
        ),
        (
            "ReminderIssued",
            {
                "kind": "before",
                "due_date": DUE,
                "unit": "water",
                "actor": DEADLINE,
                "at": AT,
                "period": None,
            },
        ),
        (
            "ReminderIssued",
            {
                "kind": "progress",
                "due_date": None,
                "unit": "water",
                "actor": DEADLINE,
                "at": AT,
                "period": "2026-Q3",
            },
        ),
    ]
    assert with_deadline(item).due_at == DUE_AT
    done = closed()
    done.record_reminder("before", DUE, "water", None, DEADLINE, AT)
    assert recorded(done) == []


def test_the_deadline_as_told_is_recorded_by_the_service_that_told_it():
    item = assigned()
    item.record_deadline(
        {
            "due_date": DUE,
            "due_at": DUE_AT,
            "basis": "7个工作日",
            "official_calendar": True,
            "original_due_date": None,
            "extension": False,
            "period": "working_days:7",
            "period_start": TODAY,
        },
        DEADLINE,
        AT,
    )
    ((kind, fields),) = recorded(item)
    assert (kind, fields["actor"], fields["at"]) == ("DeadlineSet", DEADLINE, AT)
    assert item.original_due_date == DUE  # the first due date is the original


def test_an_unanswered_item_past_its_due_date_is_overdue_against_its_unit_once():
    item = with_deadline(signed())
    assert item.record_overdue(DUE, None, DEADLINE, DUE_AT) is True
    assert item.record_overdue(DUE, None, DEADLINE, DUE_AT) is False
    assert recorded(item) == [
        ("Overdue", {"due_date": DUE, "unit": "water", "actor": DEADLINE, "at": DUE_AT})
    ]
    told = with_deadline(signed())
    told.record_overdue(DUE, "xihe", DEADLINE, DUE_AT)  # the unit the deadline service named
    assert [e["unit"] for _, e in recorded(told)] == ["xihe"]


def test_an_answer_at_the_due_time_itself_is_in_time_and_a_closed_item_is_never_overdue():
    item = with_deadline(signed())
    item.submit_feedback("已办结", WATER, DUE_AT)
    recorded(item)
    assert item.record_overdue(DUE, None, DEADLINE, DUE_AT) is False
    late = with_deadline(signed())
    late.submit_feedback("已办结", WATER, DUE_AT + timedelta(seconds=1))
    recorded(late)
    assert late.record_overdue(DUE, None, DEADLINE, DUE_AT) is True
    done = closed()
    assert done.record_overdue(DUE, None, DEADLINE, DUE_AT) is False
    assert recorded(item) + recorded(done) == []


LEADER = {"name": "县长王建国", "code": "county-head", "username": "leader"}


def test_the_ladder_goes_to_the_leader_then_recommends_penalties_each_step_once():
    item = signed()
    item.record_escalation(1, "escalate_to_leader", DUE, 3, LEADER, DEADLINE, AT)
    item.record_escalation(1, "escalate_to_leader", DUE, 3, LEADER, DEADLINE, AT)
    item.record_escalation(2, "circulate_criticism", DUE, 10, LEADER, DEADLINE, AT)
    item.record_escalation(1, "escalate_to_leader", DUE, 3, LEADER, DEADLINE, AT)
    assert recorded(item) == [
        (
            "EscalatedToLeader",
            {
                "level": 1,
                "leader": "县长王建国",
                "due_date": DUE,
                "overdue_working_days": 3,
                "actor": DEADLINE,
                "at": AT,
                "leader_code": "county-head",
                "leader_user": "leader",
                "unit": "water",
            },
        ),
        (
            "PenaltyRecommended",
            {
                "level": 2,
                "penalty": "circulate_criticism",
                "unit": "water",
                "actor": DEADLINE,
                "at": AT,
                "due_date": DUE,
                "overdue_working_days": 10,
                "reasons": "逾期10个工作日仍未办结",
            },
        ),
    ]
    done = closed()
    done.record_escalation(1, "escalate_to_leader", DUE, 3, LEADER, DEADLINE, AT)
    assert recorded(done) == []


# --- what the item shows ---


def test_the_item_s_view():
    item = with_deadline(assigned(details={"number": "7"}, issued_by="县长"))
    assert item.view() == {
        "id": str(item.id),
        "version": 3,
        "source": "instruction",
        "title": "标题",
        "content": "内容",
        "external_ref": None,
        "complexity": None,
        "issued_by": "县长",
        "details": {"number": "7"},
        "group": None,
        "notice_number": "督转〔2026〕1号",
        "status": "assigned",
        "status_label": "已交办",
        "lead_unit": "water",
        "co_units": ["xihe"],
        "due_date": "2026-10-13",
        "due_at": "2026-10-13T16:00:00+00:00",
        "original_due_date": "2026-10-13",
        "overdue": False,
        "registered_at": "2026-09-28T02:00:00+00:00",
    }
    fresh = received()
    assert (
        fresh.view()["due_date"],
        fresh.view()["due_at"],
        fresh.view()["original_due_date"],
    ) == (
        None,
        None,
        None,
    )
