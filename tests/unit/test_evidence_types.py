"""An evidence file's type is told from its bytes, never its name: OFD packages, plain text and
short videos are accepted beside photos and documents, within their size limits, and anything
else is refused with the list of what is accepted."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from gateway import limits
from gateway.evidence import CHUNK, HEAD, LocalEvidenceStore, Sniffer
from services.kernel.errors import Refused

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ACCEPTED = (
    "文件：只接受照片（JPEG、PNG）、PDF 文件、OFD 版式文件、Word 文档、Excel 表格、"
    "纯文本（UTF-8 或 GB18030 编码）、短视频（MP4、MOV，至多 100 MB），"
    "请转换为其中一种格式后重新上传"
)
TEXT = "关于城区道路供暖管网改造的情况说明\r\n一、现场核查：已完成。\n"


def package(*parts: tuple[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts:
            z.writestr(name, data)
    return out.getvalue()


def ofd(*before: tuple[str, bytes]) -> bytes:
    """An OFD package as GB/T 33190 lays it out: OFD.xml at the root names the document."""
    return package(
        *before,
        ("OFD.xml", b'<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" Version="1.0"/>'),
        ("Doc_0/Document.xml", b"<ofd:Document/>"),
        ("Doc_0/Pages/Page_0/Content.xml", b"<ofd:Page/>"),
    )


def box(kind: bytes, payload: bytes) -> bytes:
    return (8 + len(payload)).to_bytes(4, "big") + kind + payload


def iso_media(major: bytes, *compatible: bytes) -> bytes:
    """An ISO base media file: the ftyp box naming its brands, then the media data."""
    ftyp = box(b"ftyp", major + b"\x00\x00\x02\x00" + b"".join(compatible))
    return ftyp + box(b"mdat", bytes(range(256)) * 4)


def type_of(data: bytes, chunk: int = CHUNK) -> str:
    """The type, with the bytes fed as an upload streams them: the head, then chunks."""
    sniffer = Sniffer(data[:HEAD])
    sniffer.check()
    for start in range(HEAD, len(data), chunk):
        sniffer.feed(data[start : start + chunk])
        sniffer.check()
    return sniffer.content_type()


def refused(data: bytes) -> Refused:
    with pytest.raises(Refused) as caught:
        type_of(data)
    return caught.value


def test_an_ofd_package_is_told_by_the_ofd_xml_at_its_root():
    assert type_of(ofd()) == "application/ofd"


def test_an_ofd_whose_root_part_comes_last_is_told_by_its_zip_directory():
    pages = [(f"Doc_0/Pages/Page_{n}/Res/image.png", os.urandom(4096)) for n in range(40)]
    data = ofd(*pages)
    assert b"OFD.xml" not in data[:HEAD]  # the first bytes alone cannot tell
    assert type_of(data) == "application/ofd"


def test_a_word_document_is_word_and_never_ofd():
    docx = package(
        ("[Content_Types].xml", b"<Types/>"),
        ("_rels/.rels", b"<Relationships/>"),
        ("word/document.xml", b"<w:document/>"),
    )
    assert type_of(docx) == DOCX


@pytest.mark.parametrize(
    "parts",
    [
        [("report.txt", b"x")],  # any zip
        [("Doc_0/OFD.xml", b"<ofd:OFD/>")],  # OFD.xml not at the root
        [("ofd.xml.bak", b"<ofd:OFD/>")],
    ],
)
def test_a_zip_without_ofd_xml_at_its_root_is_refused(parts: list[tuple[str, bytes]]):
    refusal = refused(package(*parts))
    assert (refusal.code, refusal.status) == ("file_type_not_allowed", 415)
    assert refusal.message_zh == ACCEPTED
    assert refusal.message_en == "file type application/zip not allowed"


def test_a_zip_that_names_ofd_xml_only_in_its_first_bytes_is_refused():
    """A local file header naming OFD.xml and no directory to list it: no package at all."""
    data = ofd()
    assert type_of(data) == "application/ofd"
    truncated = data[: data.rindex(b"PK\x01\x02")]
    assert refused(truncated).code == "file_type_not_allowed"


def test_mp4_and_mov_videos_are_told_by_their_ftyp_box():
    assert type_of(iso_media(b"isom", b"isom", b"iso2", b"avc1", b"mp41")) == "video/mp4"
    assert type_of(iso_media(b"mp42", b"mp42", b"isom")) == "video/mp4"
    assert type_of(iso_media(b"qt  ", b"qt  ")) == "video/quicktime"


@pytest.mark.parametrize(
    ("encoding", "charset"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8"), ("gb18030", "gb18030")]
)
def test_plain_text_is_served_with_the_charset_its_bytes_decode_as(encoding: str, charset: str):
    assert type_of(TEXT.encode(encoding)) == f"text/plain; charset={charset}"


def test_a_character_split_between_chunks_is_still_text():
    data = ("供暖" * 5000).encode("utf-8")
    assert type_of(data, chunk=1001) == "text/plain; charset=utf-8"
    assert type_of(("供暖" * 5000).encode("gb18030"), chunk=1001) == "text/plain; charset=gb18030"


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-16"),  # text, but neither UTF-8 nor GB18030: it has NULs
        b"\x7fELF\x02\x01\x01" + os.urandom(4096),
        bytes(range(256)) * 64,
        b"\x80\xff\xfe\xfd" * 100,  # no control byte, but decodes as neither
        b"\x1b[31m" + b"red" * 10,  # a control character
    ],
)
def test_binary_junk_is_refused_with_every_accepted_kind(data: bytes):
    refusal = refused(data)
    assert (refusal.code, refusal.status, refusal.message_zh) == (
        "file_type_not_allowed",
        415,
        ACCEPTED,
    )


def test_text_that_turns_binary_after_its_first_bytes_is_refused():
    data = TEXT.encode() * 400 + b"\x00\x01\x02" + TEXT.encode()
    assert len(TEXT.encode() * 400) > HEAD
    assert refused(data).code == "file_type_not_allowed"


def test_an_empty_file_is_refused():
    refusal = refused(b"")
    assert (refusal.code, refusal.message_zh) == (
        "empty_file",
        "文件：内容为空，请选择要上传的文件",
    )


# --- the store --------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> LocalEvidenceStore:
    return LocalEvidenceStore(tmp_path)


def kept(store: LocalEvidenceStore) -> list[Path]:
    return [p for p in store.root.rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (ofd(), "application/ofd"),
        (TEXT.encode("gb18030"), "text/plain; charset=gb18030"),
        (iso_media(b"qt  ", b"qt  "), "video/quicktime"),
    ],
)
def test_a_stored_file_is_read_back_byte_for_byte_in_its_type(
    store: LocalEvidenceStore, data: bytes, content_type: str
):
    stored = store.put(io.BytesIO(data), "现场.bin")
    assert (stored.size, stored.content_type) == (len(data), content_type)
    described, chunks = store.download(stored.sha)
    assert described.content_type == content_type
    assert b"".join(chunks) == data


def test_a_video_may_be_larger_than_any_other_file(
    store: LocalEvidenceStore, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(limits, "EVIDENCE_BYTES", 64 * limits.KiB)
    monkeypatch.setattr(limits, "VIDEO_BYTES", 256 * limits.KiB)
    video = iso_media(b"mp42", b"mp42") + os.urandom(200 * limits.KiB)
    assert store.put(io.BytesIO(video), "现场.mp4").size == len(video)

    with pytest.raises(Refused) as too_long:
        store.put(io.BytesIO(video + os.urandom(60 * limits.KiB)), "现场.mp4")
    assert (too_long.value.status, too_long.value.message_zh) == (
        413,
        "视频超过 256 KB 上限，请剪短或压缩后重新上传",
    )

    with pytest.raises(Refused) as text:
        store.put(io.BytesIO(TEXT.encode() * 1000), "说明.txt")
    assert (text.value.status, text.value.message_zh) == (
        413,
        "文件超过 64 KB 上限，请压缩或拆分后重新上传",
    )
    assert len(kept(store)) == 1  # the one video; nothing of the refused ones


def test_a_refused_upload_leaves_nothing_in_the_store(store: LocalEvidenceStore):
    for data in (package(("a.txt", b"x")), TEXT.encode() * 400 + b"\x00"):
        with pytest.raises(Refused):
            store.put(io.BytesIO(data), "x")
    assert kept(store) == []
