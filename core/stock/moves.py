"""Stock use cases: receive, issue, adjust, transfer in two steps, reserve and release."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy import func, select, update

from core.catalog.lines import EnteredLine, bounded, entered
from core.catalog.products import WarehouseRef, transit_warehouse_in, warehouse_codes, warehouse_in
from core.catalog.resolve import ProductRef, ResolvedLine, resolve_lines
from core.errors import InvalidQuantity, InvalidState, ReasonRequired, UnknownDocument
from core.ledger.documents import open_document, post_moves, write_posting
from core.ledger.posting import MoveSpec, PostedMove, Posting
from core.models import Product, StockDocument, StockMove
from core.numbers import ZERO, round_money
from core.people.audit import record
from core.permissions import Actor, Permission
from core.stock.lots import named_lots, release_expired
from core.stock.transfers import notify_transfer_dispatched
from core.uow import Tx, UnitOfWork

MAX_LINES = 5000


@dataclass(frozen=True)
class LineIn:
    """One line as a person or system gives it: SKU or barcode, quantity, optional unit cost and pack unit."""

    item: str
    qty: object
    unit_cost: object = None
    unit: str | None = None
    lot: str | None = None  # a lot or serial of a tracked product (coming in: opened if new)
    expiry: object = None


@dataclass(frozen=True)
class PostedLine:
    line_no: int
    sku: str
    name_zh: str
    name_en: str
    warehouse: str
    qty: Decimal
    reserved: Decimal
    value: Decimal | None
    on_hand: Decimal
    available: Decimal


@dataclass(frozen=True)
class Posted:
    """A posted document as the caller reports it; values are None for readers who may not see cost."""

    number: str
    kind: str
    document_id: int
    status: str
    lines: tuple[PostedLine, ...]


def receive_stock(
    uow: UnitOfWork, actor: Actor, warehouse: str, lines: Sequence[LineIn], reason: str = ""
) -> Posted:
    """Bring goods into a warehouse at their unit cost (the product's purchase price when none is given)."""
    parsed = _parse(lines, costs=True)

    def work(tx: Tx) -> Posted:
        target = warehouse_in(tx, warehouse)
        actor.require(Permission.STOCK_RECEIVE, target.id)
        resolved = resolve_lines(tx, parsed)
        named = named_lots(tx, [ln.product.id for ln in resolved], lines, create=True)
        specs = [
            MoveSpec(n, ln.product.id, target.id, qty=ln.base_qty, unit_cost=ln.price_or(ln.product.purchase_price),
                     label=ln.line.item, lot_id=named[n - 1])
            for n, ln in enumerate(resolved, 1)
        ]
        return _post(tx, actor, "receipt", target, specs, resolved, reason)

    return uow.run(work)


def issue_stock(
    uow: UnitOfWork, actor: Actor, warehouse: str, lines: Sequence[LineIn], reason: str = ""
) -> Posted:
    """Take goods out of a warehouse at its moving average cost; refused when it would go below zero."""
    parsed = _parse(lines, costs=False)

    def work(tx: Tx) -> Posted:
        source = warehouse_in(tx, warehouse)
        actor.require(Permission.STOCK_ISSUE, source.id)
        resolved = resolve_lines(tx, parsed)
        named = named_lots(tx, [ln.product.id for ln in resolved], lines, create=False)
        release_expired(tx, actor, named, reason)
        specs = [
            MoveSpec(n, ln.product.id, source.id, qty=-ln.base_qty, label=ln.line.item, lot_id=named[n - 1])
            for n, ln in enumerate(resolved, 1)
        ]
        return _post(tx, actor, "issue", source, specs, resolved, reason)

    return uow.run(work)


def adjust_stock(
    uow: UnitOfWork, actor: Actor, warehouse: str, lines: Sequence[LineIn], reason: str
) -> Posted:
    """Correct stock up or down with a reason; gains enter at the average cost, else the purchase price."""
    if not reason.strip():
        raise ReasonRequired(action="adjust")
    parsed = _parse(lines, costs=True, signed=True)

    def work(tx: Tx) -> Posted:
        target = warehouse_in(tx, warehouse)
        actor.require(Permission.STOCK_ADJUST, target.id)
        resolved = resolve_lines(tx, parsed, signed=True)
        named = named_lots(tx, [ln.product.id for ln in resolved], lines, create=True)
        specs = [
            MoveSpec(n, ln.product.id, target.id, qty=ln.base_qty, unit_cost=ln.base_price,
                     fallback_cost=ln.product.purchase_price, label=ln.line.item, lot_id=named[n - 1],
                     expired_first=True)
            for n, ln in enumerate(resolved, 1)
        ]
        return _post(tx, actor, "adjustment", target, specs, resolved, reason)

    return uow.run(work)


def dispatch_transfer(
    uow: UnitOfWork, actor: Actor, from_warehouse: str, to_warehouse: str, lines: Sequence[LineIn],
    reason: str = "",
) -> Posted:
    """Send goods out of one warehouse into transit, carrying their value at the sender's average cost."""
    parsed = _parse(lines, costs=False)

    def work(tx: Tx) -> Posted:
        source, dest = warehouse_in(tx, from_warehouse), warehouse_in(tx, to_warehouse)
        if source.id == dest.id:
            raise InvalidState(reason="same_warehouse", warehouse=source.code)
        actor.require(Permission.STOCK_TRANSFER, source.id)
        transit = transit_warehouse_in(tx)
        resolved = resolve_lines(tx, parsed)
        document_id, number = open_document(tx, actor, "transfer", source.id, reason=reason, dest_id=dest.id,
                                            status="in_transit")
        named = named_lots(tx, [ln.product.id for ln in resolved], lines, create=False)
        posting = Posting(tx, {(ln.product.id, w) for ln in resolved for w in (source.id, transit.id)}, named)
        for n, ln in enumerate(resolved, 1):
            out = MoveSpec(n, ln.product.id, source.id, qty=-ln.base_qty, label=ln.line.item, lot_id=named[n - 1])
            for part in posting.apply_parts(out):
                posting.apply(replace(part.spec, warehouse_id=transit.id, qty=-part.change.qty,
                                      value=-part.change.value))
        posted = write_posting(posting, actor, document_id)
        record(tx, actor, "stock.transfer.dispatch", "stock_document", document_id, number=number,
               to=dest.code, lines=len(parsed))
        notify_transfer_dispatched(tx, number, source.code, dest, len(parsed))
        return _result(actor, number, "transfer", document_id, "in_transit", posted, _refs(resolved),
                       {source.id: source.code, transit.id: transit.code})

    return uow.run(work)


def receive_transfer(
    uow: UnitOfWork, actor: Actor, number: str, lines: Sequence[LineIn] | None = None
) -> Posted:
    """Confirm goods of a transfer arrived at the receiving warehouse: all outstanding, or the lines given."""
    parsed = _parse(lines, costs=False) if lines else None

    def work(tx: Tx) -> Posted:
        transfer = _document(tx, number, "transfer", ("in_transit", "partially_received"))
        assert transfer.dest_warehouse_id is not None
        actor.require(Permission.STOCK_TRANSFER, transfer.dest_warehouse_id)
        transit = transit_warehouse_in(tx)
        outstanding = _outstanding(tx, transfer.id, transit.id, StockMove.qty)
        wanted = _wanted(tx, parsed, outstanding)
        document_id, doc_number = open_document(
            tx, actor, "transfer_in", transfer.dest_warehouse_id, source=("stock_document", transfer.id))
        posting = Posting(tx, {(o.product_id, w) for o in outstanding.values()
                               for w in (transit.id, transfer.dest_warehouse_id)},
                          (lot for o in outstanding.values() for lot, _, _ in o.lots))
        for line_no, wanted_qty in wanted.items():
            left, qty_left = outstanding[line_no], wanted_qty
            for lot_id, lot_qty, lot_value in left.lots:
                qty = min(qty_left, lot_qty)
                if qty <= 0:
                    break
                qty_left -= qty
                value = lot_value if qty == lot_qty else round_money(lot_value * qty / lot_qty, tx.money_places)
                out = MoveSpec(line_no, left.product_id, transit.id, qty=-qty, value=-value, label=left.sku,
                               lot_id=lot_id)
                posting.apply(out)
                posting.apply(replace(out, warehouse_id=transfer.dest_warehouse_id, qty=qty, value=value))
        posted = write_posting(posting, actor, document_id)
        done = all(outstanding[n].qty == wanted.get(n, ZERO) for n in outstanding)
        status = "received" if done else "partially_received"
        tx.session.execute(update(StockDocument).where(StockDocument.id == transfer.id).values(status=status))
        record(tx, actor, "stock.transfer.receive", "stock_document", transfer.id, number=number,
               receipt=doc_number, status=status)
        return _result(actor, number, "transfer", transfer.id, status, posted,
                       {left.sku: left.product for left in outstanding.values()},
                       warehouse_codes(tx, {transit.id, transfer.dest_warehouse_id}))

    return uow.run(work)


def reserve_stock(
    uow: UnitOfWork, actor: Actor, warehouse: str, lines: Sequence[LineIn], reason: str = ""
) -> Posted:
    """Set stock aside so it is no longer available; refused beyond what is available."""
    parsed = _parse(lines, costs=False)

    def work(tx: Tx) -> Posted:
        source = warehouse_in(tx, warehouse)
        actor.require(Permission.STOCK_RESERVE, source.id)
        resolved = resolve_lines(tx, parsed)
        specs = [
            MoveSpec(n, ln.product.id, source.id, reserved=ln.base_qty, label=ln.line.item)
            for n, ln in enumerate(resolved, 1)
        ]
        return _post(tx, actor, "reservation", source, specs, resolved, reason, status="reserved")

    return uow.run(work)


def release_stock(
    uow: UnitOfWork, actor: Actor, number: str, lines: Sequence[LineIn] | None = None
) -> Posted:
    """Give reserved stock back to available: all that is still reserved, or the lines given."""
    parsed = _parse(lines, costs=False) if lines else None

    def work(tx: Tx) -> Posted:
        reservation = _document(tx, number, "reservation", ("reserved", "partially_released"))
        actor.require(Permission.STOCK_RESERVE, reservation.warehouse_id)
        outstanding = _outstanding(tx, reservation.id, reservation.warehouse_id, StockMove.reserved)
        wanted = _wanted(tx, parsed, outstanding)
        document_id, _ = open_document(tx, actor, "release", reservation.warehouse_id,
                                       source=("stock_document", reservation.id))
        specs = [
            MoveSpec(n, outstanding[n].product_id, reservation.warehouse_id, reserved=-qty,
                     label=outstanding[n].sku)
            for n, qty in wanted.items()
        ]
        posted = post_moves(tx, actor, document_id, specs)
        done = all(outstanding[n].qty == wanted.get(n, ZERO) for n in outstanding)
        status = "released" if done else "partially_released"
        tx.session.execute(
            update(StockDocument).where(StockDocument.id == reservation.id).values(status=status))
        record(tx, actor, "stock.release", "stock_document", reservation.id, number=number, status=status)
        return _result(actor, number, "reservation", reservation.id, status, posted,
                       {o.sku: o.product for o in outstanding.values()},
                       warehouse_codes(tx, {reservation.warehouse_id}))

    return uow.run(work)


def _parse(lines: Sequence[LineIn] | None, *, costs: bool, signed: bool = False) -> list[EnteredLine]:
    return [entered(ln.item, ln.qty, ln.unit, ln.unit_cost if costs else None, signed=signed)
            for ln in bounded(lines, MAX_LINES)]


def _refs(resolved: Sequence[ResolvedLine]) -> dict[str, ProductRef]:
    return {ln.line.item: ln.product for ln in resolved}


def _post(
    tx: Tx, actor: Actor, kind: str, warehouse: WarehouseRef, specs: Sequence[MoveSpec],
    resolved: Sequence[ResolvedLine], reason: str, status: str = "posted",
) -> Posted:
    document_id, number = open_document(tx, actor, kind, warehouse.id, reason=reason, status=status)
    posted = post_moves(tx, actor, document_id, specs)
    record(tx, actor, f"stock.{kind}", "stock_document", document_id, number=number,
           warehouse=warehouse.code, lines=len(specs), reason=reason)
    return _result(actor, number, kind, document_id, status, posted, _refs(resolved),
                   {warehouse.id: warehouse.code})


def _document(tx: Tx, number: str, kind: str, statuses: tuple[str, ...]) -> StockDocument:
    document = tx.session.execute(
        select(StockDocument).where(func.upper(StockDocument.number) == number.strip().upper(),
                                    StockDocument.kind == kind).with_for_update()
    ).scalar_one_or_none()
    if document is None:
        raise UnknownDocument(number=number[:40])
    if document.status not in statuses:
        raise InvalidState(number=document.number, status=document.status)
    return document


@dataclass(frozen=True)
class _Outstanding:
    product_id: int
    sku: str
    qty: Decimal
    value: Decimal
    product: ProductRef
    lots: tuple[tuple[int | None, Decimal, Decimal], ...] = ()  # (lot id, qty, value) still held, per lot


def _outstanding(tx: Tx, document_id: int, warehouse_id: int, column: object) -> dict[int, _Outstanding]:
    """Per line of a document, what is still held in `warehouse_id`: posted there by it and its follow-ups."""
    followers = select(StockDocument.id).where(
        StockDocument.source_type == "stock_document", StockDocument.source_id == document_id)
    total = func.sum(column)
    rows = tx.session.execute(
        select(StockMove.line_no, StockMove.product_id, StockMove.lot_id, total.label("qty"),
               func.sum(StockMove.value).label("value"), Product.sku, Product.name_zh, Product.name_en,
               Product.purchase_price, Product.active)
        .join(Product, Product.id == StockMove.product_id)
        .where(StockMove.warehouse_id == warehouse_id,
               (StockMove.document_id == document_id) | StockMove.document_id.in_(followers))
        .group_by(StockMove.line_no, StockMove.product_id, StockMove.lot_id, Product.sku, Product.name_zh,
                  Product.name_en, Product.purchase_price, Product.active)
        .order_by(StockMove.line_no, StockMove.lot_id)
    )
    lines: dict[int, _Outstanding] = {}
    for row in rows:
        if row.qty == 0:
            continue
        before = lines.get(row.line_no)
        share = ((row.lot_id, row.qty, row.value),)
        lines[row.line_no] = _Outstanding(
            row.product_id, row.sku, row.qty, row.value,
            ProductRef(row.product_id, row.sku, row.name_zh, row.name_en, row.purchase_price, row.active),
            share) if before is None else replace(
            before, qty=before.qty + row.qty, value=before.value + row.value, lots=before.lots + share)
    return lines


def _wanted(
    tx: Tx, parsed: list[EnteredLine] | None, outstanding: dict[int, _Outstanding]
) -> dict[int, Decimal]:
    if parsed is None:
        return {n: o.qty for n, o in outstanding.items()}
    by_product = {o.product_id: n for n, o in outstanding.items()}
    wanted: dict[int, Decimal] = {}
    for ln in resolve_lines(tx, parsed):
        line_no = by_product.get(ln.product.id)
        if line_no is None:
            raise InvalidQuantity(value=ln.line.item, reason="not_on_document")
        wanted[line_no] = wanted.get(line_no, ZERO) + ln.base_qty
        if wanted[line_no] > outstanding[line_no].qty:
            raise InvalidQuantity(value=str(ln.base_qty), reason="more_than_outstanding",
                                  outstanding=outstanding[line_no].qty, item=ln.line.item)
    return wanted


def _result(
    actor: Actor, number: str, kind: str, document_id: int, status: str, posted: Sequence[PostedMove],
    products: dict[str, ProductRef], codes: dict[int, str],
) -> Posted:
    by_id = {p.id: p for p in products.values()}
    sees_cost = actor.can(Permission.COST_VIEW)
    return Posted(
        number=number, kind=kind, document_id=document_id, status=status,
        lines=tuple(
            PostedLine(
                line_no=m.spec.line_no, sku=by_id[m.spec.product_id].sku,
                name_zh=by_id[m.spec.product_id].name_zh, name_en=by_id[m.spec.product_id].name_en,
                warehouse=codes.get(m.spec.warehouse_id, str(m.spec.warehouse_id)), qty=m.change.qty,
                reserved=m.change.reserved, value=m.change.value if sees_cost else None,
                on_hand=m.change.balance_qty, available=m.change.balance_qty - m.change.balance_reserved,
            )
            for m in posted
        ),
    )
