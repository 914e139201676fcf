"""Kinds that export writes but import does not read: quotations (one row a line) and deposits, each by the rules
of its reads (a salesperson's own quotations and their customers'; deposits for money staff)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from core.models import (
    Customer,
    Employee,
    OrderDeposit,
    Payment,
    Product,
    PurchaseOrder,
    Quotation,
    QuotationLine,
    SalesOrder,
    Supplier,
    Warehouse,
)
from core.numbers import round_money
from core.permissions import Actor, Permission
from core.uow import Tx

COLUMNS: dict[str, tuple[str, ...]] = {
    "quotations": ("number", "customer", "warehouse", "salesperson", "status", "valid_until", "created_at",
                   "order_number", "line_no", "sku", "qty", "unit_price", "amount", "tax_rate", "tax_amount"),
    "deposits": ("payment", "order", "partner_kind", "partner", "amount", "allocated", "status", "reason",
                 "created_at"),
}
PERMISSIONS = {"quotations": Permission.SALES_VIEW_OWN, "deposits": Permission.MONEY_VIEW}


def require_export(actor: Actor, kind: str) -> None:
    """Quotations for anyone who sees sales orders (their own or all); deposits for money staff."""
    if kind == "quotations" and actor.can(Permission.SALES_VIEW_ALL):
        return
    actor.require(PERMISSIONS[kind])


def document_rows(tx: Tx, actor: Actor, kind: str) -> list[dict[str, object]]:
    """Every row of an export-only kind the actor may read, oldest document first."""
    return _quotation_rows(tx, actor) if kind == "quotations" else _deposit_rows(tx)


def _quotation_rows(tx: Tx, actor: Actor) -> list[dict[str, object]]:
    places = tx.money_places
    statement = (
        select(Quotation.number, Customer.code.label("customer"), Warehouse.code.label("warehouse"),
               Employee.name.label("salesperson"), Quotation.status, Quotation.valid_until, Quotation.created_at,
               Quotation.order_number, QuotationLine.line_no, Product.sku, QuotationLine.qty, QuotationLine.unit_price,
               QuotationLine.amount, QuotationLine.tax_rate, QuotationLine.tax_amount)
        .join(QuotationLine, QuotationLine.quotation_id == Quotation.id)
        .join(Product, Product.id == QuotationLine.product_id)
        .join(Customer, Customer.id == Quotation.customer_id)
        .join(Warehouse, Warehouse.id == Quotation.warehouse_id)
        .join(Employee, Employee.id == Quotation.salesperson_id)
        .order_by(Quotation.id, QuotationLine.line_no))
    if not actor.can(Permission.SALES_VIEW_ALL):
        statement = statement.where((Quotation.salesperson_id == actor.employee_id)
                                    | (Customer.salesperson_id == actor.employee_id))
    return [{**r._mapping, "order_number": r.order_number or "", "amount": round_money(r.amount, places),
             "tax_amount": round_money(r.tax_amount, places)} for r in tx.session.execute(statement)]


def _deposit_rows(tx: Tx) -> list[dict[str, object]]:
    places = tx.money_places
    sold, bought = aliased(SalesOrder), aliased(PurchaseOrder)
    statement = (
        select(Payment.number.label("payment"), func.coalesce(sold.number, bought.number).label("order"),
               Payment.partner_kind, func.coalesce(Customer.code, Supplier.code).label("partner"),
               OrderDeposit.amount, OrderDeposit.allocated, OrderDeposit.status, OrderDeposit.reason,
               Payment.created_at)
        .join(Payment, Payment.id == OrderDeposit.payment_id)
        .outerjoin(sold, (OrderDeposit.doc_type == "sales_order") & (sold.id == OrderDeposit.doc_id))
        .outerjoin(bought, (OrderDeposit.doc_type == "purchase_order") & (bought.id == OrderDeposit.doc_id))
        .outerjoin(Customer, Customer.id == Payment.customer_id)
        .outerjoin(Supplier, Supplier.id == Payment.supplier_id)
        .order_by(OrderDeposit.id))
    return [{**r._mapping, "amount": round_money(r.amount, places), "allocated": round_money(r.allocated, places)}
            for r in tx.session.execute(statement)]
