"""A purchase order's rows as its changes read them: the order (locked or not), its lines, its lifecycle check,
and which order line each item given names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Table, select

from core.errors import InvalidQuantity, UnknownDocument
from core.models import Product, ProductBarcode, PurchaseOrder, PurchaseOrderLine
from core.sales.tax import net_unit_price
from core.uow import Tx

DOC_TYPE = "purchase_order"
MAX_LINES = 1000
LINES: Table = PurchaseOrderLine.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class OrderLine:
    """An order line as receipts and returns need it, with its product's SKU; unit_cost is its price net of VAT
    (what a unit adds to stock)."""

    id: int
    line_no: int
    product_id: int
    sku: str
    qty: Decimal
    unit_price: Decimal
    received_qty: Decimal
    rejected_qty: Decimal
    returned_qty: Decimal
    unit_cost: Decimal


def find_order(tx: Tx, number: str, *, lock: bool = False) -> PurchaseOrder:
    """The order of that number (locked for a change with `lock`); unknown_document if there is none."""
    statement = select(PurchaseOrder).where(PurchaseOrder.number == str(number).strip().upper())
    order = tx.session.scalar(statement.with_for_update() if lock else statement)
    if order is None:
        raise UnknownDocument(number=str(number)[:40])
    return order


def order_by_id(tx: Tx, order_id: int) -> PurchaseOrder:
    """The order of that id, locked for a change (approvals know orders by id)."""
    order = tx.session.scalar(select(PurchaseOrder).where(PurchaseOrder.id == order_id).with_for_update())
    if order is None:
        raise UnknownDocument(number=str(order_id))
    return order


def allow(order: PurchaseOrder, action: str) -> None:
    """Refuse the action unless the order's status allows it."""
    PurchaseOrder.LIFECYCLE.ensure(action, order.number, order.status)


def lines_of(tx: Tx, order_id: int) -> list[OrderLine]:
    """The order's lines in line order."""
    rows = tx.session.execute(
        select(LINES.c.id, LINES.c.line_no, LINES.c.product_id, Product.sku, LINES.c.qty, LINES.c.unit_price,
               LINES.c.received_qty, LINES.c.rejected_qty, LINES.c.returned_qty, LINES.c.tax_rate,
               PurchaseOrder.tax_included)
        .join(Product, Product.id == LINES.c.product_id)
        .join(PurchaseOrder, PurchaseOrder.id == LINES.c.order_id)
        .where(LINES.c.order_id == order_id).order_by(LINES.c.line_no)
    )
    return [OrderLine(r.id, r.line_no, r.product_id, r.sku, r.qty, r.unit_price, r.received_qty, r.rejected_qty,
                      r.returned_qty, net_unit_price(r.unit_price, r.tax_rate, r.tax_included)) for r in rows]


def match(
    tx: Tx, order: PurchaseOrder, lines: list[OrderLine], items: Sequence[str]
) -> dict[str, OrderLine]:
    """The order line of each item (SKU in any case, or barcode); items not on the order are refused."""
    by_sku = {ln.sku.upper(): ln for ln in lines}
    by_product = {ln.product_id: ln for ln in lines}
    missing = {i for i in items if i.upper() not in by_sku}
    barcodes = dict(tx.session.execute(
        select(ProductBarcode.barcode, ProductBarcode.product_id)
        .where(ProductBarcode.barcode.in_(missing), ProductBarcode.product_id.in_(by_product))
    ).all()) if missing else {}
    matched: dict[str, OrderLine] = {}
    for item in items:
        line = by_sku.get(item.upper()) or by_product.get(barcodes.get(item, -1))
        if line is None:
            raise InvalidQuantity(value=item[:40], reason="not_on_order", number=order.number)
        matched[item] = line
    return matched
