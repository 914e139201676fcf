"""Every row of an import kind written back out as import reads it, and the kinds only exported (quotations,
deposits: core/integration/document_exports)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, true

from core.errors import InvalidState
from core.integration import document_exports
from core.integration.import_columns import COLUMNS
from core.models import (
    Category,
    Customer,
    Employee,
    Lot,
    LotLevel,
    Product,
    ProductBarcode,
    ReorderRule,
    StockLevel,
    Supplier,
    Warehouse,
)
from core.partners.customers import sees_all_customers
from core.permissions import Actor, Permission
from core.sales.price_lists import price_rule_rows
from core.uow import Tx, UnitOfWork


def export_rows(uow: UnitOfWork, actor: Actor, kind: str) -> list[dict[str, object]]:
    """Every row of a kind the actor may read, as import reads it back (opening stock: what is on hand now, at
    average cost), by the rules of the reads: no purchase price without cost, sales staff's own customers only,
    warehouse staff's own warehouses only."""
    if kind in document_exports.COLUMNS:
        document_exports.require_export(actor, kind)
        return uow.read(lambda tx: document_exports.document_rows(tx, actor, kind))
    if kind not in COLUMNS:
        raise InvalidState(kind=kind[:40], reason="unknown_import_kind")
    actor.require({"products": Permission.STOCK_VIEW, "customers": Permission.PARTNER_VIEW,
                   "suppliers": Permission.PARTNER_VIEW, "opening_stock": Permission.COST_VIEW,
                   "reorder_rules": Permission.REPLENISH, "price_rules": Permission.PRICES_EDIT}[kind])
    sees_cost = actor.can(Permission.COST_VIEW)
    all_customers = sees_all_customers(actor)
    scope = actor.warehouse_scope(Permission.REPLENISH if kind == "reorder_rules" else Permission.STOCK_VIEW)
    warehouses = None if scope is None else sorted(scope) or [-1]

    def work(tx: Tx) -> list[dict[str, object]]:
        s = tx.session
        if kind == "products":
            barcodes: dict[int, str] = {}
            for pid, code in s.execute(select(ProductBarcode.product_id, ProductBarcode.barcode)
                                       .order_by(ProductBarcode.id)):
                barcodes.setdefault(pid, code)
            return [{"sku": r.sku, "name_zh": r.name_zh, "name_en": r.name_en, "category": r.code or "",
                     "base_unit": r.base_unit, "purchase_price": r.purchase_price if sees_cost else "",
                     "sale_price": r.sale_price,
                     "floor_price": r.floor_price, "barcode": barcodes.get(r.id, ""), "spec": r.spec,
                     "tracking": r.tracking,
                     "shelf_life_days": "" if r.shelf_life_days is None else r.shelf_life_days,
                     "alert_days": "" if r.alert_days is None else r.alert_days}
                    for r in s.execute(select(Product.id, Product.sku, Product.name_zh, Product.name_en,
                                              Category.code, Product.base_unit, Product.purchase_price,
                                              Product.sale_price, Product.floor_price, Product.spec,
                                              Product.tracking, Product.shelf_life_days, Product.alert_days)
                                       .outerjoin(Category, Category.id == Product.category_id)
                                       .order_by(Product.sku))]
        if kind == "suppliers":
            return [{c: getattr(r, c) for c in COLUMNS[kind]}
                    for r in s.scalars(select(Supplier).order_by(Supplier.code))]
        if kind == "customers":
            customers = select(Customer, Employee.name).outerjoin(Employee, Employee.id == Customer.salesperson_id)
            if not all_customers:
                customers = customers.where(Customer.salesperson_id == actor.employee_id)
            rows = s.execute(customers.order_by(Customer.code)).all()
            return [{**{c: getattr(r, c) for c in COLUMNS[kind] if c != "salesperson"}, "salesperson": name or ""}
                    for r, name in rows]
        if kind == "opening_stock":
            return _opening_stock(tx, warehouses)
        if kind == "price_rules":
            return [{"grade": r.grade or "", "customer": r.customer or "", "sku": r.product or "",
                     "category": r.category or "", "method": r.method, "value": r.value, "min_qty": r.min_qty,
                     "valid_from": r.valid_from or "", "valid_to": r.valid_to or ""}
                    for r in price_rule_rows(tx)]
        return [{"sku": sku, "warehouse": w, "minimum": r.minimum, "maximum": r.maximum, "pack_size": r.pack_size,
                 "supplier": sup or "", "lead_time_days": "" if r.lead_time_days is None else r.lead_time_days}
                for r, sku, w, sup in s.execute(
                    select(ReorderRule, Product.sku, Warehouse.code, Supplier.code)
                    .join(Product, Product.id == ReorderRule.product_id)
                    .join(Warehouse, Warehouse.id == ReorderRule.warehouse_id)
                    .outerjoin(Supplier, Supplier.id == ReorderRule.supplier_id)
                    .where(true() if warehouses is None else ReorderRule.warehouse_id.in_(warehouses))
                    .order_by(Warehouse.code, Product.sku))]

    return uow.read(work)


def _opening_stock(tx: Tx, warehouses: list[int] | None) -> list[dict[str, object]]:
    """Stock on hand as opening stock rows: per product and warehouse, a tracked product per lot (with its expiry)
    and its serials in one row; every row at the warehouse's average cost."""
    held = (StockLevel.on_hand > 0, Warehouse.kind == "normal",
            true() if warehouses is None else StockLevel.warehouse_id.in_(warehouses))
    rows: list[dict[str, object]] = [
        {"warehouse": w, "sku": sku, "qty": qty, "unit_cost": cost, "lot": "", "expiry": "", "serials": ""}
        for w, sku, qty, cost in tx.session.execute(
            select(Warehouse.code, Product.sku, StockLevel.on_hand, StockLevel.avg_cost)
            .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
            .join(Product, Product.id == StockLevel.product_id)
            .where(*held, Product.tracking == "none"))]
    serials: dict[tuple[str, str], dict[str, object]] = {}
    for r in tx.session.execute(
            select(Warehouse.code, Product.sku, Product.tracking, Lot.code.label("lot"), Lot.expiry,
                   LotLevel.on_hand, StockLevel.avg_cost)
            .join(Lot, Lot.id == LotLevel.lot_id).join(Product, Product.id == LotLevel.product_id)
            .join(Warehouse, Warehouse.id == LotLevel.warehouse_id)
            .join(StockLevel, (StockLevel.product_id == LotLevel.product_id)
                  & (StockLevel.warehouse_id == LotLevel.warehouse_id))
            .where(*held, LotLevel.on_hand > 0).order_by(Lot.expiry.is_(None), Lot.expiry, Lot.code)):
        if r.tracking == "serial" and r.lot:
            row = serials.setdefault((r.code, r.sku), {"warehouse": r.code, "sku": r.sku, "qty": Decimal(0),
                                                       "unit_cost": r.avg_cost, "lot": "", "expiry": "",
                                                       "serials": ""})
            row["qty"] = Decimal(str(row["qty"])) + r.on_hand
            row["serials"] = f"{row['serials']} {r.lot}".strip()
            continue
        rows.append({"warehouse": r.code, "sku": r.sku, "qty": r.on_hand, "unit_cost": r.avg_cost, "lot": r.lot,
                     "expiry": "" if r.expiry is None else r.expiry.isoformat(), "serials": ""})
    rows += serials.values()
    return sorted(rows, key=lambda row: (str(row["warehouse"]), str(row["sku"])))
