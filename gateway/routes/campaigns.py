"""Inspections: campaigns (督查活动), their visits and findings, the supervision notice that makes
a finding an item, the ledger (台账) and a unit's responsibility list (问题责任清单).

The office plans and runs campaigns. A unit's handler sees a campaign only once a finding is
issued to it, and then only its own findings; every other unit's is 404, as for an item.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.typing import ResponseReturnValue

from gateway.answers import (
    Campaign,
    CampaignFigures,
    CampaignList,
    FindingIssued,
    Ledger,
    ResponsibilityList,
)
from gateway.api import Routes
from gateway.context import Context
from gateway.routes.items import with_files
from gateway.routes.users import unit_codes
from gateway.schemas import (
    CampaignClosing,
    CampaignPath,
    CampaignQuery,
    FindingPath,
    FindingRecord,
    LedgerQuery,
    NewCampaign,
    NoticeIssue,
    PlanChange,
    ResponsibilityQuery,
    VisitRecord,
)
from services.kernel.access import OFFICE, READERS
from services.kernel.errors import NotFound, Refused

routes = Routes()


def _visible_campaign(ctx: Context, campaign_id: UUID) -> None:
    """404 for a campaign that does not exist, or that issued nothing to a handler's unit."""
    if ctx.reads.campaign(campaign_id, ctx.seen_by()) is None:
        raise NotFound("督查", "campaign")


def _changed(ctx: Context, view: dict[str, Any]) -> dict[str, Any]:
    """Intake's view of the campaign, once the campaign list shows the change too."""
    ctx.reads.wait_for_campaign(UUID(view["id"]), view["version"])
    return view


@routes.route(
    "GET",
    "/api/v1/campaigns",
    "督查活动列表（承办单位只看到向本单位下发过督办通知的督查）",
    roles=READERS,
    query=CampaignQuery,
    answers={200: CampaignList},
)
def list_campaigns(ctx: Context, query: CampaignQuery) -> ResponseReturnValue:
    return {"campaigns": ctx.reads.campaigns(query.year, query.kind, ctx.seen_by())}


@routes.route(
    "POST",
    "/api/v1/campaigns",
    "新建日常随机督查、专项督查或承接上级督查（定期综合督查每年自动生成方案草稿）",
    roles=OFFICE,
    body=NewCampaign,
    answers={201: Campaign},
    refusals=(422, 503),
)
def plan_campaign(ctx: Context, body: NewCampaign) -> ResponseReturnValue:
    view = ctx.services.call("intake", "plan_campaign", body.model_dump(mode="json"), ctx.actor())
    return _changed(ctx, view), 201


@routes.route(
    "GET",
    "/api/v1/campaigns/<uuid:campaign_id>",
    "督查详情：方案、现场记录、发现问题及其督办（承办单位只看到本单位的问题）",
    roles=READERS,
    params=CampaignPath,
    answers={200: Campaign},
    refusals=(404, 503),
)
def get_campaign(ctx: Context, campaign_id: UUID) -> ResponseReturnValue:
    _visible_campaign(ctx, campaign_id)
    return ctx.services.call("intake", "campaign", str(campaign_id), ctx.seen_by())


@routes.route(
    "PUT",
    "/api/v1/campaigns/<uuid:campaign_id>/plan",
    "修改督查方案（开始督查前）",
    roles=OFFICE,
    params=CampaignPath,
    body=PlanChange,
    answers={200: Campaign},
    refusals=(404, 409, 422, 503),
)
def change_plan(ctx: Context, campaign_id: UUID, body: PlanChange) -> ResponseReturnValue:
    command = body.model_dump(mode="json")
    return _changed(
        ctx, ctx.services.call("intake", "change_plan", str(campaign_id), command, ctx.actor())
    )


@routes.route(
    "POST",
    "/api/v1/campaigns/<uuid:campaign_id>/start",
    "开始督查（方案定稿）",
    roles=OFFICE,
    params=CampaignPath,
    answers={200: Campaign},
    refusals=(404, 409, 503),
)
def start_campaign(ctx: Context, campaign_id: UUID) -> ResponseReturnValue:
    return _changed(
        ctx, ctx.services.call("intake", "start_campaign", str(campaign_id), ctx.actor())
    )


@routes.route(
    "POST",
    "/api/v1/campaigns/<uuid:campaign_id>/close",
    "结束督查",
    roles=OFFICE,
    params=CampaignPath,
    body=CampaignClosing,
    answers={200: Campaign},
    refusals=(404, 409, 503),
)
def close_campaign(ctx: Context, campaign_id: UUID, body: CampaignClosing) -> ResponseReturnValue:
    view = ctx.services.call("intake", "close_campaign", str(campaign_id), body.reason, ctx.actor())
    return _changed(ctx, view)


@routes.route(
    "POST",
    "/api/v1/campaigns/<uuid:campaign_id>/visits",
    "记录“四不两直”现场督查：地点、时间、督查组、现场情况、照片和材料（不通知被督查单位）",
    roles=OFFICE,
    params=CampaignPath,
    body=VisitRecord,
    answers={201: Campaign},
    refusals=(404, 409, 422, 503),
)
def record_visit(ctx: Context, campaign_id: UUID, body: VisitRecord) -> ResponseReturnValue:
    command = with_files(ctx, body.model_dump(mode="json"))
    view = ctx.services.call("intake", "record_visit", str(campaign_id), command, ctx.actor())
    return _changed(ctx, view), 201


@routes.route(
    "POST",
    "/api/v1/campaigns/<uuid:campaign_id>/findings",
    "记录发现问题：事实、佐证、责任单位和责任人、严重程度；再次发现的问题关联原销号问题",
    roles=OFFICE,
    params=CampaignPath,
    body=FindingRecord,
    answers={201: Campaign},
    refusals=(404, 409, 422, 503),
)
def record_finding(ctx: Context, campaign_id: UUID, body: FindingRecord) -> ResponseReturnValue:
    if body.previous_item is not None:
        _crossed_off(ctx, body.previous_item)
    command = with_files(ctx, body.model_dump(mode="json"))
    units = sorted(unit_codes(ctx, body.unit))
    view = ctx.services.call(
        "intake", "record_finding", str(campaign_id), command, units, ctx.actor()
    )
    return _changed(ctx, view), 201


def _crossed_off(ctx: Context, item_id: UUID) -> None:
    """销号 is final: a problem found again is a new finding linked to the crossed-off one, and
    a problem still being rectified is followed up on its own item, not found twice."""
    previous = ctx.reads.item(item_id)
    if previous is None:
        raise Refused(
            "previous_item_not_found",
            "原销号问题：没有这个问题，请在问题台账中复制原问题的编号",
            "no such item",
        )
    if not previous["rectified"]:
        raise Refused(
            "previous_item_open",
            f"原销号问题：“{previous['title']}”尚未销号，请在原问题上继续督办整改，不要重复记录",
            "the previous problem is not crossed off",
            409,
        )


@routes.route(
    "POST",
    "/api/v1/campaigns/<uuid:campaign_id>/findings/<uuid:finding_id>/notice",
    "下发督办通知（督办〔年〕N号）：任务、措施、责任单位和责任人、整改时限；问题成为督办事项",
    roles=OFFICE,
    params=FindingPath,
    body=NoticeIssue,
    answers={201: FindingIssued, 200: FindingIssued},
    refusals=(404, 409, 422, 503),
)
def issue_notice(
    ctx: Context, campaign_id: UUID, finding_id: UUID, body: NoticeIssue
) -> ResponseReturnValue:
    """The finding and its item are recorded together by intake; the item is then assigned to
    the responsible unit, which numbers the notice in the year's register. A retry after a
    failure between the two finds the item and assigns it."""
    command = body.model_dump(mode="json")
    issued = ctx.services.call(
        "intake", "issue_finding", str(campaign_id), str(finding_id), command, ctx.actor()
    )
    item_id = UUID(issued["item_id"])
    item = ctx.reads.wait_for(item_id, 1)
    if item is None:
        raise Refused(
            "unavailable", "服务暂不可用，请稍后重试", "the item has not arrived yet", 503
        )
    if item["status"] == "registered":
        terms = {"lead_unit": issued["unit"], "co_units": [], "due_date": issued["due_date"]}
        view = ctx.services.call("assignment", "assign", str(item_id), terms, ctx.actor(), False)
        item = ctx.changed(view, expect_deadline=True)
    ctx.reads.wait_for_campaign(campaign_id, issued["campaign_version"])
    return {"finding_id": str(finding_id), "item": item}, 201 if issued["created"] else 200


@routes.route(
    "GET",
    "/api/v1/campaigns/<uuid:campaign_id>/figures",
    "督查的整改数字：发现、按期整改、逾期整改、被驳回、未销号、逾期（承办单位只看本单位）",
    roles=READERS,
    params=CampaignPath,
    answers={200: CampaignFigures},
    refusals=(404,),
)
def campaign_figures(ctx: Context, campaign_id: UUID) -> ResponseReturnValue:
    _visible_campaign(ctx, campaign_id)
    figures = ctx.reads.campaign_figures(campaign_id, ctx.seen_by())
    return {"campaign_id": str(campaign_id), **figures}


@routes.route(
    "GET",
    "/api/v1/ledger",
    "问题台账：全部问题和事项（含已办结），按督查、单位、来源、严重程度、状态、逾期、登记日期筛选",
    roles=READERS,
    query=LedgerQuery,
    answers={200: Ledger},
)
def ledger(ctx: Context, query: LedgerQuery) -> ResponseReturnValue:
    total, items = ctx.reads.ledger(
        campaign=query.campaign,
        unit=query.unit,
        source=query.source,
        severity=query.severity,
        status=query.status,
        overdue=query.overdue,
        registered_from=query.since,
        registered_to=query.until,
        problems=query.problems,
        limit=query.limit,
        offset=query.offset,
        seen_by=ctx.seen_by(),
    )
    return {"total": total, "items": items}


@routes.route(
    "GET",
    "/api/v1/responsibility-list",
    "问题责任清单：一个单位全部未销号的问题及其时限和状态（承办单位只看本单位）",
    roles=READERS,
    query=ResponsibilityQuery,
    answers={200: ResponsibilityList},
    refusals=(404, 422),
)
def responsibility_list(ctx: Context, query: ResponsibilityQuery) -> ResponseReturnValue:
    own = ctx.seen_by()
    if own is not None and query.unit not in (None, own):
        raise NotFound("单位的问题责任清单", "responsibility list")
    unit = own if own is not None else query.unit
    if not unit:
        raise Refused(
            "unit_required",
            "单位：请选择要查看哪个单位的问题责任清单",
            "name the unit whose list to show",
        )
    return {"unit": unit, "items": ctx.reads.responsibility_list(unit)}
