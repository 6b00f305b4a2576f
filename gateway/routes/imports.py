"""Spreadsheet imports: a session's suggestions and proposals, a year's work-report tasks."""

from __future__ import annotations

from functools import cache
from typing import Any
from uuid import UUID

from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage

from gateway import answers, limits
from gateway.api import Routes
from gateway.assigning import OUTCOME_LABELS, SHEET_OUTCOMES, Assigning, counted, summary
from gateway.context import Context
from gateway.errors import Unfinished
from gateway.imports import (
    ImportRejected,
    proposal_rows,
    validated,
    validated_proposals,
    work_report_commands,
)
from gateway.schemas import ProposalImport, WorkReportImport
from gateway.units import UnitRegister
from services.kernel.access import OFFICE

routes = Routes()

NOT_REQUESTED = {"assignment": "not_requested", "assignment_label": OUTCOME_LABELS["not_requested"]}

# 200: every row was imported before, nothing new; 422: bad rows, nothing imported
IMPORTED = {201: answers.ImportResult, 200: answers.ImportResult, 422: answers.ImportRejected}


@routes.route(
    "POST",
    "/api/v1/imports/proposals",
    "导入人大代表建议、政协委员提案（.xlsx）；填写了主办单位、协办单位的行同时交办（分解交办）",
    roles=OFFICE,
    query=ProposalImport,
    upload=limits.XLSX_BYTES,
    answers={**IMPORTED, 503: answers.ImportUnfinished},
    refusals=(413, 503),
)
def import_proposals(
    ctx: Context, query: ProposalImport, upload: FileStorage
) -> ResponseReturnValue:
    """Registers every row, and assigns each row that names its units: all rows are checked
    first (units included), so a file with a bad row changes nothing; a retry of the same file
    registers and assigns nothing twice."""
    units = cache(lambda: UnitRegister(ctx.services.call("assignment", "list_units")))
    rows = validated_proposals(proposal_rows(upload.stream, query.session_year), units)
    result = _registered(ctx, [(row, command) for row, command, _ in rows])
    items = [UUID(item_id) for item_id in result["items"]]
    wanted = [(item_id, terms) for (_, _, terms), item_id in zip(rows, items, strict=True) if terms]
    assigned: list[dict[str, Any]] = []
    stopped = False
    if wanted:
        assigning = Assigning(ctx.services, ctx.reads, ctx.actor(), units(), just_registered=True)
        assigned, stopped = assigning.each(wanted)
    outcomes = iter(assigned)
    created = set(result["created"])
    answered = []
    for (row, _, terms), item_id in zip(rows, result["items"], strict=True):
        entry: dict[str, Any] = {
            "row": row,
            "item_id": item_id,
            "registered": "created" if item_id in created else "existing",
        }
        answered.append(entry | (next(outcomes) if terms else NOT_REQUESTED))
    registered = f"登记 {len(rows)} 件（新登记 {len(created)} 件）"
    body = {
        **result,
        "rows": answered,
        "counts": counted(answered, SHEET_OUTCOMES),
        "message": f"{registered}；{summary(answered, _row)}",
    }
    if stopped:
        raise Unfinished(
            "assignment_unfinished",
            f"{registered}，但服务暂不可用，有 {body['counts']['pending']} 件尚未交办；"
            "请稍后重新提交同一文件，已登记、已交办的不会重复",
            "registered, but not every row could be assigned; submit the same file again",
            body,
        )
    changed = result["created"] or body["counts"]["assigned"]
    return body, 201 if changed else 200


@routes.route(
    "POST",
    "/api/v1/imports/work-report",
    "导入《政府工作报告》重点任务和主要指标（.xlsx）",
    roles=OFFICE,
    query=WorkReportImport,
    upload=limits.XLSX_BYTES,
    answers=IMPORTED,
    refusals=(503,),
)
def import_work_report(
    ctx: Context, query: WorkReportImport, upload: FileStorage
) -> ResponseReturnValue:
    result = _registered(ctx, validated(work_report_commands(upload.stream, query.year)))
    return result, 201 if result["created"] else 200


def _row(result: dict[str, Any]) -> str:
    return f"第 {result['row']} 行"


def _registered(ctx: Context, rows: list[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
    """Registers every row or none, once reads show each new item; `rows`: (Excel row number,
    command), intake names a refused command by its index."""
    commands = [command for _, command in rows]
    result = ctx.services.call("intake", "register_batch", commands, ctx.actor())
    if "errors" in result:
        raise ImportRejected(
            [
                {"row": rows[e["row"]][0], "field": "", "message": e["message"]}
                for e in result["errors"]
            ]
        )
    for item_id in result["created"]:
        ctx.reads.wait_for(UUID(item_id), 1)
    return result
