"""Evidence files (photos, PDF and OFD documents, office documents, plain text, short videos),
stored by their SM3 content hash.

The hash is the file's name in the store and is recorded in the item's event, so a file that
changes after upload no longer matches and is refused on download.

No file is ever held in memory whole (of an OFD only its last 1 MiB, where its directory is):
an upload's type is told from its first bytes (for text and OFD, confirmed by the rest), then
it streams to a temporary file of the store's, hashed and counted on the way and refused as
soon as it passes its type's size limit, and only a complete file is kept under its hash.
Reading a file back streams it the same way, and tells its type again from its bytes.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import re
import struct
import tempfile
import zipfile
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

import filetype

from gateway import limits
from services.kernel.errors import Refused
from services.kernel.ledger import Sm3

CHUNK = 64 * 1024
HEAD = 8192  # the first bytes, which tell most types (all that filetype looks at)
# An OFD's zip directory (its list of parts) is read from the file's last bytes: 1 MiB holds
# the directory of some 10,000 parts, far more than a 20 MB document has.
TAIL = 1024 * 1024

OFD = "application/ofd"
TEXT = "text/plain"
ZIP = "application/zip"
# the part at the root of every OFD package (GB/T 33190), its entry point
OFD_ENTRY = "OFD.xml"
# Control bytes no text has (tab, line feed, form feed and carriage return are text). Neither
# UTF-8 nor GB18030 uses a byte below 0x30 inside a multi-byte character, so the raw bytes tell.
NOT_TEXT = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f]")
CHARSETS = ("utf-8", "gb18030")  # the first that decodes every byte is the file's


@dataclass(frozen=True)
class FileType:
    kind: str  # what staff call it, in the refusal that lists every accepted kind
    extension: str  # of the name a download is saved under
    shown: bool = False  # a browser shows it without running anything in it: served inline
    video: bool = False  # has the larger size limit


VIDEO_KIND = f"短视频（MP4、MOV，至多 {limits.size_label(limits.VIDEO_BYTES)}）"
ALLOWED_TYPES = {
    "image/jpeg": FileType("照片（JPEG、PNG）", "jpg", shown=True),
    "image/png": FileType("照片（JPEG、PNG）", "png", shown=True),
    "application/pdf": FileType("PDF 文件", "pdf"),
    OFD: FileType("OFD 版式文件", "ofd"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": FileType(
        "Word 文档", "docx"
    ),
    "application/msword": FileType("Word 文档", "doc"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": FileType(
        "Excel 表格", "xlsx"
    ),
    "application/vnd.ms-excel": FileType("Excel 表格", "xls"),
    TEXT: FileType("纯文本（UTF-8 或 GB18030 编码）", "txt", shown=True),
    "video/mp4": FileType(VIDEO_KIND, "mp4", shown=True, video=True),
    "video/quicktime": FileType(VIDEO_KIND, "mov", shown=True, video=True),
}
ACCEPTED_KINDS = "、".join(dict.fromkeys(t.kind for t in ALLOWED_TYPES.values()))


class Readable(Protocol):
    """A stream of bytes: an uploaded file, a stored one, an S3 object's body."""

    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class StoredFile:
    sha: str
    name: str
    size: int
    content_type: str  # text's with its charset: text/plain; charset=gb18030

    @property
    def file_type(self) -> FileType:
        return ALLOWED_TYPES[self.content_type.partition(";")[0]]

    def as_dict(self) -> dict[str, object]:
        return {
            "sha": self.sha,
            "name": self.name,
            "size": self.size,
            "content_type": self.content_type,
        }


def not_allowed(seen: str) -> Refused:
    return Refused(
        "file_type_not_allowed",
        f"文件：只接受{ACCEPTED_KINDS}，请转换为其中一种格式后重新上传",
        f"file type {seen} not allowed",
        415,
    )


def file_not_found() -> Refused:
    """For a file not in the store and for one the caller may not read alike, so that a hash
    tells nobody whether another unit's file exists."""
    return Refused(
        "file_not_found",
        "文件不存在：请核对文件的 SM3 哈希，或先上传文件",
        "file not found",
        404,
    )


class Sniffer:
    """A file's type from its bytes, fed to it in order as they stream past. Most types are told
    by their first bytes (filetype); an OFD is a zip whose directory lists OFD.xml at its root,
    read from its last bytes; plain text is a file that none of those is and whose every byte
    decodes, as UTF-8 or else GB18030, with no control character in it."""

    def __init__(self, head: bytes) -> None:
        self._empty = not head
        guessed = filetype.guess(head) if head else None
        self._seen = guessed.mime if guessed else "unknown"
        self._mime: str | None = None
        if self._seen in ALLOWED_TYPES:
            self._mime = self._seen
        elif self._seen == ZIP:
            self._mime = OFD  # if its directory says so, at the end
        elif head and not NOT_TEXT.search(head):
            self._mime = TEXT
        self._tail: deque[bytes] = deque()
        self._tail_bytes = 0
        self._decoders = {c: codecs.getincrementaldecoder(c)() for c in CHARSETS}
        self.feed(head)

    @property
    def limit(self) -> int:
        """The most bytes a file of this type may have."""
        video = self._mime is not None and ALLOWED_TYPES[self._mime].video
        return limits.VIDEO_BYTES if video else limits.EVIDENCE_BYTES

    def too_large(self) -> Refused:
        if self.limit == limits.VIDEO_BYTES:
            advice = "请剪短或压缩后重新上传"
            return limits.too_large("file_too_large", "视频", "video", self.limit, advice)
        return limits.too_large("file_too_large", "文件", "file", self.limit)

    def feed(self, chunk: bytes) -> None:
        if self._mime == TEXT:
            self._read_as_text(chunk)
        elif self._mime == OFD:
            self._tail.append(chunk)
            self._tail_bytes += len(chunk)
            while self._tail_bytes - len(self._tail[0]) >= TAIL:
                self._tail_bytes -= len(self._tail.popleft())

    def check(self) -> None:
        """Refuses a file the bytes fed so far already rule out."""
        self._allowed()

    def content_type(self) -> str:
        """The file's type once its last byte is fed; refused if it is none of the allowed."""
        if self._mime == TEXT:
            self._read_as_text(b"", final=True)
        elif self._mime == OFD and OFD_ENTRY not in _zip_directory(b"".join(self._tail)[-TAIL:]):
            self._mime = None
        mime = self._allowed()
        return f"{TEXT}; charset={next(iter(self._decoders))}" if mime == TEXT else mime

    def _allowed(self) -> str:
        if self._empty:
            raise Refused("empty_file", "文件：内容为空，请选择要上传的文件", "empty file")
        if self._mime is None:
            raise not_allowed(self._seen)
        return self._mime

    def _read_as_text(self, chunk: bytes, final: bool = False) -> None:
        if NOT_TEXT.search(chunk):
            self._decoders.clear()
        for charset, decoder in list(self._decoders.items()):
            try:
                decoder.decode(chunk, final)
            except UnicodeDecodeError:
                del self._decoders[charset]
        if not self._decoders:
            self._mime, self._seen = None, "binary (not UTF-8 or GB18030 text)"


def _zip_directory(tail: bytes) -> list[str]:
    """The names a zip's central directory lists, read from the zip's last bytes (Python's
    zipfile finds the directory from the end record, wherever the bytes begin); none if the
    directory is not all in them or is no zip directory."""
    try:
        with zipfile.ZipFile(io.BytesIO(tail)) as package:
            return package.namelist()
    except (zipfile.BadZipFile, ValueError, EOFError, struct.error):
        return []


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
        chunk = upload.read(HEAD)
        sniffer = Sniffer(chunk)
        sniffer.check()
        digest, size = Sm3(), 0
        with self._staging() as staged:
            while chunk:
                size += len(chunk)
                if size > sniffer.limit:
                    raise sniffer.too_large()
                digest.update(chunk)
                staged.write(chunk)
                chunk = upload.read(CHUNK)
                sniffer.feed(chunk)
                sniffer.check()  # text that turns out not to be is refused at once
            content_type = sniffer.content_type()
            staged.flush()
            sha = digest.digest().hex()
            self._keep(sha, staged, content_type)
        return StoredFile(sha, name, size, content_type)

    def describe(self, sha: str, name: str) -> StoredFile:
        """The record of a stored file, after checking it still matches its hash."""
        size, sniffer = self._checked(sha)
        return StoredFile(sha, name, size, sniffer.content_type())

    def download(self, sha: str) -> tuple[StoredFile, Iterator[bytes]]:
        """The stored file's record and its bytes in chunks, once it is checked to match its
        hash (named by the hash: the names it was attached under are the items')."""
        return self.describe(sha, sha), self._chunks(sha)

    def _chunks(self, sha: str) -> Iterator[bytes]:
        with contextlib.closing(self._opened(sha)) as stream:
            while chunk := stream.read(CHUNK):
                yield chunk

    def _checked(self, sha: str) -> tuple[int, Sniffer]:
        """The stored file's size and type (told as at upload); refused if it no longer matches
        its hash."""
        digest, size = Sm3(), 0
        with contextlib.closing(self._opened(sha)) as stream:
            chunk = stream.read(HEAD)
            sniffer = Sniffer(chunk)
            while chunk:
                digest.update(chunk)
                size += len(chunk)
                chunk = stream.read(CHUNK)
                sniffer.feed(chunk)
        if digest.digest().hex() != sha:
            raise Refused(
                "file_tampered",
                "文件内容与登记时的哈希不一致，可能已被篡改，请联系系统管理员核查",
                "the stored file no longer matches its recorded hash",
                409,
            )
        return size, sniffer

    def _opened(self, sha: str) -> Readable:
        stream = self._open(sha)
        if stream is None:
            raise file_not_found()
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
