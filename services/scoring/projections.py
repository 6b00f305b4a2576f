"""The item facts read model: what scoring keeps of each item's events, in stream order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import psycopg
from psycopg.rows import DictRow

from services.kernel.contracts import Envelope
from services.kernel.dates import business_date
from services.kernel.store import Projection
from services.scoring.domain import FACT_FIELDS, Fact

# What an event does to `open`: an item closed, cancelled or merged stops its lateness; one
# reopened may run late again.
STOPS = frozenset({"Closed", "Rectified", "ItemCancelled", "ItemMerged"})
UPSERT = (
    "INSERT INTO scoring.item_facts AS f (item_id, version, facts, first_on, last_on, open)"
    " VALUES (%(item)s, %(version)s, jsonb_build_array(%(fact)s::jsonb), %(on)s, %(on)s,"
    " coalesce(%(open)s, true))"
    " ON CONFLICT (item_id) DO UPDATE SET version = excluded.version,"
    " facts = f.facts || excluded.facts, first_on = least(f.first_on, excluded.first_on),"
    " last_on = greatest(f.last_on, excluded.last_on), open = coalesce(%(open)s, f.open)"
)


def fact_of(envelope: Envelope) -> Fact | None:
    """The fact scoring keeps of an item event, or None for an event it does not read."""
    fields = FACT_FIELDS.get(envelope.type)
    if fields is None:
        return None
    data = envelope.contract().model_dump(mode="json")
    return Fact(
        envelope.stream_version,
        envelope.type,
        business_date(envelope.occurred_at),
        {name: data.get(name) for name in fields},
    )


def params(envelope: Envelope, fact: Fact) -> dict[str, Any]:
    opens = False if fact.type in STOPS else (True if fact.type == "Reopened" else None)
    return {
        "item": envelope.item_id,
        "version": envelope.stream_version,
        "fact": json.dumps(fact.as_json(), ensure_ascii=False),
        "on": fact.on,
        "open": opens,
    }


def fact_row(envelope: Envelope) -> Projection | None:
    fact = fact_of(envelope)
    if fact is None:
        return None
    values = params(envelope, fact)

    def project(curs: psycopg.Cursor[DictRow] | None) -> None:
        assert curs is not None, "scoring keeps its facts in PostgreSQL"
        curs.execute(UPSERT, values)

    return project


def items_between(conninfo: str, first: date, last: date) -> Iterator[tuple[str, list[Fact]]]:
    """Every item with facts that may count between `first` and `last`, by id."""
    with psycopg.connect(conninfo) as conn, conn.cursor(name="quarter") as curs:
        curs.itersize = 5000
        curs.execute(
            "SELECT item_id::text, facts FROM scoring.item_facts"
            " WHERE first_on <= %s AND (open OR last_on >= %s) ORDER BY item_id",
            (last, first),
        )
        for item_id, facts in curs:
            yield item_id, [Fact.from_json(f) for f in facts]
