"""The item card a scan or a label's link opens: stock per warehouse (those the reader works in, for warehouse staff),
the reader's price, what the reader may do."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from core.catalog.resolve import items_in
from core.codes.gs1 import Gs1Data, parse_gs1
from core.errors import UnknownProduct
from core.models import Product, StockLevel, Warehouse
from core.permissions import Actor, Permission
from core.stock.lots import LotPage, lots_held
from core.uow import Tx, UnitOfWork

ACTIONS = (("order", Permission.SALES_CREATE), ("receive", Permission.PURCHASE_RECEIVE),
           ("count", Permission.STOCKTAKE_COUNT), ("transfer", Permission.STOCK_TRANSFER),
           ("buy", Permission.PURCHASE_CREATE))


@dataclass(frozen=True)
class CardStock:
    """One warehouse's stock of the item; the average cost only for readers who may see cost."""

    warehouse: str
    name: str
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    avg_cost: Decimal | None


@dataclass(frozen=True)
class ItemCard:
    """A product as its card shows it to this reader; `scanned` holds lot and expiry when a GS1 code opened it."""

    product_id: int
    sku: str
    name_zh: str
    name_en: str
    spec: str
    unit: str
    sale_price: Decimal
    purchase_price: Decimal | None
    stock: tuple[CardStock, ...]
    actions: tuple[str, ...]
    scanned: Gs1Data | None = None
    lots: LotPage | None = None  # a tracked product: the first page of its lots held, nearest expiry first

    @property
    def available(self) -> Decimal:
        return sum((s.available for s in self.stock), Decimal(0))


def item_card(uow: UnitOfWork, actor: Actor, code: str | None = None, *, product_id: int | None = None) -> ItemCard:
    """The card of the active product a code names (SKU, barcode, GS1) or of a product id (a label's link)."""
    actor.require(Permission.STOCK_VIEW)
    return uow.read(lambda tx: _card(tx, actor, code, product_id))


def _card(tx: Tx, actor: Actor, code: str | None, product_id: int | None) -> ItemCard:
    if code is not None:
        product_id = items_in(tx, [code])[code].ref.id
    product = tx.session.get(Product, product_id) if product_id is not None else None
    if product is None or not product.active:
        raise UnknownProduct(item=(code or str(product_id))[:40])
    sees_cost = actor.can(Permission.COST_VIEW)
    levels_of = (
        select(StockLevel, Warehouse.code, Warehouse.name).join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .where(StockLevel.product_id == product.id, Warehouse.kind == "normal").order_by(Warehouse.code)
    )
    scope = actor.warehouse_scope(Permission.STOCK_VIEW)
    if scope is not None:
        levels_of = levels_of.where(Warehouse.id.in_(sorted(scope)))
    levels = tx.session.execute(levels_of).all()
    stock = tuple(CardStock(wh_code, wh_name, level.on_hand, level.reserved, level.on_hand - level.reserved,
                            level.avg_cost if sees_cost else None) for level, wh_code, wh_name in levels)
    return ItemCard(
        product_id=product.id, sku=product.sku, name_zh=product.name_zh, name_en=product.name_en or product.name_zh,
        spec=product.spec, unit=product.base_unit, sale_price=product.sale_price,
        purchase_price=product.purchase_price if sees_cost else None, stock=stock,
        actions=tuple(name for name, permission in ACTIONS if actor.can(permission)),
        scanned=parse_gs1(code) if code is not None else None,
        lots=lots_held(tx, actor, product.id) if product.tracking != "none" else None,
    )
