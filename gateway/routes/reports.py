"""Reports: the year-end summary of suggestions and proposals, and the ledger's hash chains."""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from gateway.answers import LedgerReport, ProposalReport
from gateway.api import Routes
from gateway.context import Context
from gateway.schemas import YearPath
from services.kernel.access import READERS

routes = Routes()

LEDGER_SERVICES = ("intake", "assignment", "deadline")


@routes.route(
    "GET",
    "/api/v1/reports/proposals/<int:year>",
    "建议提案办理情况汇总（按人大、政协常委会；承办单位只看到本单位的数字）",
    roles=READERS,
    params=YearPath,
    answers={200: ProposalReport},
    refusals=(400, 404),
)
def proposal_report(ctx: Context, year: int) -> ResponseReturnValue:
    committees = ctx.reads.proposal_summary(year, ctx.seen_by())
    return {"session_year": year, "committees": committees}


@routes.route(
    "GET",
    "/api/v1/ledger/verify",
    "校验全部哈希链，列出每个被篡改事项的第一个断点",
    roles=("supervisor", "auditor"),
    answers={200: LedgerReport},
    refusals=(503,),
)
def verify_ledger(ctx: Context) -> ResponseReturnValue:
    broken = {name: ctx.services.call(name, "verify_ledger") for name in LEDGER_SERVICES}
    return {"ok": not any(broken.values()), "broken": broken}
