"""`seed demo` on each database: a believable company, a genuine month of books, refused on a used database."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.db import create_db_engine
from core.demo.company import HISTORY_PRODUCTS, ean13, seed_demo
from core.errors import InvalidState, PermissionDenied
from core.ledger.check import check_ledger
from core.models import (
    ROLES,
    ApprovalRequest,
    Base,
    Category,
    Customer,
    Employee,
    EmployeeRole,
    EmployeeWarehouse,
    Lot,
    LotLevel,
    Notification,
    Product,
    ProductBarcode,
    ProductUnit,
    PurchaseOrder,
    SalesOrder,
    StockDocument,
    StockMove,
    Supplier,
    Warehouse,
    utcnow,
)
from core.people.employees import create_employee, load_actor
from core.people.setup import bootstrap
from core.permissions import Actor
from core.stock.expiry_actions import quarantine_lot
from core.stock.levels import stock_summary
from core.uow import Tx, UnitOfWork
from tests.integration.chat_shop import person


def valid_ean13(code: str) -> bool:
    digits = [int(c) for c in code]
    return len(code) == 13 and code.isdigit() and sum(d * (1, 3)[i % 2] for i, d in enumerate(digits)) % 10 == 0


def count(uow: UnitOfWork, column: object, *where: object) -> int:
    return uow.read(lambda tx: tx.session.scalar(select(func.count(column)).where(*where)))  # type: ignore[arg-type]


def test_the_demo_company_has_every_part_and_a_clean_month_of_books(uow: UnitOfWork, admin: Actor) -> None:
    started = utcnow()
    summary = seed_demo(uow, admin)
    ended = utcnow()

    assert (summary.warehouses, summary.transit_warehouses, summary.products) == (4, 1, 200)
    codes = uow.read(lambda tx: dict(tx.session.execute(select(Warehouse.code, Warehouse.kind)).all()))
    assert codes == {"SH": "normal", "BJ": "normal", "GZ": "normal", "QUARANTINE": "normal", "TRANSIT": "transit"}
    assert uow.read(check_ledger) == []
    lots = uow.read(lambda tx: tx.session.execute(select(Lot.expiry, Product.tracking).join(
        Product, Product.id == Lot.product_id).where(Lot.code != "")).all())
    today = started.date()
    dated = [expiry for expiry, tracking in lots if tracking == "lot"]
    assert any(e < today for e in dated) and any(today < e <= today + timedelta(days=14) for e in dated)
    assert sum(1 for _, tracking in lots if tracking == "serial") >= 5, "a phone-like category by serial"

    def people(tx: Tx) -> dict[str, set[str]]:
        rows = tx.session.execute(select(Employee.name, EmployeeRole.role).join(EmployeeRole))
        held: dict[str, set[str]] = {}
        for name, role in rows:
            held.setdefault(role, set()).add(name)
        return held

    held = uow.read(people)
    assert set(held) == set(ROLES)
    assert len(held["sales"]) == 2 and len(held["warehouse"]) == 2
    assert all(" " not in name for names in held.values() for name in names)
    assigned = uow.read(lambda tx: set(tx.session.execute(
        select(Employee.name, Warehouse.code).join(EmployeeWarehouse, EmployeeWarehouse.employee_id == Employee.id)
        .join(Warehouse, Warehouse.id == EmployeeWarehouse.warehouse_id))))
    assert {code for _, code in assigned} == {"SH", "BJ", "GZ", "QUARANTINE"}
    assert {name for name, _ in assigned} == held["warehouse"]

    categories = uow.read(lambda tx: tx.session.execute(select(Category.code, Category.parent_id)).all())
    assert sum(1 for c in categories if c.parent_id is None) >= 3
    assert sum(1 for c in categories if c.parent_id is not None) >= 8

    products = uow.read(lambda tx: tx.session.execute(
        select(Product.sku, Product.name_zh, Product.name_en, Product.category_id, Product.purchase_price,
               Product.floor_price, Product.sale_price)).all())
    assert all(p.name_zh and p.name_en.isascii() and p.category_id for p in products)
    assert all(D(0) < p.purchase_price < p.floor_price <= p.sale_price for p in products)
    assert len({p.sku for p in products}) == 200
    barcodes = uow.read(lambda tx: tx.session.scalars(select(ProductBarcode.barcode)).all())
    assert len(set(barcodes)) == 200 and all(valid_ean13(b) for b in barcodes)
    boxes = uow.read(lambda tx: tx.session.execute(
        select(ProductUnit.product_id, ProductUnit.factor).where(ProductUnit.name == "箱")).all())
    assert len(boxes) == 200 and {b.factor for b in boxes} >= {D(12), D(24)}

    suppliers = uow.read(lambda tx: tx.session.execute(
        select(Supplier.contact, Supplier.phone, Supplier.lead_time_days)).all())
    assert len(suppliers) == 10 and all(s.contact and s.phone and s.lead_time_days > 0 for s in suppliers)
    customers = uow.read(lambda tx: tx.session.execute(
        select(Customer.channel, Customer.credit_limit, Customer.salesperson_id)).all())
    assert len(customers) == 30
    assert Counter(c.channel for c in customers) == {"store": 10, "online": 10, "wholesale": 10}
    assert all(c.credit_limit > 0 and c.salesperson_id for c in customers)

    first, last = uow.read(lambda tx: tx.session.execute(
        select(func.min(StockMove.created_at), func.max(StockMove.created_at))).one())
    assert timedelta(days=27) < last - first < timedelta(days=31)
    assert started - timedelta(days=2) < last < ended
    kinds = Counter(uow.read(lambda tx: tx.session.scalars(select(StockDocument.kind)).all()))
    assert {"receipt", "issue", "transfer", "transfer_in", "adjustment", "reservation", "release", "so_reservation",
            "shipment"} <= set(kinds)
    assert kinds["shipment"] > 100  # sales orders shipped whole, and the first morning's two waiting to ship
    assert kinds["so_reservation"] == kinds["shipment"] + 2
    shipped = count(uow, SalesOrder.id, SalesOrder.status == "shipped")
    assert shipped == kinds["shipment"] and {c for c, in uow.read(lambda tx: tx.session.execute(
        select(SalesOrder.channel).distinct()).all())} == {"store", "online", "wholesale"}
    reasons = uow.read(lambda tx: tx.session.scalars(
        select(StockDocument.reason).where(StockDocument.kind == "adjustment")).all())
    assert reasons and all(reason.strip() for reason in reasons)
    assert count(uow, StockDocument.id, StockDocument.kind == "transfer", StockDocument.status == "received") > 5
    # the made-up past pushes nothing: its warnings and "please receive" notices are closed unsent
    assert count(uow, Notification.id, Notification.status != "sent") == 0
    closed = Counter(uow.read(lambda tx: tx.session.scalars(select(Notification.event_type).where(
        Notification.last_error == "demo history: not pushed")).all()))
    assert closed["transfer_awaiting_receipt"] > 5 and closed["low_stock"] > 0

    stock = {w.code: w for w in stock_summary(uow, admin)}
    assert all(stock[code].products > 50 and stock[code].value for code in ("SH", "BJ", "GZ"))
    assert summary.documents == count(uow, StockDocument.id)

    # the expiry warning's "move to quarantine" works out of the box, for SH's warehouse keeper too
    expired = uow.read(lambda tx: tx.session.execute(
        select(LotLevel.lot_id, LotLevel.warehouse_id, LotLevel.on_hand).join(Lot, Lot.id == LotLevel.lot_id)
        .where(Lot.expiry < today, LotLevel.on_hand > 0).order_by(Lot.id).limit(1)).one())
    moved = quarantine_lot(uow, load_actor(uow, "warehouse-chen"), expired.lot_id, expired.warehouse_id)
    assert [(ln.warehouse, ln.qty) for ln in moved.lines if ln.warehouse == "QUARANTINE"] == [
        ("QUARANTINE", expired.on_hand)]
    assert uow.read(check_ledger) == []


def test_seeding_a_database_that_has_products_is_refused_and_changes_nothing(
    uow: UnitOfWork, admin: Actor
) -> None:
    seed_demo(uow, admin, products=24, days=2)
    before = (count(uow, Product.id), count(uow, StockMove.id), count(uow, Employee.id))
    with pytest.raises(InvalidState) as refused:
        seed_demo(uow, admin, products=24, days=2)
    assert refused.value.params == {"reason": "not_empty", "products": 24, "warehouses": 4}
    assert (count(uow, Product.id), count(uow, StockMove.id), count(uow, Employee.id)) == before


def test_only_an_admin_may_seed(uow: UnitOfWork, admin: Actor) -> None:
    create_employee(uow, admin, "sales-eager", ["sales", "manager"])
    with pytest.raises(PermissionDenied):
        seed_demo(uow, load_actor(uow, "sales-eager"), products=10, days=2)
    assert count(uow, Product.id) == 0 and count(uow, Warehouse.id, Warehouse.kind == "normal") == 0


def test_more_products_grow_the_catalogue_while_history_stays_on_a_bounded_subset(
    uow: UnitOfWork, admin: Actor
) -> None:
    summary = seed_demo(uow, admin, products=2000, days=3)
    assert (summary.products, summary.barcodes) == (2000, 2000)
    assert count(uow, ProductUnit.id) == 4000
    assert len(set(uow.read(lambda tx: tx.session.scalars(select(Product.name_zh)).all()))) == 2000
    touched = uow.read(lambda tx: tx.session.scalar(select(func.count(func.distinct(StockMove.product_id)))))
    assert 100 < touched <= HISTORY_PRODUCTS
    assert uow.read(check_ledger) == []


def test_the_demo_is_the_same_each_time_and_on_each_database(uow: UnitOfWork, admin: Actor, tmp_path: Path) -> None:
    other_engine = create_db_engine(f"sqlite:///{tmp_path}/again.db")
    Base.metadata.create_all(other_engine)
    other = UnitOfWork(other_engine)
    bootstrap(other)

    def books(tx: Tx) -> list[tuple[object, ...]]:
        return [tuple(r) for r in tx.session.execute(
            select(StockDocument.number, StockDocument.reason, StockMove.line_no, Product.sku, Product.name_zh,
                   Warehouse.code, StockMove.qty, StockMove.value, StockMove.avg_cost)
            .join(StockDocument, StockDocument.id == StockMove.document_id)
            .join(Product, Product.id == StockMove.product_id).join(Warehouse, Warehouse.id == StockMove.warehouse_id)
            .order_by(StockDocument.id, StockMove.line_no, Warehouse.code))]

    seed_demo(uow, admin, products=60, days=4)
    seed_demo(other, load_actor(other, "system"), products=60, days=4)
    try:
        mine, theirs = uow.read(books), other.read(books)
        assert len(mine) > 50 and mine == theirs
    finally:
        other_engine.dispose()


def test_barcodes_get_the_ean13_check_digit_shops_scan() -> None:
    assert ean13("400638133393") == "4006381333931"
    assert ean13("692010000001") == "6920100000011"
    assert valid_ean13("4006381333931") and not valid_ean13("4006381333932")


def test_the_first_morning_has_work_waiting_for_every_person_and_nothing_left_to_push(
    uow: UnitOfWork, admin: Actor
) -> None:
    seed_demo(uow, admin, products=60, days=5)

    def waiting(tx: Tx) -> dict[str, list[tuple[str, str]]]:
        return {
            "po": [(n, s) for n, s in tx.session.execute(
                select(PurchaseOrder.number, PurchaseOrder.status).order_by(PurchaseOrder.number))],
            "so": [(n, s) for n, s in tx.session.execute(
                select(SalesOrder.number, SalesOrder.status).where(SalesOrder.status != "shipped"))],
            "approvals": [(n, r) for n, r in tx.session.execute(
                select(ApprovalRequest.number, ApprovalRequest.current_role)
                .where(ApprovalRequest.status == "pending"))],
            "transit": [(n, s) for n, s in tx.session.execute(
                select(StockDocument.number, StockDocument.status)
                .where(StockDocument.kind == "transfer", StockDocument.status == "in_transit"))],
        }

    found = uow.read(waiting)
    statuses = Counter(status for _, status in found["po"])
    assert statuses == {"approved": 2, "partially_received": 1, "pending_approval": 1}
    assert Counter(status for _, status in found["so"]) == {"approved": 2, "pending_approval": 1}
    assert {role for _, role in found["approvals"]} == {"manager"} and len(found["approvals"]) == 2
    assert {number[:2] for number, _ in found["approvals"]} == {"PO", "SO"}
    assert found["transit"], "a transfer is on its way"
    assert count(uow, Notification.id, Notification.status != "sent") == 0, "no backlog of pushes on day one"
    assert uow.read(check_ledger) == []

    keeper = person(uow, admin, "warehouse-chen")
    keeper.send("收货")
    to_receive = [b.data for reply in keeper.replies for row in reply.buttons for b in row]
    assert len(to_receive) == 2 and all(data.startswith("rc:") and "PO-" in data for data in to_receive), \
        "SH's two orders"
    manager = person(uow, admin, "manager-wang")
    assert manager.send("审批")[0] == "有 2 张单据等你审批："
