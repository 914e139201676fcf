"""The lots a return to the supplier goes out of: those received on that purchase order (less what went back
already), the lot or serials a line names, else expired lots first and then the earliest expiry; a serial returned
must be one received on the order. Three statements whatever the line count, none for untracked orders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from core.errors import LotRefused, OverReturn
from core.models import Lot, LotLevel, PurchaseOrder, PurchaseReceiptLine, StockDocument, StockMove
from core.numbers import ZERO
from core.purchasing.records import DOC_TYPE, OrderLine
from core.stock.lots import lot_code, tracking_of
from core.uow import Tx

ONE = Decimal(1)
Part = tuple[int | None, Decimal]  # (lot id, quantity going back); no lot: first-expired-first-out


@dataclass(frozen=True)
class ReturnWanted:
    """One entered return line against its order line: the quantity, and the lot or serials it names."""

    line: OrderLine
    item: str
    qty: Decimal
    lot: str | None
    serials: tuple[str, ...]


@dataclass
class _Received:
    lot_id: int
    code: str
    expiry: date | None
    left: Decimal  # received on this order line, less returned


def return_parts(tx: Tx, order: PurchaseOrder, wanted: Sequence[ReturnWanted]) -> dict[OrderLine, list[Part]]:
    """Per order line, the lots and quantities that go back to the supplier."""
    tracking = tracking_of(tx, {w.line.product_id for w in wanted})
    products = {p for p, (kind, _) in tracking.items() if kind != "none"}
    parts: dict[OrderLine, list[Part]] = {w.line: [] for w in wanted}
    for w in wanted:
        if w.line.product_id in products:
            continue
        if w.lot or w.serials:
            raise LotRefused(reason="not_tracked", sku=w.line.sku)
        parts[w.line].append((None, w.qty))
    tracked = [w for w in wanted if w.line.product_id in products]
    if not tracked:
        return parts
    received = _received(tx, order, {w.line.id for w in tracked})
    free = _free(tx, order, {r.lot_id for lots in received.values() for r in lots})
    today = tx.now.date()
    for w in tracked:
        lots = received.get(w.line.id, [])
        if not lots and not w.lot and not w.serials:
            parts[w.line].append((None, w.qty))  # received before the product was tracked
            continue
        for lot_id, qty in _plan(w, lots, free, order.number, today):
            parts[w.line].append((lot_id, qty))
    return parts


def _plan(w: ReturnWanted, lots: list[_Received], free: dict[int, Decimal], number: str,
          today: date) -> list[Part]:
    by_code = {r.code: r for r in lots}
    if w.serials or w.lot:
        codes = [lot_code(s) for s in w.serials] or [lot_code(w.lot)]
        if w.serials and Decimal(len(codes)) != w.qty:
            raise LotRefused(reason="serial_count", sku=w.line.sku, count=len(codes), qty=w.qty)
        if len(set(codes)) != len(codes):
            raise LotRefused(reason="duplicate_serial", lot=next(c for c in codes if codes.count(c) > 1),
                             sku=w.line.sku)
        named: list[Part] = []
        for code in codes:
            found = by_code.get(code)
            if found is None:
                raise LotRefused(reason="not_received", lot=code, number=number, sku=w.line.sku)
            qty = ONE if w.serials else w.qty
            _take(found, qty, free, w)
            named.append((found.lot_id, qty))
        return named
    plan: list[Part] = []
    need = w.qty
    for found in sorted(lots, key=lambda r: (not (r.expiry is not None and r.expiry < today), r.expiry is None,
                                             r.expiry or date.max, r.lot_id)):
        share = min(need, found.left, free.get(found.lot_id, ZERO))
        if share > 0:
            _take(found, share, free, w)
            plan.append((found.lot_id, share))
            need -= share
    if need > 0:
        raise OverReturn(item=w.item, sku=w.line.sku, requested=w.qty, returnable=w.qty - need, reason="lots")
    return plan


def _take(found: _Received, qty: Decimal, free: dict[int, Decimal], w: ReturnWanted) -> None:
    returnable = min(found.left, free.get(found.lot_id, ZERO))
    if qty > returnable:
        raise OverReturn(item=w.item, sku=w.line.sku, lot=found.code, requested=qty, returnable=max(returnable, ZERO))
    found.left -= qty
    free[found.lot_id] = free.get(found.lot_id, ZERO) - qty


def _received(tx: Tx, order: PurchaseOrder, line_ids: set[int]) -> dict[int, list[_Received]]:
    """Per order line, the lots received on it, less what was returned of them already (two statements)."""
    back = {(r.source_line_id, r.lot_id): -r.qty for r in tx.session.execute(
        select(StockMove.source_line_id, StockMove.lot_id, func.sum(StockMove.qty).label("qty"))
        .join(StockDocument, StockDocument.id == StockMove.document_id)
        .where(StockDocument.kind == "purchase_return", StockDocument.source_type == DOC_TYPE,
               StockDocument.source_id == order.id, StockMove.source_line_id.in_(sorted(line_ids)),
               StockMove.lot_id.is_not(None))
        .group_by(StockMove.source_line_id, StockMove.lot_id))}
    received: dict[int, list[_Received]] = {}
    for r in tx.session.execute(
            select(PurchaseReceiptLine.order_line_id, PurchaseReceiptLine.lot_id, Lot.code, Lot.expiry,
                   func.sum(PurchaseReceiptLine.received).label("received"))
            .join(Lot, Lot.id == PurchaseReceiptLine.lot_id)
            .where(PurchaseReceiptLine.order_line_id.in_(sorted(line_ids)))
            .group_by(PurchaseReceiptLine.order_line_id, PurchaseReceiptLine.lot_id, Lot.code, Lot.expiry)
            .order_by(PurchaseReceiptLine.lot_id)):
        left = Decimal(r.received) - back.get((r.order_line_id, r.lot_id), ZERO)
        received.setdefault(r.order_line_id, []).append(_Received(r.lot_id, r.code, r.expiry, left))
    return received


def _free(tx: Tx, order: PurchaseOrder, lot_ids: set[int]) -> dict[int, Decimal]:
    """What each of those lots holds free (on hand less reserved) in the order's warehouse."""
    if not lot_ids:
        return {}
    return {r.lot_id: Decimal(r.on_hand - r.reserved) for r in tx.session.execute(
        select(LotLevel.lot_id, LotLevel.on_hand, LotLevel.reserved)
        .where(LotLevel.lot_id.in_(sorted(lot_ids)), LotLevel.warehouse_id == order.warehouse_id))}
