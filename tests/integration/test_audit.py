"""Every change writes exactly one audit row naming the employee, the channel and the message that caused it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select

from core.catalog.products import NewProduct, create_product, create_warehouse
from core.models import AuditLog, StockDocument
from core.people.employees import create_employee
from core.permissions import Actor
from core.stock.moves import (
    LineIn,
    Posted,
    adjust_stock,
    dispatch_transfer,
    issue_stock,
    receive_stock,
    receive_transfer,
    release_stock,
    reserve_stock,
)
from core.uow import Tx, UnitOfWork
from tests.factories import make_shop


def audit_rows(tx: Tx) -> list[tuple[int | None, str, str | None, str, str, int | None, datetime]]:
    return [tuple(row) for row in tx.session.execute(
        select(AuditLog.employee_id, AuditLog.channel, AuditLog.message_id, AuditLog.action, AuditLog.entity,
               AuditLog.entity_id, AuditLog.at).order_by(AuditLog.id))]


def newest_document_time(tx: Tx) -> datetime:
    newest = select(func.max(StockDocument.id)).scalar_subquery()
    return tx.session.execute(select(StockDocument.created_at).where(StockDocument.id == newest)).scalar_one()


def test_every_stock_service_writes_one_audit_row_with_employee_channel_and_message(
    uow: UnitOfWork, admin: Actor
) -> None:
    shop = make_shop(uow, admin)
    keeper = shop.manager.with_channel("telegram", "msg-42")
    receive_stock(uow, admin, "MAIN", [LineIn("LAMP", 10, "40")])
    opened: dict[str, Posted] = {}

    def opening(kind: str, posted: Posted) -> Posted:
        opened[kind] = posted
        return posted

    calls: list[tuple[str, Callable[[], Posted]]] = [
        ("stock.receipt", lambda: receive_stock(uow, keeper, "MAIN", [LineIn("TEA-CUP", 5, "3.30")])),
        ("stock.issue", lambda: issue_stock(uow, keeper, "MAIN", [LineIn("LAMP", 1)])),
        ("stock.adjustment", lambda: adjust_stock(uow, keeper, "MAIN", [LineIn("LAMP", -1)], reason="broken")),
        ("stock.transfer.dispatch",
         lambda: opening("transfer", dispatch_transfer(uow, keeper, "MAIN", "NORTH", [LineIn("LAMP", 3)]))),
        ("stock.transfer.receive",
         lambda: receive_transfer(uow, keeper, opened["transfer"].number, [LineIn("LAMP", 1)])),
        ("stock.transfer.receive", lambda: receive_transfer(uow, keeper, opened["transfer"].number)),
        ("stock.reservation",
         lambda: opening("reservation", reserve_stock(uow, keeper, "MAIN", [LineIn("TEA-CUP", 2)]))),
        ("stock.release",
         lambda: release_stock(uow, keeper, opened["reservation"].number, [LineIn("TEA-CUP", 1)])),
        ("stock.release", lambda: release_stock(uow, keeper, opened["reservation"].number)),
    ]
    for action, call in calls:
        before = uow.read(audit_rows)
        posted = call()
        after = uow.read(audit_rows)
        assert after[:-1] == before, f"{action} wrote {len(after) - len(before)} audit rows"
        employee, channel, message, recorded, entity, entity_id, at = after[-1]
        assert (employee, channel, message, recorded) == (keeper.employee_id, "telegram", "msg-42", action)
        assert (entity, entity_id) == ("stock_document", posted.document_id)
        assert at == uow.read(newest_document_time), "the audit row and the posting share one time"


def test_catalog_and_people_changes_are_audited_with_their_channel(uow: UnitOfWork, admin: Actor) -> None:
    boss = admin.with_channel("wecom", "wx-7")
    before = len(uow.read(audit_rows))
    warehouse_id = create_warehouse(uow, boss, "EAST", "东仓 East")
    product_id = create_product(uow, boss, NewProduct("INK", "墨水"))
    employee_id = create_employee(uow, boss, "clerk-1", ["warehouse"], warehouses=["EAST"])
    rows = uow.read(audit_rows)[before:]
    assert [(r[0], r[1], r[2], r[3], r[5]) for r in rows] == [
        (admin.employee_id, "wecom", "wx-7", "warehouse.create", warehouse_id),
        (admin.employee_id, "wecom", "wx-7", "product.create", product_id),
        (admin.employee_id, "wecom", "wx-7", "employee.create", employee_id),
    ]
