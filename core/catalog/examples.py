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
    """A real SKU, a pack unit of it (its base unit when it has none) and a warehouse the reader works in."""

    sku: str
    unit: str
    warehouse: str


def example_codes(tx: Tx, actor: Actor) -> Example:
    """The reader's first warehouse (by code) and the product with the most on hand there; at most four statements."""
    warehouses = select(Warehouse.id, Warehouse.code).where(Warehouse.active, Warehouse.kind == "normal")
    if actor.warehouse_ids:
        warehouses = warehouses.where(Warehouse.id.in_(actor.warehouse_ids))
    warehouse = tx.session.execute(warehouses.order_by(Warehouse.code).limit(1)).first()
    products = select(Product.id, Product.sku, Product.base_unit).where(Product.active)
    product = None
    if warehouse is not None:
        product = tx.session.execute(
            products.join(StockLevel, StockLevel.product_id == Product.id)
            .where(StockLevel.warehouse_id == warehouse.id, StockLevel.on_hand > 0)
            .order_by(StockLevel.on_hand.desc(), Product.sku).limit(1)).first()
    if product is None:
        product = tx.session.execute(products.order_by(Product.sku).limit(1)).first()
    if product is None:
        return Example(PLACEHOLDER_SKU, "", warehouse.code if warehouse else PLACEHOLDER_WAREHOUSE)
    pack = tx.session.scalar(select(ProductUnit.name).where(ProductUnit.product_id == product.id)
                             .order_by(ProductUnit.factor.desc()).limit(1))
    return Example(product.sku, pack or product.base_unit, warehouse.code if warehouse else PLACEHOLDER_WAREHOUSE)
