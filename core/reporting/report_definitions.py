"""What a saved report shows: a definition (report, dimensions, measures, filters, period) checked against what its
report offers and against the books, and its period spec resolved to dates."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from core.catalog.products import warehouse_in
from core.errors import InvalidReportDefinition, PermissionDenied, UnknownEmployee, UnknownPartner, UnknownProduct
from core.models import Category, Customer, Employee, Product, Supplier
from core.permissions import Actor
from core.reporting.periods import Period, parse_period
from core.reporting.reports import REPORTS, may_run
from core.reporting.stock_reports import STOCK_DIMENSIONS
from core.reporting.trade_reports import PURCHASE_DIMENSIONS, SALES_DIMENSIONS
from core.uow import Tx, UnitOfWork

RELATIVE_PERIODS = ("this_month", "last_month", "today", "this_week", "last_7_days")
MAX_NAME = 40
MAX_FILTER = 40
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "stock": STOCK_DIMENSIONS, "purchases": PURCHASE_DIMENSIONS, "sales": SALES_DIMENSIONS, "profit": SALES_DIMENSIONS,
}
MEASURES: dict[str, tuple[str, ...]] = {
    "stock": ("products", "on_hand", "value"), "movements": ("qty", "value"), "slow-moving": ("on_hand", "value"),
    "expiry": ("on_hand", "value"), "lot-ageing": ("on_hand", "value"),
    "purchases": ("qty", "amount"), "sales": ("qty", "revenue"), "profit": ("qty", "revenue", "cost", "profit"),
    "ageing": ("0-30", "31-60", "61-90", ">90", "total"),
}
FILTERS: dict[str, tuple[str, ...]] = {
    "stock": ("warehouse", "category"), "movements": ("product", "warehouse"),
    "slow-moving": ("warehouse", "category"), "expiry": ("warehouse", "category"),
    "lot-ageing": ("warehouse", "category"), "purchases": ("warehouse", "category", "supplier"),
    "sales": ("warehouse", "category", "customer", "salesperson", "channel"),
    "profit": ("warehouse", "category", "customer", "salesperson", "channel"),
    "ageing": ("customer", "supplier"),
}
DATED = frozenset({"movements", "purchases", "sales", "profit"})
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Definition:
    """What a saved report shows: empty `by`/`measures` mean the report's defaults; `period` for dated reports."""

    report: str
    by: tuple[str, ...] = ()
    measures: tuple[str, ...] = ()
    filters: dict[str, str] = field(default_factory=dict)
    period: str | None = None
    days: int = 90
    kind: str = "customer"

    def to_json(self) -> dict[str, Any]:
        return {"by": list(self.by), "measures": list(self.measures), "filters": dict(self.filters),
                "period": self.period, "days": self.days, "kind": self.kind}

    @classmethod
    def from_row(cls, report: str, data: dict[str, Any]) -> Definition:
        return cls(report, tuple(data.get("by") or ()), tuple(data.get("measures") or ()),
                   dict(data.get("filters") or {}), data.get("period"), int(data.get("days", 90)),
                   str(data.get("kind", "customer")))


# ---- definitions ---------------------------------------------------------------------------------------------------

def resolve_period(spec: str | None, today: date) -> Period | None:
    """A period spec as of `today`: this_month, last_month, today, this_week (Monday to Sunday), last_7_days, or a
    fixed month "2026-11"."""
    if spec is None:
        return None
    if spec == "today":
        return Period(today, today)
    if spec == "this_week":
        monday = today - timedelta(days=today.weekday())
        return Period(monday, monday + timedelta(days=6))
    if spec == "last_7_days":
        return Period(today - timedelta(days=6), today)
    if spec == "this_month":
        return parse_period(today=today)
    if spec == "last_month":
        return parse_period(today=today.replace(day=1) - timedelta(days=1))
    if _MONTH.match(spec):
        return parse_period(spec)
    raise InvalidReportDefinition(field="period", value=spec[:20], allowed=[*RELATIVE_PERIODS, "YYYY-MM"])


def normalise(definition: Definition) -> Definition:
    """The definition checked against what its report offers (no database needed); InvalidReportDefinition."""
    report = definition.report.strip().lower()
    if report not in REPORTS:
        raise InvalidReportDefinition(field="report", value=report[:20], allowed=list(REPORTS))
    by = _choices("by", definition.by, DIMENSIONS.get(report, ()))
    measures = _choices("measures", definition.measures, MEASURES[report])
    filters: dict[str, str] = {}
    for key, value in definition.filters.items():
        name, text = str(key).strip().lower(), str(value or "").strip()
        if name not in FILTERS[report]:
            raise InvalidReportDefinition(field="filter", value=name[:20], allowed=list(FILTERS[report]))
        if not text or len(text) > MAX_FILTER:
            raise InvalidReportDefinition(field=name, value=text[:MAX_FILTER], limit=MAX_FILTER)
        filters[name] = text
    if report == "movements" and "product" not in filters:
        raise InvalidReportDefinition(field="product", value="")
    period = (definition.period or "").strip().lower() or None
    if report in DATED:
        period = period or "this_month"
        resolve_period(period, date(2000, 1, 1))
    elif period is not None:
        raise InvalidReportDefinition(field="period", value=period[:20], allowed=[])
    if report in ("slow-moving", "expiry", "lot-ageing") and not 1 <= definition.days <= 3650:
        raise InvalidReportDefinition(field="days", value=str(definition.days))
    if report == "ageing" and definition.kind not in ("customer", "supplier"):
        raise InvalidReportDefinition(field="kind", value=definition.kind[:20], allowed=["customer", "supplier"])
    return replace(definition, report=report, by=by, measures=measures, filters=filters, period=period)


def check_definition(uow: UnitOfWork, actor: Actor, definition: Definition) -> Definition:
    """The definition normalised, its warehouse, category, partners, salesperson and product found (read only)."""
    checked = normalise(definition)
    if not may_run(actor, checked.report):
        raise PermissionDenied(employee=actor.name, permission=f"report.{checked.report}", warehouse_id=None)
    uow.read(lambda tx: _check_references(tx, checked.filters))
    return checked


def _check_references(tx: Tx, filters: dict[str, str]) -> None:
    def upper(column: Any, text: str) -> Any:
        return tx.session.scalar(select(column).where(func.upper(column) == text.upper()).limit(1))

    if "warehouse" in filters:
        warehouse_in(tx, filters["warehouse"])
    if "category" in filters and upper(Category.code, filters["category"]) is None:
        raise InvalidReportDefinition(field="category", value=filters["category"])
    for kind, model in (("customer", Customer), ("supplier", Supplier)):
        if kind in filters and upper(model.code, filters[kind]) is None:
            raise UnknownPartner(kind=kind, partner=filters[kind])
    if "salesperson" in filters and tx.session.scalar(
            select(Employee.id).where(Employee.name == filters["salesperson"])) is None:
        raise UnknownEmployee(employee=filters["salesperson"])
    if "product" in filters and upper(Product.sku, filters["product"]) is None:
        raise UnknownProduct(product=filters["product"])


def _choices(name: str, wanted: Sequence[str], allowed: Sequence[str]) -> tuple[str, ...]:
    chosen = tuple(str(w).strip().lower() for w in wanted if str(w).strip())
    bad = [c for c in chosen if c not in allowed]
    if bad or len(set(chosen)) != len(chosen):
        raise InvalidReportDefinition(field=name, value=",".join(bad or chosen)[:40], allowed=list(allowed))
    return chosen


def clean_name(name: str) -> str:
    """A saved report's name, spaces collapsed; InvalidReportDefinition when empty, too long or a report's name."""
    text = " ".join(name.split())
    if not text or len(text) > MAX_NAME or text.startswith("/") or text.lower() in REPORTS:
        raise InvalidReportDefinition(field="name", value=text[:MAX_NAME], limit=MAX_NAME)
    return text


__all__ = [
    "DATED", "DIMENSIONS", "FILTERS", "MEASURES", "RELATIVE_PERIODS", "Definition", "check_definition",
    "clean_name", "normalise", "resolve_period",
]
