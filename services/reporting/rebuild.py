"""Rebuild the item read model (the ledger) from the item events, and the campaigns from
intake's campaign events, and they come out the same.

    python -m services.reporting.rebuild

Runs while the system runs: the read model is locked for the rebuild, and every event it
includes is marked processed in the same transaction, so a message still in the inbox for one
of them is recognised as already applied.
"""

from __future__ import annotations

import sys

import psycopg

from services.kernel.config import DatabaseAddress, Settings
from services.kernel.eventlog import follow
from services.reporting.projections import CHANNEL, campaign_row, is_campaign_event, item_row

BATCH = 1000


def rebuild(settings: Settings) -> int:
    """Returns how many events were replayed into the read model."""
    replayed = 0
    with (
        follow(settings.database_url, "assignment") as items_log,
        follow(settings.database_url, "intake") as intake_log,
    ):
        conninfo = DatabaseAddress.parse(settings.database_url).conninfo()
        with (
            psycopg.connect(conninfo) as conn,
            conn.transaction(),
            conn.cursor() as curs,
        ):
            curs.execute("LOCK TABLE reporting.items, reporting.campaigns IN EXCLUSIVE MODE")
            curs.execute("DELETE FROM reporting.items")
            curs.execute("DELETE FROM reporting.evidence")
            curs.execute("DELETE FROM reporting.item_search")
            curs.execute("DELETE FROM reporting.campaigns")
            # the processed marks go in by COPY, a batch at a time, instead of a statement each
            curs.execute(
                "CREATE TEMPORARY TABLE rebuilt"
                " (LIKE reporting.processed_messages INCLUDING DEFAULTS) ON COMMIT DROP"
            )
            for log, row in ((items_log, item_row), (intake_log, campaign_row)):
                start = 1
                while True:
                    envelopes, last = log.read(start, BATCH)
                    if last < start:
                        break
                    processed = []
                    with conn.pipeline():  # statements go out without waiting for each answer
                        for envelope in envelopes:
                            if log is intake_log and not is_campaign_event(envelope):
                                continue  # a submission: reporting hears of it from assignment
                            row(envelope)(curs)
                            processed.append(
                                (
                                    log.origin,
                                    envelope.item_id,
                                    envelope.stream_version,
                                    envelope.event_id,
                                )
                            )
                    with curs.copy(
                        "COPY rebuilt (origin, stream_id, stream_version, event_id) FROM STDIN"
                    ) as copy:
                        for mark in processed:
                            copy.write_row(mark)
                    replayed += len(processed)
                    start = last + 1
            curs.execute(
                "INSERT INTO reporting.processed_messages"
                " (origin, stream_id, stream_version, event_id)"
                " SELECT origin, stream_id, stream_version, event_id FROM rebuilt"
                " ON CONFLICT DO NOTHING"
            )
            # one notification for the lot: whoever waits for a row looks again
            curs.execute("SELECT pg_notify(%s, '')", (CHANNEL,))
    return replayed


def main() -> int:
    count = rebuild(Settings.from_env())
    print(f"read model rebuilt from {count} events")
    return 0


if __name__ == "__main__":
    sys.exit(main())
