"""Reports by name: stock and value, movements, slow-moving stock, purchases, sales, gross profit and ageing; who
may run each and running one with its filters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from core.errors import InvalidFilter
from core.numbers import round_money
from core.permissions import Actor, Permission
from core.reporting.lot_reports import expiry_report, lot_ageing_report
from core.reporting.periods import Comparison, Filters, Report
from core.reporting.stock_reports import movements_report, slow_moving_report, stock_report
from core.reporting.trade_reports import ageing_report, profit_report, purchases_report, sales_report
from core.uow import UnitOfWork

REPORTS = ("stock", "movements", "slow-moving", "expiry", "lot-ageing", "purchases", "sales", "profit", "ageing")
MONEY_COLUMNS = frozenset({"value", "balance_value", "amount", "revenue", "cost", "profit", "0-30", "31-60", "61-90",
                           ">90", "total"})  # the reports' money measures, given the money places


def may_run(actor: Actor, report: str) -> bool:
    """Whether the actor holds what the report needs (what they see in it is filtered further when it runs)."""
    p = Permission
    needs: dict[str, tuple[Permission, ...]] = {
        "stock": (p.STOCK_VIEW,), "movements": (p.STOCK_VIEW,), "slow-moving": (p.STOCK_VIEW,),
        "expiry": (p.STOCK_VIEW,), "lot-ageing": (p.STOCK_VIEW,),
        "purchases": (p.PURCHASE_VIEW,), "sales": (p.SALES_VIEW_OWN, p.SALES_VIEW_ALL),
        "profit": (p.PROFIT_VIEW,), "ageing": (p.MONEY_VIEW, p.SALES_VIEW_OWN),
    }
    return any(actor.can(permission) for permission in needs.get(report, ()))


def run_report(uow: UnitOfWork, actor: Actor, name: str, filters: Filters) -> Report:
    """The report called `name` (one of REPORTS) with these filters, as the actor may see it."""
    runners: dict[str, Callable[[UnitOfWork, Actor, Filters], Report]] = {
        "stock": stock_report, "movements": movements_report, "slow-moving": slow_moving_report,
        "expiry": expiry_report, "lot-ageing": lot_ageing_report,
        "purchases": purchases_report, "sales": sales_report, "profit": profit_report, "ageing": ageing_report,
    }
    if name not in runners:
        raise InvalidFilter(reason="report", value=name[:20], allowed=list(REPORTS))
    return in_money_places(runners[name](uow, actor, filters), uow.money_places)


def in_money_places(report: Report, places: int) -> Report:
    """The report with its money columns, totals and comparisons rounded to the money places (3.90, not 3.9000)."""
    money = [column in MONEY_COLUMNS for column in report.columns]

    def cells(values: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(round_money(Decimal(v), places) if is_money and isinstance(v, Decimal | int) else v
                     for v, is_money in zip(values, money, strict=False))

    def compared(c: Comparison) -> Comparison:
        if c.measure not in MONEY_COLUMNS:
            return c
        return Comparison(c.measure, *(round_money(Decimal(v), places) for v in (c.current, c.previous, c.last_year)))

    return replace(report, rows=tuple(cells(r) for r in report.rows), totals=cells(report.totals),
                   comparison=tuple(compared(c) for c in report.comparison))


__all__ = ["REPORTS", "may_run", "run_report"]
