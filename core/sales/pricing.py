"""Sales prices of entered lines: the price given, else the price list's (the most specific rule, or the product's
sale price), with where it came from, the customer's last price, and the floor it must stay above."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, func, select

from core.catalog.lines import EnteredLine
from core.catalog.resolve import resolve_lines
from core.models import SalesOrder, SalesOrderLine
from core.numbers import ZERO, line_amount
from core.permissions import Actor, Permission
from core.sales.price_rules import GIVEN_PRICE, LIST_PRICE, PriceSource, best_rule, rules_for
from core.sales.tax import LineTax, line_tax, vat_rates
from core.uow import Tx, UnitOfWork

PRICED_STATUSES = ("approved", "partially_shipped", "shipped", "closed")
NO_TAX = LineTax(ZERO, ZERO, ZERO)
_SO, _L = SalesOrder.__table__.c, SalesOrderLine.__table__.c
_NEWEST = (select(_L.product_id, func.max(_L.id).label("line_id"))
           .join_from(SalesOrderLine.__table__, SalesOrder.__table__, _SO.id == _L.order_id)
           .where(_SO.customer_id == bindparam("customer_id"), _SO.status.in_(PRICED_STATUSES),
                  _L.product_id.in_(bindparam("ids", expanding=True)))
           .group_by(_L.product_id).subquery())
_LAST_PAID = (select(_L.product_id, _L.unit_price, _SO.created_at)
              .join_from(SalesOrderLine.__table__, _NEWEST, _NEWEST.c.line_id == _L.id)
              .join(SalesOrder.__table__, _SO.id == _L.order_id))


@dataclass(frozen=True)
class LastPrice:
    """The price per base unit on the customer's newest approved order line of a product, and that order's time."""

    price: Decimal
    at: datetime


@dataclass(frozen=True)
class PricedLine:
    """A sales line in base units at its price per base unit, as the order will hold it, with the price the list
    proposes (and why), and what this customer paid last."""

    product_id: int
    sku: str
    name_zh: str
    name_en: str
    qty: Decimal
    unit: str | None
    price: Decimal | None
    base_qty: Decimal
    unit_price: Decimal
    amount: Decimal
    floor_price: Decimal
    proposed: Decimal
    source: PriceSource
    last: LastPrice | None = None
    tax: LineTax = NO_TAX

    @property
    def below_floor(self) -> bool:
        """Priced below the product's floor price: a manager must approve the order."""
        return self.unit_price < self.floor_price

    @property
    def price_source(self) -> PriceSource:
        """Where the price on the line comes from: typed in, or the list's."""
        return self.source if self.price is None else GIVEN_PRICE


def last_prices(tx: Tx, customer_id: int | None, product_ids: Sequence[int]) -> dict[int, LastPrice]:
    """What the customer paid last for each product (per base unit), one statement."""
    if customer_id is None or not product_ids:
        return {}
    rows = tx.conn.execute(_LAST_PAID, {"customer_id": customer_id, "ids": sorted(set(product_ids))})
    return {r.product_id: LastPrice(r.unit_price, r.created_at) for r in rows}


def priced_lines(tx: Tx, lines: Sequence[EnteredLine], customer_id: int | None = None) -> list[PricedLine]:
    """Lines at the price given (per base unit), else the customer's price list, else the product's sale price;
    a constant number of statements whatever the number of lines or rules."""
    resolved = resolve_lines(tx, lines)
    most: dict[int, Decimal] = {}
    for ln in resolved:
        most[ln.product.id] = max(most.get(ln.product.id, ln.base_qty), ln.base_qty)
    rules = rules_for(tx, customer_id, most)
    last = last_prices(tx, customer_id, list(most))
    rates = vat_rates(tx, list(most))
    priced = []
    for ln in resolved:
        rule = best_rule(rules.get(ln.product.id, ()), ln.base_qty)
        proposed = (ln.item.sale_price if rule is None else
                    rule.price(ln.item.sale_price, ln.product.purchase_price, tx.money_places))
        unit_price = ln.price_or(proposed)
        amount = line_amount(ln.base_qty, unit_price, tx.money_places, ln.product.sku)
        priced.append(PricedLine(
            ln.product.id, ln.product.sku, ln.product.name_zh, ln.product.name_en, ln.line.qty, ln.line.unit,
            ln.line.price, ln.base_qty, unit_price, amount, ln.item.floor_price, proposed,
            LIST_PRICE if rule is None else rule.source(), last.get(ln.product.id),
            line_tax(tx, amount, rates.get(ln.product.id, ZERO))))
    return priced


def quote_sales_line(uow: UnitOfWork, actor: Actor, line: EnteredLine) -> PricedLine:
    """One line priced as a new sales order would price it (for no customer), to show before it is written."""
    actor.require(Permission.SALES_CREATE)
    return uow.read(lambda tx: priced_lines(tx, [line])[0])
