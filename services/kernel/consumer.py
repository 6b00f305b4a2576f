"""The one idempotent consumer.

A message is applied at most once in effect: what it changes and the record that it was
processed (origin, stream, version) are committed in one transaction. Messages of one
stream are applied in version order: a message whose predecessor (the stream's previous
published event) has not been processed yet raises OutOfOrder, and the bus hands it back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import kombu.exceptions
import psycopg
from eventsourcing import persistence
from eventsourcing.persistence import IntegrityError

from services.kernel.contracts import Envelope
from services.kernel.errors import OutOfOrder
from services.kernel.store import LedgerApplication, ProcessedMessage, Projection, Recent


@dataclass
class Reaction:
    """What a service does in answer to one message: aggregates to save, an optional
    projection to run in the same transaction."""

    aggregates: Sequence[Any] = field(default_factory=tuple)
    projection: Projection | None = None


def consume(
    app: LedgerApplication, envelope: Envelope, react: Callable[[Envelope], Reaction]
) -> str:
    """Apply one message; returns "applied" or "duplicate"; raises OutOfOrder to retry."""
    origin, stream, version = envelope.origin, envelope.item_id, envelope.stream_version
    predecessor = envelope.predecessor
    # The predecessor is known processed when this process applied it (usual in a stream's
    # flow): then the store is not asked first, and a repeat is told by its record's primary
    # key when saving (or, if today's state refuses it, by asking then).
    asked = predecessor > 0 and app.applied.get((origin, stream)) != predecessor
    if asked:
        done = app.processed_versions(origin, stream, [version, predecessor])
        if version in done:
            return "duplicate"
        if predecessor not in done:
            raise OutOfOrder(f"{origin} {stream} v{version} before v{predecessor}")
    envelope.contract()  # a malformed payload fails here, before any effect
    try:
        reaction = react(envelope)
    except Exception:
        if not asked and version in app.processed_versions(origin, stream, [version]):
            return "duplicate"
        raise
    processed = ProcessedMessage(origin, stream, version, envelope.event_id)
    try:
        app.save(*reaction.aggregates, processed=processed, projection=reaction.projection)
    except IntegrityError:
        if version in app.processed_versions(origin, stream, [version]):
            return "duplicate"
        raise
    app.applied.put((origin, stream), version)
    return "applied"


# What a consumer does with a message whose handling failed (see `Verdicts`).
HOLD = "hold"  # a dependency is down: keep the message, retry it once the dependency is back
REQUEUE = "requeue"  # hand it back to the broker to be tried again later
PARK = "park"  # dead-letter it: it failed on its own content too often

# A database or broker that is unreachable, timed out, too busy, or rolled the transaction
# back (serialization failure, deadlock, lock timeout): not the message's fault.
OUTAGES: tuple[type[BaseException], ...] = (
    psycopg.OperationalError,  # connection lost, timeouts, too many connections, rollbacks
    psycopg.InterfaceError,
    persistence.OperationalError,  # the same, as the eventsourcing library re-raises them
    persistence.InterfaceError,
    kombu.exceptions.OperationalError,
    ConnectionError,
    TimeoutError,
)


def is_outage(error: BaseException) -> bool:
    """Whether `error`, or an error it was raised from, is a dependency's failure."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OUTAGES):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class Verdicts:
    """Decides what becomes of a message after one try. Only failures caused by the message
    itself count toward its tries, and the consumer counts them (the broker's delivery count
    also grows with every hand-back, so it is only a high backstop): a message that failed
    on its content more than `retries` times is parked. A message waiting for its
    predecessor is handed back without using a try; during an outage it is held.

    The counts live in this process, for the most recent `remembered` messages: a message
    redelivered to another copy starts counting again there (the backstop bounds the total).
    """

    def __init__(self, retries: int, remembered: int = 10_000) -> None:
        self.retries = retries
        self._failures: Recent[str, int] = Recent(remembered)

    def decide(self, message_id: str, error: BaseException) -> str:
        if is_outage(error):
            return HOLD
        if isinstance(error, OutOfOrder):
            return REQUEUE
        failures = (self._failures.get(message_id) or 0) + 1
        self._failures.put(message_id, failures)
        return PARK if failures > self.retries else REQUEUE

    def content_failures(self, message_id: str) -> int:
        return self._failures.get(message_id) or 0

    def settled(self, message_id: str) -> None:
        """The message was applied or parked: its count is no longer needed."""
        self._failures.forget(message_id)


class Outage:
    """The backoff shared by every message of one consumer while a dependency is down: the
    first failure waits `first` seconds, each further one twice as long, up to `longest`;
    the first success ends it. Failures during a pause (messages that were already being
    handled) do not lengthen it."""

    def __init__(
        self, first: float, longest: float, now: Callable[[], float] = time.monotonic
    ) -> None:
        self._first = first
        self._longest = longest
        self._now = now
        self._failures = 0
        self._until = 0.0

    def failed(self) -> None:
        if self.remaining() > 0:
            return
        self._failures += 1
        self._until = self._now() + min(self._first * 2 ** (self._failures - 1), self._longest)

    def recovered(self) -> None:
        self._failures = 0
        self._until = 0.0

    @property
    def failures(self) -> int:
        return self._failures

    def remaining(self) -> float:
        """Seconds to wait before trying the dependency again (0 when it is up)."""
        return max(0.0, self._until - self._now())
