"""Evidence the county actually has (issue 13, point 13): OFD documents, plain text and short
videos are uploaded, kept and downloaded byte for byte in the type their bytes show, and served
so that no browser runs or re-reads them; a unit attaches only files it may read."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
import requests

from deploy.stack import Stack
from gateway import limits
from tests.client import Client, unique_ref
from tests.integration.test_sources import PNG

pytestmark = pytest.mark.integration

ACCEPTED = (
    "文件：只接受照片（JPEG、PNG）、PDF 文件、OFD 版式文件、Word 文档、Excel 表格、"
    "纯文本（UTF-8 或 GB18030 编码）、短视频（MP4、MOV，至多 100 MB），"
    "请转换为其中一种格式后重新上传"
)


SAFE_HEADERS = (
    "Content-Type",
    "Content-Disposition",
    "X-Content-Type-Options",
    "Content-Security-Policy",
    "X-Content-SM3",
)


def ofd_package() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("OFD.xml", '<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"/>')
        z.writestr("Doc_0/Document.xml", "<ofd:Document/>")
        z.writestr("Doc_0/Pages/Page_0/Content.xml", "<ofd:Page>整改通知书</ofd:Page>")
    return out.getvalue()


def mp4(payload: int) -> bytes:
    """An MP4 as a phone writes it: the ftyp box (brands isom, avc1: H.264), then the media."""
    ftyp = b"\x00\x00\x00\x1cftypisom\x00\x00\x02\x00isomiso2avc1"
    return ftyp + (payload + 8).to_bytes(4, "big") + b"mdat" + b"\x5a" * payload


def upload(client: Client, data: bytes, name: str) -> requests.Response:
    return client.session.post(
        f"{client.base_url}/api/v1/files", files={"file": (name, data)}, timeout=120
    )


@pytest.mark.parametrize(
    ("name", "data", "content_type", "disposition"),
    [
        ("整改报告.ofd", ofd_package(), "application/ofd", "attachment"),
        # named as a Word file: the bytes decide
        (
            "情况说明.docx",
            "供暖管网已修复。\n".encode("gb18030"),
            "text/plain; charset=gb18030",
            "inline",
        ),
        ("情况说明.txt", "道路已修复。\n".encode(), "text/plain; charset=utf-8", "inline"),
        ("现场.mp4", mp4(4096), "video/mp4", "inline"),
    ],
)
def test_an_upload_is_kept_and_downloaded_byte_for_byte_in_its_type(
    handler_factory, name: str, data: bytes, content_type: str, disposition: str
):
    water = handler_factory("water")
    stored = upload(water, data, name)
    assert stored.status_code == 201, stored.text
    sha = stored.json()["sha"]
    assert stored.json() == {
        "sha": sha,
        "name": name,
        "size": len(data),
        "content_type": content_type,
    }
    download = water.get(f"/api/v1/files/{sha}")
    assert download.status_code == 200
    assert download.content == data
    extension = {"application/ofd": "ofd", "video/mp4": "mp4"}.get(content_type, "txt")
    assert {h: download.headers[h] for h in SAFE_HEADERS} == {
        "Content-Type": content_type,
        "Content-Disposition": f'{disposition}; filename="{sha}.{extension}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
        "X-Content-SM3": sha,
    }


def test_a_web_page_uploaded_as_evidence_is_served_as_text_never_as_html(handler_factory):
    page = b"<!DOCTYPE html><html><script>fetch('/api/v1/items')</script></html>\n"
    water = handler_factory("water")
    sha = upload(water, page, "通知.html").json()["sha"]
    download = water.get(f"/api/v1/files/{sha}")
    assert download.content == page
    assert download.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_a_video_may_be_larger_than_a_document_but_not_past_its_own_limit(handler_factory):
    water = handler_factory("water")
    video = mp4(limits.EVIDENCE_BYTES + limits.MiB)  # past the 20 MB of every other kind
    stored = upload(water, video, "巡查.mp4")
    assert stored.status_code == 201, stored.text
    assert stored.json()["size"] == len(video)
    assert water.get(f"/api/v1/files/{stored.json()['sha']}").content == video
    pdf = b"%PDF-1.7\n" + b"0" * limits.EVIDENCE_BYTES
    refused = upload(water, pdf, "报告.pdf")
    assert (refused.status_code, refused.json()["message"]) == (
        413,
        "文件超过 20 MB 上限，请压缩或拆分后重新上传",
    )


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("照片.png", b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 8),
        ("文件.ofd", b"PK\x05\x06" + b"\x00" * 18),  # a zip, empty: no OFD.xml at its root
        ("说明.txt", "供暖管网已修复".encode("utf-16")),  # neither UTF-8 nor GB18030
    ],
)
def test_anything_else_is_refused_with_every_kind_that_is_accepted(
    handler_factory, name: str, data: bytes
):
    refused = upload(handler_factory("water"), data, name)
    assert refused.status_code == 415
    assert refused.json()["message"] == ACCEPTED


def test_a_unit_cannot_attach_a_file_it_may_not_read(
    stack: Stack, supervisor: Client, handler_factory
):
    office_photo = upload(supervisor, PNG + b"office only", "督查现场.png").json()["sha"]
    item = supervisor.register(title="附件引用", external_ref=unique_ref("evidence"))
    supervisor.assign(item["id"], "finance")
    finance = handler_factory("finance")
    finance.post(f"/api/v1/items/{item['id']}/acknowledge")
    attached: dict[str, Any] = {
        "content": "已完成",
        "evidence": [{"sha": office_photo, "name": "照片.png"}],
    }
    refused = finance.post(f"/api/v1/items/{item['id']}/feedback", attached)
    missing = finance.post(
        f"/api/v1/items/{item['id']}/feedback",
        {**attached, "evidence": [{"sha": "0" * 64, "name": "照片.png"}]},
    )
    # told the same as for a file that does not exist
    assert (refused.status_code, refused.json()) == (missing.status_code, missing.json())
    assert refused.json()["message"] == "文件不存在：请核对文件的 SM3 哈希，或先上传文件"
    assert finance.get(f"/api/v1/files/{office_photo}").status_code == 404
    assert "FeedbackSubmitted" not in [e["type"] for e in supervisor.history(item["id"])]
