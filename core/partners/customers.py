"""Customers: adding, changing and finding them (sales staff see their own), and what each ordered."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from core.errors import DuplicateCode, InvalidPartner, PermissionDenied, UnknownEmployee, UnknownPartner
from core.models import Customer, Employee, Money, SalesOrder
from core.numbers import ZERO, round_money
from core.partners.records import apply_changes, clean_fields, matching, page_of
from core.people.audit import record
from core.permissions import Actor, Permission
from core.uow import Tx, UnitOfWork

OPEN_SO_STATUSES = ("approved", "partially_shipped", "shipped", "closed")


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
    language: str = "zh_CN"  # its documents print in it


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
    language: str = "zh_CN"


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


def _customer_view(row: Customer, salesperson: str | None, places: int) -> CustomerView:
    return CustomerView(row.code, row.name, row.contact, row.phone, row.channel,
                        round_money(row.credit_limit, places), salesperson, row.payment_terms_days, row.note,
                        row.active, row.language)


def sees_all_customers(actor: Actor) -> bool:
    """Sales staff see only the customers they own; those who may see all sales see every customer."""
    return actor.can(Permission.SALES_VIEW_ALL)


def create_customer(uow: UnitOfWork, actor: Actor, new: NewCustomer) -> CustomerView:
    """Add a customer, owned by the given salesperson (sales staff: themselves)."""
    actor.require(Permission.CUSTOMER_EDIT)
    values = {f.name: getattr(new, f.name) for f in fields(new) if f.name != "salesperson"}
    clean = clean_fields("customer", values)

    def work(tx: Tx) -> CustomerView:
        if tx.session.scalar(select(Customer.id).where(Customer.code == clean["code"])) is not None:
            raise DuplicateCode(kind="customer", code=clean["code"])
        owner_id, owner = _owner(tx, actor, new.salesperson)
        customer = Customer(**clean, salesperson_id=owner_id, created_at=tx.now)
        tx.session.add(customer)
        tx.session.flush()
        record(tx, actor, "customer.create", "customer", customer.id, salesperson=owner, **clean)
        return _customer_view(customer, owner, tx.money_places)

    return uow.run(work)


def update_customer(
    uow: UnitOfWork, actor: Actor, code: str, *, salesperson: str | None = None, **changes: object
) -> CustomerView:
    """Change a customer's details, credit limit, document language or (for those who see all customers) owning
    salesperson."""
    actor.require(Permission.CUSTOMER_EDIT)
    allowed = {"name", "contact", "phone", "channel", "credit_limit", "payment_terms_days", "note", "active",
               "language"}
    if changes.keys() - allowed:
        raise InvalidPartner(kind="customer", field=sorted(changes.keys() - allowed)[0], value="")
    clean = clean_fields("customer", dict(changes))

    def work(tx: Tx) -> CustomerView:
        customer = _customer_row(tx, actor, code, lock=True)
        if salesperson is not None:
            clean["salesperson_id"], _ = _owner(tx, actor, salesperson)
        changed = apply_changes(customer, clean)
        if changed:
            record(tx, actor, "customer.update", "customer", customer.id, code=customer.code, changes=changed)
        return _customer_view(customer, _employee_name(tx, customer.salesperson_id), tx.money_places)

    return uow.run(work)


def get_customer(uow: UnitOfWork, actor: Actor, code: str) -> CustomerView:
    """One customer by code, if the actor may see them."""
    actor.require(Permission.PARTNER_VIEW)

    def work(tx: Tx) -> CustomerView:
        customer = _customer_row(tx, actor, code)
        return _customer_view(customer, _employee_name(tx, customer.salesperson_id), tx.money_places)

    return uow.read(work)


def find_customers(uow: UnitOfWork, actor: Actor, query: str = "", page: int = 1) -> list[CustomerView]:
    """Customers the actor may see whose code is `query` or whose code or name contains it, a page at a time."""
    actor.require(Permission.PARTNER_VIEW)
    statement = matching(
        select(Customer, Employee.name).outerjoin(Employee, Employee.id == Customer.salesperson_id),
        Customer.__table__, query)  # type: ignore[arg-type]
    if not sees_all_customers(actor):
        statement = statement.where(Customer.salesperson_id == actor.employee_id)
    return uow.read(lambda tx: [_customer_view(c, n, tx.money_places)
                                        for c, n in tx.session.execute(page_of(statement, page))])


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
        view = _customer_view(customer, _employee_name(tx, customer.salesperson_id), tx.money_places)
        rows = tx.session.execute(page_of(
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

