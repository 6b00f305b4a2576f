"""The one outbox relay: publishes a service's stored events from its notification log.

It reads from the last confirmed position, publishes each shared event (one with a contract)
with publisher confirms to the durable topic exchange, then records the new position. A crash
between commit and publish, or between publish and recording the position, only delays or
repeats a message; consumers drop repeats by event id.

A stored event that no longer makes a valid envelope (its state does not fit its contract)
would stop the relay for every later event of the service if it were retried. It is
skipped instead, never lost: it stays in the append-only store, and the relay records it in
`<origin>.outbox_unpublished` in the same transaction that moves the position past it,
counts it (`supervision_outbox_unpublished_total`, alerted on) and logs it. Its stream's
later events still name it as their predecessor, so consumers hold them rather than apply
them without it; once the contract or the event is put right, it is published again by
hand (see the README) and its stream moves on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from kombu import Connection, Producer
from psycopg import sql

from services.kernel import metrics
from services.kernel.contracts import Envelope
from services.kernel.eventlog import EventLog, Unpublishable
from services.kernel.store import LedgerApplication
from services.kernel.topology import EVENTS, declare_all

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(
        self,
        app: LedgerApplication,
        origin: str,
        amqp_uri: str,
        conninfo: str,
        delivery_backstop: int,
        inbox_max_length: int,
        batch_size: int = 200,
    ) -> None:
        self.app = app
        self.origin = origin
        self._amqp_uri = amqp_uri
        self._conninfo = conninfo
        self._delivery_backstop = delivery_backstop
        self._inbox_max_length = inbox_max_length
        self.batch_size = batch_size
        self._log = EventLog(app.recorder, origin)
        self._connection: Connection | None = None
        self._producer: Producer | None = None
        self._position: int | None = None
        self._db: psycopg.Connection | None = None

    def _conn(self) -> psycopg.Connection:
        """One connection for the position, kept open (a new one per batch costs more than
        the batch)."""
        if self._db is None or self._db.closed or self._db.broken:
            self._db = psycopg.connect(self._conninfo, autocommit=True)
        return self._db

    def position(self) -> int:
        """The last confirmed position, read from the database when this relay (re)starts
        leading; while it leads it is the only writer, so it keeps the value itself."""
        if self._position is None:
            self._position = self._stored_position()
        return self._position

    def forget_position(self) -> None:
        """Called on losing leadership: another relay may move the position meanwhile."""
        self._position = None

    def _stored_position(self) -> int:
        with self._guard() as conn:
            row = conn.execute(
                sql.SQL("SELECT position FROM {}.outbox_position WHERE relay = %s").format(
                    sql.Identifier(self.origin)
                ),
                (self.origin,),
            ).fetchone()
        return row[0] if row else 0

    def lag(self) -> int:
        """Events stored but not yet confirmed on the bus."""
        newest = self.app.recorder.max_notification_id() or 0
        return max(0, newest - self._stored_position())

    def _save_position(self, position: int, skipped: list[Unpublishable]) -> None:
        """The new position, and in the same transaction the events skipped on the way."""
        schema = sql.Identifier(self.origin)
        with self._guard() as conn, conn.transaction():
            for event in skipped:
                conn.execute(
                    sql.SQL(
                        "INSERT INTO {}.outbox_unpublished"
                        " (position, stream_id, stream_version, type, error)"
                        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (position) DO NOTHING"
                    ).format(schema),
                    (event.position, event.stream, event.version, event.type, event.error),
                )
            conn.execute(
                sql.SQL(
                    "INSERT INTO {}.outbox_position (relay, position) VALUES (%s, %s) "
                    "ON CONFLICT (relay) DO UPDATE SET position = EXCLUDED.position"
                ).format(schema),
                (self.origin, position),
            )
        self._position = position
        for event in skipped:
            metrics.OUTBOX_UNPUBLISHED.labels(self.origin, event.type).inc()
            log.error(
                "%s event %s v%s (%s, position %s) does not fit its contract and was not"
                " published; recorded in %s.outbox_unpublished: %s",
                self.origin,
                event.stream,
                event.version,
                event.type,
                event.position,
                self.origin,
                event.error,
            )

    def _ensure_producer(self) -> Producer:
        if self._producer is None:
            # Consumers' queues exist before the first publish (see topology).
            declare_all(self._amqp_uri, self._delivery_backstop, self._inbox_max_length)
            self._connection = Connection(
                self._amqp_uri, transport_options={"confirm_publish": True}
            )
            self._producer = Producer(self._connection.channel(), exchange=EVENTS)
        return self._producer

    @contextmanager
    def _guard(self) -> Iterator[psycopg.Connection]:
        try:
            yield self._conn()
        except psycopg.OperationalError:
            if self._db is not None:
                self._db.close()
            self._db = None
            raise

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._connection is not None:
            self._connection.release()
        self._connection = None
        self._producer = None

    def publish(self, envelope: Envelope) -> None:
        self._ensure_producer().publish(
            envelope.model_dump_json(),
            routing_key=envelope.routing_key,
            content_type="application/json",
            content_encoding="utf-8",
            delivery_mode=2,
            message_id=str(envelope.event_id),
            headers={"correlation_id": envelope.correlation_id or ""},
        )
        metrics.EVENTS_PUBLISHED.labels(envelope.origin, envelope.type).inc()

    def run_once(self) -> int:
        """Publish the next batch; returns how many notifications were passed."""
        start = self.position() + 1
        envelopes, last = self._log.read(start, self.batch_size)
        if last < start:
            return 0
        try:
            for envelope in envelopes:
                self.publish(envelope)
        except Exception:
            self.close()
            raise
        self._save_position(last, self._log.unpublishable)
        return last - start + 1
