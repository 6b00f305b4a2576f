"""Quarterly evaluation (季度考评): rankings, a unit's explanation, publication, appeals, the
rules and the annual assessment. A unit's handler sees its own explanation and, once a
quarter is published, the ranking; never another unit's details."""

from __future__ import annotations

from typing import Any

from flask import g
from flask.typing import ResponseReturnValue

from gateway.answers import (
    AnnualScores,
    QuarterScores,
    ScoreAppeal,
    ScoreAppeals,
    ScoringRules,
    UnitScore,
)
from gateway.api import Routes
from gateway.context import Context
from gateway.schemas import (
    Appeal,
    AppealDecision,
    AppealPath,
    QuarterPath,
    RulesChange,
    ScoreQuery,
    UnitScorePath,
    YearPath,
)
from services.kernel.access import OFFICE, READERS, UNIT_OR_OFFICE
from services.kernel.errors import NotFound, Refused

routes = Routes()


def _own_unit(ctx: Context) -> str | None:
    """The handler's unit (whose details alone it sees); None: a reader of every unit."""
    return ctx.seen_by()


def _ranking(result: dict[str, Any], office: bool) -> dict[str, Any]:
    """The ranking; late changes for the office only."""
    shown = dict(result)
    if not office:
        shown.pop("late_changes", None)
    return shown


@routes.route(
    "GET",
    "/api/v1/scores",
    "季度考评排名：乡镇（含社管委、工业园区）和县直部门分组排名、得分、三率和表彰、"
    "后两名、问责移交提名；未发布时为临时结果（承办单位只能看已发布的排名）",
    roles=READERS,
    query=ScoreQuery,
    answers={200: QuarterScores},
    refusals=(404, 422, 503),
)
def quarter_scores(ctx: Context, query: ScoreQuery) -> ResponseReturnValue:
    result = ctx.services.call("scoring", "quarter", query.quarter)
    unit = _own_unit(ctx)
    if unit is not None and not result["published"]:
        raise Refused(
            "not_published",
            f"季度：{result['quarter']} 的考评排名尚未发布，发布后可查看；"
            "本单位的得分明细可在“本单位得分”中查看",
            "the ranking is shown to units once published",
            404,
        )
    return _ranking(result, office=unit is None)


@routes.route(
    "GET",
    "/api/v1/scores/<unit>/<quarter>",
    "一个单位的季度得分和说明：每项扣分、加分的规则及版本、来自哪个事项的哪条记录",
    roles=READERS,
    params=UnitScorePath,
    answers={200: UnitScore},
    refusals=(404, 422, 503),
)
def unit_score(ctx: Context, unit: str, quarter: str) -> ResponseReturnValue:
    own = _own_unit(ctx)
    if own is not None and own != unit:
        raise NotFound("该单位的得分", "unit score")
    result = ctx.services.call("scoring", "quarter", quarter, unit)
    card = result["card"]
    if card is None:
        raise NotFound("该单位的得分", "unit score")
    return {"quarter": result["quarter"], "published": result["published"], **card}


@routes.route(
    "POST",
    "/api/v1/scoring/quarters/<quarter>/publication",
    "发布季度考评结果（季度结束后）：发布后结果冻结，只能经申诉更正为新版本",
    roles=OFFICE,
    params=QuarterPath,
    answers={200: QuarterScores},
    refusals=(409, 422, 503),
)
def publish(ctx: Context, quarter: str) -> ResponseReturnValue:
    return _ranking(ctx.services.call("scoring", "publish", quarter, ctx.actor()), office=True)


@routes.route(
    "GET",
    "/api/v1/scoring/quarters/<quarter>/appeals",
    "季度考评的申诉及处理结果（承办单位只看本单位的）",
    roles=READERS,
    params=QuarterPath,
    answers={200: ScoreAppeals},
    refusals=(422, 503),
)
def appeals(ctx: Context, quarter: str) -> ResponseReturnValue:
    return {"appeals": ctx.services.call("scoring", "appeals", quarter, _own_unit(ctx))}


@routes.route(
    "POST",
    "/api/v1/scoring/quarters/<quarter>/appeals",
    "申诉：单位对已发布结果中的一项扣分提出异议并说明理由",
    roles=UNIT_OR_OFFICE,
    params=QuarterPath,
    body=Appeal,
    answers={201: ScoreAppeal},
    refusals=(404, 409, 422, 503),
)
def file_appeal(ctx: Context, quarter: str, body: Appeal) -> ResponseReturnValue:
    unit = _own_unit(ctx)
    if g.principal.role == "handler" and unit is None:
        raise NotFound("扣分项", "deduction")
    appeal = ctx.services.call(
        "scoring", "file_appeal", quarter, body.point, body.reasons, unit, ctx.actor()
    )
    return appeal, 201


@routes.route(
    "POST",
    "/api/v1/scoring/quarters/<quarter>/appeals/<int:number>/decision",
    "处理申诉：维持扣分，或撤销扣分并发布更正后的新版本（原版本保留）",
    roles=OFFICE,
    params=AppealPath,
    body=AppealDecision,
    answers={200: ScoreAppeal},
    refusals=(404, 409, 422, 503),
)
def decide_appeal(
    ctx: Context, quarter: str, number: int, body: AppealDecision
) -> ResponseReturnValue:
    label = quarter.upper().replace("-", "")
    return ctx.services.call(
        "scoring",
        "decide_appeal",
        quarter,
        f"{label}-{number}",
        body.outcome,
        body.comment,
        ctx.actor(),
    )


@routes.route(
    "GET",
    "/api/v1/scoring/rules",
    "考评规则：各版本的分值及生效日期",
    roles=READERS,
    answers={200: ScoringRules},
    refusals=(503,),
)
def rules(ctx: Context) -> ResponseReturnValue:
    return ctx.services.call("scoring", "rules")


@routes.route(
    "POST",
    "/api/v1/scoring/rules",
    "修改考评规则：只列要改的规则，自生效日期起适用，不追溯",
    roles=OFFICE,
    body=RulesChange,
    answers={200: ScoringRules},
    refusals=(422, 503),
)
def change_rules(ctx: Context, body: RulesChange) -> ResponseReturnValue:
    return ctx.services.call(
        "scoring",
        "change_rules",
        body.rules,
        body.effective_from.isoformat(),
        body.reason,
        ctx.actor(),
    )


@routes.route(
    "GET",
    "/api/v1/scores/annual/<int:year>",
    "年度目标责任考核：四个季度加权（默认等权）分组排名；每组后 2 名取消当年评先评优资格",
    roles=READERS,
    params=YearPath,
    answers={200: AnnualScores},
    refusals=(400, 503),
)
def annual(ctx: Context, year: int) -> ResponseReturnValue:
    return ctx.services.call("scoring", "annual", year)
