"""China's working-day calendar and Civil Code (arts. 201-203) period arithmetic.

Working days follow the State Council's yearly arrangement, including the weekend days that
become working days (调休). The arrangement comes from the `holidays` package for the years it
has the official notice for, or from an admin-loaded `YearSchedule`, which overrides the package
for that whole year. A year with neither is counted with weekends only, and `is_official` says
so, so that the caller can record it.

Business dates are Asia/Shanghai dates; instants are aware datetimes, stored in UTC.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from typing import Any

import holidays

from services.kernel.dates import BUSINESS_TZ

__all__ = [
    "WorkingCalendar",
    "YearSchedule",
    "end_of_business_day",
    "start_of_business_day",
]

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SCHEDULE_LABELS = {"year": "年份", "rest_days": "放假日期", "working_weekends": "调休上班日期"}
_WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")

# (rest days, working weekend days) of one year.
_YearData = tuple[frozenset[date], frozenset[date]]
_WEEKENDS_ONLY: _YearData = (frozenset(), frozenset())


@dataclass(frozen=True)
class YearSchedule:
    """The official arrangement for one year, loaded by an administrator."""

    year: int
    rest_days: frozenset[date]
    working_weekends: frozenset[date]

    def __post_init__(self) -> None:
        if not isinstance(self.year, int) or isinstance(self.year, bool):
            raise ValueError(f"年份：须为整数，如 2027，收到 {self.year!r}")
        object.__setattr__(self, "rest_days", frozenset(self.rest_days))
        object.__setattr__(self, "working_weekends", frozenset(self.working_weekends))
        for name in ("rest_days", "working_weekends"):
            label, days = _SCHEDULE_LABELS[name], getattr(self, name)
            if bad := [d for d in days if not isinstance(d, date) or isinstance(d, datetime)]:
                raise ValueError(f"{label}：{bad[0]!r} 不是日期，请填写如 2027-01-01 的日期")
            for day in sorted(days):
                if day.year != self.year:
                    raise ValueError(
                        f"{label}：{day.isoformat()} 不在 {self.year} 年内，"
                        f"请只填写 {self.year} 年的日期"
                    )
        for day in sorted(self.working_weekends):
            if day.weekday() < _SATURDAY:
                raise ValueError(
                    f"调休上班日期：{day.isoformat()} 是{_WEEKDAYS[day.weekday()]}，"
                    "调休上班日只能是周六或周日"
                )
        if both := sorted(self.rest_days & self.working_weekends):
            listed = "、".join(day.isoformat() for day in both)
            raise ValueError(f"放假日期和调休上班日期不能同时列出：{listed}，请从其中一处删去")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> YearSchedule:
        """Parse {"year": 2027, "rest_days": [ISO dates], "working_weekends": [ISO dates]}."""
        if not isinstance(data, dict):
            raise ValueError("节假日安排须为对象，含年份、放假日期和调休上班日期")
        if unknown := sorted(set(data) - set(_SCHEDULE_LABELS)):
            raise ValueError(f"节假日安排不接受字段：{'、'.join(map(str, unknown))}，请删除")
        if missing := [name for name in _SCHEDULE_LABELS if name not in data]:
            listed = "、".join(f"{_SCHEDULE_LABELS[name]}（{name}）" for name in missing)
            raise ValueError(f"节假日安排缺少字段：{listed}，请补上")
        return cls(
            year=data["year"],
            rest_days=_parse_dates("rest_days", data["rest_days"]),
            working_weekends=_parse_dates("working_weekends", data["working_weekends"]),
        )

    def to_dict(self) -> dict[str, Any]:
        """The `from_dict` form, dates sorted, as ISO strings."""
        return {
            "year": self.year,
            "rest_days": [day.isoformat() for day in sorted(self.rest_days)],
            "working_weekends": [day.isoformat() for day in sorted(self.working_weekends)],
        }


def _parse_dates(field: str, values: Any) -> frozenset[date]:
    """Parse a list of YYYY-MM-DD strings, naming the field and value on error."""
    label = _SCHEDULE_LABELS[field]
    if isinstance(values, str | bytes) or not isinstance(values, list | tuple):
        raise ValueError(f'{label}：须为日期列表，如 ["2027-01-01"]，收到 {values!r}')
    days = set()
    for value in values:
        if isinstance(value, date) and not isinstance(value, datetime):
            days.add(value)
        elif not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
            raise ValueError(f"{label}：{value!r} 不是日期，请按 2027-01-01 的格式填写")
        else:
            try:
                days.add(date.fromisoformat(value))
            except ValueError:
                raise ValueError(f"{label}：{value} 不是有效的日期，请检查年、月、日") from None
    return frozenset(days)


def _is_substitution(entry: tuple[Any, ...]) -> bool:
    """A substituted-day entry: (to_month, to_day, from_month, from_day[, from_year])."""
    return len(entry) >= 4


@lru_cache(maxsize=256)
def _package_year(year: int) -> _YearData | None:
    """The `holidays` package's official arrangement for `year`, or None if it has none.

    holidays 0.109 computes China's statutory holidays from rules for every year from 1950 to
    2100, and adds the State Council's notice for a year as `special_public_holidays[year]`,
    whose 调休 pairs give the weekend days that become working days (`weekend_workdays`). A
    year whose entry has no such pair (2027 in 0.109: no entry at all) is only rule-computed,
    so it is not the official arrangement. Its "estimated" labels do not tell them apart.
    """
    china = holidays.China(years=year)
    entries = china.special_public_holidays.get(year, ())
    if entries and isinstance(entries[0], int):  # a single entry rather than a tuple of them
        entries = (entries,)
    if not any(_is_substitution(entry) for entry in entries):
        return None
    rest_days = frozenset(day for day in china if day.year == year)
    working_weekends = frozenset(day for day in china.weekend_workdays if day.year == year)
    return rest_days, working_weekends


class WorkingCalendar:
    """Working days in China: the official arrangement where known, else weekends only."""

    def __init__(self, schedules: Iterable[YearSchedule] = ()) -> None:
        self._schedules: dict[int, YearSchedule] = {s.year: s for s in schedules}

    def with_schedule(self, schedule: YearSchedule) -> WorkingCalendar:
        """A new calendar with `schedule` loaded (replacing any for that year)."""
        return WorkingCalendar({**self._schedules, schedule.year: schedule}.values())

    def is_official(self, year: int) -> bool:
        """Whether `year` is counted with the official arrangement (admin-loaded or package)."""
        return self._year(year)[0]

    def is_working_day(self, day: date) -> bool:
        """Whether `day` is a working day."""
        if isinstance(day, datetime):
            raise TypeError("expected a date; use business_date() to turn an instant into one")
        rest_days, working_weekends = self._year(day.year)[1]
        if day in rest_days:
            return False
        return day.weekday() < _SATURDAY or day in working_weekends

    def next_working_day(self, day: date) -> date:
        """The first working day on or after `day`."""
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start` (Civil Code art. 201: `start` is not counted)."""
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        day = start
        for _ in range(n):
            day = self.next_working_day(day + _ONE_DAY)
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days lie in (start, end]."""
        count, day = 0, start
        while day < end:
            day += _ONE_DAY
            count += self.is_working_day(day)
        return count

    def working_days_before(self, day: date, n: int) -> date:
        """The n-th working day before `day` (`day` itself is not counted)."""
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        for _ in range(n):
            day -= _ONE_DAY
            while not self.is_working_day(day):
                day -= _ONE_DAY
        return day

    def add_months(self, start: date, n: int) -> date:
        """The last day of a period of n months from `start` (Civil Code arts. 201-203).

        It is the same-numbered day of the n-th month after, or that month's last day when
        there is none; if that is a rest day, the period ends on the next working day.
        """
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        year, month0 = divmod(start.month - 1 + n, 12)
        year += start.year
        day = min(start.day, calendar.monthrange(year, month0 + 1)[1])
        return self.next_working_day(date(year, month0 + 1, day))

    def last_working_day_of_quarter(self, year: int, quarter: int) -> date:
        """The last working day of quarter 1-4 of `year`."""
        if quarter not in (1, 2, 3, 4):
            raise ValueError(f"quarter must be 1-4, got {quarter}")
        month = 3 * quarter
        day = date(year, month, calendar.monthrange(year, month)[1])
        while not self.is_working_day(day):
            day -= _ONE_DAY
        return day

    def last_working_day_of_year(self, year: int) -> date:
        """The last working day of `year`."""
        return self.last_working_day_of_quarter(year, 4)

    def years_without_official_schedule(self, start: date, end: date) -> list[int]:
        """The years touched by [start, end] that are counted without the official arrangement."""
        if end < start:
            raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
        return [y for y in range(start.year, end.year + 1) if not self.is_official(y)]

    # A calendar lives as long as the schedules it was made with (one per loaded set), and its
    # arithmetic asks for the same few years again and again.
    @cache  # noqa: B019
    def _year(self, year: int) -> tuple[bool, _YearData]:
        """Whether `year` is counted officially, and its (rest days, working weekends)."""
        if (schedule := self._schedules.get(year)) is not None:
            return True, (schedule.rest_days, schedule.working_weekends)
        if (package := _package_year(year)) is not None:
            return True, package
        # No official arrangement: the package's rule-computed holidays for the year are
        # ignored, only weekends rest; callers record that via is_official.
        return False, _WEEKENDS_ONLY


def end_of_business_day(day: date) -> datetime:
    """24:00 Asia/Shanghai at the end of `day` (the next day's 00:00 there), in UTC."""
    return datetime.combine(day + _ONE_DAY, time(0), tzinfo=BUSINESS_TZ).astimezone(UTC)


def start_of_business_day(day: date) -> datetime:
    """00:00 Asia/Shanghai at the start of `day`, in UTC."""
    return datetime.combine(day, time(0), tzinfo=BUSINESS_TZ).astimezone(UTC)
