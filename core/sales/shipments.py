"""Shipping a sales order's reserved goods: everything outstanding or the lines given, at cost of goods sold."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from core.errors import InvalidQuantity
from core.ledger.documents import open_document, post_moves
from core.ledger.posting import MoveSpec
from core.models import SalesOrder
from core.money.deposits import allocate_deposits
from core.numbers import ZERO
from core.people.audit import record
from core.permissions import Actor, Permission
from core.sales.records import (
    DOC_TYPE,
    SalesLineIn,
    allocate,
    lines_of,
    locked,
    parse_lines,
    set_status,
    write_lines,
)
from core.sales.shipment_lots import named_lots_shipped
from core.sales.views import SalesOrderView, order_view
from core.uow import Tx, UnitOfWork

SHIPPABLE = SalesOrder.LIFECYCLE.statuses("ship")


def ship_sales_order(
    uow: UnitOfWork, actor: Actor, number: str, lines: Sequence[SalesLineIn] | None = None
) -> SalesOrderView:
    """Ship reserved goods: everything outstanding, or the lines given; the ledger records cost of goods sold."""
    parsed = parse_lines(lines) if lines is not None else None

    def work(tx: Tx) -> SalesOrderView:
        order = locked(tx, number)
        actor.require(Permission.SALES_SHIP, order.warehouse_id)
        SalesOrder.LIFECYCLE.ensure("ship", order.number, order.status)
        current = lines_of(tx, order.id)
        if parsed is None:
            wanted = {ln.id: ln.reserved_qty for ln in current if ln.reserved_qty > 0}
        else:
            wanted = allocate(tx, parsed, current, lambda ln: ln.reserved_qty, _over_shipment)
        document_id, document = open_document(tx, actor, "shipment", order.warehouse_id,
                                              source=(DOC_TYPE, order.id))
        by_id = {ln.id: ln for ln in current}
        specs = [MoveSpec(by_id[i].line_no, by_id[i].product_id, order.warehouse_id, qty=-q, reserved=-q,
                          source_line_id=i, label=by_id[i].sku, lot_id=by_id[i].lot_id) for i, q in wanted.items()]
        if lines is not None and any(ln.lot or ln.serials for ln in lines):
            specs = named_lots_shipped(tx, actor, parsed or [], lines, specs)
        post_moves(tx, actor, document_id, specs)
        write_lines(tx, [{"line_id": i, "shipped_qty": by_id[i].shipped_qty + q,
                          "reserved_qty": by_id[i].reserved_qty - q} for i, q in wanted.items()])
        done = all(ln.shipped_qty + wanted.get(ln.id, ZERO) == ln.qty for ln in current)
        status = "shipped" if done else "partially_shipped"
        set_status(tx, order, status)
        allocate_deposits(tx, DOC_TYPE, order.id)
        record(tx, actor, "sales.ship", DOC_TYPE, order.id, number=order.number, shipment=document,
               status=status, lines={by_id[i].line_no: q for i, q in wanted.items()})
        return replace(order_view(tx, actor, order.id), document=document)

    return uow.run(work)


ship_sales = ship_sales_order  # the name in the shared contract (DOCUMENTS.md)


def _over_shipment(item: str, requested: Decimal, outstanding: Decimal) -> None:
    raise InvalidQuantity(value=str(requested), reason="more_than_outstanding", outstanding=outstanding, item=item)
