"""The one outbox relay: publishes a service's stored events from its notification log.

It reads from the last confirmed position, publishes each shared event (one with a contract)
with publisher confirms to the durable topic exchange, then records the new position. A crash
between commit and publish, or between publish and recording the position, only delays or
repeats a message; consumers drop repeats by event id.
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
from services.kernel.eventlog import EventLog
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
        delivery_limit: int,
        batch_size: int = 200,
    ) -> None:
        self.app = app
        self.origin = origin
        self._amqp_uri = amqp_uri
        self._conninfo = conninfo
        self._delivery_limit = delivery_limit
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

    def _save_position(self, position: int) -> None:
        with self._guard() as conn:
            conn.execute(
                sql.SQL(
                    "INSERT INTO {}.outbox_position (relay, position) VALUES (%s, %s) "
                    "ON CONFLICT (relay) DO UPDATE SET position = EXCLUDED.position"
                ).format(sql.Identifier(self.origin)),
                (self.origin, position),
            )
        self._position = position

    def _ensure_producer(self) -> Producer:
        if self._producer is None:
            # Consumers' queues exist before the first publish (see topology).
            declare_all(self._amqp_uri, self._delivery_limit)
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
        self._save_position(last)
        return last - start + 1
