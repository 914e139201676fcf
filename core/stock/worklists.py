"""What a worker needs to see before acting in chat: their warehouses, a transfer's lines, a sheet, the approvers."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from core.catalog.products import WarehouseRef, transit_warehouse_in, warehouse_in
from core.errors import PermissionDenied, UnknownDocument
from core.models import (
    ApprovalRequest,
    Employee,
    EmployeeRole,
    Product,
    StockDocument,
    StockMove,
    Stocktake,
    Warehouse,
)
from core.permissions import Actor, Permission
from core.uow import Tx, UnitOfWork


@dataclass(frozen=True)
class TransitLine:
    line_no: int
    sku: str
    name_zh: str
    name_en: str
    qty: Decimal


@dataclass(frozen=True)
class TransferView:
    """A transfer and what of it is still in transit, per line."""

    number: str
    status: str
    from_warehouse: str
    to_warehouse: str
    lines: tuple[TransitLine, ...]


@dataclass(frozen=True)
class Awaiting:
    """Who is to decide a pending approval now: the role and the active employees holding it."""

    role: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class OpenSheet:
    number: str
    status: str


def warehouses_for(uow: UnitOfWork, actor: Actor, permission: Permission | None) -> list[WarehouseRef]:
    """Active ordinary warehouses where the actor holds `permission` (every one for None), by code."""
    rows = uow.read(lambda tx: tx.session.execute(
        select(Warehouse.id, Warehouse.code, Warehouse.name, Warehouse.kind)
        .where(Warehouse.active, Warehouse.kind == "normal").order_by(Warehouse.code)).all())
    return [WarehouseRef(*r) for r in rows if permission is None or actor.can(permission, r.id)]


def transfer_view(uow: UnitOfWork, actor: Actor, number: str) -> TransferView:
    """A transfer's lines still in transit, for the staff of the receiving warehouse (who alone receive it)."""

    def work(tx: Tx) -> TransferView:
        sender, receiver = aliased(Warehouse), aliased(Warehouse)
        row = tx.session.execute(
            select(StockDocument, sender.code, receiver.code)
            .join(sender, sender.id == StockDocument.warehouse_id)
            .join(receiver, receiver.id == StockDocument.dest_warehouse_id)
            .where(func.upper(StockDocument.number) == str(number).strip().upper()[:40],
                   StockDocument.kind == "transfer")).one_or_none()
        if row is None:
            raise UnknownDocument(number=str(number)[:40])
        transfer, from_code, to_code = row
        actor.require(Permission.STOCK_TRANSFER, transfer.dest_warehouse_id)
        if transfer.dest_warehouse_id not in actor.warehouse_ids:
            raise PermissionDenied(employee=actor.name, permission=Permission.STOCK_TRANSFER.value,
                                   warehouse_id=transfer.dest_warehouse_id, reason="receiving_warehouse_staff_only")
        transit = transit_warehouse_in(tx)
        followers = select(StockDocument.id).where(
            StockDocument.source_type == "stock_document", StockDocument.source_id == transfer.id)
        lines = tx.session.execute(
            select(StockMove.line_no, Product.sku, Product.name_zh, Product.name_en,
                   func.sum(StockMove.qty).label("qty"))
            .join(Product, Product.id == StockMove.product_id)
            .where(StockMove.warehouse_id == transit.id,
                   (StockMove.document_id == transfer.id) | StockMove.document_id.in_(followers))
            .group_by(StockMove.line_no, Product.sku, Product.name_zh, Product.name_en)
            .order_by(StockMove.line_no)).all()
        return TransferView(transfer.number, transfer.status, from_code, to_code,
                            tuple(TransitLine(*r) for r in lines if r.qty != 0))

    return uow.read(work)


def awaiting_approval(uow: UnitOfWork, doc_type: str, number: str) -> Awaiting | None:
    """The role (and its holders) that must decide the pending approval of a document, if one is pending."""

    def work(tx: Tx) -> Awaiting | None:
        request = tx.session.execute(
            select(ApprovalRequest.current_role, ApprovalRequest.escalated_to)
            .where(ApprovalRequest.doc_type == doc_type, ApprovalRequest.number == number,
                   ApprovalRequest.status == "pending")).one_or_none()
        if request is None:
            return None
        role = request.escalated_to or request.current_role
        names = tx.session.scalars(
            select(Employee.name).join(EmployeeRole, EmployeeRole.employee_id == Employee.id)
            .where(EmployeeRole.role == role, Employee.active).order_by(Employee.name).limit(5))
        return Awaiting(role, tuple(names))

    return uow.read(work)


def open_stocktake(uow: UnitOfWork, actor: Actor, warehouse: str) -> OpenSheet | None:
    """The newest whole-warehouse count sheet of a warehouse still counting or waiting for approval."""

    def work(tx: Tx) -> OpenSheet | None:
        target = warehouse_in(tx, warehouse)
        actor.require(Permission.STOCKTAKE_COUNT, target.id)
        row = tx.session.execute(
            select(Stocktake.number, Stocktake.status)
            .where(Stocktake.warehouse_id == target.id, Stocktake.status.in_(("counting", "pending_approval")))
            .order_by(Stocktake.category_id.is_not(None), Stocktake.id.desc()).limit(1)).one_or_none()
        return None if row is None else OpenSheet(row.number, row.status)

    return uow.read(work)

