"""Rebuild the item facts from the item events, and every quarter scores the same.

    python -m services.scoring.rebuild

Runs while the system runs: the facts are locked for the rebuild, and every event replayed is
marked processed in the same transaction, so a message still in the inbox for one of them is
recognised as already applied. Published results live in scoring's own event store and are
never touched.
"""

from __future__ import annotations

import sys

import psycopg

from services.kernel.config import DatabaseAddress, Settings
from services.kernel.eventlog import follow
from services.scoring.projections import UPSERT, fact_of, params

BATCH = 1000


def rebuild(settings: Settings) -> int:
    """Returns how many events were replayed into the facts."""
    replayed = 0
    with follow(settings.database_url, "assignment") as log:
        conninfo = DatabaseAddress.parse(settings.database_url).conninfo()
        with psycopg.connect(conninfo) as conn, conn.transaction(), conn.cursor() as curs:
            curs.execute("LOCK TABLE scoring.item_facts IN EXCLUSIVE MODE")
            curs.execute("DELETE FROM scoring.item_facts")
            start = 1
            while True:
                envelopes, last = log.read(start, BATCH)
                if last < start:
                    break
                rows, marks = [], []
                for envelope in envelopes:
                    if (fact := fact_of(envelope)) is not None:
                        rows.append(params(envelope, fact))
                    marks.append(
                        ("assignment", envelope.item_id, envelope.stream_version, envelope.event_id)
                    )
                curs.executemany(UPSERT, rows)
                curs.executemany(
                    "INSERT INTO scoring.processed_messages"
                    " (origin, stream_id, stream_version, event_id) VALUES (%s, %s, %s, %s)"
                    " ON CONFLICT DO NOTHING",
                    marks,
                )
                replayed += len(envelopes)
                start = last + 1
    return replayed


def main() -> int:
    count = rebuild(Settings.from_env())
    print(f"item facts rebuilt from {count} events")
    return 0


if __name__ == "__main__":
    sys.exit(main())
