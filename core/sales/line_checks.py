"""A sales line checked the moment it is entered: its price within the places money has, the stock it needs against
what is available (and what the rules will do about a shortfall), and a quantity far beyond anything seen."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, func, or_, select

from core.approvals.requests import levels_for
from core.catalog.lines import EnteredLine
from core.catalog.products import warehouse_in
from core.errors import InvalidAmount
from core.models import Product, SalesOrderLine, StockLevel, StockMove, Warehouse
from core.numbers import LIMIT, ZERO
from core.partners.customers import customer_in
from core.permissions import Actor, Permission
from core.sales.pricing import PricedLine, priced_lines
from core.sales.records import DOC_TYPE
from core.uow import Tx, UnitOfWork

_LARGEST_HELD = select(func.max(StockMove.balance_qty)).where(StockMove.product_id == bindparam("product_id"))
_LARGEST_ORDERED = select(func.max(SalesOrderLine.qty)).where(SalesOrderLine.product_id == bindparam("product_id"))
_HERE = select(StockLevel.on_hand, StockLevel.reserved, StockLevel.allow_negative).where(
    StockLevel.product_id == bindparam("product_id"), StockLevel.warehouse_id == bindparam("warehouse_id"))
_NEGATIVE_ALLOWED = select(or_(Product.allow_negative, Warehouse.allow_negative)).select_from(Product).join(
    Warehouse, Warehouse.id == bindparam("warehouse_id")).where(Product.id == bindparam("product_id"))


@dataclass(frozen=True)
class OtherLine:
    """A line already on the order (not the one being entered), as the entry screen holds it."""

    sku: str
    base_qty: Decimal
    amount: Decimal
    below_floor: bool


@dataclass(frozen=True)
class LineCheck:
    """The entered line priced, and what its person should hear at once.

    `if_short`: what happens at submit when available stock does not cover the product's quantity on the whole order:
    "negative" (allowed to go below zero here), "approval" (it waits for a manager, who can approve it only once the
    stock is there) or "refused" (the submit is refused); `shortfall` is that, or "" when the stock covers it.
    `absurd`: more than `multiple` times `usual`, the most of the product ever held in a warehouse or put on one
    sales order (at least 1)."""

    line: PricedLine
    available: Decimal
    needed: Decimal
    negative: bool
    approval: bool
    usual: Decimal
    multiple: Decimal

    @property
    def if_short(self) -> str:
        return "negative" if self.negative else "approval" if self.approval else "refused"

    @property
    def shortfall(self) -> str:
        return "" if self.needed <= self.available else self.if_short

    @property
    def absurd(self) -> bool:
        return self.line.base_qty > self.usual * self.multiple


def check_sales_line(
    uow: UnitOfWork, actor: Actor, warehouse: str, line: EnteredLine, others: Sequence[OtherLine] = (),
    customer: str = "",
) -> LineCheck:
    """Price the line as the order will (at the customer's price list when one is given), refuse a price with
    more places than money has, and check its stock."""
    actor.require(Permission.SALES_CREATE)

    def work(tx: Tx) -> LineCheck:
        if line.price is not None and line.price != round(line.price, tx.money_places):
            raise InvalidAmount(value=str(line.price.normalize()), reason="too_many_places",
                                places=tx.money_places)
        source = warehouse_in(tx, warehouse)
        buyer = customer_in(tx, actor, customer) if customer else None
        priced = priced_lines(tx, [line], None if buyer is None else buyer.id)[0]
        total = priced.amount + sum((o.amount for o in others), ZERO)
        if total >= LIMIT:
            raise InvalidAmount(value=str(total), reason="too_large", total=total, limit=LIMIT)
        needed = priced.base_qty + sum((o.base_qty for o in others if o.sku == priced.sku), ZERO)
        available, negative = _stock_here(tx, priced.product_id, source.id)
        return LineCheck(priced, available, needed, negative, _needs_approval(tx, priced, others),
                         _usual(tx, priced.product_id),
                         tx.rules.absurd_quantity_multiple)

    return uow.read(work)


def _stock_here(tx: Tx, product_id: int, warehouse_id: int) -> tuple[Decimal, bool]:
    """Available (on hand less reserved) and whether it may go below zero, for the product in the warehouse."""
    params = {"product_id": product_id, "warehouse_id": warehouse_id}
    row = tx.conn.execute(_HERE, params).one_or_none()
    if row is not None:
        return row.on_hand - row.reserved, bool(row.allow_negative)
    return ZERO, bool(tx.conn.execute(_NEGATIVE_ALLOWED, params).scalar())


def _needs_approval(tx: Tx, priced: PricedLine, others: Sequence[OtherLine]) -> bool:
    """Whether the order with this line will wait for someone (by the rules, or a price below the floor): a short
    order then waits too, instead of being refused at submit."""
    total = priced.amount + sum((o.amount for o in others), ZERO)
    below = priced.below_floor or any(o.below_floor for o in others)
    return bool(levels_for(tx, DOC_TYPE, total, below))


def _usual(tx: Tx, product_id: int) -> Decimal:
    """The most of the product ever held in one warehouse or put on one sales order line, at least 1."""
    held = tx.conn.execute(_LARGEST_HELD, {"product_id": product_id}).scalar()
    ordered = tx.conn.execute(_LARGEST_ORDERED, {"product_id": product_id}).scalar()
    return max(Decimal(held or 0), Decimal(ordered or 0), Decimal(1))
