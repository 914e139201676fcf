"""The sales delivery note (送货单) of an order, and the note of one shipment (出库单): never a cost."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from core.documents.lines import PRODUCT_COLUMNS, first_barcode, on_hand, priced_totals, product_cells
from core.documents.model import Column, Party, PrintedDocument
from core.errors import UnknownDocument
from core.models import Customer, Employee, Product, SalesOrder, SalesOrderLine, StockDocument, StockMove, Warehouse
from core.numbers import ZERO, round_money
from core.permissions import Actor
from core.sales.records import ORDER_BY_NUMBER, OrderHead, require_sees
from core.uow import Tx

NOTE_COLUMNS = (*PRODUCT_COLUMNS, Column("qty", "qty", 4), Column("shipped", "qty", 4),
                Column("price", "price", 4), Column("amount", "money", 6), Column("tax_rate", "text", 3),
                Column("stock", "qty", 4), Column("warehouse", "text", 5))
SHIPMENT_COLUMNS = (*PRODUCT_COLUMNS, Column("qty", "qty", 4), Column("price", "price", 4),
                    Column("amount", "money", 6), Column("warehouse", "text", 4))


def _head_columns() -> tuple[Any, ...]:
    return (SalesOrder.number.label("order_number"), SalesOrder.status, SalesOrder.created_at, SalesOrder.note,
            Customer.code.label("customer"), Customer.name.label("customer_name"), Customer.contact,
            Customer.phone, Customer.language, Warehouse.code.label("warehouse"),
            Warehouse.name.label("warehouse_name"), Warehouse.name_en.label("warehouse_name_en"),
            Employee.name.label("salesperson"))


def _order(tx: Tx, actor: Actor, number: str) -> OrderHead:
    row = tx.conn.execute(ORDER_BY_NUMBER, {"number": number}).one_or_none()
    if row is None:
        raise UnknownDocument(number=number)
    order = OrderHead(**row._mapping)
    require_sees(actor, order, number)
    return order


def delivery_note(tx: Tx, actor: Actor, number: str) -> PrintedDocument:
    """送货单: the order's lines at their prices and VAT rates, what has shipped, the stock left in its warehouse;
    the VAT in its total (or on top of it)."""
    order = _order(tx, actor, number)
    rows = tx.session.execute(
        select(*_head_columns(), SalesOrderLine.line_no, Product.sku, Product.name_zh, Product.name_en, Product.spec,
               Product.base_unit, first_barcode().label("barcode"), on_hand(order.warehouse_id).label("stock"),
               SalesOrderLine.qty, SalesOrderLine.shipped_qty, SalesOrderLine.unit_price, SalesOrderLine.amount,
               SalesOrderLine.tax_rate, SalesOrder.tax_total, SalesOrder.tax_included)
        .join(Customer, Customer.id == SalesOrder.customer_id).join(Warehouse, Warehouse.id == SalesOrder.warehouse_id)
        .join(Employee, Employee.id == SalesOrder.salesperson_id)
        .join(SalesOrderLine, SalesOrderLine.order_id == SalesOrder.id)
        .join(Product, Product.id == SalesOrderLine.product_id)
        .where(SalesOrder.id == order.id).order_by(SalesOrderLine.line_no)).all()
    lines = tuple({**product_cells(r), "qty": r.qty, "shipped": r.shipped_qty, "price": r.unit_price,
                   "amount": round_money(r.amount, tx.money_places), "tax_rate": f"{r.tax_rate.normalize():f}%",
                   "stock": r.stock or ZERO, "warehouse": r.warehouse} for r in rows)
    total = round_money(order.total, tx.money_places)
    net = sum((Decimal(ln["amount"]) for ln in lines), ZERO)
    totals = priced_totals(total, round_money(rows[0].tax_total, tx.money_places), rows[0].tax_included, net)
    return _document(rows[0], "delivery_note", order.number, NOTE_COLUMNS, lines, total, totals=totals)


def shipment_note(tx: Tx, actor: Actor, number: str) -> PrintedDocument:
    """出库单: what one shipment took out of the warehouse, at the order's prices."""
    found = tx.session.execute(
        select(StockDocument.id, StockDocument.source_id, SalesOrder.number)
        .join(SalesOrder, SalesOrder.id == StockDocument.source_id)
        .where(StockDocument.number == number, StockDocument.kind == "shipment",
               StockDocument.source_type == "sales_order")).one_or_none()
    if found is None:
        raise UnknownDocument(number=number)
    _order(tx, actor, found.number)
    rows = tx.session.execute(
        select(*_head_columns(), StockDocument.created_at.label("shipped_at"), StockMove.line_no, Product.sku,
               Product.name_zh, Product.name_en, Product.spec, Product.base_unit, first_barcode().label("barcode"),
               StockMove.qty, SalesOrderLine.unit_price)
        .select_from(StockDocument).join(StockMove, StockMove.document_id == StockDocument.id)
        .join(SalesOrderLine, SalesOrderLine.id == StockMove.source_line_id)
        .join(SalesOrder, SalesOrder.id == StockDocument.source_id)
        .join(Customer, Customer.id == SalesOrder.customer_id).join(Warehouse, Warehouse.id == StockMove.warehouse_id)
        .join(Employee, Employee.id == SalesOrder.salesperson_id)
        .join(Product, Product.id == StockMove.product_id)
        .where(StockDocument.id == found.id).order_by(StockMove.line_no)).all()
    lines = []
    for r in rows:
        amount = round_money(-r.qty * r.unit_price, tx.money_places)
        lines.append({**product_cells(r), "qty": -r.qty, "price": r.unit_price, "amount": amount,
                      "warehouse": r.warehouse})
    total = sum((Decimal(ln["amount"]) for ln in lines), ZERO)
    return _document(rows[0], "shipment_note", number, SHIPMENT_COLUMNS, tuple(lines), total,
                     reference=found.number, created_at=rows[0].shipped_at)


def _document(head: Any, kind: str, number: str, columns: tuple[Column, ...], lines: tuple[dict[str, Any], ...],
              total: Decimal, *, reference: str = "", created_at: Any = None,
              totals: tuple[tuple[str, Decimal], ...] | None = None) -> PrintedDocument:
    party = Party("customer", head.customer, head.customer_name, head.contact, head.phone, head.language)
    return PrintedDocument(
        kind=kind, number=number, status=head.status, created_at=created_at or head.created_at, party=party,
        warehouse=f"{head.warehouse} {head.warehouse_name}", author=head.salesperson, columns=columns, lines=lines,
        totals=totals or (("total", total),), amount=total, note=head.note, reference=reference,
        warehouse_en=f"{head.warehouse} {head.warehouse_name_en or head.warehouse_name}")
