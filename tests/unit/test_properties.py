"""Properties that must hold for any input: the working-day arithmetic across the years the
office works in, and the bus's refusal of malformed messages."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from services.deadline.calendar import WorkingCalendar
from services.kernel.contracts import CONTRACTS, Envelope, MalformedMessage, decode

CALENDAR = WorkingCalendar()
DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31))


@given(DAYS, st.integers(min_value=1, max_value=60))
def test_adding_working_days_lands_on_a_working_day_n_working_days_later(day: date, n: int):
    due = CALENDAR.add_working_days(day, n)
    assert due > day
    assert CALENDAR.is_working_day(due)
    assert CALENDAR.working_days_between(day, due) == n


@given(DAYS, st.integers(min_value=1, max_value=24))
def test_a_period_in_months_ends_on_a_working_day_not_before_its_nominal_end(day: date, n: int):
    due = CALENDAR.add_months(day, n)
    assert CALENDAR.is_working_day(due)
    months = (due.year - day.year) * 12 + due.month - day.month
    assert months >= n
    assert months <= n + 1  # only the roll to the next working day can cross a month end


@given(DAYS, st.integers(min_value=1, max_value=30))
def test_counting_back_undoes_counting_forward_from_a_working_day(day: date, n: int):
    start = CALENDAR.next_working_day(day)
    assert CALENDAR.working_days_before(CALENDAR.add_working_days(start, n), n) == start


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=8,
)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(list(Envelope.model_fields)) | st.text(), JSON))
def test_any_message_is_either_a_valid_event_or_refused_cleanly(body: dict):
    """What the inbox does with a body (the same `decode`): an envelope whose payload fits
    its contract, or MalformedMessage, which it dead-letters at once; nothing else escapes."""
    try:
        envelope = decode(body)
    except MalformedMessage:
        return
    assert CONTRACTS[envelope.type].model_validate(envelope.data) == envelope.contract()
