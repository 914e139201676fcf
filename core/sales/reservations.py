"""Holding stock for a sales order: reserve every line when it is approved, release what is held when it ends."""

from __future__ import annotations

from collections.abc import Sequence

from core.ledger.documents import open_document, post_moves
from core.ledger.posting import MoveSpec
from core.numbers import ZERO
from core.people.audit import record
from core.permissions import Actor
from core.sales.records import DOC_TYPE, OrderHead, OrderLine, lines_of, set_status, write_lines
from core.uow import Tx


def reserve(tx: Tx, actor: Actor, order: OrderHead, current: Sequence[OrderLine] | None = None) -> None:
    """Reserve every line in full and mark the order approved (`current`: its lines, if just read)."""
    current = lines_of(tx, order.id) if current is None else current
    document_id, document = open_document(tx, actor, "so_reservation", order.warehouse_id,
                                          source=(DOC_TYPE, order.id))
    post_moves(tx, actor, document_id, [
        MoveSpec(ln.line_no, ln.product_id, order.warehouse_id, reserved=ln.qty, source_line_id=ln.id,
                 label=ln.sku, lot_id=ln.lot_id) for ln in current])
    write_lines(tx, [{"line_id": ln.id, "reserved_qty": ln.qty} for ln in current])
    set_status(tx, order, "approved", approved=True)
    record(tx, actor, "sales.approve", DOC_TYPE, order.id, number=order.number, reservation=document)


def release(tx: Tx, actor: Actor, order: OrderHead) -> str | None:
    """Give back to available whatever the order still holds; the release document's number, None if nothing."""
    held = [ln for ln in lines_of(tx, order.id) if ln.reserved_qty > 0]
    if not held:
        return None
    document_id, document = open_document(tx, actor, "so_release", order.warehouse_id,
                                          source=(DOC_TYPE, order.id))
    post_moves(tx, actor, document_id, [
        MoveSpec(ln.line_no, ln.product_id, order.warehouse_id, reserved=-ln.reserved_qty, source_line_id=ln.id,
                 label=ln.sku, lot_id=ln.lot_id) for ln in held])
    write_lines(tx, [{"line_id": ln.id, "reserved_qty": ZERO} for ln in held])
    return document
