"""The tamper-evident chain: each stored event carries SM3(previous hash ‖ its own content)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby
from uuid import UUID

GENESIS = bytes(32)


OPENSSL_NAME = "sm3"  # OpenSSL's name of the algorithm (it ignores case)


def openssl_sm3(data: bytes) -> bytes:
    """SM3 from OpenSSL (raises ValueError where OpenSSL was built without it)."""
    return hashlib.new(OPENSSL_NAME, data).digest()


def cryptography_sm3(data: bytes) -> bytes:
    """SM3 from the cryptography package, which has it everywhere."""
    from cryptography.hazmat.primitives import hashes

    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


class Sm3:
    """SM3 fed piece by piece, so a file is hashed as it streams past: OpenSSL's where it has
    it, else the cryptography package's, as `sm3`."""

    def __init__(self) -> None:
        try:
            openssl = hashlib.new(OPENSSL_NAME)
            self._update, self._digest = openssl.update, openssl.digest
        except ValueError:
            from cryptography.hazmat.primitives import hashes

            fallback = hashes.Hash(hashes.SM3())
            self._update, self._digest = fallback.update, fallback.finalize

    def update(self, data: bytes) -> None:
        self._update(data)

    def digest(self) -> bytes:
        return self._digest()


def sm3(data: bytes) -> bytes:
    """SM3 (GB/T 32905) from OpenSSL where it has it, else from the cryptography package."""
    try:
        return openssl_sm3(data)
    except ValueError:
        return cryptography_sm3(data)


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
    for stream_id, stream in groupby(rows, key=lambda row: row.stream_id):
        found = first_break(stream_id, stream)
        if found is not None:
            yield found


def first_break(stream_id: UUID, rows: Iterable[StoredRow]) -> Break | None:
    """The first missing or changed event of one stream's rows, in version order."""
    previous = GENESIS
    for expected, row in enumerate(rows, start=1):
        if row.version != expected:
            return Break(stream_id, expected, "missing event")
        computed = chain_hash(previous, stream_id, row.version, row.topic, row.state)
        if row.stored_hash is None or computed != bytes(row.stored_hash):
            return Break(stream_id, row.version, "hash mismatch")
        previous = computed
    return None
