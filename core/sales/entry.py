"""Entering a sales order on a page: items as the person types (with pack units, the customer's last price and the
stock at hand), the whole order quoted while it is edited, and the order placed (written and submitted) at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from core.catalog.lines import bounded, entered
from core.catalog.listing import ProductView, list_products
from core.catalog.products import warehouse_in
from core.models import ProductUnit, StockLevel
from core.numbers import ZERO
from core.partners.customers import customer_in
from core.permissions import Actor, Permission
from core.sales.orders import create_sales_order, submit_sales_order
from core.sales.price_rules import PriceSource
from core.sales.pricing import PricedLine, priced_lines
from core.sales.records import MAX_LINES, SalesLineIn
from core.sales.views import SalesOrderView
from core.uow import Tx, UnitOfWork

MAX_ITEMS = 20


@dataclass(frozen=True)
class PackUnit:
    name: str
    factor: Decimal


@dataclass(frozen=True)
class SaleItem:
    """A product offered while typing: its units, list and floor price, the price this customer's price list
    proposes for one (and why), this customer's last price and its time, stock here."""

    sku: str
    name_zh: str
    name_en: str
    unit: str
    units: tuple[PackUnit, ...]
    sale_price: Decimal
    floor_price: Decimal
    last_price: Decimal | None
    available: Decimal
    price: Decimal
    source: PriceSource
    last_at: datetime | None


@dataclass(frozen=True)
class LineQuote:
    """One entered line as the order will hold it, with what the person should know before submitting."""

    sku: str
    qty: Decimal
    unit: str | None
    base_qty: Decimal
    unit_price: Decimal
    amount: Decimal
    available: Decimal
    short: bool
    below_floor: bool
    proposed: Decimal
    source: PriceSource
    last_price: Decimal | None
    last_at: datetime | None


@dataclass(frozen=True)
class OrderQuote:
    lines: tuple[LineQuote, ...]
    total: Decimal


def sale_items(uow: UnitOfWork, actor: Actor, customer: str, warehouse: str, query: str,
               limit: int = 8) -> tuple[SaleItem, ...]:
    """Products matching what was typed (the catalogue's search), with what a sales line needs to know of each."""
    actor.require(Permission.SALES_CREATE)
    found = list_products(uow, actor, query, limit=max(1, min(limit, MAX_ITEMS)))
    if not found:
        return ()

    def work(tx: Tx) -> tuple[SaleItem, ...]:
        buyer = customer_in(tx, actor, customer)
        source = warehouse_in(tx, warehouse)
        priced = {p.sku: p for p in priced_lines(tx, [entered(p.sku, 1) for p in found], buyer.id)}
        ids = [p.product_id for p in priced.values()]
        units = _units(tx, ids)
        available = _available(tx, source.id, ids)
        return tuple(_item(p, priced[p.sku], units.get(priced[p.sku].product_id, ()),
                           available.get(priced[p.sku].product_id, ZERO))
                     for p in found if p.sku in priced)

    return uow.read(work)


def quote_sales_order(uow: UnitOfWork, actor: Actor, warehouse: str, lines: Sequence[SalesLineIn],
                      customer: str = "") -> OrderQuote:
    """Every line priced as the order would price it (at the customer's price list when one is given), with short
    stock and below-floor prices flagged."""
    actor.require(Permission.SALES_CREATE)
    given = [entered(ln.item, ln.qty, ln.unit, ln.unit_price) for ln in bounded(lines, MAX_LINES)]

    def work(tx: Tx) -> OrderQuote:
        source = warehouse_in(tx, warehouse)
        buyer = customer_in(tx, actor, customer) if customer else None
        priced = priced_lines(tx, given, None if buyer is None else buyer.id)
        available = _available(tx, source.id, [p.product_id for p in priced])
        wanted: dict[int, Decimal] = {}
        for p in priced:
            wanted[p.product_id] = wanted.get(p.product_id, ZERO) + p.base_qty
        quotes = tuple(LineQuote(p.sku, p.qty, p.unit, p.base_qty, p.unit_price, p.amount,
                                 available.get(p.product_id, ZERO),
                                 wanted[p.product_id] > available.get(p.product_id, ZERO), p.below_floor,
                                 p.proposed, p.price_source, *_last(p))
                       for p in priced)
        return OrderQuote(quotes, sum((q.amount for q in quotes), ZERO))

    return uow.read(work)


def place_sales_order(uow: UnitOfWork, actor: Actor, customer: str, warehouse: str, lines: Sequence[SalesLineIn],
                      channel: str, note: str = "") -> SalesOrderView:
    """Write the order and submit it in one transaction: a refused submit leaves no draft behind."""
    actor.require(Permission.SALES_CREATE)

    def work(_tx: Tx) -> SalesOrderView:
        draft = create_sales_order(uow, actor, customer, warehouse, lines, channel=channel, note=note)
        return submit_sales_order(uow, actor, draft.number)

    return uow.run(work)


def _units(tx: Tx, product_ids: list[int]) -> dict[int, tuple[PackUnit, ...]]:
    found: dict[int, list[PackUnit]] = {}
    for r in tx.session.execute(select(ProductUnit.product_id, ProductUnit.name, ProductUnit.factor)
                                .where(ProductUnit.product_id.in_(product_ids))
                                .order_by(ProductUnit.product_id, ProductUnit.factor, ProductUnit.name)):
        found.setdefault(r.product_id, []).append(PackUnit(r.name, r.factor))
    return {pid: tuple(units) for pid, units in found.items()}


def _item(found: ProductView, priced: PricedLine, units: tuple[PackUnit, ...], available: Decimal) -> SaleItem:
    last_price, last_at = _last(priced)
    return SaleItem(found.sku, found.name_zh, found.name_en, found.unit, units, found.sale_price, priced.floor_price,
                    last_price, available, priced.proposed, priced.source, last_at)


def _last(priced: PricedLine) -> tuple[Decimal | None, datetime | None]:
    return (None, None) if priced.last is None else (priced.last.price, priced.last.at)


def _available(tx: Tx, warehouse_id: int, product_ids: list[int]) -> dict[int, Decimal]:
    rows = tx.session.execute(select(StockLevel.product_id, StockLevel.on_hand, StockLevel.reserved)
                              .where(StockLevel.warehouse_id == warehouse_id,
                                     StockLevel.product_id.in_(product_ids)))
    return {r.product_id: r.on_hand - r.reserved for r in rows}  # in Python: the columns are typed decimals
