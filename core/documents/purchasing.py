"""The purchase order as the supplier reads it, and the goods received note (入库单) of one receipt; prices and
values only for readers who may see cost."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from core.documents.lines import PRODUCT_COLUMNS, first_barcode, product_cells
from core.documents.model import Column, Party, PrintedDocument
from core.errors import UnknownDocument
from core.models import (
    Employee,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    StockDocument,
    StockMove,
    Supplier,
    Warehouse,
)
from core.numbers import ZERO, round_money
from core.permissions import Actor, Permission
from core.uow import Tx

PRICES = (Column("price", "price", 4), Column("amount", "money", 6))
ORDER_COLUMNS = (*PRODUCT_COLUMNS, Column("qty", "qty", 4), Column("received", "qty", 4))
RECEIPT_COLUMNS = (*PRODUCT_COLUMNS, Column("qty", "qty", 4))


def _head() -> tuple[Any, ...]:
    return (PurchaseOrder.number.label("order_number"), PurchaseOrder.status, PurchaseOrder.note,
            PurchaseOrder.created_at, Supplier.code.label("supplier"), Supplier.name.label("supplier_name"),
            Supplier.contact, Supplier.phone, Warehouse.code.label("warehouse"),
            Warehouse.name.label("warehouse_name"), Warehouse.name_en.label("warehouse_name_en"))


def purchase_order(tx: Tx, actor: Actor, number: str) -> PrintedDocument:
    """采购单 for the supplier: what is ordered, what has come, at what price (for who sees cost)."""
    actor.require(Permission.PURCHASE_VIEW)
    found = tx.session.execute(select(PurchaseOrder.id, PurchaseOrder.warehouse_id)
                               .where(PurchaseOrder.number == number)).one_or_none()
    if found is None:
        raise UnknownDocument(number=number)
    actor.require(Permission.PURCHASE_VIEW, found.warehouse_id)
    prices = actor.can(Permission.COST_VIEW)
    rows = tx.session.execute(
        select(*_head(), Employee.name.label("author"), PurchaseOrder.total, PurchaseOrder.tax_total,
               PurchaseOrderLine.line_no, Product.sku, Product.name_zh, Product.name_en, Product.spec,
               Product.base_unit, first_barcode().label("barcode"),
               PurchaseOrderLine.qty, PurchaseOrderLine.received_qty, PurchaseOrderLine.unit_price,
               PurchaseOrderLine.amount, PurchaseOrderLine.tax_rate, PurchaseOrderLine.tax_amount)
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .join(Warehouse, Warehouse.id == PurchaseOrder.warehouse_id)
        .join(Employee, Employee.id == PurchaseOrder.author_id)
        .join(PurchaseOrderLine, PurchaseOrderLine.order_id == PurchaseOrder.id)
        .join(Product, Product.id == PurchaseOrderLine.product_id)
        .where(PurchaseOrder.id == found.id).order_by(PurchaseOrderLine.line_no)).all()
    lines = tuple({**product_cells(r), "qty": r.qty, "received": r.received_qty,
                   **({"price": r.unit_price, "amount": round_money(r.amount, tx.money_places),
                       "tax_rate": r.tax_rate.normalize(), "tax_amount": round_money(r.tax_amount, tx.money_places)}
                      if prices else {})}
                  for r in rows)
    total = round_money(rows[0].total, tx.money_places) if prices else None
    tax = round_money(rows[0].tax_total, tx.money_places) if prices else None
    return _document(rows[0], "purchase_order", number, (*ORDER_COLUMNS, *PRICES) if prices else ORDER_COLUMNS,
                     lines, total, author=rows[0].author, tax_total=tax)


def goods_received(tx: Tx, actor: Actor, number: str) -> PrintedDocument:
    """入库单 of one receipt of a purchase order: what came in, at its cost (for who sees cost)."""
    found = tx.session.execute(
        select(StockDocument.id, StockDocument.warehouse_id)
        .where(StockDocument.number == number, StockDocument.kind == "po_receipt",
               StockDocument.source_type == "purchase_order")).one_or_none()
    if found is None:
        raise UnknownDocument(number=number)
    actor.require(Permission.PURCHASE_VIEW, found.warehouse_id)  # as its purchase order is read
    prices = actor.can(Permission.COST_VIEW)
    rows = tx.session.execute(
        select(*_head(), Employee.name.label("author"), StockDocument.created_at.label("received_at"),
               StockDocument.reason, StockMove.line_no, Product.sku, Product.name_zh, Product.name_en, Product.spec,
               Product.base_unit, first_barcode().label("barcode"), StockMove.qty, StockMove.unit_cost,
               StockMove.value)
        .select_from(StockDocument).join(StockMove, StockMove.document_id == StockDocument.id)
        .join(PurchaseOrder, PurchaseOrder.id == StockDocument.source_id)
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .join(Warehouse, Warehouse.id == StockDocument.warehouse_id)
        .join(Employee, Employee.id == StockDocument.employee_id)
        .join(Product, Product.id == StockMove.product_id)
        .where(StockDocument.id == found.id).order_by(StockMove.line_no)).all()
    lines = tuple({**product_cells(r), "qty": r.qty,
                   **({"price": r.unit_cost, "amount": round_money(r.value, tx.money_places)} if prices else {})}
                  for r in rows)
    total = sum((Decimal(ln["amount"]) for ln in lines), ZERO) if prices else None
    head = rows[0]
    return _document(head, "goods_received", number, (*RECEIPT_COLUMNS, *PRICES) if prices else RECEIPT_COLUMNS,
                     lines, total, author=head.author, created_at=head.received_at, reference=head.order_number,
                     note=head.reason)


def _document(head: Any, kind: str, number: str, columns: tuple[Column, ...], lines: tuple[dict[str, Any], ...],
              total: Decimal | None, *, author: str, created_at: Any = None, reference: str = "",
              note: str | None = None, tax_total: Decimal | None = None) -> PrintedDocument:
    party = Party("supplier", head.supplier, head.supplier_name, head.contact, head.phone)
    return PrintedDocument(
        kind=kind, number=number, status=head.status, created_at=created_at or head.created_at, party=party,
        warehouse=f"{head.warehouse} {head.warehouse_name}", author=author, columns=columns, lines=lines,
        totals=((("tax_total", tax_total),) if tax_total else ()) + ((("total", total),) if total is not None else ()),
        amount=total, note=head.note if note is None else note, reference=reference,
        warehouse_en=f"{head.warehouse} {head.warehouse_name_en or head.warehouse_name}")
