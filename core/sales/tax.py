"""VAT on sales: the rate of a product (its own, else its category's, else the books' default), a line's tax when
prices include it (含税价: tax = amount x rate / (100 + rate)) or not (tax = amount x rate / 100), exact decimals
rounded half up to money places; and setting the rates (catalogue editors)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, select, update

from core.errors import InvalidAmount, UnknownProduct
from core.models import Category, Product
from core.numbers import ZERO, document_total, round_cost, round_money
from core.people.audit import record
from core.permissions import Actor, Permission
from core.uow import Tx, UnitOfWork

HUNDRED = Decimal(100)
_P, _C = Product.__table__.c, Category.__table__.c
_RATES = (select(_P.id, _P.vat_rate.label("own"), _C.vat_rate.label("category"))
          .join_from(Product.__table__, Category.__table__, _C.id == _P.category_id, isouter=True)
          .where(_P.id.in_(bindparam("ids", expanding=True))))


@dataclass(frozen=True)
class LineTax:
    """A line's VAT: the rate (percent), the tax, and the amount the customer pays (gross)."""

    rate: Decimal
    tax: Decimal
    gross: Decimal


def vat_rates(tx: Tx, product_ids: Sequence[int]) -> dict[int, Decimal]:
    """Each product's VAT rate, in one statement."""
    if not product_ids:
        return {}
    default = tx.rules.default_vat_rate
    rows = tx.conn.execute(_RATES, {"ids": sorted(set(product_ids))})
    return {r.id: r.own if r.own is not None else r.category if r.category is not None else default for r in rows}


def line_tax(tx: Tx, amount: Decimal, rate: Decimal) -> LineTax:
    """The tax in a line's amount (prices with tax) or on top of it (prices without)."""
    if rate == 0:
        return LineTax(rate, ZERO, amount)
    if tx.rules.prices_include_tax:
        return LineTax(rate, round_money(amount * rate / (HUNDRED + rate), tx.money_places), amount)
    tax = round_money(amount * rate / HUNDRED, tx.money_places)
    return LineTax(rate, tax, amount + tax)


def net_of_tax(amount: Decimal, rate: Decimal, included: bool, places: int) -> Decimal:
    """An amount without its VAT: less the VAT in it when prices include VAT, else itself (revenue for profit)."""
    if not included or rate == 0:
        return amount
    return amount - round_money(amount * rate / (HUNDRED + rate), places)


def net_unit_price(price: Decimal, rate: Decimal, included: bool) -> Decimal:
    """A unit price without its VAT, to cost places (what a received unit adds to stock: input VAT is not cost)."""
    if not included or rate == 0:
        return price
    return round_cost(price * HUNDRED / (HUNDRED + rate))


def tax_totals(rows: Sequence[dict[str, Any]], places: int) -> tuple[Decimal, Decimal]:
    """What the partner pays (the lines' gross amounts) and the VAT in it; the rows lose their gross."""
    total = document_total((row.pop("gross") for row in rows), places)
    return total, document_total((row["tax_amount"] for row in rows), places)


def set_vat_rate(uow: UnitOfWork, actor: Actor, code: str, rate: object) -> Decimal | None:
    """Set the VAT rate (percent, 0 to 100; "" or None: not its own) of a product by SKU, else a category by code."""
    actor.require(Permission.CATALOG_EDIT)
    value = _rate(rate)

    def work(tx: Tx) -> Decimal | None:
        given = code.strip()
        done = tx.conn.execute(update(Product).where(func.upper(Product.sku) == given.upper())
                               .values(vat_rate=value)).rowcount
        kind = "product"
        if not done:
            kind = "category"
            done = tx.conn.execute(update(Category).where(Category.code == given).values(vat_rate=value)).rowcount
        if not done:
            raise UnknownProduct(item=given[:40])
        record(tx, actor, "tax.rate", kind, None, code=given, rate=value)
        return value

    return uow.run(work)


def _rate(rate: object) -> Decimal | None:
    if rate is None or str(rate).strip() in ("", "-"):
        return None
    text = str(rate).strip().rstrip("%")
    try:
        value = Decimal(text)
    except ArithmeticError:
        raise InvalidAmount(value=str(rate)[:40], reason="not_a_number") from None
    if not value.is_finite() or not 0 <= value <= HUNDRED or value != round(value, 4):
        raise InvalidAmount(value=str(rate)[:40], reason="vat_rate")
    return value
