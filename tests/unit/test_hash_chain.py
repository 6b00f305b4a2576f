"""The SM3 chain names the first changed or missing event of a stream."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from services.kernel import ledger
from services.kernel.ledger import (
    GENESIS,
    Break,
    Sm3,
    StoredRow,
    chain_hash,
    cryptography_sm3,
    openssl_sm3,
    sm3,
    verify_rows,
)


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


STREAM = UUID("6f1c1d6e-3b8e-4c55-9a8f-2f0d5a0c9e11")
RECEIVED = "services.assignment.domain:Item.ItemReceived"
ASSIGNED = "services.assignment.domain:Item.Assigned"


def test_the_chain_hash_matches_known_answers():
    """Vectors computed once with the cryptography package's SM3 over the documented layout:
    previous hash ‖ "<stream>|<version>|<topic>|" ‖ state. Leaving out the previous hash,
    the stream, the version or the topic changes them."""
    first = chain_hash(GENESIS, STREAM, 1, RECEIVED, b'{"title":"a"}')
    assert first.hex() == "0ef92f59b641935cbb5bb3e055e63b184cf332313810d2eaea77356c7641b646"
    second = chain_hash(first, STREAM, 2, ASSIGNED, b'{"lead_unit":"water"}')
    assert second.hex() == "5c2b68bee932aa61f346847ccf6733255ddd0c9545e55cc5b8e1164a1fa17ab8"


def test_a_rewritten_event_with_its_own_hash_recomputed_is_named_by_the_next_link():
    """A forger who recomputes the changed event's hash (the function is public) but not the
    rest of the chain is caught where the next event's hash no longer follows."""
    rows = chained(STREAM, [b"a", b"b", b"c"])
    forged_hash = chain_hash(rows[0].stored_hash, STREAM, 2, "topic", b"forged")
    rows[1] = StoredRow(STREAM, 2, "topic", b"forged", forged_hash)
    assert [(b.version, b.reason) for b in verify_rows(rows)] == [(3, "hash mismatch")]


def test_an_event_moved_to_another_stream_or_topic_does_not_verify():
    rows = chained(STREAM, [b"a"])
    other = uuid4()
    moved = [StoredRow(other, 1, "topic", b"a", rows[0].stored_hash)]
    assert [(b.stream_id, b.reason) for b in verify_rows(moved)] == [(other, "hash mismatch")]
    retyped = [StoredRow(STREAM, 1, "other-topic", b"a", rows[0].stored_hash)]
    assert [b.reason for b in verify_rows(retyped)] == ["hash mismatch"]


def test_without_openssl_s_sm3_the_cryptography_package_s_is_used(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setattr(ledger, "OPENSSL_NAME", "no-such-algorithm")
    with pytest.raises(ValueError):
        openssl_sm3(b"abc")
    expected = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert sm3(b"abc").hex() == expected


def test_both_sm3_implementations_give_the_standard_s_answer():
    expected = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert cryptography_sm3(b"abc").hex() == expected
    assert openssl_sm3(b"abc").hex() == expected  # this machine's OpenSSL has SM3


def test_each_broken_stream_is_named_once_at_its_first_break():
    first, second, intact = uuid4(), uuid4(), uuid4()
    streams = {
        first: chained(first, [b"a", b"b", b"c", b"d"]),
        second: chained(second, [b"a", b"b", b"c"]),
        intact: chained(intact, [b"a", b"b"]),
    }
    del streams[first][1]  # version 2 missing, 3 and 4 follow
    streams[second][0] = StoredRow(second, 1, "topic", b"forged", streams[second][0].stored_hash)
    rows = [row for s in sorted(streams, key=str) for row in streams[s]]
    breaks = {(b.stream_id, b.version, b.reason) for b in verify_rows(rows)}
    assert breaks == {(first, 2, "missing event"), (second, 1, "hash mismatch")}


def test_a_stream_that_does_not_start_at_version_one_is_missing_its_first_event():
    stream = uuid4()
    rows = chained(stream, [b"a", b"b"])[1:]
    assert [(b.version, b.reason) for b in verify_rows(rows)] == [(1, "missing event")]


def test_a_row_without_a_stored_hash_is_a_break():
    stream = uuid4()
    rows = chained(stream, [b"a"])
    rows[0] = StoredRow(stream, 1, "topic", b"a", None)
    assert [b.reason for b in verify_rows(rows)] == ["hash mismatch"]


def test_a_break_is_reported_by_item_and_version():
    stream = uuid4()
    assert Break(stream, 3, "missing event").as_dict() == {
        "item_id": str(stream),
        "version": 3,
        "reason": "missing event",
    }


@pytest.mark.parametrize("openssl", [True, False])
def test_sm3_fed_in_pieces_is_sm3_of_the_whole(openssl: bool, monkeypatch: pytest.MonkeyPatch):
    if not openssl:
        monkeypatch.setattr(ledger, "OPENSSL_NAME", "no-such-algorithm")
    data = bytes(range(256)) * 1000
    hasher = Sm3()
    for start in range(0, len(data), 7000):
        hasher.update(data[start : start + 7000])
    assert hasher.digest() == cryptography_sm3(data)
