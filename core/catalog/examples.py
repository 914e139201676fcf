"""The company's own codes for the examples in prompts: a SKU in stock in the reader's warehouse and that warehouse,
so that "出库 SH CUP-00001 3" can be typed as it is shown (never a made-up A100 or MAIN)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from core.models import Product, ProductUnit, StockLevel, Warehouse
from core.permissions import Actor
from core.uow import Tx

PLACEHOLDER_SKU = "SKU"
PLACEHOLDER_WAREHOUSE = "WH"


@dataclass(frozen=True)
class Example:
    """A real SKU, a pack unit of it ("" when no product has one) and a warehouse the reader works in."""

    sku: str
    unit: str
    warehouse: str


def example_codes(tx: Tx, actor: Actor) -> Example:
    """The reader's first warehouse (by code) and the product with the most on hand there, one with a pack unit
    when any has one (named in the reader's language where it has such a name); at most four statements."""
    warehouses = select(Warehouse.id, Warehouse.code).where(Warehouse.active, Warehouse.kind == "normal")
    if actor.warehouse_ids:
        warehouses = warehouses.where(Warehouse.id.in_(actor.warehouse_ids))
    warehouse = tx.session.execute(warehouses.order_by(Warehouse.code).limit(1)).first()
    packed = select(ProductUnit.id).where(ProductUnit.product_id == Product.id).exists()
    products = select(Product.id, Product.sku).where(Product.active)
    product = None
    if warehouse is not None:
        product = tx.session.execute(
            products.join(StockLevel, StockLevel.product_id == Product.id)
            .where(StockLevel.warehouse_id == warehouse.id, StockLevel.on_hand > 0)
            .order_by(~packed, StockLevel.on_hand.desc(), Product.sku).limit(1)).first()
    if product is None:
        product = tx.session.execute(products.order_by(~packed, Product.sku).limit(1)).first()
    code = warehouse.code if warehouse is not None else PLACEHOLDER_WAREHOUSE
    if product is None:
        return Example(PLACEHOLDER_SKU, "", code)
    packs = list(tx.session.scalars(select(ProductUnit.name).where(ProductUnit.product_id == product.id)
                                    .order_by(ProductUnit.factor.desc(), ProductUnit.id)))
    own = [name for name in packs if name.isascii() == (actor.language == "en")]  # "box" for English readers
    return Example(product.sku, (own or packs or [""])[0], code)
