"""Evidence files (photos, PDFs, office documents), stored by their SM3 content hash.

The hash is the file's name in the store and is recorded in the item's event, so a file that
changes after upload no longer matches and is refused on download.
"""

from __future__ import annotations

import os
import tempfile
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

import filetype

from services.kernel.errors import Refused
from services.kernel.ledger import sm3

MAX_BYTES = 20 * 1024 * 1024
ALLOWED_TYPES = {
    "image/jpeg": "照片",
    "image/png": "照片",
    "application/pdf": "PDF 文件",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word 文档",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel 表格",
    "application/msword": "Word 文档",
    "application/vnd.ms-excel": "Excel 表格",
}


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


def sniff(data: bytes) -> str:
    """The file's type from its bytes; refuses anything not on the allowed list."""
    if len(data) > MAX_BYTES:
        raise Refused(
            "file_too_large",
            f"文件超过 {MAX_BYTES // 1024 // 1024} MB 上限",
            f"file larger than {MAX_BYTES} bytes",
            413,
        )
    if not data:
        raise Refused("empty_file", "文件为空", "empty file")
    kind = filetype.guess(data)
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
    def _read(self, sha: str) -> bytes | None: ...

    @abstractmethod
    def _write(self, sha: str, data: bytes, content_type: str) -> None: ...

    def put(self, data: bytes, name: str) -> StoredFile:
        content_type = sniff(data)
        sha = sm3(data).hex()
        self._write(sha, data, content_type)
        return StoredFile(sha, name, len(data), content_type)

    def describe(self, sha: str, name: str) -> StoredFile:
        """The record of a stored file, after checking it still matches its hash."""
        data = self.get(sha)
        return StoredFile(sha, name, len(data), sniff(data))

    def get(self, sha: str) -> bytes:
        data = self._read(sha)
        if data is None:
            raise Refused("file_not_found", "文件不存在", "file not found", 404)
        if sm3(data).hex() != sha:
            raise Refused(
                "file_tampered",
                "文件内容与登记时的哈希不一致，可能已被篡改",
                "the stored file no longer matches its recorded hash",
                409,
            )
        return data


class LocalEvidenceStore(EvidenceStore):
    """A folder of files named by content hash (the default store)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha: str) -> Path:
        return self.root / sha[:2] / sha

    def _read(self, sha: str) -> bytes | None:
        path = self.path(sha)
        return path.read_bytes() if path.is_file() else None

    def _write(self, sha: str, data: bytes, content_type: str) -> None:
        path = self.path(sha)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        # write then rename, so a reader never sees half a file
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
            tmp.write(data)
        os.replace(tmp.name, path)


class S3EvidenceStore(EvidenceStore):
    """A bucket of an S3-compatible object store (MinIO, a cloud's object storage)."""

    def __init__(self, bucket: str, endpoint_url: str | None) -> None:
        import boto3
        from botocore.exceptions import ClientError

        self._client = boto3.client("s3", endpoint_url=endpoint_url)
        self._missing = ClientError
        self.bucket = bucket

    def _read(self, sha: str) -> bytes | None:
        try:
            return self._client.get_object(Bucket=self.bucket, Key=f"{sha[:2]}/{sha}")[
                "Body"
            ].read()
        except self._missing:
            return None

    def _write(self, sha: str, data: bytes, content_type: str) -> None:
        self._client.put_object(
            Bucket=self.bucket, Key=f"{sha[:2]}/{sha}", Body=data, ContentType=content_type
        )


def evidence_store(url: str, local_dir: Path) -> EvidenceStore:
    """`s3://bucket` (endpoint from S3_ENDPOINT_URL) or, by default, the local folder."""
    if url.startswith("s3://"):
        return S3EvidenceStore(
            url.removeprefix("s3://").strip("/"), os.environ.get("S3_ENDPOINT_URL")
        )
    return LocalEvidenceStore(local_dir)
