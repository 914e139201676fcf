"""Reads the REST API offers that chat does not: the catalogue a page at a time, stock levels, warehouses."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from core.catalog.finding import found_products
from core.models import Product, ProductBarcode, StockLevel, Warehouse
from core.numbers import round_money
from core.permissions import Actor, Permission
from core.uow import Tx, UnitOfWork

MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class ProductView:
    sku: str
    name_zh: str
    name_en: str
    unit: str
    sale_price: Decimal
    purchase_price: Decimal | None
    barcodes: tuple[str, ...]
    spec: str = ""  # 规格


@dataclass(frozen=True)
class StockRow:
    sku: str
    warehouse: str
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    avg_cost: Decimal | None
    value: Decimal | None


@dataclass(frozen=True)
class WarehouseView:
    code: str
    name: str


def list_products(uow: UnitOfWork, actor: Actor, search: str = "", offset: int = 0,
                  limit: int = 20) -> list[ProductView]:
    """Active products by SKU, or those `search` finds (SKU, barcode, part of a name, pinyin, initials, a small typo)
    closest first, `limit` from `offset`."""
    actor.require(Permission.STOCK_VIEW)
    text = search.strip()[:64]
    limit = max(1, min(limit, MAX_PAGE_SIZE + 1))

    def work(tx: Tx) -> list[ProductView]:
        if text:
            return _views(tx, actor, found_products(tx, text, limit, max(offset, 0)))
        statement = select(Product).where(Product.active).order_by(Product.sku)
        return _views(tx, actor, list(tx.session.scalars(statement.limit(limit).offset(max(offset, 0)))))

    return uow.read(work)


def stock_levels(uow: UnitOfWork, actor: Actor, sku: str = "", warehouse: str = "", offset: int = 0,
                 limit: int = 20) -> list[StockRow]:
    """Stock per product and (normal) warehouse, by SKU then warehouse, optionally for one SKU or warehouse; only
    the warehouses the actor works in, for warehouse staff (none when they have none), as the stock report."""
    actor.require(Permission.STOCK_VIEW)
    scope = actor.warehouse_scope(Permission.STOCK_VIEW)
    sees_cost = actor.can(Permission.COST_VIEW)
    limit = max(1, min(limit, MAX_PAGE_SIZE + 1))

    def work(tx: Tx) -> list[StockRow]:
        statement = (
            select(Product.sku, Warehouse.code, StockLevel.on_hand, StockLevel.reserved, StockLevel.avg_cost,
                   StockLevel.value)
            .join(Product, Product.id == StockLevel.product_id).join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
            .where(Warehouse.kind == "normal")
        )
        if scope is not None:
            statement = statement.where(StockLevel.warehouse_id.in_(sorted(scope) or [-1]))
        if sku.strip():
            statement = statement.where(Product.sku == sku.strip().upper()[:40])
        if warehouse.strip():
            statement = statement.where(func.upper(Warehouse.code) == warehouse.strip().upper()[:40])
        rows = tx.session.execute(statement.order_by(Product.sku, Warehouse.code).limit(limit).offset(max(offset, 0)))
        return [StockRow(r[0], r[1], r[2], r[3], r[2] - r[3], r[4] if sees_cost else None,
                         round_money(r[5], tx.money_places) if sees_cost else None) for r in rows]

    return uow.read(work)


def list_warehouses(uow: UnitOfWork, actor: Actor) -> list[WarehouseView]:
    """Active normal warehouses by code; only the ones they work in, for warehouse staff, as stock_levels."""
    actor.require(Permission.STOCK_VIEW)
    scope = actor.warehouse_scope(Permission.STOCK_VIEW)
    statement = select(Warehouse.code, Warehouse.name).where(Warehouse.active, Warehouse.kind == "normal")
    if scope is not None:
        statement = statement.where(Warehouse.id.in_(sorted(scope) or [-1]))
    return uow.read(lambda tx: [WarehouseView(r[0], r[1])
                                for r in tx.session.execute(statement.order_by(Warehouse.code))])


def _views(tx: Tx, actor: Actor, products: list[Product]) -> list[ProductView]:
    sees_cost = actor.can(Permission.COST_VIEW)
    codes: dict[int, list[str]] = {}
    if products:
        for pid, code in tx.session.execute(select(ProductBarcode.product_id, ProductBarcode.barcode)
                                            .where(ProductBarcode.product_id.in_([p.id for p in products]))
                                            .order_by(ProductBarcode.barcode)):
            codes.setdefault(pid, []).append(code)
    return [ProductView(p.sku, p.name_zh, p.name_en, p.base_unit, p.sale_price,
                        p.purchase_price if sees_cost else None, tuple(codes.get(p.id, ())), p.spec)
            for p in products]
