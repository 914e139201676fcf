"""Replenishment: reorder rules and suggested purchase orders (the low-stock warning is core/stock/low_stock)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import (
    CTE,
    BigInteger,
    ColumnElement,
    and_,
    case,
    cast,
    func,
    select,
    text,
    type_coerce,
)

from core.catalog.products import products_in, warehouse_in
from core.errors import InvalidQuantity, InvalidState
from core.models import (
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    Qty,
    ReorderRule,
    StockDocument,
    StockLevel,
    StockMove,
    Supplier,
    Warehouse,
)
from core.numbers import parse_quantity
from core.partners.suppliers import supplier_in
from core.people.audit import record
from core.permissions import Actor, Permission
from core.purchasing.orders import PurchaseLineIn, PurchaseOrderView, create_purchase_order
from core.uow import Tx, UnitOfWork

DEMAND_KINDS = ("issue", "shipment")
DEMAND_DAYS = 30
LONGEST_TRANSACTION = timedelta(hours=1)
DEFAULT_LEAD_TIME_DAYS = 7
ON_ORDER_STATUSES = ("draft", "pending_approval", "approved", "partially_received")
MAX_ORDER_LINES = 1000
QTY_SCALE = Qty().scale


@dataclass(frozen=True)
class ReorderRuleOut:
    id: int
    sku: str
    warehouse: str
    minimum: Decimal
    maximum: Decimal
    pack_size: Decimal
    supplier_code: str | None
    lead_time_days: int | None
    active: bool


class Reason(NamedTuple):
    """Why this quantity, as numbers a template puts into words (a NamedTuple: immutable and cheap to build
    by the hundred thousand).

    code: "below_minimum" (order = maximum - available - on order + daily demand x lead time, rounded up to
    whole packs) or "covered_by_open_orders" (open purchase orders already cover it; quantity 0). `on_draft` is the
    part of `on_order` in drafts nobody has submitted yet (they still need a purchaser).
    """

    code: str
    available: Decimal
    minimum: Decimal
    maximum: Decimal
    on_order: Decimal
    daily_demand: Decimal
    demand_days: int
    lead_time_days: int
    lead_time_from: str
    pack_size: Decimal
    needed: Decimal
    quantity: Decimal
    on_draft: Decimal = Decimal(0)


@dataclass(frozen=True)
class BelowMinimum:
    """A product whose available stock in a warehouse is below the minimum of its active reorder rule."""

    sku: str
    name_zh: str
    name_en: str
    warehouse: str
    available: Decimal
    minimum: Decimal


class Suggestion(NamedTuple):
    """A suggested order of one product for one warehouse, from its reorder rule (immutable, like Reason)."""

    rule_id: int
    product_id: int
    sku: str
    name_zh: str
    name_en: str
    warehouse_id: int
    warehouse: str
    supplier_id: int | None
    supplier_code: str | None
    supplier_name: str | None
    quantity: Decimal
    reason: Reason


def set_reorder_rule(
    uow: UnitOfWork, actor: Actor, item: str, warehouse: str, minimum: object, maximum: object, *,
    supplier: str | None = None, lead_time_days: int | None = None, pack_size: object = 1, active: bool = True,
) -> ReorderRuleOut:
    """Create or change the minimum and maximum of one product in one warehouse, with its supplier."""
    actor.require(Permission.REPLENISH)
    low, high = parse_quantity(minimum, allow_zero=True), parse_quantity(maximum)
    pack = parse_quantity(pack_size)
    if high < low:
        raise InvalidQuantity(value=str(high), reason="maximum_below_minimum", minimum=str(low))
    if lead_time_days is not None and not 0 <= lead_time_days <= 3650:
        raise InvalidQuantity(value=str(lead_time_days), reason="lead_time")

    def work(tx: Tx) -> ReorderRuleOut:
        product = products_in(tx, [item])[item]
        target = warehouse_in(tx, warehouse)
        actor.require(Permission.REPLENISH, target.id)
        partner = supplier_in(tx, supplier) if supplier else None
        rule = tx.session.execute(
            select(ReorderRule).where(ReorderRule.product_id == product.id, ReorderRule.warehouse_id == target.id)
            .with_for_update()
        ).scalar_one_or_none()
        if rule is None:
            rule = ReorderRule(product_id=product.id, warehouse_id=target.id)
            tx.session.add(rule)
        rule.minimum, rule.maximum, rule.pack_size = low, high, pack
        rule.supplier_id = None if partner is None else partner.id
        rule.lead_time_days, rule.active, rule.updated_at = lead_time_days, active, tx.now
        tx.session.flush()
        record(tx, actor, "reorder_rule.set", "reorder_rule", rule.id, sku=product.sku, warehouse=target.code,
               minimum=low, maximum=high, pack_size=pack, supplier=supplier, lead_time_days=lead_time_days,
               active=active)
        return ReorderRuleOut(rule.id, product.sku, target.code, low, high, pack,
                              None if partner is None else partner.code, lead_time_days, active)

    return uow.run(work)


def suggest_replenishment(
    uow: UnitOfWork, actor: Actor, warehouse: str | None = None, *, rule_ids: Sequence[int] | None = None
) -> list[Suggestion]:
    """What to order for every active rule (or those of `rule_ids`) whose available stock is below its minimum."""
    actor.require(Permission.REPLENISH)

    def work(tx: Tx) -> list[Suggestion]:
        warehouse_id = None
        if warehouse is not None:
            warehouse_id = warehouse_in(tx, warehouse).id
            actor.require(Permission.REPLENISH, warehouse_id)
        if tx.dialect == "postgresql":
            # for this transaction only: no JIT (compiling this one query costs more than it saves), and room for
            # the rules-levels hash and the final sort (at 500,000 rules the default 4MB spilled both to temporary
            # files: 4 hash batches and an 11MB external merge)
            tx.session.execute(text("SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true)"))
        rows = tx.session.connection().execute(_below_minimum(tx, warehouse_id, rule_ids)).all()
        decimals = _Decimals()
        return [_suggestion(decimals, *row) for row in rows]

    return uow.read(work)


def below_minimum(tx: Tx) -> list[BelowMinimum]:
    """Every active product whose available stock is below its active rule's minimum, by warehouse and SKU."""
    c = _below_minimum_rules([ReorderRule.active.is_(True)]).c
    rows = tx.session.execute(
        select(Product.sku, Product.name_zh, Product.name_en, Warehouse.code, c.available, c.minimum)
        .join(Product, Product.id == c.product_id)
        .join(Warehouse, Warehouse.id == c.warehouse_id)
        .where(Product.active.is_(True))
        .order_by(Warehouse.code, Product.sku))
    decimals = _Decimals()
    return [BelowMinimum(r.sku, r.name_zh, r.name_en, r.code, decimals[r.available], decimals[r.minimum])
            for r in rows]


def draft_purchase_orders(
    uow: UnitOfWork, actor: Actor, suggestions: Sequence[Suggestion]
) -> list[PurchaseOrderView]:
    """Turn accepted suggestions into draft purchase orders, one per supplier and warehouse."""
    actor.require(Permission.REPLENISH)
    wanted = [s for s in suggestions if s.quantity > 0]
    if not wanted:
        raise InvalidQuantity(value="0", reason="nothing_to_order")
    missing = [s.sku for s in wanted if s.supplier_code is None]
    if missing:
        raise InvalidState(reason="no_supplier", items=missing[:20])
    groups: dict[tuple[str, str], list[Suggestion]] = {}
    for s in wanted:
        groups.setdefault((str(s.supplier_code), s.warehouse), []).append(s)
    orders = []
    for (supplier, target), group in sorted(groups.items()):
        for start in range(0, len(group), MAX_ORDER_LINES):
            lines = [PurchaseLineIn(s.sku, s.quantity) for s in group[start:start + MAX_ORDER_LINES]]
            orders.append(create_purchase_order(uow, actor, supplier, target, lines, note="replenishment"))
    return orders


def _below_minimum(tx: Tx, warehouse_id: int | None, rule_ids: Sequence[int] | None = None) -> Any:
    """One statement: rules below their minimum with demand, open orders and the quantity, in scaled integers.

    The rules below their minimum are found first (one pass over the rules, each looking up its level by the
    level's unique key) and materialised; only those few look up their product, supplier, open orders and their
    demand (an index range per position over the last DEMAND_DAYS: ix_stock_move_product_warehouse_id)."""
    since = tx.now - timedelta(days=DEMAND_DAYS)
    rule_filter: list[ColumnElement[bool]] = [ReorderRule.active.is_(True)]
    if warehouse_id is not None:
        rule_filter.append(ReorderRule.warehouse_id == warehouse_id)
    if rule_ids is not None:
        rule_filter.append(ReorderRule.id.in_(list(rule_ids)))
    candidates = _below_minimum_rules(rule_filter)
    first_id = (
        select(StockMove.id).where(StockMove.created_at >= since - LONGEST_TRANSACTION)
        .order_by(StockMove.created_at, StockMove.id).limit(1).scalar_subquery()
    )
    open_qty = _raw(PurchaseOrderLine.qty) - _raw(PurchaseOrderLine.received_qty)
    on_order = (
        select(PurchaseOrder.warehouse_id, PurchaseOrderLine.product_id,
               cast(func.sum(open_qty), BigInteger).label("open_qty"),
               cast(func.sum(case((PurchaseOrder.status == "draft", open_qty), else_=0)), BigInteger)
               .label("draft_qty"))
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .where(PurchaseOrder.status.in_(ON_ORDER_STATUSES),
               _raw(PurchaseOrderLine.qty) > _raw(PurchaseOrderLine.received_qty))
        .group_by(PurchaseOrder.warehouse_id, PurchaseOrderLine.product_id)
        .subquery("on_order")
    )
    demand_documents = select(StockDocument.id).where(  # the period's issues and shipments, from an index range
        StockDocument.kind.in_(DEMAND_KINDS), StockDocument.created_at >= since - LONGEST_TRANSACTION)
    c = candidates.c
    demand = (
        select(cast(-func.sum(_raw(StockMove.qty)), BigInteger))
        .where(StockMove.product_id == c.product_id, StockMove.warehouse_id == c.warehouse_id,
               StockMove.id >= first_id, StockMove.created_at >= since, _raw(StockMove.qty) < 0,
               # IS TRUE keeps it a subquery both databases hash once, not a join redone for every position
               StockMove.document_id.in_(demand_documents).is_(True))
        .scalar_subquery()
    )
    lead_time = func.coalesce(c.lead_time_days, Supplier.lead_time_days, DEFAULT_LEAD_TIME_DAYS)
    suggestions = (
        select(c.rule_id, c.product_id, Product.sku, Product.name_zh, Product.name_en, c.warehouse_id,
               Warehouse.code.label("warehouse"), c.supplier_id, Supplier.code.label("supplier_code"),
               Supplier.name.label("supplier_name"), c.lead_time_days.label("rule_lead_time"),
               lead_time.label("lead_time"), c.available, c.minimum, c.maximum, c.pack_size,
               func.coalesce(on_order.c.open_qty, 0).label("open_qty"), func.coalesce(demand, 0).label("out_qty"),
               func.coalesce(on_order.c.draft_qty, 0).label("draft_qty"))
        .select_from(candidates)
        .join(Product, Product.id == c.product_id)
        .join(Warehouse, Warehouse.id == c.warehouse_id)
        .outerjoin(Supplier, Supplier.id == c.supplier_id)
        .outerjoin(on_order, and_(on_order.c.product_id == c.product_id, on_order.c.warehouse_id == c.warehouse_id))
        .where(Product.active.is_(True))
        .cte("suggestions").prefix_with("MATERIALIZED")  # sorted apart: else SQLite walks every product by SKU
    )
    return select(*suggestions.c).order_by(suggestions.c.warehouse, suggestions.c.sku)


def _below_minimum_rules(rule_filter: Sequence[ColumnElement[bool]]) -> CTE:
    """The rules of `rule_filter` whose position's available stock is below their minimum, quantities in stored
    integers: one pass over the rules, each looking up its level by the level's unique key, materialised."""
    available = _raw(func.coalesce(StockLevel.on_hand, 0)) - _raw(func.coalesce(StockLevel.reserved, 0))
    return (
        select(ReorderRule.id.label("rule_id"), ReorderRule.product_id, ReorderRule.warehouse_id,
               ReorderRule.supplier_id, ReorderRule.lead_time_days, _raw(ReorderRule.minimum).label("minimum"),
               _raw(ReorderRule.maximum).label("maximum"), _raw(ReorderRule.pack_size).label("pack_size"),
               available.label("available"))
        .outerjoin(StockLevel, and_(StockLevel.product_id == ReorderRule.product_id,
                                    StockLevel.warehouse_id == ReorderRule.warehouse_id))
        .where(*rule_filter, available < _raw(ReorderRule.minimum))
        .cte("candidates").prefix_with("MATERIALIZED")  # filter first: neither database inlines it then
    )


def _raw(column: Any) -> Any:
    """A quantity column as the integer it is stored as (10^-QTY_SCALE units), for exact arithmetic in SQL."""
    return type_coerce(column, BigInteger)


def _suggestion(
    dec: _Decimals, rule_id: int, product_id: int, sku: str, name_zh: str, name_en: str, warehouse_id: int,
    warehouse: str, supplier_id: int | None, supplier_code: str | None, supplier_name: str | None,
    rule_lead_time: int | None, lead_time: int, available: int, minimum: int, maximum: int, pack_size: int,
    open_qty: int, out_qty: int, draft_qty: int = 0,
) -> Suggestion:
    """Quantities arrive as stored integers (10^-4 units): the arithmetic is exact, rounding up to whole packs."""
    needed = max(maximum - available - open_qty - (-out_qty * lead_time // DEMAND_DAYS), 0)
    quantity = -(-needed // pack_size) * pack_size
    daily = (out_qty + DEMAND_DAYS // 2) // DEMAND_DAYS
    lead_from = "rule" if rule_lead_time is not None else "supplier" if supplier_id else "default"
    code = "below_minimum" if quantity > 0 else "covered_by_open_orders"
    reason = Reason(code, dec[available], dec[minimum], dec[maximum], dec[open_qty], dec[daily], DEMAND_DAYS,
                    lead_time, lead_from, dec[pack_size], dec[needed], dec[quantity], dec[draft_qty])
    return Suggestion(rule_id, product_id, sku, name_zh, name_en, warehouse_id, warehouse, supplier_id,
                      supplier_code, supplier_name, reason.quantity, reason)


class _Decimals(dict[int, Decimal]):
    """Stored quantities as Decimals, each distinct value converted once (minimums and pack sizes repeat)."""

    def __missing__(self, stored: int) -> Decimal:
        value = self[stored] = Decimal(stored).scaleb(-QTY_SCALE)
        return value
