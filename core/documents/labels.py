"""What a product or shelf label shows: name, spec (规格, else the category; and unit), sale price, the barcode to
print (its first barcode, else the SKU as Code 128) and the product's id for the link that opens its card in chat;
what a lot label shows: the product, its lot and expiry, and the GS1 element string of both for a GS1-128 barcode."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from core.catalog.lines import bounded
from core.catalog.resolve import items_in
from core.codes.gs1 import barcode_forms
from core.documents.lines import first_barcode
from core.errors import InvalidQuantity, LotRefused
from core.models import Category, Lot, LotLevel, Product
from core.numbers import round_money
from core.permissions import Actor, Permission
from core.uow import Tx, UnitOfWork

MAX_LABELS = 500


@dataclass(frozen=True)
class ProductLabel:
    product_id: int
    sku: str
    name_zh: str
    name_en: str
    category_zh: str
    category_en: str
    unit: str
    price: Decimal
    barcode: str
    spec: str = ""


def product_labels(uow: UnitOfWork, actor: Actor, codes: Sequence[str], copies: int = 1) -> tuple[ProductLabel, ...]:
    """The labels of the products `codes` name (SKU, barcode, name), in that order, each `copies` times."""
    actor.require(Permission.STOCK_VIEW)
    if not 1 <= copies <= 100:
        raise InvalidQuantity(value=str(copies), reason="copies")
    wanted = [code.strip() for code in bounded(codes, MAX_LABELS) if code.strip()]

    def work(tx: Tx) -> tuple[ProductLabel, ...]:
        found = items_in(tx, wanted)
        ids = [found[code].ref.id for code in wanted]
        rows = {r.id: r for r in tx.session.execute(
            select(Product.id, Product.sku, Product.name_zh, Product.name_en, Product.spec, Product.base_unit,
                   Product.sale_price, Category.name_zh.label("category_zh"), Category.name_en.label("category_en"),
                   first_barcode().label("barcode"))
            .outerjoin(Category, Category.id == Product.category_id).where(Product.id.in_(set(ids))))}
        labels = [_label(rows[product_id], tx.money_places) for product_id in ids]
        return tuple(label for label in labels for _ in range(copies))

    return uow.read(work)


def _label(row: Any, places: int) -> ProductLabel:
    return ProductLabel(row.id, row.sku, row.name_zh, row.name_en or row.name_zh, row.category_zh or "",
                        row.category_en or row.category_zh or "", row.base_unit, round_money(row.sale_price, places),
                        row.barcode or row.sku, row.spec)


@dataclass(frozen=True)
class LotLabel:
    """A lot's label: the product, the lot and its expiry, and `gs1`, the GS1 element string "(01)GTIN(17)YYMMDD(10)LOT"
    (expiry left out when the lot has none; "" when the product has no GTIN, and the lot prints as Code 128)."""

    product_id: int
    sku: str
    name_zh: str
    name_en: str
    lot: str
    expiry: date | None
    gs1: str


def lot_labels(uow: UnitOfWork, actor: Actor, code: str, lots: Sequence[str] = (),
               copies: int = 1) -> tuple[LotLabel, ...]:
    """The labels of a lot-tracked product's lots named (every lot it has on hand, nearest expiry first, when
    none is named), each `copies` times."""
    actor.require(Permission.STOCK_VIEW)
    if not 1 <= copies <= 100:
        raise InvalidQuantity(value=str(copies), reason="copies")
    wanted = [lot.strip() for lot in (bounded(lots, MAX_LABELS) if lots else ()) if lot.strip()]

    def work(tx: Tx) -> tuple[LotLabel, ...]:
        ref = items_in(tx, [code.strip()])[code.strip()].ref
        product = tx.session.execute(select(Product.sku, Product.name_zh, Product.name_en, Product.tracking,
                                            first_barcode().label("barcode")).where(Product.id == ref.id)).one()
        if product.tracking != "lot":
            raise LotRefused(reason="not_tracked", sku=product.sku)
        statement = select(Lot.code, Lot.expiry).where(Lot.product_id == ref.id, Lot.code != "")
        if wanted:
            found = {row.code.upper(): row for row in tx.session.execute(
                statement.where(func.upper(Lot.code).in_([lot.upper() for lot in wanted])))}
            missing = next((lot for lot in wanted if lot.upper() not in found), None)
            if missing is not None:
                raise LotRefused(reason="unknown_lot", lot=missing[:64], sku=product.sku)
            rows = [found[lot.upper()] for lot in wanted]
        else:
            held = select(LotLevel.lot_id).where(LotLevel.product_id == ref.id).group_by(LotLevel.lot_id) \
                .having(func.sum(LotLevel.on_hand) > 0)
            rows = list(tx.session.execute(statement.where(Lot.id.in_(held))
                                           .order_by(Lot.expiry.is_(None), Lot.expiry, Lot.code)))
        gtin = _gtin(product.barcode)
        labels = [LotLabel(ref.id, product.sku, product.name_zh, product.name_en or product.name_zh, row.code,
                           row.expiry, _element_string(gtin, row.code, row.expiry)) for row in rows]
        return tuple(label for label in labels for _ in range(copies))

    return uow.read(work)


def _gtin(barcode: str | None) -> str:
    """The GTIN-14 of a product's barcode when it is an EAN/UPC/GTIN with a right check digit; "" otherwise."""
    forms = barcode_forms(barcode or "")
    if not forms:
        return ""
    digits = [int(d) for d in forms[0]]
    check = (10 - sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(digits[:13])) % 10) % 10
    return forms[0] if check == digits[13] else ""


def _element_string(gtin: str, lot: str, expiry: date | None) -> str:
    """(01) then (17): fixed lengths first, so the variable-length lot (10) ends the code without a separator."""
    if not gtin:
        return ""
    dated = f"(17){expiry:%y%m%d}" if expiry is not None else ""
    return f"(01){gtin}{dated}(10){lot}"
