"""Each service's event store: an eventsourcing Application on PostgreSQL, with our additions.

The recorder below adds, inside the library's own insert transaction:
- the SM3 hash chain per stream (column `chain_hash`),
- the consumer's record of the message it is processing (table `processed_messages`), so
  effects and "processed" commit together or not at all,
- an optional in-transaction projection (an index a timer scans, a read model row).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder, StoredEvent, Transcoding
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from services.kernel.config import DatabaseAddress
from services.kernel.ledger import GENESIS, StoredRow, chain_hash, verify_rows

Projection = Callable[[Cursor[DictRow]], None]


@dataclass(frozen=True)
class ProcessedMessage:
    origin: str
    stream_id: UUID
    stream_version: int
    event_id: UUID


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class ChainedRecorder(PostgresApplicationRecorder):
    """The library's recorder, plus hash chain, processed-message record and projection."""

    def _insert_events(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        *,
        processed: ProcessedMessage | None = None,
        projection: Projection | None = None,
        **kwargs: Any,
    ) -> None:
        if processed is not None:
            curs.execute(
                SQL(
                    "INSERT INTO {}.processed_messages "
                    "(origin, stream_id, stream_version, event_id) VALUES (%s, %s, %s, %s)"
                ).format(Identifier(self.datastore.schema)),
                (
                    processed.origin,
                    processed.stream_id,
                    processed.stream_version,
                    processed.event_id,
                ),
            )
        if projection is not None:
            projection(curs)

    def _lock_table(self, curs: Cursor[DictRow]) -> None:
        # The library takes LOCK TABLE ... EXCLUSIVE so that commit order equals notification
        # order; PostgreSQL grants that lock only with UPDATE/DELETE/TRUNCATE privilege, which
        # our role must not have. Every writer inserts through this recorder, so a transaction
        # advisory lock on the table's name serialises them just the same.
        curs.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))",
            (f"{self.datastore.schema}.{self.events_table_name}",),
        )

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        # The lock also serialises hash computation per stream.
        self._lock_table(curs)
        previous = self._previous_hashes(curs, stored_events)
        hashes: list[bytes] = []
        for e in stored_events:
            h = chain_hash(
                previous.get(e.originator_id, GENESIS),
                UUID(str(e.originator_id)),
                e.originator_version,
                e.topic,
                e.state,
            )
            previous[e.originator_id] = h
            hashes.append(h)
        curs.execute(
            SQL(
                "INSERT INTO {schema}.{table} "
                "(originator_id, originator_version, topic, state, chain_hash) "
                "SELECT * FROM unnest(%s::uuid[], %s::bigint[], %s::text[], %s::bytea[], "
                "%s::bytea[]) RETURNING notification_id"
            ).format(
                schema=Identifier(self.datastore.schema),
                table=Identifier(self.events_table_name),
            ),
            (
                [e.originator_id for e in stored_events],
                [e.originator_version for e in stored_events],
                [e.topic for e in stored_events],
                [e.state for e in stored_events],
                hashes,
            ),
        )

    def _previous_hashes(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent]
    ) -> dict[Any, bytes]:
        firsts: dict[Any, int] = {}
        for e in stored_events:
            firsts.setdefault(e.originator_id, e.originator_version)
        wanted = [(sid, v - 1) for sid, v in firsts.items() if v > 1]
        if not wanted:
            return {}
        curs.execute(
            SQL(
                "SELECT originator_id, chain_hash FROM {schema}.{table} "
                "WHERE (originator_id, originator_version) IN "
                "(SELECT * FROM unnest(%s::uuid[], %s::bigint[]))"
            ).format(
                schema=Identifier(self.datastore.schema),
                table=Identifier(self.events_table_name),
            ),
            ([w[0] for w in wanted], [w[1] for w in wanted]),
        )
        return {row["originator_id"]: bytes(row["chain_hash"]) for row in curs.fetchall()}

    def processed_versions(self, origin: str, stream_id: UUID, versions: list[int]) -> set[int]:
        """Which of `versions` of one upstream stream this service has processed."""
        with self.datastore.get_connection() as conn:
            rows = conn.execute(
                SQL(
                    "SELECT stream_version FROM {}.processed_messages "
                    "WHERE origin = %s AND stream_id = %s AND stream_version = ANY(%s)"
                ).format(Identifier(self.datastore.schema)),
                (origin, stream_id, versions),
            ).fetchall()
        return {r["stream_version"] for r in rows}

    def chain_rows(self, stream_id: UUID | None = None) -> list[StoredRow]:
        where = SQL(" WHERE originator_id = %s") if stream_id else SQL("")
        query = (
            SQL(
                "SELECT originator_id, originator_version, topic, state, chain_hash "
                "FROM {schema}.{table}"
            ).format(
                schema=Identifier(self.datastore.schema),
                table=Identifier(self.events_table_name),
            )
            + where
            + SQL(" ORDER BY originator_id, originator_version")
        )
        with self.datastore.get_connection() as conn:
            rows = conn.execute(query, (stream_id,) if stream_id else ()).fetchall()
        return [
            StoredRow(
                r["originator_id"],
                r["originator_version"],
                r["topic"],
                bytes(r["state"]),
                r["chain_hash"],
            )
            for r in rows
        ]


# Aggregates a service process keeps after loading them; a cached one is brought up to date
# with the events stored after it (other copies may have saved some) before each use, and
# commands work on a copy.
AGGREGATE_CACHE_SIZE = 1000


def store_env(
    database_url: str, schema: str, pool_size: int = 4, cache_size: int = AGGREGATE_CACHE_SIZE
) -> dict[str, str]:
    """`cache_size` 0: every load replays from the store."""
    db = DatabaseAddress.parse(database_url)
    cache = {"AGGREGATE_CACHE_MAXSIZE": str(cache_size)} if cache_size > 0 else {}
    return {
        **cache,
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "APPLICATION_RECORDER_TOPIC": "services.kernel.store:ChainedRecorder",
        "POSTGRES_DBNAME": db.dbname,
        "POSTGRES_HOST": db.host,
        "POSTGRES_PORT": str(db.port),
        "POSTGRES_USER": db.user,
        "POSTGRES_PASSWORD": db.password,
        "POSTGRES_SCHEMA": schema,
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": str(pool_size),
        "POSTGRES_CONN_MAX_AGE": "600",
        "CREATE_TABLE": "n",
    }


class LedgerApplication(Application[UUID]):
    """Base of every service's application: its own schema, chained and append-only."""

    name: ClassVar[str]
    on_saved: Callable[[], None] | None = None  # lets the outbox relay wake at once

    def _notify(self, recordings: list[Any]) -> None:
        super()._notify(recordings)
        if recordings and self.on_saved is not None:
            self.on_saved()

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    @property
    def ledger(self) -> ChainedRecorder:
        assert isinstance(self.recorder, ChainedRecorder)
        return self.recorder

    def processed_versions(self, origin: str, stream_id: UUID, versions: list[int]) -> set[int]:
        return self.ledger.processed_versions(origin, stream_id, versions)

    def verify_ledger(self) -> list[dict[str, object]]:
        return [b.as_dict() for b in verify_rows(self.ledger.chain_rows())]

    def events_table(self) -> str:
        return self.ledger.events_table_name
