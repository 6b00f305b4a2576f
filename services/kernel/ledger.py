"""The tamper-evident chain: each stored event carries SM3(previous hash ‖ its own content)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from uuid import UUID

GENESIS = bytes(32)


def sm3(data: bytes) -> bytes:
    """SM3 (GB/T 32905) from OpenSSL where it has it, else from the cryptography package."""
    try:
        return hashlib.new("sm3", data).digest()
    except ValueError:
        from cryptography.hazmat.primitives import hashes

        digest = hashes.Hash(hashes.SM3())
        digest.update(data)
        return digest.finalize()


def chain_hash(previous: bytes, stream_id: UUID, version: int, topic: str, state: bytes) -> bytes:
    header = f"{stream_id}|{version}|{topic}|".encode()
    return sm3(previous + header + state)


@dataclass(frozen=True)
class StoredRow:
    stream_id: UUID
    version: int
    topic: str
    state: bytes
    stored_hash: bytes | None


@dataclass(frozen=True)
class Break:
    stream_id: UUID
    version: int
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"item_id": str(self.stream_id), "version": self.version, "reason": self.reason}


def verify_rows(rows: Iterable[StoredRow]) -> Iterator[Break]:
    """Walk rows ordered by (stream, version); yield the first break of each broken stream."""
    current: UUID | None = None
    previous = GENESIS
    expected_version = 1
    broken = False
    for row in rows:
        if row.stream_id != current:
            current, previous, expected_version, broken = row.stream_id, GENESIS, 1, False
        if broken:
            continue
        if row.version != expected_version:
            broken = True
            yield Break(row.stream_id, expected_version, "missing event")
            continue
        computed = chain_hash(previous, row.stream_id, row.version, row.topic, row.state)
        if row.stored_hash is None or computed != bytes(row.stored_hash):
            broken = True
            yield Break(row.stream_id, row.version, "hash mismatch")
            continue
        previous = computed
        expected_version += 1
