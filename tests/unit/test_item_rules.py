"""The item's rules, without any service running."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from services.assignment.domain import Item
from services.kernel.errors import Refused

OFFICE = {"user": "supervisor", "role": "supervisor", "unit": None}
WATER = {"user": "handler-water", "role": "handler", "unit": "water"}
AT = datetime(2026, 9, 28, 1, tzinfo=UTC)
TODAY = date(2026, 9, 28)


def new_item(source: str = "instruction") -> Item:
    return Item(
        id=uuid4(),
        source=source,
        title="t",
        content="c",
        external_ref=None,
        due_date=None,
        complexity=None,
        issued_by=None,
        actor=OFFICE,
        at=AT,
    )


def assigned_item(source: str = "instruction") -> Item:
    item = new_item(source)
    item.assign("water", ["xihe"], None, "督转〔2026〕1号", date(2026, 10, 9), TODAY, OFFICE, AT)
    return item


def test_feedback_needs_the_item_to_be_signed_for_first():
    item = assigned_item()
    with pytest.raises(Refused) as e:
        item.submit_feedback("done", WATER, AT)
    assert e.value.status == 409


def test_only_the_lead_units_handler_may_sign_for_it():
    item = assigned_item()
    with pytest.raises(Refused) as e:
        item.acknowledge({"user": "h", "role": "handler", "unit": "xihe"}, AT)
    assert e.value.code == "not_lead_unit"
    item.acknowledge(WATER, AT)
    assert item.status == "acknowledged"


def test_a_return_needs_a_reason_and_restarts_the_work():
    item = assigned_item()
    item.acknowledge(WATER, AT)
    item.submit_feedback("done", WATER, AT)
    with pytest.raises(Refused):
        item.return_for_rework("  ", None, TODAY, OFFICE, AT)
    item.return_for_rework("补充材料", date(2026, 10, 20), TODAY, OFFICE, AT)
    assert item.status == "returned"
    item.submit_feedback("again", WATER, AT)
    assert item.status == "feedback_submitted"


def test_the_lead_unit_cannot_also_be_a_co_unit():
    with pytest.raises(Refused):
        new_item().assign("water", ["water"], None, "督转〔2026〕1号", TODAY, TODAY, OFFICE, AT)


def test_overdue_is_recorded_once_per_due_date():
    item = assigned_item()
    assert item.record_overdue(date(2026, 10, 13), "water", OFFICE, AT) is True
    assert item.record_overdue(date(2026, 10, 13), "water", OFFICE, AT) is False
    assert [type(e).__name__ for e in item.collect_events()].count("Overdue") == 1


def test_an_answer_before_the_due_time_is_not_overdue():
    item = assigned_item()
    due_at = datetime(2026, 10, 13, 16, tzinfo=UTC)
    deadline = {
        "due_date": date(2026, 10, 13),
        "due_at": due_at,
        "basis": "7 working days",
        "official_calendar": True,
        "original_due_date": date(2026, 10, 13),
        "extension": False,
        "period": "working_days:7",
        "period_start": TODAY,
    }
    item.record_deadline(deadline, OFFICE, AT)
    item.acknowledge(WATER, AT)
    item.submit_feedback("done", WATER, due_at.replace(hour=15))
    assert item.record_overdue(date(2026, 10, 13), "water", OFFICE, due_at) is False


def test_accepting_a_findings_rectification_crosses_it_off():
    item = assigned_item("finding")
    item.acknowledge(WATER, AT)
    item.submit_feedback("fixed", WATER, AT)
    item.accept("ok", OFFICE, AT)
    names = [type(e).__name__ for e in item.collect_events()]
    assert names[-4:] == ["FeedbackAccepted", "Rectified", "ReportedBack", "Closed"]
