"""What a consumer does with a message that failed: an outage of the database or the broker
never uses up the message's tries, a message waiting for its predecessor neither; only a
message that fails on its own content is parked, after BUS_DELIVERY_LIMIT retries."""

from __future__ import annotations

import kombu.exceptions
import psycopg
import psycopg.errors
import pytest
from eventsourcing import persistence
from pydantic import ValidationError

from services.kernel.consumer import HOLD, PARK, REQUEUE, Outage, Verdicts, is_outage
from services.kernel.contracts import Assigned
from services.kernel.errors import NotFound, OutOfOrder, Refused


def wrapped(error: Exception) -> Exception:
    """As the eventsourcing library re-raises psycopg's errors."""
    try:
        try:
            raise error
        except psycopg.OperationalError as e:
            raise persistence.OperationalError(str(e)) from e
    except persistence.OperationalError as outer:
        return outer


OUTAGES = [
    psycopg.OperationalError("connection lost"),
    psycopg.errors.QueryCanceled("canceling statement due to statement timeout"),
    psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"),
    psycopg.errors.SerializationFailure("could not serialize access"),
    psycopg.errors.DeadlockDetected("deadlock detected"),
    psycopg.errors.TooManyConnections("too many clients already"),
    psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
    psycopg.InterfaceError("the connection is closed"),
    wrapped(psycopg.errors.LockNotAvailable("lock timeout")),
    kombu.exceptions.OperationalError("broker unreachable"),
    ConnectionResetError("reset by peer"),
]


def a_validation_error() -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        Assigned.model_validate({})
    return caught.value


@pytest.mark.parametrize("error", OUTAGES, ids=lambda e: type(e).__name__)
def test_a_dependency_failure_holds_the_message_and_never_uses_a_try(error: Exception):
    verdicts = Verdicts(retries=2)
    assert [verdicts.decide("m", error) for _ in range(50)] == [HOLD] * 50
    assert verdicts.content_failures("m") == 0
    # after the outage, the message still has all its tries for its own content
    content = ValueError("unknown unit")
    assert [verdicts.decide("m", content) for _ in range(3)] == [REQUEUE, REQUEUE, PARK]


def test_a_message_waiting_for_its_predecessor_is_handed_back_without_using_a_try():
    verdicts = Verdicts(retries=2)
    waiting = OutOfOrder("assignment s v3 before v2")
    assert [verdicts.decide("m", waiting) for _ in range(50)] == [REQUEUE] * 50
    assert verdicts.content_failures("m") == 0


@pytest.mark.parametrize(
    "error",
    [
        ValueError("bad"),
        KeyError("unit"),
        NotFound("事项", "item"),
        Refused("closed", "事项已办结", "item closed", 409),
        persistence.IntegrityError("duplicate key"),
        a_validation_error(),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_content_failure_is_retried_then_parked(error: Exception):
    verdicts = Verdicts(retries=3)
    assert [verdicts.decide("m", error) for _ in range(4)] == [REQUEUE] * 3 + [PARK]
    assert verdicts.content_failures("m") == 4


def test_each_message_counts_its_own_failures_and_a_settled_one_starts_again():
    verdicts = Verdicts(retries=1)
    error = ValueError("bad")
    assert verdicts.decide("a", error) == REQUEUE
    assert verdicts.decide("b", error) == REQUEUE
    assert verdicts.decide("a", error) == PARK
    verdicts.settled("a")
    assert verdicts.content_failures("a") == 0
    assert verdicts.content_failures("b") == 1


def test_an_outage_cause_is_found_under_an_application_error():
    try:
        try:
            raise psycopg.errors.AdminShutdown("terminating connection")
        except psycopg.Error as e:
            raise RuntimeError("saving failed") from e
    except RuntimeError as error:
        assert is_outage(error)
    assert not is_outage(RuntimeError("saving failed"))


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_outage_pause_doubles_up_to_its_longest_and_ends_on_the_first_success():
    time = FakeTime()
    outage = Outage(first=0.5, longest=4.0, now=time)
    assert outage.remaining() == 0.0
    pauses = []
    for _ in range(6):
        outage.failed()
        pauses.append(outage.remaining())
        time.now += outage.remaining()
    assert pauses == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    outage.failed()
    time.now += 1.0
    assert outage.remaining() == 3.0
    outage.recovered()
    assert outage.remaining() == 0.0
    outage.failed()
    assert outage.remaining() == 0.5


def test_failures_of_messages_already_in_hand_do_not_lengthen_the_pause():
    time = FakeTime()
    outage = Outage(first=0.5, longest=4.0, now=time)
    for _ in range(10):
        outage.failed()
    assert outage.remaining() == 0.5
    assert outage.failures == 1
