"""The one idempotent consumer, on the in-memory store: applied once, repeats dropped, a
stream applied in order, and a message's effects and its processed mark kept together."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.assignment.adapters import MemoryUnitDirectory
from services.assignment.application import Assignment
from services.kernel.consumer import Reaction, consume
from services.kernel.contracts import Envelope
from services.kernel.errors import OutOfOrder
from services.kernel.store import memory_env

OFFICE = {"user": "supervisor", "role": "supervisor", "unit": None}
AT = datetime(2026, 9, 28, 2, tzinfo=UTC)


class Clock:
    def now(self) -> datetime:
        return AT


@pytest.fixture
def app() -> Assignment:
    return Assignment(Clock(), memory_env(), units=MemoryUnitDirectory([]))  # type: ignore[arg-type]


def envelope(
    origin: str,
    item_id: UUID,
    version: int,
    type_name: str,
    previous: int | None = None,
    **data: Any,
) -> Envelope:
    return Envelope(
        event_id=uuid4(),
        type=type_name,
        schema_version=1,
        origin=origin,
        position=version,
        item_id=item_id,
        stream_version=version,
        previous_version=previous,
        occurred_at=AT,
        actor=OFFICE,
        data=data,
    )


def received(item_id: UUID) -> Envelope:
    return envelope("intake", item_id, 1, "ItemReceived", source="hotline", title="t", content="c")


def deadline_set(item_id: UUID, version: int, previous: int) -> Envelope:
    return envelope(
        "deadline",
        item_id,
        version,
        "DeadlineSet",
        previous,
        due_date="2026-10-09",
        due_at="2026-10-09T16:00:00+00:00",
        basis="10 working days",
        official_calendar=True,
    )


def stored(app: Assignment) -> int:
    return app.recorder.max_notification_id() or 0


def test_a_message_is_applied_and_marked_processed(app: Assignment):
    item_id = uuid4()
    assert consume(app, received(item_id), app.react) == "applied"
    assert app.item(item_id).source == "hotline"
    assert app.processed_versions("intake", item_id, [1]) == {1}


def test_a_repeat_is_recognised_from_the_marks_and_changes_nothing(app: Assignment):
    item_id = uuid4()
    consume(app, received(item_id), app.react)
    consume(app, deadline_set(item_id, 2, 0), app.react)
    consume(app, deadline_set(item_id, 4, 2), app.react)
    before = stored(app)
    assert consume(app, deadline_set(item_id, 2, 0), app.react) == "duplicate"
    assert consume(app, deadline_set(item_id, 4, 2), app.react) == "duplicate"
    assert stored(app) == before
    assert [e["type"] for e in app.history(item_id)].count("DeadlineSet") == 2


def test_a_message_before_its_predecessor_is_handed_back_and_changes_nothing(app: Assignment):
    item_id = uuid4()
    consume(app, received(item_id), app.react)
    before = stored(app)
    with pytest.raises(OutOfOrder):
        consume(app, deadline_set(item_id, 4, 2), app.react)
    assert stored(app) == before
    assert app.processed_versions("deadline", item_id, [4]) == set()
    consume(app, deadline_set(item_id, 2, 0), app.react)
    assert consume(app, deadline_set(item_id, 4, 2), app.react) == "applied"


def test_when_the_effects_fail_the_message_is_not_marked(app: Assignment):
    item_id = uuid4()

    def failing(e: Envelope) -> Reaction:
        def projection(_: Any) -> None:
            raise RuntimeError("the read model is unwritable")

        return Reaction(app.react(e).aggregates, projection)

    with pytest.raises(RuntimeError):
        consume(app, received(item_id), failing)
    assert app.processed_versions("intake", item_id, [1]) == set()
    assert stored(app) == 0
    assert consume(app, received(item_id), app.react) == "applied"


def test_a_repeat_recognised_only_by_its_mark_leaves_no_effect_behind(app: Assignment):
    """The repeat is not asked about first (its predecessor is known applied), so the item
    records the deadline again and only the mark's conflict stops it: both go or neither."""
    item_id = uuid4()
    consume(app, received(item_id), app.react)
    consume(app, deadline_set(item_id, 2, 0), app.react)
    before = stored(app)
    assert consume(app, deadline_set(item_id, 2, 0), app.react) == "duplicate"
    assert stored(app) == before


def test_a_message_right_after_the_first_waits_for_it(app: Assignment):
    item_id = uuid4()
    with pytest.raises(OutOfOrder) as refused:
        consume(app, deadline_set(item_id, 2, 1), app.react)
    assert str(refused.value) == f"deadline {item_id} v2 before v1"
    assert app.processed_versions("deadline", item_id, [2]) == set()


def test_a_stream_this_process_applied_itself_is_not_asked_about_again(app: Assignment):
    item_id = uuid4()
    consume(app, received(item_id), app.react)
    consume(app, envelope("deadline", item_id, 2, "ReminderIssued", 0, **reminder()), app.react)
    asked: list[tuple[str, UUID, list[int]]] = []
    processed_versions = app.processed_versions

    def spy(origin: str, stream: UUID, versions: list[int]) -> set[int]:
        asked.append((origin, stream, versions))
        return processed_versions(origin, stream, versions)

    app.processed_versions = spy  # type: ignore[method-assign]
    follow_up = envelope("deadline", item_id, 3, "ReminderIssued", 2, **reminder())
    assert consume(app, follow_up, app.react) == "applied"
    assert asked == []
    other = envelope("deadline", uuid4(), 5, "ReminderIssued", 3, **reminder())
    with pytest.raises(OutOfOrder):
        consume(app, other, app.react)
    assert asked == [("deadline", other.item_id, [5, 3])]


def test_a_repeat_whose_reaction_now_fails_is_a_duplicate_not_a_failure(app: Assignment):
    item_id = uuid4()
    consume(app, received(item_id), app.react)

    def refusing(e: Envelope) -> Reaction:
        raise RuntimeError("today's state refuses it")

    assert consume(app, received(item_id), refusing) == "duplicate"
    with pytest.raises(RuntimeError):
        consume(app, received(uuid4()), refusing)


def test_the_mark_records_the_message_s_own_id(app: Assignment):
    item_id = uuid4()
    message = received(item_id)
    consume(app, message, app.react)
    assert app.ledger.marks() == {("intake", item_id, 1): message.event_id}


def reminder() -> dict[str, Any]:
    return {"kind": "before", "due_date": "2026-10-07"}
