"""Suppliers: adding, changing and finding them, and what we bought from each."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from core.errors import DuplicateCode, InvalidPartner, UnknownPartner
from core.models import Money, PurchaseOrder, StockDocument, StockMove, Supplier
from core.numbers import ZERO, round_money
from core.partners.records import apply_changes, clean_fields, matching, page_of
from core.people.audit import record
from core.permissions import Actor, Permission
from core.uow import Tx, UnitOfWork

OPEN_PO_STATUSES = ("approved", "partially_received", "received", "closed")


@dataclass(frozen=True)
class SupplierView:
    code: str
    name: str
    contact: str
    phone: str
    credit_rating: str
    lead_time_days: int
    payment_terms_days: int
    note: str
    active: bool


@dataclass(frozen=True)
class NewSupplier:
    code: str
    name: str
    contact: str = ""
    phone: str = ""
    credit_rating: str = "B"
    lead_time_days: object = 7
    payment_terms_days: object = 30
    note: str = ""


@dataclass(frozen=True)
class SupplierOrder:
    number: str
    status: str
    created_at: datetime
    total: Decimal | None


@dataclass(frozen=True)
class SupplierReceipt:
    """A goods receipt (GR-) or a return to the supplier (PR-) and the value it moved."""

    number: str
    kind: str
    order_number: str
    created_at: datetime
    value: Decimal | None


@dataclass(frozen=True)
class SupplierHistory:
    supplier: SupplierView
    orders: tuple[SupplierOrder, ...]
    receipts: tuple[SupplierReceipt, ...]
    ordered_total: Decimal | None
    received_total: Decimal | None
    returned_total: Decimal | None


def _supplier_view(row: Supplier) -> SupplierView:
    return SupplierView(row.code, row.name, row.contact, row.phone, row.credit_rating, row.lead_time_days,
                        row.payment_terms_days, row.note, row.active)


def create_supplier(uow: UnitOfWork, actor: Actor, new: NewSupplier) -> SupplierView:
    """Add a supplier."""
    actor.require(Permission.SUPPLIER_EDIT)
    clean = clean_fields("supplier", {f.name: getattr(new, f.name) for f in fields(new)})

    def work(tx: Tx) -> SupplierView:
        if tx.session.scalar(select(Supplier.id).where(Supplier.code == clean["code"])) is not None:
            raise DuplicateCode(kind="supplier", code=clean["code"])
        supplier = Supplier(**clean, created_at=tx.now)
        tx.session.add(supplier)
        tx.session.flush()
        record(tx, actor, "supplier.create", "supplier", supplier.id, **clean)
        return _supplier_view(supplier)

    return uow.run(work)


def update_supplier(uow: UnitOfWork, actor: Actor, code: str, **changes: object) -> SupplierView:
    """Change a supplier's name, contact, phone, rating, lead time, payment terms, note or active flag."""
    actor.require(Permission.SUPPLIER_EDIT)
    allowed = {"name", "contact", "phone", "credit_rating", "lead_time_days", "payment_terms_days", "note",
               "active"}
    if changes.keys() - allowed:
        raise InvalidPartner(kind="supplier", field=sorted(changes.keys() - allowed)[0], value="")
    clean = clean_fields("supplier", dict(changes))

    def work(tx: Tx) -> SupplierView:
        supplier = supplier_by_code(tx, code, lock=True)
        changed = apply_changes(supplier, clean)
        if changed:
            record(tx, actor, "supplier.update", "supplier", supplier.id, code=supplier.code, changes=changed)
        return _supplier_view(supplier)

    return uow.run(work)


def get_supplier(uow: UnitOfWork, actor: Actor, code: str) -> SupplierView:
    """One supplier by code."""
    actor.require(Permission.PARTNER_VIEW)
    return uow.read(lambda tx: _supplier_view(supplier_by_code(tx, code)))


def find_suppliers(uow: UnitOfWork, actor: Actor, query: str = "", page: int = 1) -> list[SupplierView]:
    """Suppliers whose code is `query` or whose code or name contains it, exact code first, a page at a time."""
    actor.require(Permission.PARTNER_VIEW)
    statement = matching(select(Supplier), Supplier.__table__, query)  # type: ignore[arg-type]
    return uow.read(lambda tx: [_supplier_view(s) for s in tx.session.scalars(page_of(statement, page))])


def supplier_in(tx: Tx, code: str) -> Supplier:
    """An active supplier by code, for documents; UnknownPartner otherwise."""
    supplier = supplier_by_code(tx, code)
    if not supplier.active:
        raise UnknownPartner(kind="supplier", code=supplier.code, reason="inactive")
    return supplier


def supplier_by_code(tx: Tx, code: str, *, lock: bool = False) -> Supplier:
    """A supplier by code, active or not; UnknownPartner otherwise."""
    statement = select(Supplier).where(Supplier.code == str(code).strip().upper())
    supplier = tx.session.scalar(statement.with_for_update() if lock else statement)
    if supplier is None:
        raise UnknownPartner(kind="supplier", code=str(code)[:40])
    return supplier


def supplier_history(uow: UnitOfWork, actor: Actor, code: str, page: int = 1) -> SupplierHistory:
    """A supplier's purchase orders (newest first, a page at a time), receipts and returns, with totals."""
    actor.require(Permission.PARTNER_VIEW)
    actor.require(Permission.PURCHASE_VIEW)
    sees_cost = actor.can(Permission.COST_VIEW)

    def shown(value: Decimal) -> Decimal | None:
        return round_money(value) if sees_cost else None

    def work(tx: Tx) -> SupplierHistory:
        supplier = supplier_by_code(tx, code)
        orders = tx.session.execute(page_of(
            select(PurchaseOrder.number, PurchaseOrder.status, PurchaseOrder.created_at, PurchaseOrder.total)
            .where(PurchaseOrder.supplier_id == supplier.id).order_by(PurchaseOrder.id.desc()), page)).all()
        ordered = tx.session.scalar(
            select(func.coalesce(func.sum(PurchaseOrder.total), 0, type_=Money()))
            .where(PurchaseOrder.supplier_id == supplier.id, PurchaseOrder.status.in_(OPEN_PO_STATUSES)))
        value = func.coalesce(func.sum(StockMove.value), 0, type_=Money())
        receipts = tx.session.execute(page_of(
            select(StockDocument.number, StockDocument.kind, PurchaseOrder.number.label("order_number"),
                   StockDocument.created_at, value.label("value"))
            .join(PurchaseOrder, PurchaseOrder.id == StockDocument.source_id)
            .outerjoin(StockMove, StockMove.document_id == StockDocument.id)
            .where(StockDocument.source_type == "purchase_order", PurchaseOrder.supplier_id == supplier.id)
            .group_by(StockDocument.id, StockDocument.number, StockDocument.kind, PurchaseOrder.number,
                      StockDocument.created_at)
            .order_by(StockDocument.id.desc()), page)).all()
        by_kind = dict(tx.session.execute(
            select(StockDocument.kind, value)
            .join(StockMove, StockMove.document_id == StockDocument.id)
            .join(PurchaseOrder, PurchaseOrder.id == StockDocument.source_id)
            .where(StockDocument.source_type == "purchase_order", PurchaseOrder.supplier_id == supplier.id)
            .group_by(StockDocument.kind)).all())
        return SupplierHistory(
            supplier=_supplier_view(supplier),
            orders=tuple(SupplierOrder(o.number, o.status, o.created_at, shown(o.total)) for o in orders),
            receipts=tuple(SupplierReceipt(r.number, r.kind, r.order_number, r.created_at, shown(r.value))
                           for r in receipts),
            ordered_total=shown(ordered or ZERO),
            received_total=shown(by_kind.get("po_receipt", ZERO)),
            returned_total=shown(-by_kind.get("purchase_return", ZERO)),
        )

    return uow.read(work)

