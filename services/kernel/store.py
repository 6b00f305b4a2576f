"""Each service's event store: an eventsourcing Application on PostgreSQL, with our additions.

The recorder below adds, inside its insert transaction (the library's, without pipeline mode):
- the SM3 hash chain per stream (column `chain_hash`),
- the consumer's record of the message it is processing (table `processed_messages`), so
  effects and "processed" commit together or not at all,
- an optional in-transaction projection (an index a timer scans, a read model row).

`MemoryRecorder` does the same on the library's in-memory store, so an application runs
without PostgreSQL in fast tests (`memory_env()`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property, partial
from typing import Any, ClassVar, Generic, TypeVar
from uuid import UUID

from eventsourcing.application import Application, Repository
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    IntegrityError,
    InterfaceError,
    JSONTranscoder,
    OperationalError,
    StoredEvent,
    Transcoding,
    UUIDAsHex,
)
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from services.kernel.config import DatabaseAddress
from services.kernel.ledger import GENESIS, StoredRow, chain_hash, verify_rows

# A change made in the same transaction as the events it follows: given the insert's cursor
# on PostgreSQL, None on the in-memory store (where a port's in-memory table ignores it).
Projection = Callable[[Cursor[DictRow] | None], None]
K = TypeVar("K")
V = TypeVar("V")


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


def transcoder() -> JSONTranscoder:
    """How every service encodes its events' state: the library's defaults and dates."""
    t = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO()):
        t.register(transcoding)
    return t


def event_type(topic: str) -> str:
    """A stored event's type name from its topic ("module:Aggregate.Type" -> "Type")."""
    return topic.rsplit(".", 1)[-1]


class Recent(Generic[K, V]):
    """What a process remembers of facts that never change once committed (a stream's hash
    at a version, a message processed), bounded: the least recently used go first."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        if len(self._items) > self._size:
            self._items.popitem(last=False)

    def forget(self, key: K) -> None:
        self._items.pop(key, None)


class ChainedRecorder(PostgresApplicationRecorder):
    """The library's recorder, plus hash chain, processed-message record and projection."""

    @cached_property
    def _statements(self) -> dict[str, str]:
        """Our statements, composed once (composing on every call costs more than running)."""
        names = {
            "schema": Identifier(self.datastore.schema),
            "table": Identifier(self.events_table_name),
        }
        queries = {
            "processed": "INSERT INTO {schema}.processed_messages"
            " (origin, stream_id, stream_version, event_id) VALUES (%s, %s, %s, %s)",
            "insert": "INSERT INTO {schema}.{table}"
            " (originator_id, originator_version, topic, state, chain_hash)"
            " SELECT * FROM unnest(%s::uuid[], %s::bigint[], %s::text[], %s::bytea[],"
            " %s::bytea[]) RETURNING notification_id",
            "previous": "SELECT originator_id, originator_version, chain_hash"
            " FROM {schema}.{table} WHERE (originator_id, originator_version) IN"
            " (SELECT * FROM unnest(%s::uuid[], %s::bigint[]))",
            "processed_versions": "SELECT stream_version FROM {schema}.processed_messages"
            " WHERE origin = %s AND stream_id = %s AND stream_version = ANY(%s)",
            "stream_versions": "SELECT originator_id, max(originator_version) AS v"
            " FROM {schema}.{table} WHERE originator_id = ANY(%s) GROUP BY originator_id",
            "published_before": "SELECT originator_id, max(originator_version) AS v"
            " FROM {schema}.{table} WHERE originator_id = ANY(%s) AND notification_id < %s"
            " AND substring(topic from '[^.]+$') = ANY(%s) GROUP BY originator_id",
        }
        return {k: SQL(q).format(**names).as_string() for k, q in queries.items()}

    @cached_property
    def _tips(self) -> Recent[tuple[Any, int], bytes]:
        """(stream, version) -> chain hash of rows this process committed: the next append to
        the stream needs no query for its predecessor's hash."""
        return Recent()

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The library's insert transaction, statement by statement: for our few statements
        its pipeline mode costs twice the CPU (more syncs and waits than statements)."""
        hashes: dict[tuple[Any, int], bytes] = {}
        ids = None
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            self._insert_events(curs, stored_events, **kwargs)
            if stored_events:
                self._insert_stored_events(curs, stored_events, hashes=hashes, **kwargs)
                ids = self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        for key, h in hashes.items():  # committed
            self._tips.put(key, h)
        return ids

    def _insert_events(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        *,
        processed: ProcessedMessage | None = None,
        projection: Projection | None = None,
        **kwargs: Any,
    ) -> None:
        # The projection first: a read-model rebuild locks the read model and then marks what
        # it replayed as processed, so a consumer must wait on the read model before it marks
        # anything itself, or the two deadlock. A repeat still fails on the mark's primary key
        # and the projection's effect rolls back with it.
        if projection is not None:
            projection(curs)
        if processed is not None:
            curs.execute(
                self._statements["processed"],
                (
                    processed.origin,
                    processed.stream_id,
                    processed.stream_version,
                    processed.event_id,
                ),
            )

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
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        *,
        hashes: dict[tuple[Any, int], bytes] | None = None,
        **kwargs: Any,
    ) -> None:
        # The lock also serialises hash computation per stream.
        self._lock_table(curs)
        previous = self._previous_hashes(curs, stored_events)
        chain: list[bytes] = []
        for e in stored_events:
            h = chain_hash(
                previous.get(e.originator_id, GENESIS),
                UUID(str(e.originator_id)),
                e.originator_version,
                e.topic,
                e.state,
            )
            previous[e.originator_id] = h
            chain.append(h)
            if hashes is not None:
                hashes[(e.originator_id, e.originator_version)] = h
        curs.execute(
            self._statements["insert"],
            (
                [e.originator_id for e in stored_events],
                [e.originator_version for e in stored_events],
                [e.topic for e in stored_events],
                [e.state for e in stored_events],
                chain,
            ),
        )

    def _previous_hashes(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent]
    ) -> dict[Any, bytes]:
        firsts: dict[Any, int] = {}
        for e in stored_events:
            firsts.setdefault(e.originator_id, e.originator_version)
        known: dict[Any, bytes] = {}
        wanted = []
        for sid, v in firsts.items():
            if v > 1:
                h = self._tips.get((sid, v - 1))
                if h is None:
                    wanted.append((sid, v - 1))
                else:
                    known[sid] = h
        if wanted:
            curs.execute(
                self._statements["previous"],
                ([w[0] for w in wanted], [w[1] for w in wanted]),
            )
            for row in curs.fetchall():
                h = bytes(row["chain_hash"])
                known[row["originator_id"]] = h
                self._tips.put((row["originator_id"], row["originator_version"]), h)
        return known

    def processed_versions(self, origin: str, stream_id: UUID, versions: list[int]) -> set[int]:
        """Which of `versions` of one upstream stream this service has processed."""
        with self.datastore.get_connection() as conn:
            rows = conn.execute(
                self._statements["processed_versions"], (origin, stream_id, versions)
            ).fetchall()
        return {r["stream_version"] for r in rows}

    def stream_versions(self, stream_ids: list[UUID]) -> dict[UUID, int]:
        """The current version of each stream that exists."""
        with self.datastore.get_connection() as conn:
            rows = conn.execute(self._statements["stream_versions"], (stream_ids,)).fetchall()
        return {r["originator_id"]: r["v"] for r in rows}

    def published_before(
        self, stream_ids: list[UUID], position: int, types: Sequence[str]
    ) -> dict[UUID, int]:
        """Each stream's last event of one of `types` stored before notification `position`."""
        with self.datastore.get_connection() as conn:
            rows = conn.execute(
                self._statements["published_before"], (stream_ids, position, list(types))
            ).fetchall()
        return {r["originator_id"]: r["v"] for r in rows}

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


class MemoryRecorder(POPOApplicationRecorder):
    """The library's in-memory recorder with ChainedRecorder's additions: the hash chain, the
    processed-message record and the projection, all or nothing under one lock."""

    def __init__(self) -> None:
        super().__init__()
        self._hashes: dict[tuple[UUID, int], bytes] = {}
        self._processed: dict[tuple[str, UUID, int], UUID] = {}

    def insert_events(
        self,
        stored_events: Sequence[StoredEvent],
        *,
        processed: ProcessedMessage | None = None,
        projection: Projection | None = None,
        **kwargs: Any,
    ) -> Sequence[int] | None:
        with self._database_lock:
            mark = processed and (processed.origin, processed.stream_id, processed.stream_version)
            if mark and mark in self._processed:
                raise IntegrityError(f"message already processed: {mark}")
            self._assert_uniqueness(stored_events)
            if projection is not None:
                projection(None)
            ids = self._update_table(stored_events)
            for e in stored_events:
                stream = UUID(str(e.originator_id))
                previous = self._hashes.get((stream, e.originator_version - 1), GENESIS)
                self._hashes[(stream, e.originator_version)] = chain_hash(
                    previous, stream, e.originator_version, e.topic, e.state
                )
            if mark:
                self._processed[mark] = processed.event_id
        self._notify_listeners()
        return ids

    def processed_versions(self, origin: str, stream_id: UUID, versions: list[int]) -> set[int]:
        with self._database_lock:
            return {v for v in versions if (origin, stream_id, v) in self._processed}

    def marks(self) -> dict[tuple[str, UUID, int], UUID]:
        """Every processed message's (origin, stream, version) and event id."""
        with self._database_lock:
            return dict(self._processed)

    def stream_versions(self, stream_ids: list[UUID]) -> dict[UUID, int]:
        with self._database_lock:
            return {
                sid: max(index)
                for sid in stream_ids
                if (index := self._stored_events_index.get(str(sid)))
            }

    def published_before(
        self, stream_ids: list[UUID], position: int, types: Sequence[str]
    ) -> dict[UUID, int]:
        wanted, found = {str(s) for s in stream_ids}, {}
        with self._database_lock:
            for e in self._stored_events[: position - 1]:
                if str(e.originator_id) in wanted and event_type(e.topic) in types:
                    found[UUID(str(e.originator_id))] = e.originator_version
        return found

    def chain_rows(self, stream_id: UUID | None = None) -> list[StoredRow]:
        with self._database_lock:
            rows = [
                StoredRow(
                    UUID(str(e.originator_id)),
                    e.originator_version,
                    e.topic,
                    e.state,
                    self._hashes[(UUID(str(e.originator_id)), e.originator_version)],
                )
                for e in self._stored_events
                if stream_id is None or str(e.originator_id) == str(stream_id)
            ]
        return sorted(rows, key=lambda r: (str(r.stream_id), r.version))


class MemoryFactory(POPOFactory):
    def application_recorder(self) -> MemoryRecorder:
        return MemoryRecorder()


def memory_env() -> dict[str, str]:
    """An application's settings for the in-memory store (fast tests)."""
    return {"PERSISTENCE_MODULE": "services.kernel.store:MemoryFactory"}


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


def replay(aggregate: Any, events: Iterable[Any]) -> Any:
    """Applies each event in turn: the library's projector, without its per-event
    `isinstance` check against a runtime-checkable Protocol, which took a third of the time
    to rebuild an item from its events."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class LedgerApplication(Application[UUID]):
    """Base of every service's application: its own schema, chained and append-only."""

    name: ClassVar[str]
    on_saved: Callable[[], None] | None = None  # lets the outbox relay wake at once

    def _notify(self, recordings: list[Any]) -> None:
        super()._notify(recordings)
        if recordings and self.on_saved is not None:
            self.on_saved()

    def construct_transcoder(self) -> JSONTranscoder:
        return transcoder()

    def construct_repository(self) -> Repository[UUID]:
        repository = super().construct_repository()
        # a caller that names its own projector (the library's snapshotting does) still can
        repository.get = partial(repository.get, projector_func=replay)  # type: ignore[method-assign]
        return repository

    @property
    def ledger(self) -> ChainedRecorder | MemoryRecorder:
        assert isinstance(self.recorder, ChainedRecorder | MemoryRecorder)
        return self.recorder

    def processed_versions(self, origin: str, stream_id: UUID, versions: list[int]) -> set[int]:
        return self.ledger.processed_versions(origin, stream_id, versions)

    @cached_property
    def applied(self) -> Recent[tuple[str, UUID], int]:
        """(origin, stream) -> the last version this process applied and committed."""
        return Recent()

    def verify_ledger(self) -> list[dict[str, object]]:
        return [b.as_dict() for b in verify_rows(self.ledger.chain_rows())]
