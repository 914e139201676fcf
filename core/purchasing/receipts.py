"""Receiving a purchase order: accepted goods into stock at the order's prices, rejections recorded, and
over-receipt beyond the book rule refused unless a manager receives (managers are told)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update

from core.catalog.lines import bounded, item_code
from core.errors import InvalidQuantity, OverReceipt
from core.integration.outbox import employees_with_role, notify
from core.ledger.documents import open_document, post_moves
from core.ledger.posting import MoveSpec, PostedMove
from core.models import PurchaseOrder, PurchaseReceiptLine, Warehouse
from core.money.deposits import allocate_deposits
from core.numbers import ZERO, parse_quantity
from core.people.audit import record
from core.permissions import Actor, Permission
from core.purchasing.receipt_lots import LotShare, gs1_items, lot_label, lot_parts
from core.purchasing.records import DOC_TYPE, LINES, MAX_LINES, OrderLine, allow, find_order, lines_of, match
from core.uow import Tx, UnitOfWork

OVER_RECEIPT_PERCENT = Decimal(5)
RECEIPT_LINES: Table = PurchaseReceiptLine.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class ReceiptLineIn:
    """What arrived of one item: accepted into stock, and rejected (not stocked) with a note."""

    item: str
    received: object
    rejected: object = 0
    note: str = ""
    lot: str | None = None  # tracked products: the lot (a GS1 scan as the item carries lot and expiry itself)
    expiry: object = None
    produced: object = None
    serials: tuple[str, ...] = ()  # serial-tracked products: one per unit received


@dataclass(frozen=True)
class ReceivedLine:
    line_no: int
    sku: str
    received: Decimal
    rejected: Decimal
    note: str
    received_qty: Decimal
    outstanding: Decimal
    on_hand: Decimal | None
    value: Decimal | None
    lots: tuple[str, ...] = ()  # the lots or serials this receipt named on the line


@dataclass(frozen=True)
class PurchaseReceiptView:
    """One goods receipt (GR-) against an order, and the order's status after it."""

    order_number: str
    receipt_number: str
    status: str
    lines: tuple[ReceivedLine, ...]
    value: Decimal | None



@dataclass(frozen=True)
class _Refused:
    """An over-receipt refusal: managers are told (committed), then the caller gets the error."""

    number: str
    lines: tuple[dict[str, Any], ...]



def receive_purchase(
    uow: UnitOfWork, actor: Actor, number: str, lines: Sequence[ReceiptLineIn], note: str = "",
    *, tolerance_percent: object | None = None,
) -> PurchaseReceiptView:
    """Take delivered goods into stock at the order's prices; rejected quantities are recorded, not stocked.

    Over-receipt beyond [books] over_receipt_percent (tx.rules; `tolerance_percent` overrides it) needs a manager."""
    actor.require(Permission.PURCHASE_RECEIVE)
    parsed = _parse_receipt_lines(lines)
    labels = [lot_label(ln) for ln in bounded(lines, MAX_LINES)]
    given = None if tolerance_percent is None else parse_quantity(tolerance_percent, allow_zero=True)

    def work(tx: Tx) -> PurchaseReceiptView | _Refused:
        percent = parse_quantity(tx.rules.over_receipt_percent, allow_zero=True) if given is None else given
        tolerance = percent / 100
        order = find_order(tx, number, lock=True)
        actor.require(Permission.PURCHASE_RECEIVE, order.warehouse_id)
        allow(order, "receive")
        order_lines = lines_of(tx, order.id)
        items = gs1_items(tx, order_lines, [p[0] for p in parsed], labels)
        matched = match(tx, order, order_lines, items)
        wanted = _receipt_by_line({p[0]: matched[i] for p, i in zip(parsed, items, strict=True)}, parsed)
        by_lot = lot_parts(tx, [matched[i] for i in items], labels, [(p[1], p[2]) for p in parsed])
        for line, (_, bad, _) in wanted.items():
            check_rejected(line.sku, line.qty - line.received_qty, bad)
        over = [_over(ln, got, tolerance) for ln, (got, _, _) in wanted.items()]
        over_lines = tuple(o for o in over if o is not None)
        if over_lines and not actor.can(Permission.OVER_RECEIPT_APPROVE, order.warehouse_id):
            return _refuse_over_receipt(tx, actor, order, over_lines)
        return _receive(tx, actor, order, order_lines, wanted, by_lot, note.strip()[:500])

    result = uow.run(work)
    if isinstance(result, _Refused):
        raise OverReceipt(number=result.number, lines=list(result.lines))
    return result



def _parse_receipt_lines(lines: Sequence[ReceiptLineIn]) -> list[tuple[str, Decimal, Decimal, str]]:
    parsed = []
    for ln in bounded(lines, MAX_LINES):
        received = parse_quantity(ln.received, allow_zero=True)
        rejected = parse_quantity(ln.rejected, allow_zero=True)
        if received + rejected == 0:
            raise InvalidQuantity(value="0", reason="zero", item=str(ln.item)[:40])
        parsed.append((item_code(ln.item), received, rejected, ln.note.strip()[:500]))
    return parsed



def check_rejected(sku: str, outstanding: Decimal, rejected: Decimal) -> None:
    """Refuse rejecting more of a line than is still to receive on it (what was rejected never came in)."""
    still = max(outstanding, ZERO)
    if rejected > still:
        raise InvalidQuantity(value=f"{rejected.normalize():f}", reason="rejected_over_outstanding", sku=sku,
                              outstanding=f"{still.normalize():f}")


def _receipt_by_line(
    matched: dict[str, OrderLine], parsed: list[tuple[str, Decimal, Decimal, str]]
) -> dict[OrderLine, tuple[Decimal, Decimal, str]]:
    wanted: dict[OrderLine, tuple[Decimal, Decimal, str]] = {}
    for item, received, rejected, note in parsed:
        got, bad, notes = wanted.get(matched[item], (ZERO, ZERO, ""))
        wanted[matched[item]] = (got + received, bad + rejected, "; ".join(n for n in (notes, note) if n)[:500])
    return dict(sorted(wanted.items(), key=lambda kv: kv[0].line_no))


def _over(line: OrderLine, received: Decimal, tolerance: Decimal) -> dict[str, Any] | None:
    limit = line.qty + line.qty * tolerance
    if line.received_qty + received <= limit:
        return None
    return {"sku": line.sku, "ordered": line.qty, "received_before": line.received_qty, "receiving": received,
            "limit": limit.normalize()}


def _refuse_over_receipt(tx: Tx, actor: Actor, order: PurchaseOrder, lines: tuple[dict[str, Any], ...]) -> _Refused:
    managers = employees_with_role(tx, "manager") or employees_with_role(tx, "admin")
    warehouse = tx.session.scalar(select(Warehouse.code).where(Warehouse.id == order.warehouse_id))
    attempt = ",".join(f"{ln['sku']}={ln['received_before'] + ln['receiving']}" for ln in lines)
    notify(tx, "over_receipt_needs_manager", managers,
           {"number": order.number, "warehouse": warehouse, "by": actor.name, "lines": list(lines)},
           dedupe_key=f"over_receipt:{order.number}:{attempt}")
    record(tx, actor, "purchase.over_receipt_refused", DOC_TYPE, order.id, number=order.number,
           lines=list(lines), notified=managers)
    return _Refused(order.number, lines)


def _receive(
    tx: Tx, actor: Actor, order: PurchaseOrder, lines: list[OrderLine],
    wanted: dict[OrderLine, tuple[Decimal, Decimal, str]], by_lot: dict[tuple[OrderLine, int | None], LotShare],
    note: str,
) -> PurchaseReceiptView:
    document_id, receipt_number = open_document(tx, actor, "po_receipt", order.warehouse_id, reason=note,
                                                source=(DOC_TYPE, order.id))
    specs = [
        MoveSpec(line.line_no, line.product_id, order.warehouse_id, qty=share.received, unit_cost=line.unit_cost,
                 source_line_id=line.id, label=line.sku, lot_id=lot_id)
        for (line, lot_id), share in sorted(by_lot.items(), key=lambda kv: (kv[0][0].line_no, kv[0][1] or 0))
        if share.received > 0
    ]
    posted: dict[int | None, list[PostedMove]] = {}
    for move in post_moves(tx, actor, document_id, specs) if specs else []:
        posted.setdefault(move.spec.source_line_id, []).append(move)
    notes = {line: text for line, (_, _, text) in wanted.items()}
    tx.session.execute(insert(RECEIPT_LINES), [
        {"document_id": document_id, "order_line_id": line.id, "lot_id": lot_id, "received": share.received,
         "rejected": share.rejected, "note": notes[line]}
        for (line, lot_id), share in by_lot.items()
    ])
    tx.session.execute(
        update(LINES).where(LINES.c.id == bindparam("line_id"))
        .values(received_qty=LINES.c.received_qty + bindparam("got"),
                rejected_qty=LINES.c.rejected_qty + bindparam("bad")),
        [{"line_id": line.id, "got": got, "bad": bad} for line, (got, bad, _) in wanted.items()],
    )
    status = _status_after_receipt(order.status, lines, wanted)
    if status != order.status:
        order.status = status
        tx.session.flush()
    allocate_deposits(tx, DOC_TYPE, order.id)
    sees_cost = actor.can(Permission.COST_VIEW)
    value = sum((m.change.value for moves in posted.values() for m in moves), ZERO)
    record(tx, actor, "purchase.receive", DOC_TYPE, order.id, number=order.number, receipt=receipt_number,
           status=status, value=value, note=note,
           lines=[{"sku": ln.sku, "received": got, "rejected": bad, "note": text}
                  for ln, (got, bad, text) in wanted.items()],
           lots=[{"sku": ln.sku, "lot": share.code, "received": share.received, "rejected": share.rejected}
                 for (ln, _), share in by_lot.items() if share.code is not None])
    return PurchaseReceiptView(
        order_number=order.number, receipt_number=receipt_number, status=status,
        lines=tuple(_received_line(ln, got, bad, text, posted.get(ln.id, []), sees_cost,
                                   tuple(share.code for (line, _), share in by_lot.items()
                                         if line == ln and share.code is not None))
                    for ln, (got, bad, text) in wanted.items()),
        value=value if sees_cost else None,
    )


def _status_after_receipt(
    current: str, lines: list[OrderLine], wanted: dict[OrderLine, tuple[Decimal, Decimal, str]]
) -> str:
    received = [(ln.received_qty + wanted.get(ln, (ZERO,))[0], ln.qty) for ln in lines]
    if all(got >= qty for got, qty in received):
        return "received"
    if any(got > 0 for got, _ in received):
        return "partially_received"
    return current


def _received_line(
    line: OrderLine, got: Decimal, bad: Decimal, note: str, moves: list[PostedMove], sees_cost: bool,
    lots: tuple[str, ...],
) -> ReceivedLine:
    received_qty = line.received_qty + got
    return ReceivedLine(
        line_no=line.line_no, sku=line.sku, received=got, rejected=bad, note=note, received_qty=received_qty,
        outstanding=max(line.qty - received_qty, ZERO), on_hand=moves[-1].change.balance_qty if moves else None,
        value=sum((m.change.value for m in moves), ZERO) if sees_cost else None, lots=lots,
    )


