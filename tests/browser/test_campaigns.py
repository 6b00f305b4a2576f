"""The campaign journey in headless Chromium: the office takes a periodic campaign from its
pre-filled plan to a visit, a finding with a photo and its supervision notice; the unit finds it
on its responsibility list and rectifies it; the office rejects once, then crosses it off; the
ledger and the campaign's figures count it; another unit sees none of it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from deploy.stack import Stack
from tests.browser.test_console import command, fill, png, sign_in, submit, wait
from tests.client import Client

pytestmark = pytest.mark.integration


def opened(browser, summary_text: str) -> WebElement:
    """Opens the campaign page's form under `summary_text` and returns it."""
    wait(browser, "main", summary_text)
    for summary in browser.driver.find_elements(By.CSS_SELECTOR, "details.command > summary"):
        if summary.text == summary_text:
            details = summary.find_element(By.XPATH, "..")
            if details.get_attribute("open") is None:
                summary.click()
            return details.find_element(By.TAG_NAME, "form")
    raise AssertionError(f"no form {summary_text!r} on the page")


def set_value(form: WebElement, name: str, value: str) -> None:
    field = form.find_element(By.NAME, name)
    form.parent.execute_script("arguments[0].value = arguments[1]", field, value)


def test_a_campaign_from_its_plan_to_a_crossed_off_finding(
    stack: Stack, supervisor: Client, browser_factory, tmp_path: Path
):
    password = stack.settings.demo_password
    supervisor.set_clock("2026-06-01T09:00:00+08:00")
    office = browser_factory()
    sign_in(office, "supervisor", password)
    office.open("/campaigns?year=2026&kind=periodic")
    wait(office, "#campaigns", "2026年6月定期综合督查")
    office.screenshot("campaigns")
    office.driver.find_element(By.LINK_TEXT, "2026年6月定期综合督查").click()
    wait(office, "main", "全县重点项目建设推进")  # the plan's June themes, pre-filled

    # the office completes the plan, then starts the campaign
    form = opened(office, "修改方案")
    fill(form, "team", "王督查\n李督查")
    fill(form, "reason", "确定督查组")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(office, "main", "王督查、李督查")
    office.screenshot("campaign-plan")
    office.driver.find_element(By.ID, "start-campaign").click()
    wait(office, "h1", "督查中")

    # an unannounced visit with a photo, then a finding from it
    form = opened(office, "记录一次现场督查")
    fill(form, "place", "东川镇工业集中区")
    set_value(form, "visited_at", "2026-06-01T10:30")
    fill(form, "found", "企业厂区外堆放建筑垃圾")
    form.find_element(By.CSS_SELECTOR, "input[type=file][multiple]").send_keys(
        str(png(tmp_path / "现场.png"))
    )
    wait(office, "#visit-form ul.files li", "现场.png")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(office, "#visits", "东川镇工业集中区")
    form = opened(office, "记录发现问题")
    fill(form, "title", "建筑垃圾未清运")
    fill(form, "facts", "东川镇工业集中区北侧堆放建筑垃圾约 200 立方米，未覆盖。")
    fill(form, "unit", "dongchuan")
    fill(form, "person", "东川镇分管副镇长")
    fill(form, "severity", "serious")
    visit = form.find_element(By.CSS_SELECTOR, "select[name=visit_id] option:nth-child(2)")
    fill(form, "visit_id", visit.get_attribute("value"))
    form.find_element(By.CSS_SELECTOR, "input[type=file][multiple]").send_keys(
        str(png(tmp_path / "垃圾.png"))
    )
    wait(office, "#finding-form ul.files li", "垃圾.png")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(office, "li.finding", "建筑垃圾未清运")

    # the supervision notice: task, measures, person, deadline; numbered 督办〔2026〕N号
    form = opened(office, "下发督办通知")
    fill(form, "task", "清运建筑垃圾并查处责任企业")
    fill(form, "measures", "一周内清运完毕，建立巡查制度")
    fill(form, "due_date", "2026-06-19")  # 端午节: refused, naming the field and the way out
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(office, "li.finding .notice.error", "整改时限：2026年6月19日是休息日，请选择一个工作日")
    fill(form, "due_date", "2026-06-22")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    number = wait(office, "li.finding .notice-number").text
    assert re.fullmatch(r"督办〔2026〕\d+号", number), number
    assert (
        "整改时限 2026年6月22日" in office.driver.find_element(By.CSS_SELECTOR, "li.finding").text
    )
    office.screenshot("campaign-finding")
    campaign_id = office.driver.current_url.rsplit("/", 1)[1]
    item_link = office.driver.find_element(By.LINK_TEXT, "查看整改过程").get_attribute("href")
    item_id = item_link.rsplit("/", 1)[1]

    # the unit finds it on its responsibility list and reports its rectification
    unit = browser_factory()
    sign_in(unit, "handler-dongchuan", password)
    unit.open("/responsibility")
    wait(unit, "#responsibility-summary", "未销号问题 1 个")
    wait(unit, "table.items", "建筑垃圾未清运")
    unit.screenshot("responsibility-list")
    unit.open(f"/items/{item_id}")
    wait(unit, "main", "清运建筑垃圾并查处责任企业")
    submit(unit, command(unit, "签收"), "已签收")
    form = command(unit, "办理结果反馈")
    fill(form, "content", "已清运 150 立方米。")
    submit(unit, form, "已反馈")

    # the office rejects it with reasons and a new date, then crosses the second report off
    office.open(f"/items/{item_id}")
    form = command(office, "审核")
    fill(form, "decision", "return")
    fill(form, "comment", "尚余约 50 立方米未清运，请全部清运。")
    fill(form, "due_date", "2026-06-26")
    submit(office, form, "退回重办")
    unit.open(f"/items/{item_id}")
    form = command(unit, "办理结果反馈")
    fill(form, "content", "已全部清运，并与企业签订承诺书。")
    submit(unit, form, "已反馈")
    office.open(f"/items/{item_id}")
    form = command(office, "审核")
    fill(form, "decision", "accept")
    fill(form, "verification", "site")
    fill(form, "comment", "现场核查属实，销号。")
    submit(office, form, "已办结")
    wait(office, "ol.timeline", "整改销号")
    assert "核查方式：现场核查" in office.driver.find_element(By.CSS_SELECTOR, "ol.timeline").text
    office.screenshot("finding-crossed-off")

    # the ledger and the campaign's figures count it
    office.open(f"/ledger?campaign={campaign_id}")
    wait(office, "#ledger-summary", "共 1 件")
    row = wait(office, "#ledger tbody tr").text
    assert "建筑垃圾未清运" in row and number in row and "按期销号" in row, row
    assert "驳回1次" in row, row
    office.screenshot("ledger-campaign")
    office.open(f"/campaigns/{campaign_id}")
    figures = {
        e.get_attribute("data-figure"): e.find_element(By.TAG_NAME, "b").text
        for e in wait(office, ".stats").find_elements(By.CSS_SELECTOR, "[data-figure]")
    }
    assert figures == {
        "found": "1",
        "rectified_on_time": "1",
        "rectified_late": "0",
        "rejected": "1",
        "open": "0",
        "overdue": "0",
    }

    # another unit sees neither the campaign nor its finding, by link either
    other = browser_factory()
    sign_in(other, "handler-xihe", password)
    other.open(f"/campaigns/{campaign_id}")
    assert wait(other, ".notice.error").text == "事项不存在，或您无权查看"
    other.open("/campaigns")
    wait(other, "main h1", "督查活动")
    assert "2026年6月定期综合督查" not in other.driver.find_element(By.TAG_NAME, "main").text
    other.open("/responsibility")
    wait(other, "#responsibility-summary")
    assert "建筑垃圾未清运" not in other.driver.find_element(By.TAG_NAME, "main").text
