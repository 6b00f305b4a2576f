"""What the fault suite checks after every fault, straight from the stores and the broker."""

from __future__ import annotations

from collections import Counter
from datetime import date

import psycopg

from services.intake.domain import submission_id
from services.kernel.contracts import CONTRACTS
from services.kernel.deadletters import count as dead_letter_counts
from services.kernel.verify import verify_all


def _kind(topic: str) -> str:
    return topic.rsplit(".", 1)[-1]


class Audit:
    """Compares the system's state with what the load asked for; `problems` lists every
    difference, so an empty list means the fault lost, doubled and broke nothing."""

    def __init__(self, conninfo: str, amqp_uri: str) -> None:
        self.conninfo = conninfo
        self.amqp_uri = amqp_uri
        self.dead_letters_expected = {"assignment": 0, "deadline": 0, "reporting": 0}

    def problems(
        self, refs: list[str], ids: list[str], due: date, overdue_marked: bool = False
    ) -> list[str]:
        found: list[str] = []
        expected_ids = {str(submission_id("hotline", ref)) for ref in refs}
        if set(ids) != expected_ids:
            found.append(f"{len(expected_ids - set(ids))} tickets registered without an item id")
        ids = sorted(expected_ids)
        with psycopg.connect(self.conninfo) as conn:
            per_service = {
                schema: Counter(
                    (str(item), _kind(topic))
                    for item, topic in conn.execute(
                        f"SELECT originator_id, topic FROM {schema}.{schema}_events"
                        " WHERE originator_id = ANY(%s::uuid[])",
                        (ids,),
                    )
                )
                for schema in ("intake", "assignment", "deadline")
            }
            expected_once = {
                "intake": ("ItemReceived",),
                "assignment": ("ItemReceived", "Assigned", "DeadlineSet"),
                "deadline": ("ClockOpened", "DeadlineSet"),
            }
            for schema, kinds in expected_once.items():
                for kind in kinds:
                    wrong = [i for i in ids if per_service[schema][(i, kind)] != 1]
                    if wrong:
                        found.append(f"{schema}: {len(wrong)} items without exactly one {kind}")
            for schema in ("assignment", "deadline"):
                doubled = [i for i in ids if per_service[schema][(i, "Overdue")] > 1]
                if doubled:
                    found.append(f"{schema}: Overdue doubled on {len(doubled)} items")
                if overdue_marked:
                    missing = [i for i in ids if per_service[schema][(i, "Overdue")] == 0]
                    if missing:
                        found.append(f"{schema}: Overdue missing on {len(missing)} items")
            # what each service shared: events with a contract (a clock's own steps stay home)
            stored = {
                schema: sum(n for (_, kind), n in per_service[schema].items() if kind in CONTRACTS)
                for schema in ("intake", "assignment", "deadline")
            }
            handled = {
                (consumer, origin): conn.execute(
                    f"SELECT count(*) FROM {consumer}.processed_messages"
                    " WHERE origin = %s AND stream_id = ANY(%s::uuid[])",
                    (origin, ids),
                ).fetchone()[0]
                for consumer, origin in (
                    ("deadline", "assignment"),
                    ("reporting", "assignment"),
                    ("assignment", "deadline"),
                )
            }
            for (consumer, origin), n in handled.items():
                if n != stored[origin]:
                    found.append(f"{consumer} handled {n} of {origin}'s {stored[origin]} events")
            received = conn.execute(
                "SELECT count(*) FROM assignment.processed_messages"
                " WHERE origin = 'intake' AND stream_id = ANY(%s::uuid[])",
                (ids,),
            ).fetchone()[0]
            if received != len(ids):
                found.append(f"assignment handled {received} of {len(ids)} ItemReceived")
            rows = conn.execute(
                "SELECT r.due_date, r.version, (SELECT max(originator_version)"
                "  FROM assignment.assignment_events e WHERE e.originator_id = r.item_id)"
                " FROM reporting.items r WHERE r.item_id = ANY(%s::uuid[])",
                (ids,),
            ).fetchall()
            if len(rows) != len(ids):
                found.append(f"read model has {len(rows)} of {len(ids)} items")
            wrong_due = [r for r in rows if r[0] != due]
            if wrong_due:
                found.append(f"{len(wrong_due)} due dates are not {due}: {wrong_due[:3]}")
            stale = [r for r in rows if r[1] != r[2]]
            if stale:
                found.append(f"{len(stale)} read-model rows behind their item")
            broken = verify_all(conn)
            if any(broken.values()):
                found.append(f"hash chains broken: {broken}")
        dead = dead_letter_counts(self.amqp_uri)
        if dead != self.dead_letters_expected:
            found.append(f"dead letters {dead}, expected {self.dead_letters_expected}")
        return found
