"""Undo: a posting reversed by its author soon after, as a reversing document (RV-) with mirror moves."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from types import MappingProxyType

from sqlalchemy import Table, bindparam, func, select, update

from core.catalog.products import warehouse_codes
from core.errors import (
    AlreadyReversed,
    InvalidState,
    NotOwnDocument,
    NotReversible,
    OutOfStock,
    UndoStockUsed,
    UndoWindowPassed,
    UnknownDocument,
)
from core.ledger.documents import open_document, write_posting
from core.ledger.posting import MoveSpec, Posting
from core.models import Product, PurchaseOrder, PurchaseOrderLine, PurchaseReceiptLine, StockDocument, StockMove
from core.numbers import ZERO
from core.people.audit import record
from core.permissions import Actor, Permission
from core.uow import Tx, UnitOfWork

UNDO_WINDOW = timedelta(minutes=10)
REVERSIBLE: Mapping[str, Permission] = MappingProxyType({
    "receipt": Permission.STOCK_RECEIVE, "issue": Permission.STOCK_ISSUE,
    "adjustment": Permission.STOCK_ADJUST, "po_receipt": Permission.PURCHASE_RECEIVE,
})
AUTOMATIC = ("reversal", "reservation", "release", "so_reservation", "so_release")
PO_LINES: Table = PurchaseOrderLine.__table__  # type: ignore[assignment]
_REVERSAL_OF = select(StockDocument.number).where(
    StockDocument.kind == "reversal", StockDocument.source_type == "stock_document",
    StockDocument.source_id == bindparam("document_id"))


@dataclass(frozen=True)
class PostingLine:
    line_no: int
    sku: str
    name_zh: str
    name_en: str
    warehouse: str
    qty: Decimal
    value: Decimal | None
    on_hand: Decimal | None = None


@dataclass(frozen=True)
class Undoable:
    """A posting the actor may undo now: what it did, and until when."""

    number: str
    kind: str
    created_at: datetime
    until: datetime
    order_number: str | None
    lines: tuple[PostingLine, ...]


@dataclass(frozen=True)
class Reversal:
    """The reversing document, what it took back, and (for a PO receipt) the order's status after it."""

    number: str
    original: str
    kind: str
    order_number: str | None
    order_status: str | None
    lines: tuple[PostingLine, ...]


def last_posting(uow: UnitOfWork, actor: Actor, window: timedelta | None = None) -> str | None:
    """The actor's newest posting within the undo window (tx.rules, or `window`) not yet reversed (reservations
    and reversals aside), if any."""

    def work(tx: Tx) -> str | None:
        span = tx.rules.undo_window if window is None else window
        reversed_ids = select(StockDocument.source_id).where(
            StockDocument.kind == "reversal", StockDocument.source_type == "stock_document",
            StockDocument.employee_id == actor.employee_id)
        return tx.session.scalar(
            select(StockDocument.number)
            .where(StockDocument.employee_id == actor.employee_id, StockDocument.kind.not_in(AUTOMATIC),
                   StockDocument.created_at >= tx.now - span, StockDocument.id.not_in(reversed_ids))
            .order_by(StockDocument.id.desc()).limit(1))

    return uow.read(work)


def undo_preview(uow: UnitOfWork, actor: Actor, number: str, window: timedelta | None = None) -> Undoable:
    """What undoing `number` would take back; refused as reverse_document would refuse (stock aside)."""

    def work(tx: Tx) -> Undoable:
        span = tx.rules.undo_window if window is None else window
        document = _checked(tx, actor, number, span, lock=False)
        order_number = _order_number(tx, document)
        lines = tuple(_line(actor, m, sku, zh, en, codes) for m, sku, zh, en, codes in _moves(tx, document))
        return Undoable(document.number, document.kind, document.created_at, document.created_at + span,
                        order_number, lines)

    return uow.read(work)


def reverse_document(
    uow: UnitOfWork, actor: Actor, number: str, window: timedelta | None = None
) -> Reversal:
    """Post the mirror of the actor's own recent posting (value exactly minus the original's) as RV-, within the
    undo window (tx.rules, or `window`)."""

    def work(tx: Tx) -> Reversal:
        document = _checked(tx, actor, number, tx.rules.undo_window if window is None else window, lock=True)
        moves = _moves(tx, document)
        reversal_id, reversal_number = open_document(
            tx, actor, "reversal", document.warehouse_id, source=("stock_document", document.id),
            reason=f"undo {document.number}")
        posting = Posting(tx, {(m.product_id, m.warehouse_id) for m, *_ in moves}, (m.lot_id for m, *_ in moves))
        for move, sku, *_ in moves:
            spec = MoveSpec(move.line_no, move.product_id, move.warehouse_id, qty=-move.qty,
                            reserved=-move.reserved, value=-move.value, source_line_id=move.source_line_id,
                            label=sku, lot_id=move.lot_id)
            try:
                posting.apply(spec)
            except OutOfStock as error:
                raise UndoStockUsed(number=document.number, item=sku, reason="stock",
                                    available=error.params.get("available"),
                                    requested=error.params.get("requested")) from error
        names = {m.product_id: (sku, zh, en) for m, sku, zh, en, _ in moves}
        for position in posting.positions.values():
            if position.value < 0 or (position.on_hand == 0 and position.value != 0):
                raise UndoStockUsed(number=document.number, item=names[position.product_id][0], reason="value")
        posted = write_posting(posting, actor, reversal_id) if posting.posted else []
        order_number, order_status = _undo_receipt(tx, document) if document.kind == "po_receipt" else (None, None)
        record(tx, actor, "stock.reversal", "stock_document", reversal_id, number=reversal_number,
               original=document.number, kind=document.kind, order=order_number, order_status=order_status)
        codes = warehouse_codes(tx, {m.spec.warehouse_id for m in posted})
        sees_cost = actor.can(Permission.COST_VIEW)
        lines = tuple(
            PostingLine(p.spec.line_no, *names[p.spec.product_id], codes[p.spec.warehouse_id], p.change.qty,
                        p.change.value if sees_cost else None, p.change.balance_qty)
            for p in posted
        )
        return Reversal(reversal_number, document.number, document.kind, order_number, order_status, lines)

    return uow.run(work)


def _checked(tx: Tx, actor: Actor, number: str, window: timedelta, *, lock: bool) -> StockDocument:
    statement = select(StockDocument).where(func.upper(StockDocument.number) == str(number).strip().upper()[:40])
    document = tx.session.scalar(statement.with_for_update() if lock else statement)
    if document is None:
        raise UnknownDocument(number=str(number)[:40])
    if document.employee_id != actor.employee_id:
        raise NotOwnDocument(number=document.number)
    permission = REVERSIBLE.get(document.kind)
    if permission is None or (document.source_type is not None and document.kind != "po_receipt"):
        raise NotReversible(number=document.number, kind=document.kind)
    actor.require(permission, document.warehouse_id)
    done = tx.session.scalar(_REVERSAL_OF, {"document_id": document.id})
    if done is not None:
        raise AlreadyReversed(number=document.number, reversal=done)
    if tx.now - document.created_at > window:
        raise UndoWindowPassed(number=document.number, minutes=int(window.total_seconds() // 60))
    return document


def _moves(tx: Tx, document: StockDocument) -> list[tuple[StockMove, str, str, str, dict[int, str]]]:
    rows = tx.session.execute(
        select(StockMove, Product.sku, Product.name_zh, Product.name_en)
        .join(Product, Product.id == StockMove.product_id)
        .where(StockMove.document_id == document.id).order_by(StockMove.line_no, StockMove.id)
    ).all()
    codes = warehouse_codes(tx, {r[0].warehouse_id for r in rows}) if rows else {}
    return [(r[0], r[1], r[2], r[3], codes) for r in rows]


def _line(
    actor: Actor, move: StockMove, sku: str, zh: str, en: str, codes: dict[int, str]
) -> PostingLine:
    value = move.value if actor.can(Permission.COST_VIEW) else None
    return PostingLine(move.line_no, sku, zh, en, codes[move.warehouse_id], move.qty, value)


def _order_number(tx: Tx, document: StockDocument) -> str | None:
    if document.kind != "po_receipt" or document.source_id is None:
        return None
    return tx.session.scalar(select(PurchaseOrder.number).where(PurchaseOrder.id == document.source_id))


def _undo_receipt(tx: Tx, document: StockDocument) -> tuple[str, str]:
    """Take a goods receipt's quantities off its order lines and put the order's status back."""
    order = tx.session.scalar(
        select(PurchaseOrder).where(PurchaseOrder.id == document.source_id).with_for_update())
    if order is None:
        raise UnknownDocument(number=document.number)
    if order.status not in ("partially_received", "received"):
        raise InvalidState(number=order.number, status=order.status, action="undo_receipt")
    taken: dict[int, tuple[Decimal, Decimal]] = {}
    for r in tx.session.execute(  # one row per order line and lot
            select(PurchaseReceiptLine.order_line_id, PurchaseReceiptLine.received, PurchaseReceiptLine.rejected)
            .where(PurchaseReceiptLine.document_id == document.id)):
        got, bad = taken.get(r.order_line_id, (ZERO, ZERO))
        taken[r.order_line_id] = (got + r.received, bad + r.rejected)
    lines = tx.session.execute(
        select(PO_LINES.c.id, PO_LINES.c.qty, PO_LINES.c.received_qty, PO_LINES.c.returned_qty, Product.sku)
        .join(Product, Product.id == PO_LINES.c.product_id)
        .where(PO_LINES.c.order_id == order.id).with_for_update(of=PO_LINES)).all()
    received_after: dict[int, tuple[Decimal, Decimal]] = {}
    for line in lines:
        got = taken.get(line.id, (ZERO, ZERO))[0]
        received_after[line.id] = (line.received_qty - got, line.qty)
        if line.received_qty - got < line.returned_qty:
            raise UndoStockUsed(number=document.number, item=line.sku, reason="returned",
                                available=line.received_qty - line.returned_qty, requested=got)
    if taken:
        tx.session.execute(
            update(PO_LINES).where(PO_LINES.c.id == bindparam("line_id"))
            .values(received_qty=PO_LINES.c.received_qty - bindparam("got"),
                    rejected_qty=PO_LINES.c.rejected_qty - bindparam("bad")),
            [{"line_id": line_id, "got": got, "bad": bad} for line_id, (got, bad) in taken.items()])
    if all(got >= qty for got, qty in received_after.values()):
        status = "received"
    elif any(got > 0 for got, _ in received_after.values()):
        status = "partially_received"
    else:
        status = "approved"
    order.status = status
    tx.session.flush()
    return order.number, status
