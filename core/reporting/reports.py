"""Reports by name: stock and value, movements, slow-moving stock, purchases, sales, gross profit and ageing; who
may run each and running one with its filters."""

from __future__ import annotations

from collections.abc import Callable

from core.errors import InvalidFilter
from core.permissions import Actor, Permission
from core.reporting.periods import Filters, Report
from core.reporting.stock_reports import movements_report, slow_moving_report, stock_report
from core.reporting.trade_reports import ageing_report, profit_report, purchases_report, sales_report
from core.uow import UnitOfWork

REPORTS = ("stock", "movements", "slow-moving", "purchases", "sales", "profit", "ageing")


def may_run(actor: Actor, report: str) -> bool:
    """Whether the actor holds what the report needs (what they see in it is filtered further when it runs)."""
    p = Permission
    needs: dict[str, tuple[Permission, ...]] = {
        "stock": (p.STOCK_VIEW,), "movements": (p.STOCK_VIEW,), "slow-moving": (p.STOCK_VIEW,),
        "purchases": (p.PURCHASE_VIEW,), "sales": (p.SALES_VIEW_OWN, p.SALES_VIEW_ALL),
        "profit": (p.PROFIT_VIEW,), "ageing": (p.MONEY_VIEW, p.SALES_VIEW_OWN),
    }
    return any(actor.can(permission) for permission in needs.get(report, ()))


def run_report(uow: UnitOfWork, actor: Actor, name: str, filters: Filters) -> Report:
    """The report called `name` (one of REPORTS) with these filters, as the actor may see it."""
    runners: dict[str, Callable[[UnitOfWork, Actor, Filters], Report]] = {
        "stock": stock_report, "movements": movements_report, "slow-moving": slow_moving_report,
        "purchases": purchases_report, "sales": sales_report, "profit": profit_report, "ageing": ageing_report,
    }
    if name not in runners:
        raise InvalidFilter(reason="report", value=name[:20], allowed=list(REPORTS))
    return runners[name](uow, actor, filters)


__all__ = ["REPORTS", "may_run", "run_report"]
