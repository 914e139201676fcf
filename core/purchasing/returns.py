"""Returning received goods to the supplier: out of stock at the order's price, never more than received less
returned."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, update

from core.catalog.lines import bounded, item_code
from core.errors import OverReturn, ReasonRequired
from core.ledger.documents import open_document, write_posting
from core.ledger.posting import MoveSpec, Posting
from core.models import PurchaseOrder
from core.numbers import ZERO, parse_quantity, round_money
from core.people.audit import record
from core.permissions import Actor, Permission
from core.purchasing.records import DOC_TYPE, LINES, MAX_LINES, OrderLine, allow, find_order, lines_of, match
from core.purchasing.return_lots import Part, ReturnWanted, return_parts
from core.uow import Tx, UnitOfWork


@dataclass(frozen=True)
class ReturnLineIn:
    item: str
    qty: object
    lot: str | None = None  # tracked products: the lot going back (one received on this order)
    serials: tuple[str, ...] = ()  # serial-tracked products: the serials going back (received on this order)


@dataclass(frozen=True)
class ReturnedLine:
    line_no: int
    sku: str
    qty: Decimal
    returned_qty: Decimal
    on_hand: Decimal
    value: Decimal | None


@dataclass(frozen=True)
class PurchaseReturnView:
    order_number: str
    return_number: str
    status: str
    reason: str
    lines: tuple[ReturnedLine, ...]
    value: Decimal | None



def return_to_supplier(
    uow: UnitOfWork, actor: Actor, po_number: str, lines: Sequence[ReturnLineIn], reason: str
) -> PurchaseReturnView:
    """Send received goods back: out of stock at the order's price, never more than received less returned."""
    actor.require(Permission.PURCHASE_RETURN)
    if not reason.strip():
        raise ReasonRequired(action="purchase_return")
    given = bounded(lines, MAX_LINES)
    parsed = [(item_code(ln.item), parse_quantity(ln.qty)) for ln in given]

    def work(tx: Tx) -> PurchaseReturnView:
        order = find_order(tx, po_number, lock=True)
        actor.require(Permission.PURCHASE_RETURN, order.warehouse_id)
        allow(order, "return")
        matched = match(tx, order, lines_of(tx, order.id), [item for item, _ in parsed])
        wanted: dict[OrderLine, Decimal] = {}
        for item, qty in parsed:
            line = matched[item]
            wanted[line] = wanted.get(line, ZERO) + qty
            if wanted[line] > line.received_qty - line.returned_qty:
                raise OverReturn(number=order.number, item=item, sku=line.sku, requested=wanted[line],
                                 returnable=line.received_qty - line.returned_qty)
        parts = return_parts(tx, order, [ReturnWanted(matched[item], item, qty, ln.lot, tuple(ln.serials))
                                         for (item, qty), ln in zip(parsed, given, strict=True)])
        return _return(tx, actor, order, wanted, parts, reason.strip()[:500])

    return uow.run(work)



def _return(
    tx: Tx, actor: Actor, order: PurchaseOrder, wanted: dict[OrderLine, Decimal], parts: dict[OrderLine, list[Part]],
    reason: str,
) -> PurchaseReturnView:
    document_id, return_number = open_document(tx, actor, "purchase_return", order.warehouse_id, reason=reason,
                                               source=(DOC_TYPE, order.id))
    posting = Posting(tx, {(line.product_id, order.warehouse_id) for line in wanted},
                      (lot for shares in parts.values() for lot, _ in shares))
    for line, qty in wanted.items():
        position = posting.positions[(line.product_id, order.warehouse_id)]
        out = round_money(qty * line.unit_cost, tx.money_places)
        whole = None if qty >= position.on_hand or out > position.value else -out
        left = whole
        for n, (lot_id, share) in enumerate(parts[line], 1):
            value = left if left is None or n == len(parts[line]) else -round_money(
                share * line.unit_cost, tx.money_places)
            left = None if left is None or value is None else left - value
            posting.apply(MoveSpec(line.line_no, line.product_id, order.warehouse_id, qty=-share, value=value,
                                   source_line_id=line.id, label=line.sku, expired_first=True, lot_id=lot_id))
    moves = write_posting(posting, actor, document_id)  # a tracked line: one row per lot received on the order
    posted = {m.spec.source_line_id: m for m in moves}
    line_values = {line.id: sum((m.change.value for m in moves if m.spec.source_line_id == line.id), ZERO)
                   for line in wanted}
    tx.session.execute(
        update(LINES).where(LINES.c.id == bindparam("line_id"))
        .values(returned_qty=LINES.c.returned_qty + bindparam("back")),
        [{"line_id": line.id, "back": qty} for line, qty in wanted.items()],
    )
    value = sum(line_values.values(), ZERO)
    record(tx, actor, "purchase.return", DOC_TYPE, order.id, number=order.number, document=return_number,
           reason=reason, value=value, lines=[{"sku": ln.sku, "qty": qty} for ln, qty in wanted.items()])
    sees_cost = actor.can(Permission.COST_VIEW)
    return PurchaseReturnView(
        order_number=order.number, return_number=return_number, status=order.status, reason=reason,
        lines=tuple(
            ReturnedLine(line.line_no, line.sku, qty, line.returned_qty + qty, posted[line.id].change.balance_qty,
                         line_values[line.id] if sees_cost else None)
            for line, qty in wanted.items()
        ),
        value=value if sees_cost else None,
    )


