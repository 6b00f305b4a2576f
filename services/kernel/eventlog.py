"""A service's notification log read as contract envelopes: what its outbox relay publishes
and what a follower (reporting's rebuild, scoring's) replays, without constructing that
service's application or importing its domain."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.postgres import PostgresDatastore
from psycopg import sql
from psycopg.rows import tuple_row
from pydantic import ValidationError

from services.kernel.config import DatabaseAddress
from services.kernel.contracts import CONTRACTS, Envelope, envelope_from_state
from services.kernel.store import ChainedRecorder, Recent, event_type, transcoder

PUBLISHED_TYPES = tuple(CONTRACTS)


@dataclass(frozen=True)
class Unpublishable:
    """A stored event of a contract type that does not make a valid envelope (its state no
    longer fits the contract): it stays in the store, is recorded and skipped."""

    position: int
    stream: UUID
    version: int
    type: str
    error: str


class EventLog:
    def __init__(self, recorder: Any, origin: str) -> None:
        """`recorder`: the origin service's application recorder (PostgreSQL or in memory)."""
        self._recorder = recorder
        self.origin = origin
        self._transcoder = transcoder()
        # stream -> (last version read, last published version): a stream read from its
        # start needs no query for its previous published event
        self._streams: Recent[UUID, tuple[int, int]] = Recent(100_000)
        # what the last `read` could not turn into envelopes
        self.unpublishable: list[Unpublishable] = []

    def read(self, start: int, limit: int) -> tuple[list[Envelope], int]:
        """The envelopes of the (at most) `limit` notifications from position `start`, and
        the last position read (`start - 1` when there was none)."""
        notifications = self._recorder.select_notifications(start, limit)
        self.unpublishable = []
        if not notifications:
            return [], start - 1
        self._learn_streams(notifications)
        envelopes = []
        for n in notifications:
            stream = n.originator_id
            published = self._published_before(stream, n.originator_version)
            type_name = event_type(n.topic)
            if type_name in CONTRACTS:
                state = self._transcoder.decode(n.state)
                try:
                    envelope = envelope_from_state(
                        self.origin, n.id, stream, n.originator_version, type_name, state, published
                    )
                except (ValidationError, KeyError, TypeError, ValueError) as e:
                    self.unpublishable.append(
                        Unpublishable(n.id, stream, n.originator_version, type_name, str(e))
                    )
                else:
                    assert envelope is not None
                    envelopes.append(envelope)
                # The stream's later events still name this one as their predecessor, so its
                # consumers wait for it rather than apply them without it.
                published = n.originator_version
            self._streams.put(stream, (n.originator_version, published))
        return envelopes, notifications[-1].id

    def _published_before(self, stream: UUID, version: int) -> int:
        """The stream's last published version before `version`, from what this log read
        (a batch read again after a failed publish starts over from its first event)."""
        if version == 1:
            return 0
        last_read, published = self._streams.get(stream) or (0, 0)
        assert last_read == version - 1, "_learn_streams knows every stream of the batch"
        return published

    def _learn_streams(self, notifications: list[Any]) -> None:
        """For streams this log has not followed from their start: their last published
        event before this batch, in one query."""
        first: dict[UUID, int] = {}
        for n in notifications:
            first.setdefault(n.originator_id, n.originator_version)
        unknown = [
            s for s, v in first.items() if v > 1 and (self._streams.get(s) or (0, 0))[0] != v - 1
        ]
        if not unknown:
            return
        found = self._recorder.published_before(unknown, notifications[0].id, PUBLISHED_TYPES)
        for s in unknown:
            self._streams.put(s, (first[s] - 1, found.get(s, 0)))


@contextmanager
def follow(database_url: str, origin: str) -> Iterator[EventLog]:
    """Another service's log, read through its store's tables (as a follower reads them)."""
    db = DatabaseAddress.parse(database_url)
    datastore = PostgresDatastore(
        db.dbname, db.host, db.port, db.user, db.password, schema=origin, pool_size=1
    )
    try:
        yield EventLog(ChainedRecorder(datastore, events_table_name=f"{origin}_events"), origin)
    finally:
        datastore.close()


def events_of(
    conn: psycopg.Connection, origin: str, types: Sequence[str], batch: int = 2000
) -> Iterator[Envelope]:
    """The events of `types` (contract types) in `origin`'s log, in order, read through `conn`:
    what a follower fills a new read model's table from without replaying the whole log. Only
    for that: an envelope's previous published version is not known here (None)."""
    decoder = transcoder()
    query = sql.SQL(
        "SELECT notification_id, originator_id, originator_version, topic, state FROM {}"
        " WHERE substring(topic from '[^.]+$') = ANY(%s) ORDER BY notification_id"
    ).format(sql.Identifier(origin, f"{origin}_events"))
    with conn.cursor(name=f"events_of_{origin}", row_factory=tuple_row) as cursor:
        cursor.itersize = batch
        cursor.execute(query, (list(types),))
        for position, stream, version, topic, state in cursor:
            envelope = envelope_from_state(
                origin, position, stream, version, event_type(topic), decoder.decode(state), None
            )
            if envelope is not None:
                yield envelope
