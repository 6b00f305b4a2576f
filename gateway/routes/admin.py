"""Settings the office keeps: time limits, the official holiday calendar; and the units."""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from gateway.answers import Calendar, Leaders, LoadedCalendar, TimeLimitPolicy, Units
from gateway.api import Routes
from gateway.context import Context
from gateway.schemas import (
    LeaderChoice,
    LeaderPath,
    LeaderRecord,
    PolicyChange,
    ScheduleUpload,
    UnitPath,
    YearPath,
)
from services.kernel.access import OFFICE

routes = Routes()


@routes.route(
    "GET",
    "/api/v1/admin/time-limits",
    "时限设置及每次修改",
    answers={200: TimeLimitPolicy},
    refusals=(503,),
)
def time_limits(ctx: Context) -> ResponseReturnValue:
    return ctx.services.call("deadline", "time_limits")


@routes.route(
    "PUT",
    "/api/v1/admin/time-limits",
    "修改时限设置（须说明理由）",
    roles=OFFICE,
    body=PolicyChange,
    answers={200: TimeLimitPolicy},
    refusals=(422, 503),
)
def change_time_limits(ctx: Context, body: PolicyChange) -> ResponseReturnValue:
    return ctx.services.call(
        "deadline", "change_time_limits", body.limits, body.reason, ctx.actor()
    )


@routes.route(
    "GET",
    "/api/v1/admin/calendar/<int:year>",
    "某年的法定节假日安排",
    params=YearPath,
    answers={200: Calendar},
    refusals=(400, 404, 503),
)
def calendar(ctx: Context, year: int) -> ResponseReturnValue:
    return ctx.services.call("deadline", "calendar", year)


@routes.route(
    "PUT",
    "/api/v1/admin/calendar/<int:year>",
    "载入某年国务院办公厅节假日安排，并重算受影响的办理时限",
    roles=OFFICE,
    params=YearPath,
    body=ScheduleUpload,
    answers={200: LoadedCalendar},
    refusals=(404, 422, 503),
)
def load_calendar(ctx: Context, year: int, body: ScheduleUpload) -> ResponseReturnValue:
    schedule = {
        "year": year,
        "rest_days": [d.isoformat() for d in body.rest_days],
        "working_weekends": [d.isoformat() for d in body.working_weekends],
    }
    return ctx.services.call("deadline", "load_schedule", schedule, body.reason, ctx.actor())


@routes.route("GET", "/api/v1/units", "单位列表", answers={200: Units}, refusals=(503,))
def units(ctx: Context) -> ResponseReturnValue:
    return {"units": ctx.services.call("assignment", "list_units")}


@routes.route(
    "GET",
    "/api/v1/admin/leaders",
    "县领导名册、各单位分管县领导和默认县领导（督办升级的去向）",
    answers={200: Leaders},
    refusals=(503,),
)
def leaders(ctx: Context) -> ResponseReturnValue:
    return ctx.services.call("assignment", "leaders")


@routes.route(
    "PUT",
    "/api/v1/admin/leaders/<code>",
    "登记或更正一位县领导（须说明理由，留痕）",
    roles=OFFICE,
    params=LeaderPath,
    body=LeaderRecord,
    answers={200: Leaders},
    refusals=(400, 422, 503),
)
def record_leader(ctx: Context, code: str, body: LeaderRecord) -> ResponseReturnValue:
    command = body.model_dump(mode="json")
    return ctx.services.call("assignment", "record_leader", code, command, ctx.actor())


@routes.route(
    "PUT",
    "/api/v1/admin/units/<code>/leader",
    "指定单位的分管县领导（须说明理由，留痕）",
    roles=OFFICE,
    params=UnitPath,
    body=LeaderChoice,
    answers={200: Leaders},
    refusals=(400, 422, 503),
)
def put_in_charge(ctx: Context, code: str, body: LeaderChoice) -> ResponseReturnValue:
    command = body.model_dump(mode="json")
    return ctx.services.call("assignment", "put_in_charge", code, command, ctx.actor())


@routes.route(
    "PUT",
    "/api/v1/admin/default-leader",
    "指定默认县领导（没有分管县领导的单位的事项升级给他，通常为常务副县长）",
    roles=OFFICE,
    body=LeaderChoice,
    answers={200: Leaders},
    refusals=(422, 503),
)
def make_default_leader(ctx: Context, body: LeaderChoice) -> ResponseReturnValue:
    command = body.model_dump(mode="json")
    return ctx.services.call("assignment", "make_default_leader", command, ctx.actor())
