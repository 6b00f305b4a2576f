"""The console's main journeys, in headless Chromium, as the office and two units use it."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from deploy.stack import Stack
from tests.browser.conftest import PHONE, Browser
from tests.client import Client, unique_ref

pytestmark = pytest.mark.integration

WAIT = 20


def wait(browser: Browser, css: str, text: str | None = None) -> WebElement:
    """The element, once shown (and showing `text`); else fails with what the page shows."""
    waiting = WebDriverWait(browser.driver, WAIT)
    try:
        if text is None:
            return waiting.until(ec.visibility_of_element_located((By.CSS_SELECTOR, css)))
        waiting.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))
    except TimeoutException:
        shown = browser.driver.find_element(By.TAG_NAME, "body").text
        logs = browser.driver.get_log("browser")
        raise AssertionError(
            f"{css} {text!r} not shown; the page shows:\n{shown}\n{logs}"
        ) from None
    return browser.driver.find_element(By.CSS_SELECTOR, css)


def sign_in(browser: Browser, user: str, password: str) -> None:
    browser.open("/login")
    wait(browser, "input[name=username]").send_keys(user)
    browser.driver.find_element(By.CSS_SELECTOR, "input[name=password]").send_keys(password)
    browser.driver.find_element(By.CSS_SELECTOR, "form.login button").click()
    wait(browser, "#who", user)


def fill(form: WebElement, name: str, value: str) -> None:
    field = form.find_element(By.NAME, name)
    if field.tag_name == "select":
        Select(field).select_by_value(value)
    elif field.get_attribute("type") == "date":
        form.parent.execute_script("arguments[0].value = arguments[1]", field, value)
    else:
        field.clear()
        field.send_keys(value)


def command(browser: Browser, title: str) -> WebElement:
    """Opens the item page's form `title` and returns it."""
    wait(browser, "section.actions", title)
    for summary in browser.driver.find_elements(By.CSS_SELECTOR, "details.command summary"):
        if summary.text == title:
            details = summary.find_element(By.XPATH, "..")
            if details.get_attribute("open") is None:
                summary.click()
            return details.find_element(By.TAG_NAME, "form")
    raise AssertionError(f"no form {title!r} on the page")


def submit(browser: Browser, form: WebElement, then_status: str) -> None:
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(browser, "h1 .status", then_status)


def png(path: Path) -> Path:
    """A small real PNG (a site photo)."""
    raw = b"".join(b"\x00" + bytes([200, 30, 30]) * 8 for _ in range(8))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    return path


def test_an_item_from_registration_to_closing(
    stack: Stack, supervisor: Client, browser_factory, tmp_path: Path
):
    password = stack.settings.demo_password
    supervisor.set_clock("2026-09-29T09:00:00+08:00")
    title = f"城关镇老旧小区供暖管网改造 {unique_ref()}"
    closed_before = supervisor.get("/api/v1/reports/dashboard").json()["counts"]["closed"]
    office = browser_factory()
    sign_in(office, "supervisor", password)
    wait(office, "h1", "工作台")
    office.screenshot("dashboard")

    # the office registers a leader's instruction
    office.open("/register")
    form = wait(office, "main form")
    fill(form, "source", "instruction")
    fill(form, "title", title)
    fill(form, "content", "请于国庆前后完成管网排查，确保按期供暖。")
    fill(form, "issued_by", "王县长")
    office.screenshot("register")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(office, "h1 .status", "待交办")
    item_id = office.driver.current_url.rsplit("/", 1)[1]

    # and assigns it, seeing the due date before confirming: 7 working days across the
    # National Day holiday, with Saturday 10 October worked (调休)
    form = command(office, "交办")
    fill(form, "lead_unit", "chengguan")
    form.find_element(By.CSS_SELECTOR, "input[name=co_units][value=water]").click()
    assert wait(office, "p.preview", "2026年10月14日").text == (
        "今天交办，办理时限为 2026年10月14日（7个工作日，7 个工作日）"
    )
    office.screenshot("assign")
    submit(office, form, "已交办")
    assert wait(office, "h1 .badge", "剩余").text == "剩余7个工作日"

    # the unit signs and answers with a photo
    unit = browser_factory()
    sign_in(unit, "handler-chengguan", password)
    wait(unit, "h1", "待办")
    wait(unit, "main", title)
    unit.screenshot("work-queue")
    unit.open(f"/items/{item_id}")
    submit(unit, command(unit, "签收"), "已签收")
    form = command(unit, "办理结果反馈")
    fill(form, "content", "已完成管网排查，更换老旧管道 1.2 公里。")
    form.find_element(By.CSS_SELECTOR, "input[type=file][multiple]").send_keys(
        str(png(tmp_path / "现场照片.png"))
    )
    wait(unit, "ul.files li", "现场照片.png")
    unit.screenshot("answer")
    submit(unit, form, "已反馈")

    # the office returns it, the unit answers again, the office accepts
    office.open(f"/items/{item_id}")
    form = command(office, "审核")
    fill(form, "decision", "return")
    fill(form, "comment", "请补充入户测温记录。")
    submit(office, form, "退回重办")
    unit.open(f"/items/{item_id}")
    form = command(unit, "办理结果反馈")
    fill(form, "content", "已补充 30 户入户测温记录，均达 18℃ 以上。")
    submit(unit, form, "已反馈")
    office.open(f"/items/{item_id}")
    form = command(office, "审核")
    fill(form, "decision", "accept")
    submit(office, form, "已办结")

    # the timeline shows every step, each checked on the hash chain
    steps = [
        e.find_element(By.TAG_NAME, "strong").text
        for e in office.driver.find_elements(By.CSS_SELECTOR, "ol.timeline > li")
    ]
    people = [
        "登记",
        "交办",
        "签收",
        "办理结果反馈",
        "退回重办",
        "办理结果反馈",
        "审核通过",
        "办结",
    ]
    assert [s for s in steps if s in people] == people
    assert "✓ 记录完整" in office.driver.find_element(By.CSS_SELECTOR, ".chain").text
    photo = office.driver.find_element(By.LINK_TEXT, "现场照片.png")
    assert photo.get_attribute("href").startswith(f"{stack.gateway_url}/api/v1/files/")
    office.screenshot("item")

    # the dashboard and the ledger count it
    office.open("/")
    closed = wait(office, "a.stat[href='#/items?status=closed'] strong")
    assert int(closed.text) == closed_before + 1
    office.open("/items?status=closed&unit=chengguan")
    wait(office, "table.items", title)
    office.screenshot("items")
    office.open("/audit")
    assert wait(office, "#ledger-result", "全部记录完整").text == "✓ 全部记录完整，未发现篡改"
    office.screenshot("ledger")

    # a handler of another unit cannot open it, by link either
    other = browser_factory()
    sign_in(other, "handler-xihe", password)
    other.open(f"/items/{item_id}")
    assert wait(other, ".notice.error").text == "事项不存在，或您无权查看"
    other.open("/items")
    wait(other, "#list-summary")
    assert title not in other.driver.find_element(By.TAG_NAME, "main").text


def test_a_finding_registered_offline_on_a_phone_arrives_once(
    stack: Stack, supervisor: Client, browser_factory, tmp_path: Path
):
    supervisor.set_clock("2026-09-29T09:00:00+08:00")
    phone = browser_factory(PHONE)
    sign_in(phone, "supervisor", stack.settings.demo_password)
    phone.open("/finding")
    form = wait(phone, "form.phone")
    wait(phone, "main section h2", "本机待发送（0）")
    phone.driver.set_network_conditions(
        offline=True, latency=0, download_throughput=0, upload_throughput=0
    )
    title = f"河道垃圾未清理 {unique_ref()}"
    fill(form, "title", title)
    fill(form, "content", "东川镇段河道两岸堆放生活垃圾约 20 处。")
    fill(form, "place", "东川镇河滨路 3 号桥下")
    fill(form, "due_date", "2026-10-14")
    form.find_element(By.NAME, "photos").send_keys(str(png(tmp_path / "河道.png")))
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(phone, "main section h2", "本机待发送（1）")
    phone.screenshot("finding-offline")

    phone.driver.set_network_conditions(
        offline=False, latency=0, download_throughput=500_000, upload_throughput=500_000
    )
    phone.driver.execute_script("window.dispatchEvent(new Event('online'))")
    wait(phone, "main section h2", "本机待发送（0）")
    found = supervisor.get("/api/v1/items", source="finding", limit=500).json()["items"]
    mine = [i for i in found if i["title"] == title]
    assert len(mine) == 1, (
        phone.driver.find_element(By.TAG_NAME, "body").text,
        phone.driver.get_log("browser"),
    )
    received = supervisor.history(mine[0]["id"])[0]["data"]
    assert received["due_date"] == "2026-10-14"
    assert received["details"] == {"place": "东川镇河滨路 3 号桥下"}
    assert [f["name"] for f in received["evidence"]] == ["河道.png"]


def test_a_leader_issues_an_instruction_and_commends_the_unit(
    stack: Stack, supervisor: Client, browser_factory
):
    supervisor.set_clock("2026-09-29T09:00:00+08:00")
    leader = browser_factory()
    sign_in(leader, "leader", stack.settings.demo_password)
    wait(leader, "h1", "工作台")
    leader.open("/register")
    form = wait(leader, "main form")
    assert [o.text for o in Select(form.find_element(By.NAME, "source")).options] == [
        "领导批示和交办事项"
    ]
    title = f"请抓紧解决西河镇中学校舍维修问题 {unique_ref()}"
    fill(form, "title", title)
    fill(form, "content", "开学前务必完成。")
    fill(form, "issued_by", "王建国")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(leader, "h1 .status", "待交办")
    item_id = leader.driver.current_url.rsplit("/", 1)[1]

    supervisor.assign(item_id, "xihe")
    leader.open(f"/items/{item_id}")
    form = command(leader, "表扬")
    fill(form, "unit", "xihe")
    fill(form, "reasons", "当天到现场，三天内拿出维修方案。")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(leader, "ol.timeline", "表扬")
    assert (
        "当天到现场，三天内拿出维修方案。"
        in leader.driver.find_element(By.CSS_SELECTOR, "ol.timeline").text
    )
    leader.screenshot("leader-item")
    leader.open("/reports")
    wait(leader, "h1", "建议提案办理情况")
    leader.screenshot("reports")


@pytest.mark.parametrize(
    ("user", "page", "heading"),
    [
        ("auditor", "/", "工作台"),
        ("auditor", "/audit", "台账校验"),
        ("admin", "/", "用户与密钥"),
        ("admin", "/settings", "设置"),
        ("supervisor", "/settings", "设置"),
        ("supervisor", "/items", "事项"),
    ],
)
def test_each_role_finds_its_pages(
    stack: Stack, browser_factory, user: str, page: str, heading: str
):
    browser = browser_factory()
    sign_in(browser, user, stack.settings.demo_password)
    browser.open(page)
    wait(browser, "main h1", heading)
    wait(browser, "main .view > :not(.loading)")
    browser.screenshot(f"{user}-{page.strip('/') or 'home'}")
