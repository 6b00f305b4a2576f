"""Spreadsheet imports: a session's suggestions and proposals, a year's work-report tasks."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage

from gateway import answers, limits
from gateway.api import Routes
from gateway.context import Context
from gateway.imports import ImportRejected, proposal_commands, validated, work_report_commands
from gateway.schemas import ProposalImport, WorkReportImport
from services.kernel.access import OFFICE

routes = Routes()

# 200: every row was imported before, nothing new; 422: bad rows, nothing imported
IMPORTED = {201: answers.ImportResult, 200: answers.ImportResult, 422: answers.ImportRejected}


@routes.route(
    "POST",
    "/api/v1/imports/proposals",
    "导入人大代表建议、政协委员提案（.xlsx）",
    roles=OFFICE,
    query=ProposalImport,
    upload=limits.XLSX_BYTES,
    answers=IMPORTED,
    refusals=(503,),
)
def import_proposals(
    ctx: Context, query: ProposalImport, upload: FileStorage
) -> ResponseReturnValue:
    return _imported(ctx, validated(proposal_commands(upload.stream, query.session_year)))


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
    return _imported(ctx, validated(work_report_commands(upload.stream, query.year)))


def _imported(ctx: Context, rows: list[tuple[int, dict[str, Any]]]) -> ResponseReturnValue:
    """`rows`: (Excel row number, command); intake names a refused command by its index."""
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
    return result, 201 if result["created"] else 200
