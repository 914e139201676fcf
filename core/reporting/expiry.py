"""The daily expiry warnings: once per lot and warehouse when it enters its alert lead time, once when it expires,
to purchasers and managers (with the value at stake) and to the warehouse workers of that stock."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, or_, select

from core.integration.outbox import Note, employees_with_role, write_notes
from core.ledger.lot_position import NO_LOT
from core.models import (
    Employee,
    EmployeeRole,
    EmployeeWarehouse,
    Lot,
    LotLevel,
    Product,
    StockLevel,
    Warehouse,
)
from core.numbers import round_money
from core.uow import Tx, UnitOfWork

BUYER_ROLES = ("purchaser", "manager")


def write_expiry_warnings(uow: UnitOfWork, day: date) -> int:
    """Notes for the lots on hand that are within their alert lead time or past their expiry on `day`; a lot
    crossing is told once whatever the number of runs or servers (the outbox's dedupe key); notes written."""

    def work(tx: Tx) -> int:
        lots = _lots_at_stake(tx, day)
        if not lots:
            return 0
        buyers = employees_with_role(tx, *BUYER_ROLES)
        workers = _warehouse_workers(tx, {lot["warehouse_id"] for lot in lots})
        notes = []
        for lot in lots:
            stage = lot["stage"]
            base = f"lot_expiry:{stage}:{lot['lot_id']}:{lot['warehouse_id']}"
            notes += [Note("lot_expiry", e, lot, f"{base}:{e}") for e in buyers]
            hidden = {k: v for k, v in lot.items() if k != "value"}  # warehouse workers see no cost
            notes += [Note("lot_expiry", e, hidden, f"{base}:{e}") for e in workers.get(lot["warehouse_id"], ())
                      if e not in buyers]
        return write_notes(tx, notes)

    return uow.run(work)


def _lots_at_stake(tx: Tx, day: date) -> list[dict[str, Any]]:
    """Lots with stock that are expired, or whose expiry is within the product's alert lead time (one statement)."""
    rows = tx.session.execute(
        select(Lot.id, Lot.code, Lot.expiry, Product.sku, Product.name_zh, Product.name_en, Product.alert_days,
               Warehouse.id.label("warehouse_id"), Warehouse.code.label("warehouse"), LotLevel.on_hand,
               StockLevel.avg_cost)
        .join(LotLevel, LotLevel.lot_id == Lot.id).join(Product, Product.id == Lot.product_id)
        .join(Warehouse, Warehouse.id == LotLevel.warehouse_id)
        .join(StockLevel, and_(StockLevel.product_id == Lot.product_id, StockLevel.warehouse_id == Warehouse.id))
        .where(LotLevel.on_hand > 0, Lot.code != NO_LOT, Lot.expiry.is_not(None), Warehouse.kind == "normal",
               or_(Lot.expiry < day, Product.alert_days.is_not(None)))
        .order_by(Lot.expiry, Product.sku, Lot.code))
    lots = []
    for r in rows:
        if r.expiry < day:
            stage = "expired"
        elif r.alert_days is not None and r.expiry - timedelta(days=r.alert_days) <= day:
            stage = "alert"
        else:
            continue
        lots.append({"stage": stage, "lot_id": r.id, "lot": r.code, "expiry": r.expiry.isoformat(),
                     "days_left": (r.expiry - day).days, "sku": r.sku, "name_zh": r.name_zh,
                     "name_en": r.name_en, "warehouse_id": r.warehouse_id, "warehouse": r.warehouse,
                     "qty": r.on_hand, "value": round_money(r.on_hand * r.avg_cost, tx.money_places)})
    return lots


def _warehouse_workers(tx: Tx, warehouses: set[int]) -> dict[int, list[int]]:
    rows = tx.session.execute(
        select(EmployeeWarehouse.warehouse_id, Employee.id)
        .join(Employee, Employee.id == EmployeeWarehouse.employee_id)
        .join(EmployeeRole, and_(EmployeeRole.employee_id == Employee.id, EmployeeRole.role == "warehouse"))
        .where(EmployeeWarehouse.warehouse_id.in_(sorted(warehouses)), Employee.active).distinct())
    workers: dict[int, list[int]] = {}
    for r in rows:
        workers.setdefault(r.warehouse_id, []).append(r.id)
    return workers

