"""Registration through the intake application, on the in-memory store."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.intake.application import Intake
from services.kernel.errors import Refused
from services.kernel.store import memory_env

OFFICE = {"user": "supervisor", "role": "supervisor", "unit": None}


class Clock:
    def now(self) -> datetime:
        return datetime(2026, 9, 28, 2, tzinfo=UTC)


@pytest.fixture
def app() -> Intake:
    return Intake(Clock(), memory_env())


def test_a_ticket_registered_twice_is_one_item(app):
    first = app.register(
        source="hotline", title="停水", content="c", actor=OFFICE, external_ref="T1"
    )
    again = app.register(
        source="hotline", title="停水", content="c", actor=OFFICE, external_ref="T1"
    )
    assert first["created"] is True
    assert again == {"item_id": first["item_id"], "created": False}
    assert app.recorder.max_notification_id() == 1


def test_a_due_date_before_today_is_refused_and_nothing_is_stored(app):
    with pytest.raises(Refused) as refused:
        app.register(
            source="meeting", title="t", content="c", actor=OFFICE, due_date=date(2026, 9, 27)
        )
    assert refused.value.code == "due_date_in_past"
    assert app.recorder.max_notification_id() is None


def test_an_imported_list_with_a_bad_row_imports_nothing(app):
    rows = [
        {
            "source": "proposal",
            "title": "a",
            "content": "c",
            "external_ref": "2026-1",
            "details": {"session_year": 2026, "kind": "suggestion"},
        },
        {
            "source": "proposal",
            "title": "b",
            "content": "c",
            "complexity": "hard",
            "external_ref": "2026-2",
            "details": {"session_year": 2026, "kind": "suggestion"},
        },
    ]
    assert app.register_batch(rows, OFFICE) == {
        "errors": [{"row": 1, "message": "未知的复杂程度：hard"}]
    }
    assert app.recorder.max_notification_id() is None
    result = app.register_batch(rows[:1], OFFICE)
    assert len(result["created"]) == 1
    assert app.register_batch(rows[:1], OFFICE) == {"created": [], "existing": result["created"]}
