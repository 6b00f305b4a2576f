"""Working days and Civil Code periods, checked against China's official 2026 arrangement.

Every expected date here is written by hand from /work/shared/calendar-cn-2026.md (the State
Council's notice), never derived from the `holidays` package, so these tests catch the package
or our use of it being wrong.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from services.deadline.calendar import (
    WorkingCalendar,
    YearSchedule,
    _is_substitution,
    end_of_business_day,
    start_of_business_day,
)
from services.kernel.dates import BUSINESS_TZ, business_date


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# The official table: rest days (放假) and make-up working days (上班) of 2026.
REST_2026 = [
    *_days(date(2026, 1, 1), date(2026, 1, 3)),  # 元旦
    *_days(date(2026, 2, 15), date(2026, 2, 23)),  # 春节, 9 days
    *_days(date(2026, 4, 4), date(2026, 4, 6)),  # 清明节
    *_days(date(2026, 5, 1), date(2026, 5, 5)),  # 劳动节
    *_days(date(2026, 6, 19), date(2026, 6, 21)),  # 端午节
    *_days(date(2026, 9, 25), date(2026, 9, 27)),  # 中秋节
    *_days(date(2026, 10, 1), date(2026, 10, 7)),  # 国庆节
]
MAKEUP_2026 = [
    date(2026, 1, 4),  # Sunday
    date(2026, 2, 14),  # Saturday
    date(2026, 2, 28),  # Saturday
    date(2026, 5, 9),  # Saturday
    date(2026, 9, 20),  # Sunday
    date(2026, 10, 10),  # Saturday
]


@pytest.fixture
def cal() -> WorkingCalendar:
    return WorkingCalendar()


# A made-up 2027 arrangement (the real one is published in late 2026).
MADE_UP_2027 = {
    "year": 2027,
    "rest_days": ["2027-01-01", *[f"2027-10-0{d}" for d in range(1, 8)], "2027-12-31"],
    "working_weekends": ["2027-10-09"],
}


# --- 2026 working days -------------------------------------------------------------------


@pytest.mark.parametrize("day", REST_2026, ids=str)
def test_official_2026_rest_day_is_not_a_working_day(cal: WorkingCalendar, day: date) -> None:
    assert not cal.is_working_day(day)


@pytest.mark.parametrize("day", MAKEUP_2026, ids=str)
def test_official_2026_makeup_weekend_is_a_working_day(cal: WorkingCalendar, day: date) -> None:
    assert day.weekday() >= 5
    assert cal.is_working_day(day)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 1, 5), True),  # Monday after New Year
        (date(2026, 1, 10), False),  # ordinary Saturday
        (date(2026, 2, 13), True),  # Friday before the Spring Festival
        (date(2026, 2, 24), True),  # Tuesday after it
        (date(2026, 3, 1), False),  # Sunday after the 2/28 make-up Saturday
        (date(2026, 4, 3), True),  # Friday before Qingming
        (date(2026, 4, 7), True),  # Tuesday after it
        (date(2026, 5, 6), True),  # Wednesday after Labour Day
        (date(2026, 5, 10), False),  # Sunday after the 5/9 make-up Saturday
        (date(2026, 6, 18), True),  # Thursday before Dragon Boat
        (date(2026, 6, 22), True),  # Monday after it
        (date(2026, 9, 19), False),  # Saturday before the 9/20 make-up Sunday
        (date(2026, 9, 28), True),  # Monday after Mid-Autumn
        (date(2026, 10, 8), True),  # Thursday after National Day
        (date(2026, 10, 11), False),  # Sunday after the 10/10 make-up Saturday
        (date(2026, 10, 17), False),  # ordinary Saturday
    ],
    ids=str,
)
def test_ordinary_days_around_the_2026_holidays(
    cal: WorkingCalendar, day: date, working: bool
) -> None:
    assert cal.is_working_day(day) is working


def test_every_day_of_2026_follows_the_official_table(cal: WorkingCalendar) -> None:
    wrong = [
        day
        for day in _days(date(2026, 1, 1), date(2026, 12, 31))
        if cal.is_working_day(day)
        != (day in MAKEUP_2026 or (day.weekday() < 5 and day not in REST_2026))
    ]
    assert wrong == []


def test_2026_has_248_working_days(cal: WorkingCalendar) -> None:
    # 261 weekdays, 19 of them rest days, plus 6 make-up weekend days.
    assert sum(cal.is_working_day(d) for d in _days(date(2026, 1, 1), date(2026, 12, 31))) == 248


def test_next_working_day(cal: WorkingCalendar) -> None:
    assert cal.next_working_day(date(2026, 9, 29)) == date(2026, 9, 29)
    assert cal.next_working_day(date(2026, 10, 1)) == date(2026, 10, 8)
    assert cal.next_working_day(date(2026, 2, 15)) == date(2026, 2, 24)


def test_is_working_day_refuses_a_datetime(cal: WorkingCalendar) -> None:
    with pytest.raises(TypeError) as refused:
        cal.is_working_day(datetime(2026, 10, 1, tzinfo=UTC))
    assert str(refused.value) == (
        "expected a date; use business_date() to turn an instant into one"
    )


# --- add_working_days (Civil Code art. 201) ----------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        # The worked example: 9/29, 9/30, 10/8, 10/9, 10/10 (make-up), 10/12, 10/13.
        (date(2026, 9, 28), 7, date(2026, 10, 13)),
        # Spring Festival: rest 2/15-2/23, make-up 2/14 and 2/28.
        (date(2026, 2, 13), 1, date(2026, 2, 14)),
        (date(2026, 2, 13), 2, date(2026, 2, 24)),
        (date(2026, 2, 13), 5, date(2026, 2, 27)),
        (date(2026, 2, 13), 6, date(2026, 2, 28)),
        (date(2026, 2, 13), 7, date(2026, 3, 2)),
        (date(2026, 2, 14), 1, date(2026, 2, 24)),
        (date(2026, 2, 16), 1, date(2026, 2, 24)),  # assigned on a holiday
        # Labour Day: rest 5/1-5/5, make-up 5/9.
        (date(2026, 4, 30), 1, date(2026, 5, 6)),
        (date(2026, 4, 30), 3, date(2026, 5, 8)),
        (date(2026, 4, 30), 4, date(2026, 5, 9)),
        (date(2026, 4, 30), 5, date(2026, 5, 11)),
        # New Year: rest 1/1-1/3, make-up Sunday 1/4.
        (date(2025, 12, 30), 1, date(2025, 12, 31)),
        (date(2025, 12, 31), 1, date(2026, 1, 4)),
        (date(2025, 12, 31), 2, date(2026, 1, 5)),
        # Qingming, Dragon Boat, Mid-Autumn.
        (date(2026, 4, 3), 1, date(2026, 4, 7)),
        (date(2026, 6, 18), 1, date(2026, 6, 22)),
        (date(2026, 9, 24), 1, date(2026, 9, 28)),
        # National Day's first make-up day, Sunday 9/20.
        (date(2026, 9, 18), 1, date(2026, 9, 20)),
        (date(2026, 9, 18), 2, date(2026, 9, 21)),
    ],
    ids=str,
)
def test_add_working_days_does_not_count_the_start_day(
    cal: WorkingCalendar, start: date, n: int, due: date
) -> None:
    assert cal.add_working_days(start, n) == due


@pytest.mark.parametrize("n", [0, -1])
@pytest.mark.parametrize("count", ["add_working_days", "working_days_before", "add_months"])
def test_a_period_needs_a_positive_count(cal: WorkingCalendar, count: str, n: int) -> None:
    with pytest.raises(ValueError) as refused:
        getattr(cal, count)(date(2026, 9, 28), n)
    assert str(refused.value) == f"n must be at least 1, got {n}"


# --- add_months (Civil Code arts. 201-203) -----------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (date(2026, 6, 10), 1, date(2026, 7, 10)),  # plain: a Friday
        (date(2026, 4, 9), 6, date(2026, 10, 9)),  # a Friday just after National Day
        (date(2026, 3, 31), 1, date(2026, 4, 30)),  # no 4/31: the month's last day, Thursday
        (date(2026, 1, 31), 1, date(2026, 2, 28)),  # clamped onto a make-up Saturday: stays
        (date(2025, 10, 10), 12, date(2026, 10, 10)),  # a make-up Saturday a year on: stays
        (date(2026, 9, 1), 1, date(2026, 10, 8)),  # 10/1 National Day -> next working day
        (date(2026, 1, 15), 1, date(2026, 2, 24)),  # 2/15 Spring Festival -> 2/24
        (date(2026, 8, 31), 6, date(2027, 3, 1)),  # 2027-02-28 is a Sunday -> Monday
        (date(2027, 8, 29), 6, date(2028, 2, 29)),  # leap day, a Tuesday
        (date(2027, 8, 31), 6, date(2028, 2, 29)),  # clamped to the leap day
    ],
    ids=str,
)
def test_add_months(cal: WorkingCalendar, start: date, months: int, end: date) -> None:
    assert cal.add_months(start, months) == end


# --- quarters and years ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quarter", "last"),
    [
        (1, date(2026, 3, 31)),  # Tuesday
        (2, date(2026, 6, 30)),  # Tuesday
        (3, date(2026, 9, 30)),  # Wednesday
        (4, date(2026, 12, 31)),  # Thursday
    ],
)
def test_last_working_day_of_quarter_2026(cal: WorkingCalendar, quarter: int, last: date) -> None:
    assert cal.last_working_day_of_quarter(2026, quarter) == last


def test_last_working_day_of_year_2026(cal: WorkingCalendar) -> None:
    assert cal.last_working_day_of_year(2026) == date(2026, 12, 31)


def test_last_working_day_of_quarter_steps_back_over_rest_days(cal: WorkingCalendar) -> None:
    # 2028-09-30 is a Saturday (2028 counted with weekends only).
    assert cal.last_working_day_of_quarter(2028, 3) == date(2028, 9, 29)
    # In the made-up 2027 arrangement Friday 12/31 is a rest day.
    loaded = cal.with_schedule(YearSchedule.from_dict(MADE_UP_2027))
    assert loaded.last_working_day_of_year(2027) == date(2027, 12, 30)


@pytest.mark.parametrize("quarter", [0, 5])
def test_quarter_must_be_one_to_four(cal: WorkingCalendar, quarter: int) -> None:
    with pytest.raises(ValueError, match="quarter"):
        cal.last_working_day_of_quarter(2026, quarter)


# --- official arrangements and admin-loaded years ----------------------------------------


def test_2026_is_official_and_2027_is_not(cal: WorkingCalendar) -> None:
    # With holidays 0.109 the State Council's 2027 notice is not in the package yet.
    assert cal.is_official(2026)
    assert not cal.is_official(2027)
    assert cal.years_without_official_schedule(date(2026, 9, 28), date(2027, 3, 1)) == [2027]
    assert cal.years_without_official_schedule(date(2026, 1, 1), date(2026, 12, 31)) == []
    assert cal.years_without_official_schedule(date(2027, 5, 6), date(2027, 5, 6)) == [2027]
    with pytest.raises(ValueError) as refused:
        cal.years_without_official_schedule(date(2027, 5, 6), date(2027, 5, 5))
    assert str(refused.value) == "end 2027-05-05 is before start 2027-05-06"


def test_a_year_without_the_official_arrangement_rests_only_at_weekends(
    cal: WorkingCalendar,
) -> None:
    # The package's rule-computed 2027 holidays (New Year, National Day) are not used.
    assert cal.is_working_day(date(2027, 1, 1))  # Friday
    assert cal.is_working_day(date(2027, 10, 1))  # Friday
    assert not cal.is_working_day(date(2027, 10, 2))  # Saturday
    assert cal.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 1)


def test_loading_a_2027_schedule_makes_it_official_and_changes_the_count(
    cal: WorkingCalendar,
) -> None:
    loaded = cal.with_schedule(YearSchedule.from_dict(MADE_UP_2027))

    assert loaded.is_official(2027)
    assert loaded.years_without_official_schedule(date(2026, 9, 28), date(2027, 3, 1)) == []
    assert cal.add_working_days(date(2027, 9, 30), 1) == date(2027, 10, 1)
    assert loaded.add_working_days(date(2027, 9, 30), 1) == date(2027, 10, 8)
    assert loaded.add_working_days(date(2027, 9, 30), 2) == date(2027, 10, 9)  # make-up Saturday
    assert loaded.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)
    # with_schedule leaves the original calendar alone.
    assert not cal.is_official(2027)


def test_a_loaded_schedule_overrides_the_package_for_the_whole_year(
    cal: WorkingCalendar,
) -> None:
    override = WorkingCalendar([YearSchedule(2026, frozenset({date(2026, 3, 2)}), frozenset())])
    assert override.is_official(2026)
    assert not override.is_working_day(date(2026, 3, 2))
    assert override.is_working_day(date(2026, 10, 1))  # not listed in the override
    assert not override.is_working_day(date(2026, 10, 10))  # nor is this make-up day
    assert cal.is_working_day(date(2026, 3, 2))


def test_year_schedule_round_trips_through_a_dict() -> None:
    schedule = YearSchedule.from_dict(MADE_UP_2027)
    assert schedule.rest_days >= {date(2027, 1, 1), date(2027, 10, 7)}
    assert schedule.working_weekends == {date(2027, 10, 9)}
    assert YearSchedule.from_dict(schedule.to_dict()) == schedule
    assert schedule.to_dict()["rest_days"][0] == "2027-01-01"


def _raw_2027(rest_days: object = (), working_weekends: object = ()) -> dict:
    return {"year": 2027, "rest_days": rest_days, "working_weekends": working_weekends}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            _raw_2027(["2026-12-31"]),
            "放假日期：2026-12-31 不在 2027 年内，请只填写 2027 年的日期",
        ),
        (
            _raw_2027([], ["2028-01-01"]),
            "调休上班日期：2028-01-01 不在 2027 年内，请只填写 2027 年的日期",
        ),
        (
            _raw_2027([], ["2027-02-10"]),
            "调休上班日期：2027-02-10 是周三，调休上班日只能是周六或周日",
        ),
        (
            _raw_2027(["2027-02-06", "2027-02-07"], ["2027-02-06", "2027-02-07"]),
            "放假日期和调休上班日期不能同时列出：2027-02-06、2027-02-07，请从其中一处删去",
        ),
        (
            _raw_2027(["2027-13-01"]),
            "放假日期：2027-13-01 不是有效的日期，请检查年、月、日",
        ),
        (
            _raw_2027(["2027/01/01"]),
            "放假日期：'2027/01/01' 不是日期，请按 2027-01-01 的格式填写",
        ),
        (
            _raw_2027([], ["20270102"]),
            "调休上班日期：'20270102' 不是日期，请按 2027-01-01 的格式填写",
        ),
        (_raw_2027([20270101]), "放假日期：20270101 不是日期，请按 2027-01-01 的格式填写"),
        (
            _raw_2027("2027-01-01"),
            "放假日期：须为日期列表，如 [\"2027-01-01\"]，收到 '2027-01-01'",
        ),
        (_raw_2027(5), '放假日期：须为日期列表，如 ["2027-01-01"]，收到 5'),
        (
            _raw_2027([datetime(2027, 1, 1, tzinfo=UTC)]),
            "放假日期：datetime.datetime(2027, 1, 1, 0, 0, tzinfo=datetime.timezone.utc)"
            " 不是日期，请按 2027-01-01 的格式填写",
        ),
        ({**_raw_2027(), "year": "2027"}, "年份：须为整数，如 2027，收到 '2027'"),
        ({"rest_days": [], "working_weekends": []}, "节假日安排缺少字段：年份（year），请补上"),
        (
            {"year": 2027},
            "节假日安排缺少字段：放假日期（rest_days）、调休上班日期（working_weekends），请补上",
        ),
        (
            {**_raw_2027(), "workdays": [], "holidays": []},
            "节假日安排不接受字段：holidays、workdays，请删除",
        ),
        ([], "节假日安排须为对象，含年份、放假日期和调休上班日期"),
    ],
)
def test_year_schedule_from_dict_names_the_problem(data: dict, message: str) -> None:
    with pytest.raises(ValueError) as refused:
        YearSchedule.from_dict(data)
    assert str(refused.value) == message


def test_year_schedule_checks_dates_built_directly() -> None:
    with pytest.raises(ValueError) as refused:
        YearSchedule(2027, frozenset(), frozenset({date(2027, 2, 8)}))
    assert str(refused.value) == "调休上班日期：2027-02-08 是周一，调休上班日只能是周六或周日"
    with pytest.raises(ValueError) as refused:
        YearSchedule(2027, frozenset({datetime(2027, 2, 8, tzinfo=UTC)}), frozenset())
    assert str(refused.value).startswith("放假日期：datetime.datetime(2027, 2, 8")
    with pytest.raises(ValueError) as refused:
        YearSchedule(2027, frozenset({"2027-02-08"}), frozenset())  # type: ignore[arg-type]
    assert str(refused.value) == "放假日期：'2027-02-08' 不是日期，请填写如 2027-01-01 的日期"


def test_a_schedule_takes_dates_and_keeps_them_as_sets() -> None:
    days = [date(2027, 1, 1), date(2027, 1, 2)]
    schedule = YearSchedule.from_dict(
        {"year": 2027, "rest_days": days, "working_weekends": [date(2027, 1, 9)]}
    )
    assert schedule.rest_days == frozenset(days)
    built = YearSchedule(2027, days, [date(2027, 1, 9)])  # type: ignore[arg-type]
    assert (built.rest_days, built.working_weekends) == (frozenset(days), {date(2027, 1, 9)})
    assert isinstance(built.rest_days, frozenset)
    assert isinstance(built.working_weekends, frozenset)
    assert hash(built) == hash(schedule)


def test_a_substitution_entry_is_one_that_names_the_day_it_moves() -> None:
    """The package writes 调休 as (to_month, to_day, from_month, from_day[, from_year])."""
    assert _is_substitution((10, 10, 10, 8))
    assert _is_substitution((1, 4, 1, 2, 2026))
    assert not _is_substitution((10, 1, 10))


# --- business dates and instants ---------------------------------------------------------


@pytest.fixture(params=["UTC", "Asia/Shanghai"])
def local_zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's own time zone must not matter (a server may run on either)."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_end_of_business_day_is_midnight_in_shanghai_in_utc(local_zone: None) -> None:
    due = end_of_business_day(date(2026, 10, 13))
    assert due == datetime(2026, 10, 13, 16, 0, tzinfo=UTC)
    assert due.utcoffset() == timedelta(0)
    assert due.astimezone(BUSINESS_TZ) == datetime(2026, 10, 14, 0, 0, tzinfo=BUSINESS_TZ)


def test_start_of_business_day_is_the_midnight_before_in_utc(local_zone: None) -> None:
    start = start_of_business_day(date(2026, 10, 13))
    assert start == datetime(2026, 10, 12, 16, 0, tzinfo=UTC)
    assert start.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("instant", "day"),
    [
        (datetime(2026, 10, 13, 16, 30, tzinfo=UTC), date(2026, 10, 14)),
        (datetime(2026, 10, 13, 15, 59, 59, tzinfo=UTC), date(2026, 10, 13)),
        (datetime(2026, 10, 13, 16, 0, tzinfo=UTC), date(2026, 10, 14)),
    ],
    ids=str,
)
def test_business_date_is_the_shanghai_date(instant: datetime, day: date) -> None:
    assert business_date(instant) == day


def test_business_date_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="time zone"):
        business_date(datetime(2026, 10, 13, 16, 30))


@pytest.mark.parametrize(
    ("today", "due", "days"),
    [
        # the console's "剩余N个工作日": National Day (1–7 October) is not counted, the
        # Saturday 10 October worked (调休) is
        (date(2026, 9, 29), date(2026, 10, 14), 7),
        (date(2026, 9, 30), date(2026, 10, 8), 1),
        (date(2026, 10, 9), date(2026, 10, 12), 2),
        (date(2026, 10, 14), date(2026, 10, 14), 0),
        # "已逾期N个工作日": the rest days after the due date are not counted either
        (date(2026, 10, 8), date(2026, 9, 30), -1),
        (date(2026, 10, 12), date(2026, 9, 29), -5),
    ],
)
def test_the_countdown_counts_working_days_left_or_late(
    cal: WorkingCalendar, today: date, due: date, days: int
):
    assert cal.countdown(today, due) == days
