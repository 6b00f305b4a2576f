"""Items: registering, listing and reading them, and every command on one item. Who may give a
command is the kernel's access table (`services/kernel/access.py`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial, wraps
from typing import Any
from uuid import UUID

from flask.typing import ResponseReturnValue
from pydantic import BaseModel

from gateway import limits
from gateway.answers import BatchResult, BatchUnfinished, DueDatePreview, History, Item, ItemList
from gateway.api import Routes, V
from gateway.assigning import OUTCOME_LABELS, OUTCOMES, Assigning, counted, summary
from gateway.context import Context
from gateway.errors import Unfinished
from gateway.evidence import file_not_found
from gateway.schemas import (
    AssignBatch,
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
from gateway.units import API, Terms, UnitRegister, checked_units
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
    # 404: an evidence file that was never uploaded (or that the caller may not read)
    refusals=(404, 422, 503),
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
    "事项列表和督查室的工作清单（条件可组合：延期待审批、已提请督促、未签收、单位退回、"
    "N 个工作日内到期、办理时限区间、交办通知编号、外部编号、标题和内容搜索）；"
    "unit 匹配牵头或配合单位；承办单位只看到本单位办理过的事项",
    roles=READERS,
    query=ItemQuery,
    answers={200: ItemList},
    refusals=(503,),
)
def list_items(ctx: Context, query: ItemQuery) -> ResponseReturnValue:
    filters = query.model_dump(exclude={"due_within"})
    if query.due_within is not None:
        # working days are the deadline service's to count
        window = ctx.services.call("deadline", "due_window", query.due_within)
        filters["due_window"] = tuple(date.fromisoformat(day) for day in window)
    total, items = ctx.reads.items(**filters, seen_by=ctx.seen_by())
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


@routes.route(
    "POST",
    "/api/v1/items/assign-batch",
    f"批量交办已登记的事项（每次至多 {limits.ASSIGN_BATCH} 件，逐件给出结果；重发不会重复交办）",
    roles=ITEM_COMMANDS["assign"].roles,
    body=AssignBatch,
    answers={200: BatchResult, 503: BatchUnfinished},
    refusals=(503,),
)
def assign_batch(ctx: Context, body: AssignBatch) -> ResponseReturnValue:
    """Each entry is checked (its units, an item named twice) and assigned on its own, as by
    `assign`; a bad entry is refused by itself, with its reason. An item already with the very
    units asked for is left as it is ("already_assigned"), so sending a batch again (after a
    503, say) assigns the rest and repeats nothing."""
    units = UnitRegister(ctx.services.call("assignment", "list_units"))
    results: dict[int, dict[str, Any]] = {}
    wanted: dict[int, tuple[UUID, Terms]] = {}
    first: dict[UUID, int] = {}
    for index, entry in enumerate(body.assignments):
        due = entry.due_date.isoformat() if entry.due_date else None
        found = checked_units([entry.lead_unit], entry.co_units, units, API, due)
        problems = [] if isinstance(found, Terms) else found
        if entry.item_id in first:
            problems.append(
                {
                    "field": "item_id",
                    "message": f"事项：与第 {first[entry.item_id] + 1} 条重复，"
                    "同一事项在一次批量交办中只能出现一次，请删去",
                }
            )
        first.setdefault(entry.item_id, index)
        if isinstance(found, Terms) and not problems:
            wanted[index] = (entry.item_id, found)
            continue
        results[index] = {
            "item_id": str(entry.item_id),
            "assignment": "refused",
            "assignment_label": OUTCOME_LABELS["refused"],
            "lead_unit": entry.lead_unit,
            "co_units": entry.co_units,
            "error": "invalid_assignment",
            "message": "；".join(p["message"] for p in problems),
            "message_en": "the entry cannot be assigned as given",
            "fields": problems,
        }
    assigned, stopped = Assigning(ctx.services, ctx.reads, ctx.actor(), units).each(
        list(wanted.values())
    )
    results |= dict(zip(wanted, assigned, strict=True))
    answered = [{"index": i, **results[i]} for i in range(len(body.assignments))]
    counts = counted(answered, OUTCOMES)
    message = summary(answered, lambda r: f"第 {r['index'] + 1} 条")
    if stopped:
        raise Unfinished(
            "assignment_unfinished",
            f"服务暂不可用，有 {counts['pending']} 件尚未交办（{message}）；"
            "请稍后重新提交同一批，已交办的不会重复",
            "not every entry could be assigned; send the same batch again",
            {"results": answered, "counts": counts},
        )
    return {"results": answered, "counts": counts, "message": message}


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
