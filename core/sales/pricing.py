"""Sales prices of entered lines: the price given or the product's sale price, and the floor it must stay above."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from core.catalog.lines import EnteredLine
from core.catalog.resolve import resolve_lines
from core.numbers import line_amount
from core.permissions import Actor, Permission
from core.uow import Tx, UnitOfWork


@dataclass(frozen=True)
class PricedLine:
    """A sales line in base units at its price per base unit, as the order will hold it."""

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

    @property
    def below_floor(self) -> bool:
        """Priced below the product's floor price: a manager must approve the order."""
        return self.unit_price < self.floor_price


def priced_lines(tx: Tx, lines: Sequence[EnteredLine]) -> list[PricedLine]:
    """Lines at the price given (per base unit) or the product's sale price, in a constant number of statements."""
    priced = []
    for ln in resolve_lines(tx, lines):
        unit_price = ln.price_or(ln.item.sale_price)
        priced.append(PricedLine(
            ln.product.id, ln.product.sku, ln.product.name_zh, ln.product.name_en, ln.line.qty, ln.line.unit,
            ln.line.price, ln.base_qty, unit_price,
            line_amount(ln.base_qty, unit_price, tx.money_places, ln.product.sku),
            ln.item.floor_price))
    return priced


def quote_sales_line(uow: UnitOfWork, actor: Actor, line: EnteredLine) -> PricedLine:
    """One line priced as a new sales order would price it, to show before the order is written."""
    actor.require(Permission.SALES_CREATE)
    return uow.read(lambda tx: priced_lines(tx, [line])[0])
