"""Items: registering, listing and reading them, and every command on one item. Who may give a
command is the kernel's access table (`services/kernel/access.py`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial, wraps
from typing import Any
from uuid import UUID

from flask.typing import ResponseReturnValue
from pydantic import BaseModel

from gateway.answers import DueDatePreview, History, Item, ItemList
from gateway.api import Routes, V
from gateway.context import Context
from gateway.evidence import file_not_found
from gateway.schemas import (
    AssignItem,
    Cancellation,
    Commendation,
    DueDatePreviewQuery,
    ExtensionDecision,
    ExtensionRequest,
    Feedback,
    IndicatorFigure,
    ItemPath,
    ItemQuery,
    Merge,
    Opinion,
    PenaltyRecommendation,
    Progress,
    RegisterItem,
    ReturnToOffice,
    Review,
    Satisfaction,
)
from services.kernel.access import ITEM_COMMANDS, READERS, REGISTRARS, may_register
from services.kernel.errors import Refused

routes = Routes()


def item_command(
    action: str, summary: str, permission: str, body: type[BaseModel] | None = None
) -> Callable[[V], V]:
    """`POST /api/v1/items/{item_id}/<action>`, answered with the item as reads then show it;
    `permission` names the command in the access table. A handler's command on an item its
    unit never had is answered 404, like an item that does not exist."""
    declare = routes.route(
        "POST",
        f"/api/v1/items/<uuid:item_id>/{action}",
        summary,
        roles=ITEM_COMMANDS[permission].roles,
        params=ItemPath,
        body=body,
        answers={200: Item},
        refusals=(404, 409, 422, 503),
    )

    def seen_first(view: V) -> V:
        @wraps(view)
        def command(ctx: Context, item_id: UUID, **given: Any) -> ResponseReturnValue:
            if ctx.seen_by() is not None:
                ctx.visible_item(item_id)
            return view(ctx, item_id, **given)

        declare(command)
        return view

    return seen_first


@routes.route(
    "POST",
    "/api/v1/items",
    "登记督办事项（同一来源和外部编号只登记一次，再次提交返回原事项，状态码 200）",
    roles=REGISTRARS,
    body=RegisterItem,
    answers={201: Item, 200: Item},
    refusals=(404, 422, 503),  # 404: evidence naming a file not uploaded
)
def register(ctx: Context, body: RegisterItem) -> ResponseReturnValue:
    """The office registers any item; a county leader the instructions (批示) it issues."""
    if not may_register(ctx.actor()["role"], body.source):
        raise Refused(
            "forbidden",
            "县政府领导只能登记本人的批示事项（事项来源须为“领导批示和交办事项”）",
            f"a leader registers instructions only, not {body.source}",
            403,
        )
    command = with_files(ctx, body.model_dump(mode="json"))
    result = ctx.services.call("intake", "register", command, ctx.actor())
    item_id = UUID(result["item_id"])
    # the answer shows the office its own time to assign the item (a second event, from the
    # deadline service)
    item = ctx.reads.wait_for(item_id, 2)
    status = 201 if result["created"] else 200
    return item or {"id": str(item_id)}, status


@routes.route(
    "GET",
    "/api/v1/items",
    "事项列表（unit 匹配牵头或配合单位；承办单位只看到本单位办理过的事项）",
    roles=READERS,
    query=ItemQuery,
    answers={200: ItemList},
)
def list_items(ctx: Context, query: ItemQuery) -> ResponseReturnValue:
    total, items = ctx.reads.items(**query.model_dump(), seen_by=ctx.seen_by())
    return {"total": total, "items": items}


@routes.route(
    "GET",
    "/api/v1/items/<uuid:item_id>",
    "事项详情",
    roles=READERS,
    params=ItemPath,
    answers={200: Item},
    refusals=(404,),
)
def get_item(ctx: Context, item_id: UUID) -> ResponseReturnValue:
    return ctx.visible_item(item_id)


@routes.route(
    "GET",
    "/api/v1/items/<uuid:item_id>/history",
    "事项的全部事件，按顺序，含 SM3 哈希",
    roles=READERS,
    params=ItemPath,
    answers={200: History},
    refusals=(404, 503),
)
def history(ctx: Context, item_id: UUID) -> ResponseReturnValue:
    if ctx.seen_by() is not None:
        ctx.visible_item(item_id)
    events = ctx.services.call("assignment", "history", str(item_id))
    return {"item_id": str(item_id), "events": events}


def assign(ctx: Context, item_id: UUID, body: AssignItem, *, reassign: bool) -> ResponseReturnValue:
    """交办 and 改派: one request, one answer (with the computed due date)."""
    command = body.model_dump(mode="json")
    view = ctx.services.call("assignment", "assign", str(item_id), command, ctx.actor(), reassign)
    return ctx.changed(view, expect_deadline=True)


item_command("assign", "交办（答复中含计算出的办理时限）", "assign", AssignItem)(
    partial(assign, reassign=False)
)
item_command("reassign", "改派", "reassign", AssignItem)(partial(assign, reassign=True))


@item_command("acknowledge", "牵头单位签收", "acknowledge")
def acknowledge(ctx: Context, item_id: UUID) -> ResponseReturnValue:
    return ctx.changed(ctx.services.call("assignment", "acknowledge", str(item_id), ctx.actor()))


@item_command("feedback", "办理结果反馈", "submit_feedback", Feedback)
def feedback(ctx: Context, item_id: UUID, body: Feedback) -> ResponseReturnValue:
    return _give(ctx, item_id, "submit_feedback", body)


@item_command("progress", "进展反馈", "report_progress", Progress)
def progress(ctx: Context, item_id: UUID, body: Progress) -> ResponseReturnValue:
    return _give(ctx, item_id, "report_progress", body)


@item_command("opinions", "配合单位意见", "submit_co_unit_opinion", Opinion)
def co_unit_opinion(ctx: Context, item_id: UUID, body: Opinion) -> ResponseReturnValue:
    return _give(ctx, item_id, "submit_co_unit_opinion", body)


@item_command("indicator-figures", "主要指标月度数据", "record_indicator", IndicatorFigure)
def indicator_figure(ctx: Context, item_id: UUID, body: IndicatorFigure) -> ResponseReturnValue:
    return _give(ctx, item_id, "record_indicator", body)


@item_command("satisfaction", "回访满意度（不满意可重办一次）", "record_satisfaction", Satisfaction)
def satisfaction(ctx: Context, item_id: UUID, body: Satisfaction) -> ResponseReturnValue:
    reopens = body.verdict == "unsatisfied"
    return _give(ctx, item_id, "record_satisfaction", body, expect_deadline=reopens)


@item_command("return", "单位在退回期限内退回", "return_to_office", ReturnToOffice)
def return_to_office(ctx: Context, item_id: UUID, body: ReturnToOffice) -> ResponseReturnValue:
    view = ctx.services.call(
        "assignment", "return_to_office", str(item_id), body.reason, ctx.actor()
    )
    return ctx.changed(view)


# One route for both outcomes; the access table names accepting, and returning for rework
# is given to the same roles.
@item_command("review", "审核：办结或退回重办", "accept", Review)
def review(ctx: Context, item_id: UUID, body: Review) -> ResponseReturnValue:
    return _give(ctx, item_id, "review", body, expect_deadline=body.decision == "return")


@item_command("extension-requests", "延期申请", "request_extension", ExtensionRequest)
def request_extension(ctx: Context, item_id: UUID, body: ExtensionRequest) -> ResponseReturnValue:
    return _give(ctx, item_id, "request_extension", body)


@item_command("extension-decision", "延期审批", "decide_extension", ExtensionDecision)
def decide_extension(ctx: Context, item_id: UUID, body: ExtensionDecision) -> ResponseReturnValue:
    granted = body.decision == "grant"
    return _give(ctx, item_id, "decide_extension", body, expect_deadline=granted)


@item_command(
    "penalties",
    "提出问责建议（通报批评、工作约谈、组织处理、纪律处分）",
    "recommend_penalty",
    PenaltyRecommendation,
)
def recommend_penalty(
    ctx: Context, item_id: UUID, body: PenaltyRecommendation
) -> ResponseReturnValue:
    return _give(ctx, item_id, "recommend_penalty", body)


@item_command("commendations", "表扬：县领导或督查室肯定单位的办理工作", "commend", Commendation)
def commend(ctx: Context, item_id: UUID, body: Commendation) -> ResponseReturnValue:
    return _give(ctx, item_id, "commend", body)


@item_command("cancel", "撤销（误登记或重复登记，留痕）", "cancel", Cancellation)
def cancel(ctx: Context, item_id: UUID, body: Cancellation) -> ResponseReturnValue:
    return _give(ctx, item_id, "cancel", body)


@item_command("merge", "合并到原事项（重复登记，留痕）", "merge", Merge)
def merge(ctx: Context, item_id: UUID, body: Merge) -> ResponseReturnValue:
    return _give(ctx, item_id, "merge", body)


def _give(
    ctx: Context, item_id: UUID, method: str, body: BaseModel, expect_deadline: bool = False
) -> dict[str, Any]:
    """Gives the command to the item's service, with its files (`with_files`)."""
    command = with_files(ctx, body.model_dump(mode="json"))
    view = ctx.services.call("assignment", method, str(item_id), command, ctx.actor())
    return ctx.changed(view, expect_deadline)


def with_files(ctx: Context, command: dict[str, Any]) -> dict[str, Any]:
    """Evidence goes to the services as the files' full records, each checked against its
    hash first. A file the caller may not read (another unit's) is refused as one that does
    not exist: attaching it would let the caller read it."""
    if "evidence" in command:
        for ref in command["evidence"]:
            if not ctx.may_read_file(ref["sha"]):
                raise file_not_found()
        command["evidence"] = [
            ctx.files.describe(ref["sha"], ref["name"]).as_dict() for ref in command["evidence"]
        ]
    return command


@routes.route(
    "GET",
    "/api/v1/items/<uuid:item_id>/due-date-preview",
    "交办前预览：今天交办，办理时限将是哪一天（按来源时限和法定工作日计算）；"
    "指定日期时检查它是否可用",
    roles=ITEM_COMMANDS["assign"].roles,
    params=ItemPath,
    query=DueDatePreviewQuery,
    answers={200: DueDatePreview},
    refusals=(404, 422, 503),
)
def due_date_preview(
    ctx: Context, item_id: UUID, query: DueDatePreviewQuery
) -> ResponseReturnValue:
    item = ctx.visible_item(item_id)
    named = query.due_date.isoformat() if query.due_date else None
    return ctx.services.call(
        "deadline", "due_date_preview", item["source"], item["complexity"], named
    )
