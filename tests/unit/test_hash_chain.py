"""The SM3 chain names the first changed or missing event of a stream."""

from __future__ import annotations

from uuid import uuid4

from services.kernel.ledger import GENESIS, StoredRow, chain_hash, sm3, verify_rows


def chained(stream, states: list[bytes]) -> list[StoredRow]:
    rows, previous = [], GENESIS
    for version, state in enumerate(states, start=1):
        previous = chain_hash(previous, stream, version, "topic", state)
        rows.append(StoredRow(stream, version, "topic", state, previous))
    return rows


def test_sm3_matches_the_standards_example():
    # GB/T 32905-2016, example 1: SM3("abc")
    expected = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert sm3(b"abc").hex() == expected


def test_an_intact_chain_verifies():
    assert list(verify_rows(chained(uuid4(), [b"a", b"b", b"c"]))) == []


def test_a_changed_event_is_named_by_stream_and_version():
    stream = uuid4()
    rows = chained(stream, [b"a", b"b", b"c"])
    rows[1] = StoredRow(stream, 2, "topic", b"forged", rows[1].stored_hash)
    breaks = list(verify_rows(rows))
    assert [(b.stream_id, b.version, b.reason) for b in breaks] == [(stream, 2, "hash mismatch")]


def test_a_missing_event_is_named():
    stream = uuid4()
    rows = chained(stream, [b"a", b"b", b"c"])
    del rows[1]
    assert [(b.version, b.reason) for b in verify_rows(rows)] == [(2, "missing event")]
