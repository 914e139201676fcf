"""What a product or shelf label shows: name, spec (规格, else the category; and unit), sale price, the barcode to
print (its first barcode, else the SKU as Code 128) and the product's id for the link that opens its card in chat."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from core.catalog.lines import bounded
from core.catalog.resolve import items_in
from core.documents.lines import first_barcode
from core.errors import InvalidQuantity
from core.models import Category, Product
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
