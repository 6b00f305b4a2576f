"""Every input has a size limit, refused in Chinese naming the limit, with nothing stored; and
no error of the gateway is anything but JSON."""

from __future__ import annotations

import io
import re
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
import requests
from openpyxl import Workbook

from deploy.stack import Stack, free_port
from gateway import limits
from tests.client import Client, unique_ref
from tests.stores import Stores

pytestmark = pytest.mark.integration

MiB = 1024 * 1024
PNG_HEAD = bytes.fromhex("89504e470d0a1a0a0000000d49484452")
PROPOSAL_HEADER = ["编号", "类别", "提出人", "标题", "内容"]
BODY_TOO_LONG = "请求体超过 256 KB 上限，请精简内容后重新提交"
TOO_MANY_ROWS = "表格超过 20000 行上限（不含表头），请拆分为几个表格分别导入"
TOO_MANY_COLUMNS = "表格超过 50 列上限，请删去模板以外的列"


@pytest.fixture
def stores(admin_conninfo: str, stack: Stack) -> Iterator[Stores]:
    with psycopg.connect(admin_conninfo, autocommit=True) as conn:
        yield Stores(conn, stack.settings.evidence_dir, stack.settings.amqp_uri)


@pytest.fixture
def unchanged(stores: Stores) -> Iterator[None]:
    """The test's requests leave every store as it was (half-written evidence files included)."""
    before = stores.snapshot()
    yield
    assert stores.snapshot() == before


def refusal(response: requests.Response, status: int, message: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["message"] == message
    assert body["message_en"]
    return body


def send(client: Client, method: str, path: str, **kwargs: Any) -> requests.Response:
    """On a connection of its own: the gateway refuses a long body without reading it, and then
    closes the connection it came on."""
    headers = {**client.session.headers, **kwargs.pop("headers", {})}
    return requests.request(
        method, f"{client.base_url}{path}", headers=headers, timeout=120, **kwargs
    )


def upload(
    client: Client, path: str, data: bytes | Iterator[bytes], **params: Any
) -> requests.Response:
    if isinstance(data, bytes):
        return send(client, "POST", path, params=params, files={"file": ("file.bin", data)})
    # a generator is sent chunked: no Content-Length to check before reading
    form = {"Content-Type": "multipart/form-data; boundary=b"}
    return send(client, "POST", path, params=params, data=data, headers=form)


def chunked_form(data: bytes) -> Iterator[bytes]:
    yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n'
    for start in range(0, len(data), MiB):
        yield data[start : start + MiB]
    yield b"\r\n--b--\r\n"


# --- request size --------------------------------------------------------------------------


def test_a_json_body_over_the_limit_is_refused_before_it_is_read(
    supervisor: Client, unchanged: None
):
    body = {"source": "instruction", "title": "超长", "content": "x" * limits.JSON_BYTES}
    refusal(send(supervisor, "POST", "/api/v1/items", json=body), 413, BODY_TOO_LONG)
    chunks = (b"x" * 65536 for _ in range(5))  # sent chunked: counted while it is read
    json_type = {"Content-Type": "application/json"}
    chunked = send(supervisor, "POST", "/api/v1/items", data=chunks, headers=json_type)
    refusal(chunked, 413, BODY_TOO_LONG)


def test_a_route_that_reads_no_body_refuses_a_long_one(supervisor: Client):
    item = supervisor.register(title="签收无请求体", external_ref=unique_ref())
    supervisor.assign(item["id"], "water")
    path = f"/api/v1/items/{item['id']}/acknowledge"
    huge = send(supervisor, "POST", path, data=b"x" * (limits.JSON_BYTES + 1))
    refusal(huge, 413, BODY_TOO_LONG)
    assert supervisor.item(item["id"])["status"] == "assigned"


class Declared:
    """A multipart body that declares `length` bytes and sends only its first few: a request
    refused by its Content-Length alone never needs the rest."""

    def __init__(self, length: int) -> None:
        self.length = length

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[bytes]:
        yield next(chunked_form(PNG_HEAD))


def test_an_upload_over_the_limit_is_refused_and_nothing_is_kept(handler_factory, unchanged: None):
    handler = handler_factory("water")
    message = "文件超过 20 MB 上限，请压缩或拆分后重新上传"
    one_over = PNG_HEAD + b"\0" * (limits.EVIDENCE_BYTES + 1 - len(PNG_HEAD))
    # A photo past its 20 MB comes in a request a video may be as long as: counted while it
    # streams to the store, and what was begun removed; sent chunked, the same.
    refusal(upload(handler, "/api/v1/files", one_over), 413, message)
    refusal(upload(handler, "/api/v1/files", chunked_form(one_over + b"\0" * MiB)), 413, message)
    # longer than a video may be: by its Content-Length, before the body is read
    form = {"Content-Type": "multipart/form-data; boundary=b"}
    declared = Declared(limits.VIDEO_BYTES + limits.FORM_BYTES + 1)
    refusal(
        send(handler, "POST", "/api/v1/files", data=declared, headers=form),
        413,
        "文件超过 100 MB 上限，请压缩或拆分后重新上传",
    )


# --- spreadsheets --------------------------------------------------------------------------


def workbook(fill: Callable[[Any], None]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(PROPOSAL_HEADER)
    fill(sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def a_row(sheet: Any, number: int = 2, author: str = "") -> None:
    """A proposal in row `number`; without an author it is refused (422), so a sheet read to
    the end imports nothing."""
    for column, value in enumerate(["1", "建议", author, "标题", "内容"], start=1):
        sheet.cell(row=number, column=column, value=value)


def edited(xlsx: bytes, edit: Callable[[str], str]) -> bytes:
    """The workbook with its first sheet's XML edited, as a crafted file would be."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as source, zipfile.ZipFile(out, "w") as target:
        for part in source.infolist():
            data = source.read(part)
            if part.filename == "xl/worksheets/sheet1.xml":
                data = edit(data.decode()).encode()
            target.writestr(part, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def with_rows(rows: str) -> Callable[[str], str]:
    """Adds rows, as XML, at the end of the sheet."""
    return lambda xml: xml.replace("</sheetData>", f"{rows}</sheetData>")


def proposals(supervisor: Client, data: bytes) -> tuple[requests.Response, float]:
    year = 2090  # a year nothing else imports
    started = time.monotonic()
    response = upload(supervisor, "/api/v1/imports/proposals", data, session_year=year)
    return response, time.monotonic() - started


def read_to_the_end(response: requests.Response, rows: list[int]) -> None:
    assert response.status_code == 422, response.text
    assert [r["row"] for r in response.json()["rows"]] == rows


def test_a_workbook_over_the_file_limit_is_refused(supervisor: Client, unchanged: None):
    message = "文件超过 10 MB 上限，请压缩或拆分后重新上传"
    over = workbook(a_row).ljust(limits.XLSX_BYTES + 1, b"\0")
    refusal(proposals(supervisor, over + b"\0" * MiB)[0], 413, message)  # by Content-Length
    refusal(proposals(supervisor, over)[0], 413, message)  # by the file's own size


def test_a_sheet_is_refused_past_its_last_row_and_column(supervisor: Client, unchanged: None):
    last = limits.XLSX_ROWS + 1  # as Excel numbers it, below the header
    read_to_the_end(proposals(supervisor, workbook(lambda s: a_row(s, last)))[0], [last])
    too_long = workbook(lambda s: a_row(s, last + 1))
    refusal(proposals(supervisor, too_long)[0], 413, TOO_MANY_ROWS)

    def widest(sheet: Any) -> None:
        a_row(sheet)
        sheet.cell(row=2, column=limits.XLSX_COLUMNS, value="第五十列")

    read_to_the_end(proposals(supervisor, workbook(widest))[0], [2])

    def too_wide(sheet: Any) -> None:
        a_row(sheet)
        sheet.cell(row=2, column=limits.XLSX_COLUMNS + 1, value="多一列")

    refusal(proposals(supervisor, workbook(too_wide))[0], 413, TOO_MANY_COLUMNS)

    # an empty cell in the last column Excel has, in every row: refused at the first
    rows = "".join(f'<row r="{n}"><c r="XFD{n}" s="0"/></row>' for n in range(3, 20_000))
    far_right = edited(workbook(a_row), with_rows(rows))
    response, seconds = proposals(supervisor, far_right)
    refusal(response, 413, TOO_MANY_COLUMNS)
    assert seconds < 5


def declaring(size: str) -> Callable[[str], str]:
    return lambda xml: re.sub(r"<dimension [^>]*/>", f'<dimension ref="{size}"/>', xml)


def test_a_sheet_s_declared_size_is_not_trusted(supervisor: Client, unchanged: None):
    def two_rows(sheet: Any) -> None:
        a_row(sheet, 2)
        a_row(sheet, 3)

    rows = workbook(two_rows)
    # declared smaller than it is: every row is read all the same
    read_to_the_end(proposals(supervisor, edited(rows, declaring("A1:A1")))[0], [2, 3])
    # declared as big as Excel allows: read as the rows it has
    huge = edited(rows, declaring("A1:XFD1048576"))
    assert len(huge) < 20_000
    response, seconds = proposals(supervisor, huge)
    read_to_the_end(response, [2, 3])
    assert seconds < 5

    stray = '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    far = edited(huge, with_rows(stray))
    response, seconds = proposals(supervisor, far)
    refusal(response, 413, TOO_MANY_ROWS)
    assert seconds < 5


def test_a_workbook_that_unpacks_past_the_limit_is_refused_unopened(
    supervisor: Client, unchanged: None
):
    bomb = edited(workbook(a_row), with_rows(" " * (limits.XLSX_UNPACKED_BYTES + 1)))
    assert len(bomb) < 200_000
    refusal(
        proposals(supervisor, bomb)[0],
        413,
        "表格解压后超过 50 MB 上限，请删去图片和多余的工作表，或拆分为几个表格分别导入",
    )


# --- JSON ----------------------------------------------------------------------------------


def test_too_deep_a_document_is_a_400_naming_the_limit(supervisor: Client, unchanged: None):
    message = "请求体：JSON 嵌套超过 32 层上限，请减少嵌套层数"
    for document in (
        "[" * 100_000,  # beyond what Python's parser can follow
        '{"source": "special", "title": "t", "content": "c", "details": '
        + '{"a": ' * limits.JSON_DEPTH
        + "1"
        + "}" * limits.JSON_DEPTH
        + "}",
    ):
        response = supervisor.request(
            "POST", "/api/v1/items", data=document, headers={"Content-Type": "application/json"}
        )
        body = refusal(response, 400, f"请求有误，请修改后重新提交：{message}")
        assert [f["message"] for f in body["fields"]] == [message]


# --- every error is JSON -------------------------------------------------------------------


def test_what_http_itself_refuses_is_json(stack: Stack):
    url = stack.gateway_url
    refusal(requests.get(f"{url}/no/such/page", timeout=10), 404, "资源不存在")
    wrong_method = requests.delete(f"{url}/api/v1/items", timeout=10)
    refusal(wrong_method, 405, "不支持的请求方法")
    assert set(wrong_method.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    # refused by gunicorn before the app sees them
    long_url = requests.get(f"{url}/api/v1/items?group={'x' * 5000}", timeout=10)
    refusal(long_url, 414, "请求地址过长")
    long_header = requests.get(f"{url}/healthz", headers={"X-Long": "x" * 9000}, timeout=10)
    refusal(long_header, 431, "请求头过大")


# --- the test clock ------------------------------------------------------------------------


def test_only_the_office_moves_the_test_clock(stack: Stack, handler_factory, supervisor: Client):
    path = "/api/v1/_test/clock"
    body = {"now": "2026-11-02T09:00:00+08:00"}
    anonymous = requests.post(f"{stack.gateway_url}{path}", json=body, timeout=10)
    refusal(anonymous, 401, "未登录或登录已过期，请重新登录")
    refusal(
        handler_factory("water").post(path, body),
        403,
        "无权执行此操作：此操作仅限督查室，如确需办理请联系督查室",
    )
    assert supervisor.set_clock(body["now"])["now"].startswith("2026-11-02T01:00:00")


# --- no free database connection ----------------------------------------------------------


@pytest.fixture(scope="module")
def small_pool_gateway(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second gateway on the same stack whose read model has one connection, and waits half
    a second for it."""
    env = {**stack.env, "GATEWAY_POOL_SIZE": "1", "GATEWAY_POOL_WAIT_SECONDS": "0.5"}
    gateway = Stack(env, tmp_path_factory.mktemp("small-pool"))
    port = free_port()
    gateway.start_gateway(port=port)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _answers(url):
            gateway.check_alive()
            assert time.monotonic() < deadline, "the second gateway did not start"
            time.sleep(0.2)
        yield url
    finally:
        gateway.stop()


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=2).ok
    except (requests.ConnectionError, requests.Timeout):
        # a worker still booting on a loaded machine: not answering yet
        return False


@contextmanager
def one_connection_held(
    gateway: str, headers: dict[str, str], stores: Stores, admin_conninfo: str
) -> Iterator[list[requests.Response]]:
    """The small-pool gateway's one connection held by a read that waits for the read model's
    table, locked here; yields the list that read's answer is put in (at the lock timeout).
    The lock is taken once the services are quiet: none of them waits for it."""
    stores.settle()
    waited: list[requests.Response] = []

    def read() -> None:
        waited.append(requests.get(f"{gateway}/api/v1/items", headers=headers, timeout=30))

    with psycopg.connect(admin_conninfo) as lock:
        lock.execute("LOCK TABLE reporting.items IN ACCESS EXCLUSIVE MODE")
        waiting = threading.Thread(target=read)
        waiting.start()
        time.sleep(0.5)  # it has the one connection and waits for the lock
        yield waited
        waiting.join()
        lock.rollback()


def test_no_free_connection_and_a_lock_that_does_not_come_are_503(
    small_pool_gateway: str, supervisor: Client, stores: Stores, admin_conninfo: str
):
    headers = dict(supervisor.session.headers)
    with one_connection_held(small_pool_gateway, headers, stores, admin_conninfo) as waited:
        started = time.monotonic()
        no_connection = requests.get(f"{small_pool_gateway}/api/v1/items", headers=headers)
        assert time.monotonic() - started < 2
    assert len(waited) == 1
    for response in (no_connection, *waited):
        refusal(response, 503, "服务暂不可用，请稍后重试")
        assert response.headers["Retry-After"] == "5"
    assert requests.get(f"{small_pool_gateway}/api/v1/items", headers=headers).ok


def test_a_503_is_not_kept_for_its_idempotency_key(
    small_pool_gateway: str,
    supervisor: Client,
    handler_factory,
    stores: Stores,
    admin_conninfo: str,
):
    item = supervisor.register(title="重试签收", external_ref=unique_ref())
    supervisor.assign(item["id"], "water")
    handler = handler_factory("water")
    headers = {**handler.session.headers, "Idempotency-Key": unique_ref("key")}
    acknowledge = f"{small_pool_gateway}/api/v1/items/{item['id']}/acknowledge"
    with one_connection_held(small_pool_gateway, headers, stores, admin_conninfo):
        # a handler's command reads the item first, to see that it may: no connection
        first = requests.post(acknowledge, headers=headers, timeout=30)
    refusal(first, 503, "服务暂不可用，请稍后重试")
    again = requests.post(acknowledge, headers=headers, timeout=30)
    assert again.status_code == 200, again.text  # run, not the 503 answered again
    assert "Idempotent-Replayed" not in again.headers
    kept = requests.post(acknowledge, headers=headers, timeout=30)
    assert (kept.status_code, kept.content) == (200, again.content)
