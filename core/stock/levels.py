"""Reading stock: per product and warehouse, and a summary per warehouse."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from core.catalog.finding import found_products
from core.models import Money, Qty, StockLevel, Warehouse
from core.numbers import round_money
from core.permissions import Actor, Permission
from core.uow import Tx, UnitOfWork

PAGE_SIZE = 20


@dataclass(frozen=True)
class WarehouseStock:
    warehouse: str
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    avg_cost: Decimal | None
    value: Decimal | None


@dataclass(frozen=True)
class ProductStock:
    sku: str
    name_zh: str
    name_en: str
    unit: str
    sale_price: Decimal
    by_warehouse: tuple[WarehouseStock, ...]

    @property
    def available(self) -> Decimal:
        return sum((w.available for w in self.by_warehouse), Decimal(0))


@dataclass(frozen=True)
class WarehouseSummary:
    code: str
    name: str
    products: int
    on_hand: Decimal
    value: Decimal | None


def find_stock(uow: UnitOfWork, actor: Actor, query: str, page: int = 1) -> list[ProductStock]:
    """Stock of products matching a SKU, a barcode, a fragment of a name, its pinyin or initials (else a small typo
    of one of these), one page at a time; warehouse staff see the warehouses they work in."""
    actor.require(Permission.STOCK_VIEW)
    return uow.read(lambda tx: _find_stock(tx, actor, query.strip()[:64], max(page, 1)))


def _find_stock(tx: Tx, actor: Actor, query: str, page: int) -> list[ProductStock]:
    if not query:
        return []
    products = found_products(tx, query, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    levels_of = (
        select(StockLevel, Warehouse.code)
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .where(StockLevel.product_id.in_([p.id for p in products]), Warehouse.kind == "normal")
        .order_by(Warehouse.code)
    )
    scope = actor.warehouse_scope(Permission.STOCK_VIEW)
    if scope is not None:
        levels_of = levels_of.where(Warehouse.id.in_(sorted(scope)))
    levels = tx.session.execute(levels_of).all()
    sees_cost = actor.can(Permission.COST_VIEW)
    return [
        ProductStock(
            sku=p.sku, name_zh=p.name_zh, name_en=p.name_en, unit=p.base_unit, sale_price=p.sale_price,
            by_warehouse=tuple(
                WarehouseStock(code, level.on_hand, level.reserved, level.on_hand - level.reserved,
                               level.avg_cost if sees_cost else None, level.value if sees_cost else None)
                for level, code in levels if level.product_id == p.id
            ),
        )
        for p in products
    ]


def stock_summary(uow: UnitOfWork, actor: Actor) -> list[WarehouseSummary]:
    """Per warehouse: products in stock, units on hand and (for those who may see cost) value."""
    actor.require(Permission.STOCK_VIEW)
    sees_cost = actor.can(Permission.COST_VIEW)

    def work(tx: Tx) -> list[WarehouseSummary]:
        rows = tx.session.execute(
            select(Warehouse.code, Warehouse.name,
                   func.count(StockLevel.id).filter(StockLevel.on_hand != 0).label("products"),
                   func.coalesce(func.sum(StockLevel.on_hand), 0, type_=Qty()).label("on_hand"),
                   func.coalesce(func.sum(StockLevel.value), 0, type_=Money()).label("value"))
            .outerjoin(StockLevel, StockLevel.warehouse_id == Warehouse.id)
            .where(Warehouse.active)
            .group_by(Warehouse.id, Warehouse.code, Warehouse.name)
            .order_by(Warehouse.kind, Warehouse.code)
        )
        return [
            WarehouseSummary(r.code, r.name, r.products, r.on_hand, round_money(r.value) if sees_cost else None)
            for r in rows
        ]

    return uow.read(work)
