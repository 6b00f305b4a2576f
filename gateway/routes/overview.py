"""What the console shows around the items: the dashboard's figures, working-day countdowns,
and the words (labels) every page uses."""

from __future__ import annotations

from datetime import date

from flask.typing import ResponseReturnValue

from gateway.answers import Countdowns, Dashboard, Vocabulary
from gateway.api import Routes
from gateway.context import Context
from gateway.schemas import CountdownQuery
from services.kernel import vocabulary
from services.kernel.access import PLATFORM_LABELS, READERS, ROLE_LABELS

routes = Routes()

# "due this week" on the dashboard: within this many working days, today included
WEEK_WORKING_DAYS = 5


@routes.route(
    "GET",
    "/api/v1/vocabulary",
    "界面用语：来源、状态、办理难度、满意度、答复类别、问责、角色、对接平台、督查类型、"
    "督查方式、三督三查、问题严重程度的中文名称",
    answers={200: Vocabulary},
)
def words(ctx: Context) -> ResponseReturnValue:
    return {
        "sources": vocabulary.SOURCE_LABELS,
        "statuses": vocabulary.STATUS_LABELS,
        "complexities": vocabulary.COMPLEXITY_LABELS,
        "verdicts": vocabulary.VERDICT_LABELS,
        "reply_classes": vocabulary.REPLY_CLASS_LABELS,
        "penalties": vocabulary.PENALTY_LABELS,
        "reminders": vocabulary.REMINDER_LABELS,
        "roles": ROLE_LABELS,
        "platforms": PLATFORM_LABELS,
        "campaign_kinds": vocabulary.CAMPAIGN_KIND_LABELS,
        "campaign_statuses": vocabulary.CAMPAIGN_STATUS_LABELS,
        "upper_levels": vocabulary.UPPER_LEVEL_LABELS,
        "methods": vocabulary.METHOD_LABELS,
        "checks": vocabulary.CHECK_LABELS,
        "severities": vocabulary.SEVERITY_LABELS,
        "unit_kinds": vocabulary.UNIT_KIND_LABELS,
        "verifications": vocabulary.VERIFICATION_LABELS,
    }


@routes.route(
    "GET",
    "/api/v1/calendar/countdown",
    "按法定工作日（含调休）计算各日期距今天的工作日数：正数为剩余，0 为今日到期，负数为已逾期",
    roles=READERS,
    query=CountdownQuery,
    answers={200: Countdowns},
    refusals=(503,),
)
def countdown(ctx: Context, query: CountdownQuery) -> ResponseReturnValue:
    days = [d.isoformat() for d in query.parsed()]
    return ctx.services.call("deadline", "countdowns", days)


@routes.route(
    "GET",
    "/api/v1/reports/dashboard",
    "工作台：在办、逾期、待交办、待签收、单位退回、退回重办、待审核事项数，各牵头单位在办和逾期数，"
    "今日和本周（5 个工作日内）到期数，近 12 周登记和办结数（承办单位只看到本单位的）",
    roles=READERS,
    answers={200: Dashboard},
    refusals=(503,),
)
def dashboard(ctx: Context) -> ResponseReturnValue:
    today = date.fromisoformat(ctx.services.call("deadline", "countdowns", [])["today"])
    figures = ctx.reads.dashboard(today, ctx.seen_by())
    due = figures.pop("due_dates")
    days = ctx.services.call("deadline", "countdowns", list(due))["days"] if due else {}
    figures["counts"]["due_today"] = sum(n for d, n in due.items() if days[d] == 0)
    figures["counts"]["due_this_week"] = sum(
        n for d, n in due.items() if 0 <= days[d] < WEEK_WORKING_DAYS
    )
    return {"today": today.isoformat(), **figures}
