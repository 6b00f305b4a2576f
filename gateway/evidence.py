"""Evidence files (photos, PDFs, office documents), stored by their SM3 content hash.

The hash is the file's name in the store and is recorded in the item's event, so a file that
changes after upload no longer matches and is refused on download.

No file is ever held in memory whole: an upload's type is told from its first bytes, then it
streams to a temporary file of the store's, hashed and counted on the way and refused as soon
as it passes the size limit, and only a complete file is kept under its hash. Reading a file
back streams it the same way.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

import filetype

from gateway import limits
from services.kernel.errors import Refused
from services.kernel.ledger import Sm3

CHUNK = 64 * 1024
HEAD = 8192  # the first bytes, which tell a file's type (all that filetype looks at)
ALLOWED_TYPES = {
    "image/jpeg": "照片",
    "image/png": "照片",
    "application/pdf": "PDF 文件",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word 文档",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel 表格",
    "application/msword": "Word 文档",
    "application/vnd.ms-excel": "Excel 表格",
}


class Readable(Protocol):
    """A stream of bytes: an uploaded file, a stored one, an S3 object's body."""

    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class StoredFile:
    sha: str
    name: str
    size: int
    content_type: str

    def as_dict(self) -> dict[str, object]:
        return {
            "sha": self.sha,
            "name": self.name,
            "size": self.size,
            "content_type": self.content_type,
        }


def sniff(head: bytes) -> str:
    """The file's type from its first bytes; refuses anything not on the allowed list."""
    if not head:
        raise Refused("empty_file", "文件：内容为空，请重新选择文件", "empty file")
    kind = filetype.guess(head)
    mime = kind.mime if kind else None
    if mime not in ALLOWED_TYPES:
        raise Refused(
            "file_type_not_allowed",
            "只接受照片（JPEG、PNG）、PDF 和 Word、Excel 文档",
            f"file type {mime or 'unknown'} not allowed",
            415,
        )
    return mime


class EvidenceStore(ABC):
    """Files named by content hash; where the bytes live is the subclass's business."""

    @abstractmethod
    def _open(self, sha: str) -> Readable | None:
        """The stored file's bytes, or None if there is no such file."""

    @abstractmethod
    def _staging(self) -> IO[bytes]:
        """A temporary file an upload is copied to, removed when it is closed."""

    @abstractmethod
    def _keep(self, sha: str, staged: IO[bytes], content_type: str) -> None:
        """Keeps the staged file, complete and flushed, under its hash."""

    def put(self, upload: Readable, name: str) -> StoredFile:
        head = upload.read(HEAD)
        content_type = sniff(head)
        digest, size = Sm3(), 0
        with self._staging() as staged:
            chunk = head
            while chunk:
                size += len(chunk)
                if size > limits.EVIDENCE_BYTES:
                    raise limits.too_large("file_too_large", "文件", "file", limits.EVIDENCE_BYTES)
                digest.update(chunk)
                staged.write(chunk)
                chunk = upload.read(CHUNK)
            staged.flush()
            sha = digest.digest().hex()
            self._keep(sha, staged, content_type)
        return StoredFile(sha, name, size, content_type)

    def describe(self, sha: str, name: str) -> StoredFile:
        """The record of a stored file, after checking it still matches its hash."""
        size, head = self._checked(sha)
        return StoredFile(sha, name, size, sniff(head))

    def get(self, sha: str) -> Iterator[bytes]:
        """The stored file in chunks, once it is checked to match its hash."""
        self._checked(sha)
        return self._chunks(sha)

    def _chunks(self, sha: str) -> Iterator[bytes]:
        with contextlib.closing(self._opened(sha)) as stream:
            while chunk := stream.read(CHUNK):
                yield chunk

    def _checked(self, sha: str) -> tuple[int, bytes]:
        """The stored file's size and first bytes; refused if it no longer matches its hash."""
        digest, size = Sm3(), 0
        with contextlib.closing(self._opened(sha)) as stream:
            head = chunk = stream.read(HEAD)
            while chunk:
                digest.update(chunk)
                size += len(chunk)
                chunk = stream.read(CHUNK)
        if digest.digest().hex() != sha:
            raise Refused(
                "file_tampered",
                "文件内容与登记时的哈希不一致，可能已被篡改，请联系系统管理员核查",
                "the stored file no longer matches its recorded hash",
                409,
            )
        return size, head

    def _opened(self, sha: str) -> Readable:
        stream = self._open(sha)
        if stream is None:
            raise Refused("file_not_found", "文件不存在", "file not found", 404)
        return stream


class LocalEvidenceStore(EvidenceStore):
    """A folder of files named by content hash (the default store)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha: str) -> Path:
        return self.root / sha[:2] / sha

    def _open(self, sha: str) -> Readable | None:
        path = self.path(sha)
        return path.open("rb") if path.is_file() else None

    def _staging(self) -> IO[bytes]:
        # in the store's folder, so the finished file gets its name without being copied
        self.root.mkdir(parents=True, exist_ok=True)
        return tempfile.NamedTemporaryFile(dir=self.root, prefix=".upload-")

    def _keep(self, sha: str, staged: IO[bytes], content_type: str) -> None:
        path = self.path(sha)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.fsync(staged.fileno())
        # A second name for the complete file, so a reader never sees half of one; the same
        # bytes stored before keep theirs. The staged name goes when it is closed.
        with contextlib.suppress(FileExistsError):
            os.link(staged.name, path)


class S3EvidenceStore(EvidenceStore):
    """A bucket of an S3-compatible object store (MinIO, a cloud's object storage)."""

    def __init__(self, bucket: str, endpoint_url: str | None) -> None:
        import boto3
        from botocore.exceptions import ClientError

        self._client = boto3.client("s3", endpoint_url=endpoint_url)
        self._missing = ClientError
        self.bucket = bucket

    def _open(self, sha: str) -> Readable | None:
        try:
            return self._client.get_object(Bucket=self.bucket, Key=f"{sha[:2]}/{sha}")["Body"]
        except self._missing:
            return None

    def _staging(self) -> IO[bytes]:
        return tempfile.TemporaryFile()

    def _keep(self, sha: str, staged: IO[bytes], content_type: str) -> None:
        staged.seek(0)
        # botocore reads a file body in chunks to sign and send it
        self._client.put_object(
            Bucket=self.bucket, Key=f"{sha[:2]}/{sha}", Body=staged, ContentType=content_type
        )


def evidence_store(url: str, local_dir: Path) -> EvidenceStore:
    """`s3://bucket` (endpoint from S3_ENDPOINT_URL) or, by default, the local folder."""
    if url.startswith("s3://"):
        return S3EvidenceStore(
            url.removeprefix("s3://").strip("/"), os.environ.get("S3_ENDPOINT_URL")
        )
    return LocalEvidenceStore(local_dir)
