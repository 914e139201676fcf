"""Suppliers and customers: adding, changing, finding them, and what we traded with each."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Select, Table, func, or_, select

from core.errors import DuplicateCode, InvalidPartner, PermissionDenied, UnknownEmployee, UnknownPartner
from core.models import (
    Base,
    Customer,
    Employee,
    Money,
    PurchaseOrder,
    SalesOrder,
    StockDocument,
    StockMove,
    Supplier,
)
from core.models.partners import CREDIT_RATINGS
from core.numbers import ZERO, parse_money, round_money
from core.people.audit import record
from core.permissions import Actor, Permission
from core.uow import Tx, UnitOfWork

PAGE_SIZE = 20
MAX_DAYS = 3650
OPEN_PO_STATUSES = ("approved", "partially_received", "received", "closed")
OPEN_SO_STATUSES = ("approved", "partially_shipped", "shipped", "closed")
S = TypeVar("S", bound=Select[*tuple[Any, ...]])


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
class CustomerView:
    code: str
    name: str
    contact: str
    phone: str
    channel: str
    credit_limit: Decimal
    salesperson: str | None
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
class NewCustomer:
    code: str
    name: str
    contact: str = ""
    phone: str = ""
    channel: str = "wholesale"
    credit_limit: object = 0
    salesperson: str | None = None
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


@dataclass(frozen=True)
class CustomerOrder:
    number: str
    status: str
    channel: str
    created_at: datetime
    total: Decimal


@dataclass(frozen=True)
class CustomerHistory:
    customer: CustomerView
    orders: tuple[CustomerOrder, ...]
    order_total: Decimal


def _text(kind: str, name: str, value: object, limit: int, *, required: bool = False) -> str:
    text = str(value).strip() if value is not None else ""
    if len(text) > limit or (required and not text):
        raise InvalidPartner(kind=kind, field=name, value=text[:40])
    return text


def _days(kind: str, name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidPartner(kind=kind, field=name, value=str(value)[:40])
    text = str(value).strip()
    if not text.isdigit() or int(text) > MAX_DAYS:
        raise InvalidPartner(kind=kind, field=name, value=text[:40])
    return int(text)


def _code(kind: str, value: object) -> str:
    code = _text(kind, "code", value, 20, required=True).upper()
    if any(ch.isspace() for ch in code):
        raise InvalidPartner(kind=kind, field="code", value=code)
    return code


def _clean(kind: str, values: dict[str, object]) -> dict[str, Any]:
    """Validated column values for the fields given (code, names, ratings, days, limits)."""
    limits = {"name": 200, "contact": 100, "phone": 40, "note": 500}
    clean: dict[str, Any] = {}
    for name, value in values.items():
        if name == "code":
            clean[name] = _code(kind, value)
        elif name in limits:
            clean[name] = _text(kind, name, value, limits[name], required=name == "name")
        elif name in ("lead_time_days", "payment_terms_days"):
            clean[name] = _days(kind, name, value)
        elif name == "credit_rating":
            rating = str(value).strip().upper()
            if rating not in CREDIT_RATINGS:
                raise InvalidPartner(kind=kind, field=name, value=rating[:10])
            clean[name] = rating
        elif name == "channel":
            clean[name] = _text(kind, name, value, 20, required=True).lower()
        elif name == "credit_limit":
            clean[name] = parse_money(value)
        elif name == "active":
            clean[name] = bool(value)
        else:
            clean[name] = value
    return clean


def _supplier_view(row: Supplier) -> SupplierView:
    return SupplierView(row.code, row.name, row.contact, row.phone, row.credit_rating, row.lead_time_days,
                        row.payment_terms_days, row.note, row.active)


def _customer_view(row: Customer, salesperson: str | None) -> CustomerView:
    return CustomerView(row.code, row.name, row.contact, row.phone, row.channel, row.credit_limit, salesperson,
                        row.payment_terms_days, row.note, row.active)


def _changed(row: Base, clean: dict[str, Any]) -> dict[str, list[Any]]:
    changes = {name: [getattr(row, name), value] for name, value in clean.items() if getattr(row, name) != value}
    for name, (_, value) in changes.items():
        setattr(row, name, value)
    return changes


# Suppliers


def create_supplier(uow: UnitOfWork, actor: Actor, new: NewSupplier) -> SupplierView:
    """Add a supplier."""
    actor.require(Permission.SUPPLIER_EDIT)
    clean = _clean("supplier", {f.name: getattr(new, f.name) for f in fields(new)})

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
    clean = _clean("supplier", dict(changes))

    def work(tx: Tx) -> SupplierView:
        supplier = supplier_by_code(tx, code, lock=True)
        changed = _changed(supplier, clean)
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
    statement = _matching(select(Supplier), Supplier.__table__, query)  # type: ignore[arg-type]
    return uow.read(lambda tx: [_supplier_view(s) for s in tx.session.scalars(_page(statement, page))])


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
        orders = tx.session.execute(_page(
            select(PurchaseOrder.number, PurchaseOrder.status, PurchaseOrder.created_at, PurchaseOrder.total)
            .where(PurchaseOrder.supplier_id == supplier.id).order_by(PurchaseOrder.id.desc()), page)).all()
        ordered = tx.session.scalar(
            select(func.coalesce(func.sum(PurchaseOrder.total), 0, type_=Money()))
            .where(PurchaseOrder.supplier_id == supplier.id, PurchaseOrder.status.in_(OPEN_PO_STATUSES)))
        value = func.coalesce(func.sum(StockMove.value), 0, type_=Money())
        receipts = tx.session.execute(_page(
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


# Customers


def sees_all_customers(actor: Actor) -> bool:
    """Sales staff see only the customers they own; those who may see all sales see every customer."""
    return actor.can(Permission.SALES_VIEW_ALL)


def create_customer(uow: UnitOfWork, actor: Actor, new: NewCustomer) -> CustomerView:
    """Add a customer, owned by the given salesperson (sales staff: themselves)."""
    actor.require(Permission.CUSTOMER_EDIT)
    values = {f.name: getattr(new, f.name) for f in fields(new) if f.name != "salesperson"}
    clean = _clean("customer", values)

    def work(tx: Tx) -> CustomerView:
        if tx.session.scalar(select(Customer.id).where(Customer.code == clean["code"])) is not None:
            raise DuplicateCode(kind="customer", code=clean["code"])
        owner_id, owner = _owner(tx, actor, new.salesperson)
        customer = Customer(**clean, salesperson_id=owner_id, created_at=tx.now)
        tx.session.add(customer)
        tx.session.flush()
        record(tx, actor, "customer.create", "customer", customer.id, salesperson=owner, **clean)
        return _customer_view(customer, owner)

    return uow.run(work)


def update_customer(
    uow: UnitOfWork, actor: Actor, code: str, *, salesperson: str | None = None, **changes: object
) -> CustomerView:
    """Change a customer's details, credit limit or (for those who see all customers) owning salesperson."""
    actor.require(Permission.CUSTOMER_EDIT)
    allowed = {"name", "contact", "phone", "channel", "credit_limit", "payment_terms_days", "note", "active"}
    if changes.keys() - allowed:
        raise InvalidPartner(kind="customer", field=sorted(changes.keys() - allowed)[0], value="")
    clean = _clean("customer", dict(changes))

    def work(tx: Tx) -> CustomerView:
        customer = _customer_row(tx, actor, code, lock=True)
        if salesperson is not None:
            clean["salesperson_id"], _ = _owner(tx, actor, salesperson)
        changed = _changed(customer, clean)
        if changed:
            record(tx, actor, "customer.update", "customer", customer.id, code=customer.code, changes=changed)
        return _customer_view(customer, _employee_name(tx, customer.salesperson_id))

    return uow.run(work)


def get_customer(uow: UnitOfWork, actor: Actor, code: str) -> CustomerView:
    """One customer by code, if the actor may see them."""
    actor.require(Permission.PARTNER_VIEW)

    def work(tx: Tx) -> CustomerView:
        customer = _customer_row(tx, actor, code)
        return _customer_view(customer, _employee_name(tx, customer.salesperson_id))

    return uow.read(work)


def find_customers(uow: UnitOfWork, actor: Actor, query: str = "", page: int = 1) -> list[CustomerView]:
    """Customers the actor may see whose code is `query` or whose code or name contains it, a page at a time."""
    actor.require(Permission.PARTNER_VIEW)
    statement = _matching(
        select(Customer, Employee.name).outerjoin(Employee, Employee.id == Customer.salesperson_id),
        Customer.__table__, query)  # type: ignore[arg-type]
    if not sees_all_customers(actor):
        statement = statement.where(Customer.salesperson_id == actor.employee_id)
    return uow.read(lambda tx: [_customer_view(c, n) for c, n in tx.session.execute(_page(statement, page))])


def customer_in(tx: Tx, actor: Actor, code: str) -> Customer:
    """An active customer the actor may see, by code, for documents; UnknownPartner otherwise."""
    customer = _customer_row(tx, actor, code)
    if not customer.active:
        raise UnknownPartner(kind="customer", code=customer.code, reason="inactive")
    return customer


def customer_history(uow: UnitOfWork, actor: Actor, code: str, page: int = 1) -> CustomerHistory:
    """A customer's sales orders, newest first, a page at a time, and the total ordered."""
    actor.require(Permission.PARTNER_VIEW)

    def work(tx: Tx) -> CustomerHistory:
        customer = _customer_row(tx, actor, code)
        view = _customer_view(customer, _employee_name(tx, customer.salesperson_id))
        rows = tx.session.execute(_page(
            select(SalesOrder.number, SalesOrder.status, SalesOrder.channel, SalesOrder.created_at,
                   SalesOrder.total)
            .where(SalesOrder.customer_id == customer.id).order_by(SalesOrder.id.desc()), page)).all()
        total = tx.session.scalar(
            select(func.coalesce(func.sum(SalesOrder.total), 0, type_=Money()))
            .where(SalesOrder.customer_id == customer.id, SalesOrder.status.in_(OPEN_SO_STATUSES)))
        return CustomerHistory(
            view, tuple(CustomerOrder(r.number, r.status, r.channel, r.created_at, r.total) for r in rows),
            round_money(total or ZERO))

    return uow.read(work)


def _customer_row(tx: Tx, actor: Actor, code: str, *, lock: bool = False) -> Customer:
    statement = select(Customer).where(Customer.code == str(code).strip().upper())
    customer = tx.session.scalar(statement.with_for_update() if lock else statement)
    if customer is None or not (sees_all_customers(actor) or customer.salesperson_id == actor.employee_id):
        raise UnknownPartner(kind="customer", code=str(code)[:40])
    return customer


def _owner(tx: Tx, actor: Actor, salesperson: str | None) -> tuple[int | None, str | None]:
    if salesperson is None and not sees_all_customers(actor):
        return actor.employee_id, actor.name
    if salesperson is None:
        return None, None
    row = tx.session.execute(
        select(Employee.id, Employee.name).where(Employee.name == salesperson.strip(), Employee.active)
    ).one_or_none()
    if row is None:
        raise UnknownEmployee(employee=salesperson[:40])
    if row.id != actor.employee_id and not sees_all_customers(actor):
        raise PermissionDenied(employee=actor.name, permission=Permission.SALES_VIEW_ALL.value,
                               warehouse_id=None)
    return row.id, row.name


def _employee_name(tx: Tx, employee_id: int | None) -> str | None:
    if employee_id is None:
        return None
    return tx.session.scalar(select(Employee.name).where(Employee.id == employee_id))


def _matching(statement: S, table: Table, query: str) -> S:
    text = query.strip()[:64]
    code = table.c.code
    if not text:
        return statement.order_by(code)
    pattern = f"%{text.lower()}%"
    return statement.where(
        or_(code == text.upper(), func.lower(code).like(pattern), func.lower(table.c.name).like(pattern))
    ).order_by(code != text.upper(), code)


def _page(statement: S, page: int) -> S:
    return statement.limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE)
