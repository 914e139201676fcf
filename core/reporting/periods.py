"""What a report is asked and what it answers: the period (a month or whole days in the company's time zone), the
filters, the result with its comparison with the previous period and the same period last year."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from core.errors import InvalidFilter

PAGE_SIZE = 50
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2999, 12, 31)  # the years the books hold, comparisons included


@dataclass(frozen=True)
class Period:
    """Whole days from `start` to `end` inclusive, in the company's time zone."""

    start: date
    end: date

    @property
    def is_month(self) -> bool:
        last = calendar.monthrange(self.start.year, self.start.month)[1]
        return self.start.day == 1 and self.end == self.start.replace(day=last)

    def previous(self) -> Period:
        """The month before a whole month; otherwise as many days just before."""
        if self.is_month:
            end = self.start - timedelta(days=1)
            return Period(end.replace(day=1), end)
        days = (self.end - self.start).days + 1
        return Period(self.start - timedelta(days=days), self.start - timedelta(days=1))

    def last_year(self) -> Period:
        """The same dates a year earlier (29 February becomes the 28th)."""
        def back(d: date) -> date:
            return d.replace(year=d.year - 1, day=min(d.day, calendar.monthrange(d.year - 1, d.month)[1]))
        if self.is_month:
            start = back(self.start)
            return Period(start, start.replace(day=calendar.monthrange(start.year, start.month)[1]))
        return Period(back(self.start), back(self.end))

    def held(self) -> Period:
        """The period itself when it lies in the years the books hold; InvalidFilter (reason "years") otherwise."""
        if self.start < FIRST_DAY or self.end > LAST_DAY:
            raise InvalidFilter(reason="years", date_from=self.start.isoformat(), date_to=self.end.isoformat(),
                                first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat())
        return self

    def bounds(self, timezone: str) -> tuple[datetime, datetime]:
        zone = ZoneInfo(timezone)
        return (datetime.combine(self.start, time.min, zone),
                datetime.combine(self.end + timedelta(days=1), time.min, zone))

    def label(self) -> str:
        return f"{self.start:%Y-%m}" if self.is_month else f"{self.start.isoformat()}..{self.end.isoformat()}"


def parse_period(month: str | None = None, date_from: str | date | None = None,
                 date_to: str | date | None = None, today: date | None = None) -> Period:
    """A month "2026-11", or from/to dates (either may be left out), or else the current month."""
    try:
        if month:
            year, number = (int(part) for part in month.strip().split("-"))
            start = date(year, number, 1)
            return Period(start, start.replace(day=calendar.monthrange(year, number)[1])).held()
        first = date.fromisoformat(date_from) if isinstance(date_from, str) else date_from
        last = date.fromisoformat(date_to) if isinstance(date_to, str) else date_to
    except ValueError as error:
        raise InvalidFilter(reason="period", value=str(month or date_from or date_to)[:20]) from error
    now = today or date.today()
    if first is None and last is None:
        start = now.replace(day=1)
        return Period(start, start.replace(day=calendar.monthrange(start.year, start.month)[1]))
    first = first or (last or now).replace(day=1)
    last = last or now
    if last < first:
        raise InvalidFilter(reason="period", date_from=first.isoformat(), date_to=last.isoformat())
    return Period(first, last).held()


@dataclass(frozen=True)
class Filters:
    """What a report is about; None means everything the actor may see."""

    period: Period | None = None
    warehouse: str | None = None
    category: str | None = None
    customer: str | None = None
    supplier: str | None = None
    salesperson: str | None = None
    channel: str | None = None
    product: str | None = None
    by: tuple[str, ...] = ()
    days: int = 90
    partner_kind: str = "customer"
    page: int = 1
    page_size: int = PAGE_SIZE
    timezone: str = "UTC"
    language: str = "zh_CN"  # the reader's: rows carry a product's English name for "en" where it has one


@dataclass(frozen=True)
class Comparison:
    """One measure now, in the previous period and in the same period last year."""

    measure: str
    current: Decimal
    previous: Decimal
    last_year: Decimal

    @property
    def change_previous(self) -> Decimal:
        return self.current - self.previous

    @property
    def change_last_year(self) -> Decimal:
        return self.current - self.last_year

    @property
    def pct_previous(self) -> Decimal | None:
        return _pct(self.current, self.previous)

    @property
    def pct_last_year(self) -> Decimal | None:
        return _pct(self.current, self.last_year)


@dataclass(frozen=True)
class Report:
    """A report's result: plain values only, ready to print, chart or write to a spreadsheet."""

    code: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    totals: tuple[Any, ...]
    comparison: tuple[Comparison, ...] = ()
    period: Period | None = None
    page: int = 1
    pages: int = 1
    params: dict[str, Any] = field(default_factory=dict)

    def total(self, column: str) -> Any:
        return self.totals[self.columns.index(column)]

    def column(self, column: str) -> list[Any]:
        index = self.columns.index(column)
        return [row[index] for row in self.rows]


def _pct(current: Decimal, before: Decimal) -> Decimal | None:
    if before == 0:
        return None
    return ((current - before) * 100 / abs(before)).quantize(Decimal("0.1"))


__all__ = ["PAGE_SIZE", "Comparison", "Filters", "Period", "Report", "parse_period"]
