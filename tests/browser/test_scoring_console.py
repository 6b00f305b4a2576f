"""The quarterly evaluation in the console: the office publishes the ranking, a town reads its
explanation and appeals a deduction, the office overturns it and the town sees it crossed
out. Works in 2032 so that no other test's items fall in its quarter."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from deploy.stack import Stack
from tests.browser.test_console import sign_in, wait
from tests.client import Client, eventually

pytestmark = pytest.mark.integration

QUARTER = "2032Q1"


def test_ranking_explanation_and_appeal_in_the_console(
    stack: Stack, supervisor: Client, handler_factory, browser_factory
):
    password = stack.settings.demo_password
    xihe = handler_factory("xihe")
    supervisor.set_clock("2032-01-05T09:00:00+08:00")
    item = supervisor.register(title="西河镇污水管网排查", content="...")
    supervisor.assign(item["id"], "xihe", due_date="2032-01-09")
    xihe.post(f"/api/v1/items/{item['id']}/acknowledge")
    supervisor.set_clock("2032-01-10T00:00:01+08:00")
    eventually(lambda: supervisor.item(item["id"])["overdue"])
    xihe.post(f"/api/v1/items/{item['id']}/feedback", {"content": "已排查完毕"})
    supervisor.post(f"/api/v1/items/{item['id']}/review", {"decision": "accept", "comment": "同意"})

    def overdue_point() -> bool:
        card = xihe.get(f"/api/v1/scores/xihe/{QUARTER}").json()
        return any(p["item_id"] == item["id"] for p in card["points"])

    eventually(overdue_point)
    supervisor.set_clock("2032-04-02T09:00:00+08:00")

    # the office sees the provisional ranking and publishes it
    office = browser_factory()
    sign_in(office, "supervisor", password)
    office.open(f"/scores?quarter={QUARTER}")
    wait(office, "p.provisional", "临时结果，未发布")
    wait(office, "main", "西河镇")
    office.screenshot("scores-provisional")
    office.driver.find_element(By.XPATH, "//button[text()='发布考评结果']").click()
    office.driver.switch_to.alert.accept()
    wait(office, "p.published", "已发布（第 1 版")

    # the town reads its explanation and appeals the lateness
    town = browser_factory()
    sign_in(town, "handler-xihe", password)
    town.open(f"/scores?quarter={QUARTER}")
    wait(town, "main", "西河镇")
    town.open(f"/scores/xihe/{QUARTER}")
    row = wait(town, f"tr[data-point^='{item['id']}']")
    assert "逾期未办结" in row.text and "-2" in row.text
    town.screenshot("scores-explanation")
    row.find_element(By.TAG_NAME, "summary").click()
    row.find_element(By.NAME, "reasons").send_keys("1月9日已电话报告，系督查室系统未及时登记")
    row.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(town, ".notice.info", "申诉已提交")
    town.open("/scores/water/" + QUARTER)
    wait(town, ".notice.error", "该单位的得分不存在，或您无权查看")

    # the office overturns it; the corrected result is version 2
    office.open(f"/appeals?quarter={QUARTER}")
    wait(office, "table.appeals", "待处理")
    office.screenshot("scores-appeals")
    office.driver.find_element(By.CSS_SELECTOR, "input[name=comment]").send_keys("核实属实")
    office.driver.find_element(By.XPATH, "//button[text()='撤销扣分']").click()
    wait(office, "td.appeal-overturned", "撤销扣分：核实属实")
    office.open(f"/scores?quarter={QUARTER}")
    wait(office, "p.published", "已发布（第 2 版")

    town.open(f"/scores/xihe/{QUARTER}")
    wait(town, f"tr[data-point^='{item['id']}'] td.score", "-2（已撤销）")
    town.screenshot("scores-corrected")
