"""Messages people can act on (issue 13, point 14), met through the gateway as staff meet them:
Chinese throughout, the field named by its Chinese label, the allowed values listed with their
labels, the limit a value broke, and what to do next."""

from __future__ import annotations

import re

import pytest

from tests.client import Client, unique_ref
from tests.integration.test_first_year import signed
from tests.integration.test_sources import PROPOSAL_HEADER, upload, xlsx

pytestmark = pytest.mark.integration

LATIN = re.compile("[A-Za-z]")


def refusal(response, status: int) -> tuple[str, str]:
    assert response.status_code == status, response.text
    return response.json()["error"], response.json()["message"]


def test_a_rest_day_is_refused_in_chinese_naming_the_date_s_own_field(
    supervisor: Client, handler_factory
):
    supervisor.set_clock("2026-01-05T09:00:00+08:00")
    registered = supervisor.post(
        "/api/v1/items",
        {
            "source": "instruction",
            "title": "周六到期",
            "content": "x",
            "external_ref": unique_ref("messages"),
            "due_date": "2026-01-10",  # a Saturday
        },
    )
    error, message = refusal(registered, 422)
    assert error == "not_a_working_day"
    assert message == "办理时限：2026年1月10日是休息日，请选择一个工作日"
    assert not LATIN.search(message)  # not "… is a Saturday, not a working day"

    item = signed(supervisor, handler_factory, "water")
    water = handler_factory("water")
    path = f"/api/v1/items/{item['id']}/extension-requests"
    saturday = water.post(path, {"reason": "需协调", "proposed_due_date": "2026-01-31"})
    assert refusal(saturday, 422) == (
        "not_a_working_day",
        "申请延期至：2026年1月31日是休息日，请选择一个工作日",
    )
    past = water.post(path, {"reason": "需协调", "proposed_due_date": "2025-12-31"})
    assert refusal(past, 422) == (
        "due_date_in_past",
        "申请延期至：2025年12月31日早于今天（2026年1月5日），请选择今天或以后的日期",
    )
    assert [e["type"] for e in supervisor.history(item["id"])][-1] == "Acknowledged"


def test_a_value_that_is_not_one_of_the_choices_lists_them_with_their_labels(
    supervisor: Client,
):
    item = supervisor.register(external_ref=unique_ref("messages"))
    response = supervisor.post(f"/api/v1/items/{item['id']}/review", {"decision": "ok"})
    error, message = refusal(response, 400)
    choice = (
        "审核结论：不是可选的取值，请选择以下之一：accept（审核通过并办结）、return（退回重办）"
    )
    assert (error, message) == ("invalid_request", f"请求有误，请修改后重新提交：{choice}")
    assert response.json()["fields"] == [
        {
            "field": "decision",
            "message": choice,
            "message_en": "Input should be 'accept' or 'return'",
        }
    ]


def test_a_text_too_long_shows_its_limit_and_how_far_over_it_is(supervisor: Client):
    response = supervisor.post(
        "/api/v1/items", {"source": "instruction", "title": "路" * 201, "content": "x"}
    )
    assert refusal(response, 400)[0] == "invalid_request"
    assert [f["message"] for f in response.json()["fields"]] == [
        "标题：不能超过 200 个字符（现有 201 个），请删减"
    ]


def test_a_sheet_row_with_an_unknown_kind_names_the_words_its_column_takes(supervisor: Client):
    sheet = xlsx(PROPOSAL_HEADER, [["3", "议案", "王代表", "关于修缮村道的建议", "村道破损"]])
    response = upload(supervisor, "/api/v1/imports/proposals", sheet, session_year=2091)
    assert refusal(response, 422) == (
        "import_rejected",
        "表格有 1 行有误，未导入任何数据；请按各行的说明改正后重新导入",
    )
    assert response.json()["rows"] == [
        {"row": 2, "field": "details.kind", "message": "类别：请填写“建议”、“提案”之一"}
    ]
