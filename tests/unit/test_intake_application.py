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


class Rules:
    """The deadline service's word: these dates are rest days."""

    def check_due_date(self, source: str, due_date: str | None, explicit: bool) -> None:
        if due_date in ("2026-10-03", "2026-10-04"):
            raise Refused("not_a_working_day", "休息日", "rest day")


@pytest.fixture
def app() -> Intake:
    return Intake(Clock(), memory_env())


def register(app: Intake, **fields: object) -> dict:
    return app.register(Rules(), actor=OFFICE, title="t", content="c", **fields)  # type: ignore[arg-type]


def test_a_ticket_registered_twice_is_one_item(app):
    first = register(app, source="hotline", external_ref="T1")
    again = register(app, source="hotline", external_ref="T1")
    assert first["created"] is True
    assert again == {"item_id": first["item_id"], "created": False}
    assert app.recorder.max_notification_id() == 1


def test_a_due_date_before_today_is_refused_and_nothing_is_stored(app):
    with pytest.raises(Refused) as refused:
        register(app, source="special", due_date=date(2026, 9, 27))
    assert refused.value.code == "due_date_in_past"
    assert app.recorder.max_notification_id() is None


def test_a_due_date_on_a_rest_day_is_refused_at_registration_too():
    app = Intake(Clock(), memory_env())
    with pytest.raises(Refused) as refused:
        register(app, source="special", due_date=date(2026, 10, 3))
    assert refused.value.code == "not_a_working_day"
    assert app.recorder.max_notification_id() is None
    assert register(app, source="special", due_date=date(2026, 10, 9))["created"] is True


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
        "errors": [
            {
                "row": 1,
                "message": "复杂程度：hard 不是可选的取值，请选择以下之一："
                "simple（简单）、complex（复杂）、difficult（疑难）",
            }
        ]
    }
    assert app.recorder.max_notification_id() is None
    result = app.register_batch(rows[:1], OFFICE)
    assert len(result["created"]) == 1
    assert result["items"] == result["created"]
    assert app.register_batch(rows[:1], OFFICE) == {
        "created": [],
        "existing": result["created"],
        "items": result["created"],
    }


def test_an_imported_list_names_each_row_s_item_in_order_new_or_not(app):
    def row(number: str) -> dict:
        details = {"session_year": 2026, "number": number, "author": "王代表", "kind": "suggestion"}
        return {
            "source": "proposal",
            "title": number,
            "content": "c",
            "external_ref": f"2026-suggestion-{number}",
            "details": details,
        }

    first = app.register_batch([row("2")], OFFICE)
    result = app.register_batch([row("1"), row("2"), row("3")], OFFICE)
    assert result["existing"] == first["created"]
    assert result["items"] == [result["created"][0], first["created"][0], result["created"][1]]


def test_an_imported_lists_events_leave_intake_under_their_contract(app):
    """An import's ItemReceived stored evidence None, which the contract refuses: the outbox
    relay stopped at it and no later item or campaign left intake."""
    from services.kernel.contracts import envelope_from_state
    from services.kernel.store import event_type, transcoder

    row = {"source": "special", "title": "t", "content": "c", "external_ref": "S-1"}
    assert len(app.register_batch([row], OFFICE)["created"]) == 1
    (n,) = app.recorder.select_notifications(1, 10)
    state = transcoder().decode(n.state)
    envelope = envelope_from_state(
        "intake", n.id, n.originator_id, 1, event_type(n.topic), state, 0
    )
    assert envelope is not None and envelope.data["evidence"] == []


def test_an_item_received_stored_without_files_still_leaves_intake():
    """Events stored before the import fix (and any Submission made without files) hold
    evidence None: they are published with no files instead of stopping the relay."""
    from services.kernel.contracts import ItemReceived

    received = ItemReceived.model_validate(
        {"source": "netizen", "title": "t", "content": "c", "evidence": None}
    )
    assert received.evidence == []
