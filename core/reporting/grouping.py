"""The shared pieces of the reports: rows grouped by dimensions over a period and compared with earlier periods, a
page of groups with totals, the month of a stored time, and the warehouse and category filters."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    case,
    cast,
    func,
    literal_column,
    or_,
    select,
    text,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import aliased

from core.catalog.products import warehouse_in
from core.errors import InvalidFilter
from core.models import Category, Customer, Employee, Product, PurchaseOrder, SalesOrder, StockMove, Supplier, Warehouse
from core.reporting.periods import Comparison, Filters, Period, Report
from core.uow import Tx

MAX_MONTHS = 240
PG_WORK_MEM = "64MB"
NO_CODE: ColumnElement[str] = literal_column("'-'")


def period_report(
    tx: Tx, code: str, by: Sequence[str], source: Callable[[datetime, datetime], Select[Any]],
    measures: Sequence[tuple[str, Any, Any]], compared: Sequence[str], period: Period, filters: Filters,
) -> Report:
    """Rows grouped by the dimensions for the period, with totals, and the compared measures' totals in the
    previous period and the same period last year.

    The ledger rows are aggregated by ids (product id, customer id, month...) first; names and codes are joined to
    the groups afterwards, so a million rows cost one lookup per group, not per row. By month on SQLite, whose
    GROUP BY sorts every row, each month is its own range of the ledger's time index with its label as a constant
    (UNION ALL of one small grouping per month, no per-row month arithmetic); PostgreSQL hashes the groups in one
    pass, where a month is a CASE over the month edges (one pass beats a join per month there)."""
    start, end = period.bounds(filters.timezone)
    if tx.dialect == "postgresql":  # hash the groups and the order lines in memory, for this transaction only
        tx.session.execute(text(f"SET LOCAL work_mem = '{PG_WORK_MEM}'"))
    months = _months(period, filters.timezone) if "month" in by else []
    ranges = months if months and tx.dialect == "sqlite" else [("", start, end)]

    def groups(label: str, r_start: datetime, r_end: datetime) -> Select[Any]:
        def key(dimension: str) -> ColumnElement[Any]:
            if dimension != "month":
                return _dimension_key(dimension)
            return literal_column(f"'{label}'") if label else _month(StockMove.created_at, months)

        statement = source(r_start, r_end).add_columns(
            *(key(d).label(f"k{i}") for i, d in enumerate(by)), *(s.label(n) for n, s, _ in measures))
        # by the select's own names: a month's CASE carries parameters PostgreSQL would not match twice
        grouped: list[ColumnElement[Any]] = [
            literal_column(f"k{i}") for i, d in enumerate(by) if d != "month" or not label]
        return statement.group_by(*grouped) if grouped else statement.having(func.count() > 0)

    branches = [groups(*r) for r in ranges]
    inner = (branches[0] if len(branches) == 1 else union_all(*branches)).subquery("groups")
    outer = select().select_from(inner)
    labels: list[Any] = []
    for i, dimension in enumerate(by):
        outer, columns = _dimension_labels(outer, dimension, inner.c[f"k{i}"], filters.language)
        labels += columns
    rows, totals, pages = _page(tx, outer, labels, [(n, inner.c[n], t) for n, _, t in measures], filters)
    names = [m[0] for m in measures]
    wanted = [(n, s, t) for n, s, t in measures if n in compared]
    earlier = []
    for other in (period.previous(), period.last_year()):
        o_start, o_end = other.bounds(filters.timezone)
        raw = tx.session.execute(source(o_start, o_end).add_columns(
            *(type_coerce(func.coalesce(s, 0), t) for _, s, t in wanted))).one()
        earlier.append(dict(zip((n for n, _, _ in wanted), raw, strict=True)))
    current = dict(zip(names, totals, strict=True))
    comparison = tuple(Comparison(n, current[n], earlier[0][n], earlier[1][n]) for n, _, _ in wanted)
    columns = [c for d in by for c in ((d, f"{d}_name") if d in ("product", "customer", "supplier") else (d,))]
    return Report(code, (*columns, *names), rows, ("",) * len(columns) + totals, comparison, period,
                  filters.page, pages, {"by": tuple(by)})


def _page(
    tx: Tx, statement: Select[Any], labels: Sequence[Any], measures: Sequence[tuple[str, Any, Any]], filters: Filters,
) -> tuple[tuple[tuple[Any, ...], ...], tuple[Any, ...], int]:
    """A page of already-grouped rows ordered by their labels, with the totals over every row (window sums)."""
    size = max(filters.page_size, 1)
    typed = [(c if t is None else type_coerce(c, t)).label(n) for n, c, t in measures]
    windows = [(func.sum(c).over() if t is None else type_coerce(func.sum(c).over(), t)).label(f"total_{n}")
               for n, c, t in measures]
    result = tx.session.execute(
        statement.add_columns(*labels, *typed, *windows, func.count().over().label("n_groups"))
        .order_by(*labels).limit(size).offset((max(filters.page, 1) - 1) * size)
    ).all()
    width = len(labels) + len(measures)
    if result:
        first = result[0]
        totals = tuple(first[width + i] for i in range(len(measures)))
        return tuple(tuple(r[:width]) for r in result), totals, max(1, -(-first[-1] // size))
    totals_row = tx.session.execute(statement.add_columns(
        *((func.coalesce(func.sum(c), 0) if t is None else type_coerce(func.coalesce(func.sum(c), 0), t))
          for _, c, t in measures))).one()
    return (), tuple(totals_row), 1


def grouped_page(
    tx: Tx, source: Select[Any], keys: Sequence[Any], measures: Sequence[tuple[str, Any, Any]], filters: Filters,
) -> tuple[tuple[tuple[Any, ...], ...], tuple[Any, ...], int]:
    """One statement: a page of groups, the totals over every group and the number of groups (window sums)."""
    size = max(filters.page_size, 1)
    typed = [(s if t is None else type_coerce(s, t)).label(n) for n, s, t in measures]
    windows = [(cast(func.sum(s).over(), BigInteger) if t is None else type_coerce(func.sum(s).over(), t))
               .label(f"total_{n}") for n, s, t in measures]  # a count's total: an integer on every database
    statement = (
        source.add_columns(*keys, *typed, *windows, func.count().over().label("n_groups"))
        .group_by(*keys).order_by(*keys).limit(size).offset((max(filters.page, 1) - 1) * size)
    )
    result = tx.session.execute(statement).all()
    width = len(keys) + len(measures)
    if result:
        first = result[0]
        totals = tuple(first[width + i] for i in range(len(measures)))
        return tuple(tuple(r[:width]) for r in result), totals, max(1, -(-first[-1] // size))
    totals_row = tx.session.execute(source.add_columns(
        *((func.coalesce(s, 0) if t is None else type_coerce(func.coalesce(s, 0), t)) for _, s, t in measures))
    ).one()
    return (), tuple(totals_row), 1


def _dimension_key(dimension: str) -> ColumnElement[Any]:
    """What ledger rows are grouped by for a dimension other than the month: an id or a channel."""
    keys: dict[str, Any] = {
        "product": StockMove.product_id, "customer": SalesOrder.customer_id, "supplier": PurchaseOrder.supplier_id,
        "salesperson": SalesOrder.salesperson_id, "channel": SalesOrder.channel,
        "warehouse": StockMove.warehouse_id, "category": Product.category_id,
    }
    key: ColumnElement[Any] = keys[dimension]
    return key


def product_name(product: Any, language: str) -> ColumnElement[str]:
    """A product's name in the reader's language: the English one for "en" where there is one, else Chinese."""
    if language == "en":
        return func.coalesce(func.nullif(product.name_en, ""), product.name_zh)
    column: ColumnElement[str] = product.name_zh
    return column


def _dimension_labels(statement: Select[Any], dimension: str, key: Any,
                      language: str) -> tuple[Select[Any], list[Any]]:
    """Join what names a group (SKU and name, code and name...) to the grouped rows."""
    if dimension == "product":
        product = aliased(Product)
        return statement.join(product, product.id == key), [product.sku, product_name(product, language)]
    if dimension in ("customer", "supplier"):
        partner: Any = aliased(Customer if dimension == "customer" else Supplier)
        return statement.join(partner, partner.id == key), [partner.code, partner.name]
    if dimension == "salesperson":
        employee = aliased(Employee)
        return statement.join(employee, employee.id == key), [employee.name]
    if dimension == "warehouse":
        warehouse = aliased(Warehouse)
        return statement.join(warehouse, warehouse.id == key), [warehouse.code]
    if dimension == "category":
        category = aliased(Category)
        return statement.outerjoin(category, category.id == key), [func.coalesce(category.code, NO_CODE)]
    return statement, [key]


def _months(period: Period, timezone: str) -> list[tuple[str, datetime, datetime]]:
    """Each month "2026-03" of the period with the stored-time range it covers: from the month's first moment in
    the company's time zone (or the period's start) to the next month's (or the period's end), so exact across
    daylight-saving changes."""
    zone = ZoneInfo(timezone)
    start, end = period.bounds(timezone)
    firsts: list[date] = []
    first = period.start.replace(day=1)
    while first <= period.end:
        firsts.append(first)
        first = (first + timedelta(days=32)).replace(day=1)
    if len(firsts) > MAX_MONTHS:
        raise InvalidFilter(reason="too_many_months", months=len(firsts), allowed=MAX_MONTHS)
    edges = [start, *(datetime.combine(f, time.min, zone) for f in firsts[1:]), end]
    return [(f"{month:%Y-%m}", low, high) for month, (low, high) in zip(firsts, pairwise(edges), strict=True)]


def _month(column: Any, months: Sequence[tuple[str, datetime, datetime]]) -> ColumnElement[str]:
    """The month "2026-03" of a stored time within the period, by comparison with each month's end."""
    whens: list[tuple[ColumnElement[bool], ColumnElement[str]]] = [
        (column < high, literal_column(f"'{label}'")) for label, _, high in months[:-1]]
    last: ColumnElement[str] = literal_column(f"'{months[-1][0]}'")
    return case(*whens, else_=last) if whens else last


def where_warehouse(tx: Tx, statement: Select[Any], filters: Filters, column: Any,
                     scope: frozenset[int] | None) -> Select[Any]:
    """The filter's warehouse, and only the warehouses the reader may see (`scope`, None for all)."""
    if scope is not None:
        statement = statement.where(column.in_(sorted(scope) or [-1]))
    if not filters.warehouse:
        return statement
    return statement.where(column == warehouse_in(tx, filters.warehouse).id)


def where_category(statement: Select[Any], filters: Filters) -> Select[Any]:
    """The category or any of its subcategories, by code."""
    if not filters.category:
        return statement
    wanted = select(Category.id).where(func.upper(Category.code) == filters.category.strip().upper())
    parent = aliased(Category)
    children = select(parent.id).where(parent.parent_id.in_(wanted))
    return statement.where(or_(Product.category_id.in_(wanted), Product.category_id.in_(children)))


def dimensions(wanted: Sequence[str], allowed: Sequence[str]) -> tuple[str, ...]:
    """The wanted dimensions in lower case, each allowed and named once; InvalidFilter otherwise."""
    chosen = tuple(d.strip().lower() for d in wanted if d.strip())
    bad = [d for d in chosen if d not in allowed]
    if bad or not chosen or len(set(chosen)) != len(chosen):
        raise InvalidFilter(reason="group_by", value=",".join(chosen)[:40], allowed=list(allowed))
    return chosen
