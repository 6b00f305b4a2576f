"""The one idempotent consumer.

A message is applied at most once in effect: what it changes and the record that it was
processed (origin, stream, version) are committed in one transaction. Messages of one
stream are applied in version order: a message whose predecessor (the stream's previous
published event) has not been processed yet raises OutOfOrder, and the bus hands it back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import IntegrityError

from services.kernel.contracts import Envelope
from services.kernel.errors import OutOfOrder
from services.kernel.store import LedgerApplication, ProcessedMessage, Projection


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
