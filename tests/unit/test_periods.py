"""Report periods: a month or days, never reversed, and only in the years the books hold, so that the comparison
periods (the one before, the same one last year) always exist."""

from __future__ import annotations

from datetime import date

import pytest

from core.errors import InvalidFilter
from core.reporting.periods import FIRST_DAY, LAST_DAY, Period, parse_period


@pytest.mark.parametrize(("month", "start", "end"), [
    (None, "0001-01-01", "9999-12-31"), (None, "1969-12-31", "2026-01-01"), (None, "2026-01-01", "3000-01-01"),
    ("0001-01", None, None), ("9999-12", None, None),
])
def test_a_period_outside_the_years_the_books_hold_is_refused_with_the_years_allowed(
        month: str | None, start: str | None, end: str | None) -> None:
    with pytest.raises(InvalidFilter) as refused:
        parse_period(month, start, end)
    assert refused.value.code == "invalid_filter"
    assert (refused.value.params["reason"], refused.value.params["first"], refused.value.params["last"]) == (
        "years", "1970-01-01", "2999-12-31")


def test_the_widest_period_the_books_hold_has_both_comparison_periods() -> None:
    widest = parse_period(None, FIRST_DAY.isoformat(), LAST_DAY.isoformat())
    assert widest == Period(FIRST_DAY, LAST_DAY)
    assert widest.previous().start.year > 900 and widest.last_year() == Period(date(1969, 1, 1), date(2998, 12, 31))
    assert parse_period("1970-01").previous() == Period(date(1969, 12, 1), date(1969, 12, 31))
    start, end = parse_period("2999-12").bounds("Asia/Shanghai")
    assert (start.year, end.year) == (2999, 3000)


def test_a_reversed_period_or_a_month_that_is_not_one_is_a_bad_filter() -> None:
    for args in ((None, "2026-05-01", "2026-04-01"), ("2026-13", None, None), (None, "2026-02-30", None)):
        with pytest.raises(InvalidFilter) as refused:
            parse_period(*args)
        assert refused.value.params["reason"] == "period"
