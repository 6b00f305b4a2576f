"""Proposals arrive with their units (issue 13, point 12): the proposal sheet's 主办单位 and
协办单位 are read and each such row is registered and assigned (分解交办) in one step, its units
checked first; and the office assigns items already registered in one batch call. Both are safe
to send again, after a failure included."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from deploy.stack import Stack
from tests.client import Client, eventually, unique_ref
from tests.integration.test_sources import upload, xlsx

pytestmark = pytest.mark.integration

HEADER = ["编号", "类别", "提出人", "标题", "内容", "主办单位", "协办单位"]
PROPOSALS = "/api/v1/imports/proposals"
BATCH = "/api/v1/items/assign-batch"


def types(history: list[dict]) -> list[str]:
    return [e["type"] for e in history]


def keyed_upload(client: Client, data: bytes, key: str, year: int) -> requests.Response:
    return client.session.post(
        f"{client.base_url}{PROPOSALS}",
        params={"session_year": year},
        files={"file": ("建议提案.xlsx", data)},
        headers={"Idempotency-Key": key},
        timeout=60,
    )


def outcomes(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["row"], r["registered"], r["assignment"]) for r in rows]


def test_a_sheet_with_units_is_registered_and_assigned_in_one_step(
    supervisor: Client, handler_factory
):
    year = 2034
    supervisor.set_clock("2034-03-10T09:00:00+08:00")  # a Friday
    sheet = xlsx(
        HEADER,
        [
            [
                "1",
                "建议",
                "王代表",
                "关于修缮村道的建议",
                "多条村道破损",
                "县交通运输局",
                "西河镇、东川镇",
            ],
            [
                "2",
                "提案",
                "李委员",
                "关于发展乡村旅游的提案",
                "打造旅游线路",
                "县文体广电和旅游局",
                None,
            ],
            ["3", "建议", "赵代表", "关于增设公交线路的建议", "群众出行不便", None, None],
        ],
    )
    key = str(uuid.uuid4())
    imported = keyed_upload(supervisor, sheet, key, year)
    assert imported.status_code == 201, imported.text
    answer = imported.json()
    rows = answer["rows"]
    assert outcomes(rows) == [
        (2, "created", "assigned"),
        (3, "created", "assigned"),
        (4, "created", "not_requested"),
    ]
    assert [r["item_id"] for r in rows] == answer["items"] == answer["created"]
    assert answer["counts"] == {
        "assigned": 2,
        "already_assigned": 0,
        "refused": 0,
        "pending": 0,
        "not_requested": 1,
    }
    assert answer["message"] == "登记 3 件（新登记 3 件）；交办 2 件；1 件未填主办单位，仅登记"
    # six months from Friday 3/10 is Sunday 9/10: the next working day (2034: weekends only)
    assert {k: rows[0][k] for k in ("lead_unit", "co_units", "due_date", "status")} == {
        "lead_unit": "transport",
        "co_units": ["xihe", "dongchuan"],
        "due_date": "2034-09-11",
        "status": "assigned",
    }
    assert (rows[1]["lead_unit"], rows[1]["co_units"]) == ("culture-tourism", [])

    suggestion = supervisor.item(rows[0]["item_id"])
    assert suggestion["status"] == "assigned"
    assert (suggestion["lead_unit"], sorted(suggestion["co_units"])) == (
        "transport",
        ["dongchuan", "xihe"],
    )
    assert (suggestion["due_date"], suggestion["assigned_on"]) == ("2034-09-11", "2034-03-10")
    assert suggestion["notice_number"] == rows[0]["notice_number"]
    assert supervisor.item(rows[1]["item_id"])["due_date"] == "2034-09-11"
    assert supervisor.item(rows[2]["item_id"])["status"] == "registered"
    # the units have them: the lead unit signs for its own
    transport = handler_factory("transport")
    signed = transport.post(f"/api/v1/items/{rows[0]['item_id']}/acknowledge")
    assert signed.status_code == 200, signed.text
    assert handler_factory("xihe").get(f"/api/v1/items/{rows[0]['item_id']}").status_code == 200

    # the same request with its key: the first answer, byte for byte, nothing done again
    replayed = keyed_upload(supervisor, sheet, key, year)
    assert replayed.headers.get("Idempotent-Replayed") == "true"
    assert replayed.content == imported.content
    # the same file again without a key: nothing registered or assigned a second time
    again = upload(supervisor, PROPOSALS, sheet, session_year=year)
    assert again.status_code == 200, again.text
    assert outcomes(again.json()["rows"]) == [
        (2, "existing", "already_assigned"),
        (3, "existing", "already_assigned"),
        (4, "existing", "not_requested"),
    ]
    assert again.json()["rows"][0]["notice_number"] == rows[0]["notice_number"]
    assert again.json()["rows"][0]["status"] == "acknowledged"
    for row in rows[:2]:
        assert types(supervisor.history(row["item_id"])).count("Assigned") == 1


def test_a_bad_unit_refuses_the_whole_file_with_its_row_numbers(supervisor: Client):
    year = 2035
    sheet = xlsx(
        HEADER,
        [
            ["1", "建议", "王代表", "甲", "内容", "县交通运输局", "县交通运输局"],
            ["2", "建议", "王代表", "乙", "内容", "县民政局", "西河镇，东川镇，西河镇"],
            ["3", "提案", "李委员", "丙", "内容", "民政局", None],
            ["4", "提案", "李委员", "丁", "内容", "县民政局", "县水利局"],
            ["5", "提案", "李委员", "戊", "内容", None, "县水务局"],
            ["6", "提案", "李委员", "己", "内容", "县民政局 县水务局", None],
            ["7", "提案", "李委员", "庚", "内容", "县民政局", "县卫生健康局；县医疗保障局"],
        ],
    )
    rejected = upload(supervisor, PROPOSALS, sheet, session_year=year)
    assert rejected.status_code == 422, rejected.text
    assert rejected.json()["rows"] == [
        {
            "row": 2,
            "field": "co_units",
            "message": "协办单位：“县交通运输局”已是主办单位，不能同时作为协办单位，请删去",
        },
        {"row": 3, "field": "co_units", "message": "协办单位：“西河镇”重复填写，请只填一次"},
        {
            "row": 4,
            "field": "lead_unit",
            "message": "主办单位：没有名称为“民政局”的承办单位；是否应为“县民政局”？",
        },
        {
            "row": 5,
            "field": "co_units",
            "message": "协办单位：没有名称为“县水利局”的承办单位；是否应为“县水务局”？",
        },
        {
            "row": 6,
            "field": "lead_unit",
            "message": "主办单位：填写了协办单位时必填，请填写一个主办单位",
        },
        {
            "row": 7,
            "field": "lead_unit",
            "message": "主办单位：只能填写一个单位（现有 2 个），其余请填在“协办单位”中",
        },
    ]
    for kind in ("suggestion", "proposal"):
        listed = supervisor.get("/api/v1/items", group=f"proposal:{year}:{kind}").json()
        assert listed["total"] == 0


def test_a_sheet_without_the_unit_columns_imports_as_before(supervisor: Client):
    year = 2036
    sheet = xlsx(HEADER[:5], [["1", "建议", "王代表", "关于路灯的建议", "路灯不亮"]])
    imported = upload(supervisor, PROPOSALS, sheet, session_year=year)
    assert imported.status_code == 201, imported.text
    assert outcomes(imported.json()["rows"]) == [(2, "created", "not_requested")]
    item = supervisor.item(imported.json()["created"][0])
    assert (item["status"], item["lead_unit"]) == ("registered", None)


def test_an_import_stopped_by_an_unavailable_service_says_so_and_a_retry_finishes_it(
    stack: Stack, supervisor: Client
):
    year = 2037
    supervisor.set_clock("2037-03-10T09:00:00+08:00")  # a Tuesday
    sheet = xlsx(
        HEADER,
        [
            ["1", "建议", "王代表", "关于河道清淤的建议", "河道淤积", "县水务局", None],
            ["2", "建议", "王代表", "关于集市管理的建议", "占道经营", "县市场监督管理局", "城关镇"],
        ],
    )
    key = str(uuid.uuid4())
    # assigning asks the deadline service for the unit's return window: without it, no answer
    stack.stop_process("deadline")
    try:
        stopped = keyed_upload(supervisor, sheet, key, year)
    finally:
        stack.start_service("deadline")
        stack.wait_ready()
    assert stopped.status_code == 503, stopped.text
    assert stopped.headers["Retry-After"] == "5"
    body = stopped.json()
    assert body["error"] == "assignment_unfinished"
    assert body["message"] == (
        "登记 2 件（新登记 2 件），但服务暂不可用，有 2 件尚未交办；"
        "请稍后重新提交同一文件，已登记、已交办的不会重复"
    )
    assert outcomes(body["rows"]) == [(2, "created", "pending"), (3, "created", "pending")]
    # a 503 keeps no answer for the key: the same request runs again and finishes the work
    retried = keyed_upload(supervisor, sheet, key, year)
    assert retried.status_code == 201, retried.text
    assert retried.headers.get("Idempotent-Replayed") is None
    rows = retried.json()["rows"]
    # the first row's assignment, stopped while it waited for the deadline service, may have
    # been made once that service came back: then it is not made again
    assert rows[0]["assignment"] in ("assigned", "already_assigned")
    assert outcomes(rows)[1] == (3, "existing", "assigned")
    assert [r["registered"] for r in rows] == ["existing", "existing"]
    for row in rows:
        assert types(supervisor.history(row["item_id"])).count("Assigned") == 1
        # an assignment made late is counted by the deadline service as it catches up
        late = row["item_id"]
        eventually(lambda late=late: supervisor.item(late)["due_date"] == "2037-09-10")


def test_the_batch_call_assigns_each_entry_and_refuses_a_bad_one_by_itself(
    supervisor: Client, handler_factory
):
    supervisor.set_clock("2034-03-13T09:00:00+08:00")  # a Monday
    a, b, c, d, e = (supervisor.register(external_ref=unique_ref("batch"))["id"] for _ in range(5))
    nowhere = str(uuid.uuid4())
    batch = {
        "assignments": [
            {"item_id": a, "lead_unit": "water", "co_units": ["xihe"]},
            {"item_id": b, "lead_unit": "waterr"},
            {"item_id": c, "lead_unit": "finance", "co_units": ["finance"]},
            {"item_id": a, "lead_unit": "water"},
            {"item_id": nowhere, "lead_unit": "water"},
            {"item_id": d, "lead_unit": "health", "co_units": ["xihe", "xihe"]},
            {"item_id": e, "lead_unit": "transport", "due_date": "2034-03-18"},  # a Saturday
        ]
    }
    # what a single assignment of e says of that date, the batch says of its entry
    single = supervisor.post(
        f"/api/v1/items/{e}/assign", {"lead_unit": "transport", "due_date": "2034-03-18"}
    )
    assert single.status_code == 422
    done = supervisor.post(BATCH, batch)
    assert done.status_code == 200, done.text
    results = done.json()["results"]
    assert [(r["index"], r["item_id"], r["assignment"]) for r in results] == [
        (0, a, "assigned"),
        (1, b, "refused"),
        (2, c, "refused"),
        (3, a, "refused"),
        (4, nowhere, "refused"),
        (5, d, "refused"),
        (6, e, "refused"),
    ]
    assert [(r.get("error"), r.get("message")) for r in results[1:]] == [
        (
            "invalid_assignment",
            "牵头单位：没有编码为“waterr”的承办单位；是否应为“water（县水务局）”？",
        ),
        (
            "invalid_assignment",
            "配合单位：“finance”已是牵头单位，不能同时作为配合单位，请删去",
        ),
        (
            "invalid_assignment",
            "事项：与第 1 条重复，同一事项在一次批量交办中只能出现一次，请删去",
        ),
        ("not_found", "事项不存在"),
        ("invalid_assignment", "配合单位：“xihe”重复填写，请只填一次"),
        (single.json()["error"], single.json()["message"]),
    ]
    assert results[1]["fields"] == [
        {
            "field": "lead_unit",
            "message": "牵头单位：没有编码为“waterr”的承办单位；是否应为“water（县水务局）”？",
        }
    ]
    first = results[0]
    # instructions: 7 working days from Monday 3/13 (2034: weekends only)
    assert {k: first[k] for k in ("lead_unit", "co_units", "due_date", "status")} == {
        "lead_unit": "water",
        "co_units": ["xihe"],
        "due_date": "2034-03-22",
        "status": "assigned",
    }
    assert done.json()["counts"] == {
        "assigned": 1,
        "already_assigned": 0,
        "refused": 6,
        "pending": 0,
    }
    assert done.json()["message"] == (
        "交办 1 件；6 件未交办（第 2 条、第 3 条、第 4 条、第 5 条、第 6 条、第 7 条），"
        "原因见各条说明"
    )
    assert (supervisor.item(a)["lead_unit"], supervisor.item(a)["co_units"]) == ("water", ["xihe"])
    for untouched in (b, c, d, e):
        assert supervisor.item(untouched)["status"] == "registered"

    # corrected and sent again: the assigned one is left as it is, the rest are assigned
    fixed = {
        "assignments": [
            {"item_id": a, "lead_unit": "water", "co_units": ["xihe"]},
            {"item_id": b, "lead_unit": "water"},
            {"item_id": c, "lead_unit": "finance"},
            {"item_id": d, "lead_unit": "health", "co_units": ["xihe"]},
            {"item_id": e, "lead_unit": "transport", "due_date": "2034-03-17"},
        ]
    }
    again = supervisor.post(BATCH, fixed).json()
    assert [r["assignment"] for r in again["results"]] == [
        "already_assigned",
        "assigned",
        "assigned",
        "assigned",
        "assigned",
    ]
    assert again["results"][0]["notice_number"] == first["notice_number"]
    assert again["results"][4]["due_date"] == "2034-03-17"
    assert types(supervisor.history(a)).count("Assigned") == 1
    # an item with other units is not reassigned by a batch: that is 改派, item by item
    moved = supervisor.post(BATCH, {"assignments": [{"item_id": a, "lead_unit": "finance"}]})
    refusal = supervisor.post(f"/api/v1/items/{a}/assign", {"lead_unit": "finance"}).json()
    assert moved.json()["results"][0]["message"] == (
        f"{refusal['message']}（现牵头单位：县水务局）；如需改派，请在事项页面办理改派"
    )
    assert supervisor.item(a)["lead_unit"] == "water"


def test_the_batch_call_is_the_office_s_and_is_limited(supervisor: Client, handler_factory):
    item = supervisor.register(external_ref=unique_ref("batch"))["id"]
    one = {"assignments": [{"item_id": item, "lead_unit": "water"}]}
    refused = handler_factory("water").post(BATCH, one)
    assert refused.status_code == 403
    assert refused.json()["error"] == "forbidden"
    assert supervisor.item(item)["status"] == "registered"
    too_many = {"assignments": [{"item_id": item, "lead_unit": "water"}] * 201}
    over = supervisor.post(BATCH, too_many)
    assert over.status_code == 400
    assert [f["field"] for f in over.json()["fields"]] == ["assignments"]
    empty = supervisor.post(BATCH, {"assignments": []})
    assert empty.status_code == 400
    assert supervisor.item(item)["status"] == "registered"
