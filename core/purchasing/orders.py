"""Purchase orders from draft to closed: approval, receipts with rejections, over-receipt, returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update

from core.approvals.requests import cancel_request, submit_for_approval
from core.catalog.lines import EnteredLine, bounded, entered, item_code
from core.catalog.products import warehouse_in
from core.catalog.resolve import resolve_lines
from core.errors import (
    InvalidQuantity,
    InvalidState,
    OverReceipt,
    OverReturn,
    ReasonRequired,
    UnknownDocument,
)
from core.integration.outbox import employees_with_role, notify
from core.ledger.documents import open_document, post_moves, write_posting
from core.ledger.numbering import next_number
from core.ledger.posting import MoveSpec, PostedMove, Posting
from core.models import (
    PO_STATUSES,
    Employee,
    Product,
    ProductBarcode,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReceiptLine,
    Supplier,
    Warehouse,
)
from core.numbers import ZERO, parse_quantity, round_money
from core.partners.suppliers import supplier_by_code, supplier_in
from core.people.audit import record
from core.permissions import Actor, Permission
from core.uow import Tx, UnitOfWork

DOC_TYPE = "purchase_order"
OVER_RECEIPT_PERCENT = Decimal(5)
MAX_LINES = 1000
PAGE_SIZE = 20
LINES: Table = PurchaseOrderLine.__table__  # type: ignore[assignment]
RECEIPT_LINES: Table = PurchaseReceiptLine.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class PurchaseLineIn:
    """One line to order: SKU or barcode, quantity, price per unit (default: the product's purchase price)."""

    item: str
    qty: object
    unit_price: object = None
    unit: str | None = None


@dataclass(frozen=True)
class ReceiptLineIn:
    """What arrived of one item: accepted into stock, and rejected (not stocked) with a note."""

    item: str
    received: object
    rejected: object = 0
    note: str = ""


@dataclass(frozen=True)
class ReturnLineIn:
    item: str
    qty: object


@dataclass(frozen=True)
class PurchaseLineView:
    line_no: int
    sku: str
    name_zh: str
    name_en: str
    qty: Decimal
    unit_price: Decimal | None
    amount: Decimal | None
    received_qty: Decimal
    rejected_qty: Decimal
    returned_qty: Decimal

    @property
    def outstanding(self) -> Decimal:
        return max(self.qty - self.received_qty, ZERO)


@dataclass(frozen=True)
class PurchaseOrderView:
    """A purchase order as a reader sees it; prices are None for readers who may not see cost."""

    number: str
    status: str
    supplier_code: str
    supplier_name: str
    warehouse: str
    author: str
    total: Decimal | None
    note: str
    reason: str
    created_at: datetime
    approved_at: datetime | None
    closed_at: datetime | None
    lines: tuple[PurchaseLineView, ...]


@dataclass(frozen=True)
class PurchaseOrderSummary:
    number: str
    status: str
    supplier_code: str
    supplier_name: str
    warehouse: str
    created_at: datetime
    total: Decimal | None


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


@dataclass(frozen=True)
class PurchaseReceiptView:
    """One goods receipt (GR-) against an order, and the order's status after it."""

    order_number: str
    receipt_number: str
    status: str
    lines: tuple[ReceivedLine, ...]
    value: Decimal | None


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


@dataclass(frozen=True)
class _OrderLine:
    id: int
    line_no: int
    product_id: int
    sku: str
    qty: Decimal
    unit_price: Decimal
    received_qty: Decimal
    rejected_qty: Decimal
    returned_qty: Decimal


@dataclass(frozen=True)
class _Refused:
    """An over-receipt refusal: managers are told (committed), then the caller gets the error."""

    number: str
    lines: tuple[dict[str, Any], ...]


# Creating and the life of an order


def create_purchase_order(
    uow: UnitOfWork, actor: Actor, supplier: str, warehouse: str, lines: Sequence[PurchaseLineIn], note: str = ""
) -> PurchaseOrderView:
    """Write a draft purchase order for a supplier, to be delivered to a warehouse."""
    actor.require(Permission.PURCHASE_CREATE)
    parsed = _parse_order_lines(lines)

    def work(tx: Tx) -> PurchaseOrderView:
        target = warehouse_in(tx, warehouse)
        actor.require(Permission.PURCHASE_CREATE, target.id)
        partner = supplier_in(tx, supplier)
        rows = _priced_lines(tx, parsed)
        total = round_money(sum((r["amount"] for r in rows), ZERO), tx.money_places)
        number = next_number(tx, "PO")
        order_id: int = tx.session.execute(
            insert(PurchaseOrder).values(
                number=number, supplier_id=partner.id, warehouse_id=target.id, author_id=actor.employee_id,
                status="draft", total=total, note=note.strip()[:500], reason="", created_at=tx.now,
            ).returning(PurchaseOrder.id)
        ).scalar_one()
        tx.session.execute(insert(LINES), [{**r, "order_id": order_id} for r in rows])
        record(tx, actor, "purchase.create", DOC_TYPE, order_id, number=number, supplier=partner.code,
               warehouse=target.code, total=total, lines=len(rows))
        return _view(tx, actor, _order(tx, number))

    return uow.run(work)


def submit_purchase_order(uow: UnitOfWork, actor: Actor, number: str) -> PurchaseOrderView:
    """Send a draft for approval; approved at once when no approval rule applies to its amount."""
    actor.require(Permission.PURCHASE_CREATE)

    def work(tx: Tx) -> PurchaseOrderView:
        order = _order(tx, number, lock=True)
        actor.require(Permission.PURCHASE_CREATE, order.warehouse_id)
        _allow(order, "submit")
        view = _view(tx, actor, order, prices=True)
        outcome = submit_for_approval(tx, actor, DOC_TYPE, order.id, order.number, order.total, _summary(view))
        status = "pending_approval" if outcome.required else "approved"
        _set_status(tx, actor, order, status, "purchase.submit", approval_request_id=outcome.request_id)
        return _view(tx, actor, order)

    return uow.run(work)


def on_approved(tx: Tx, actor: Actor, doc_id: int) -> None:
    """Approvals calls this when the last level approves: the order may now be received."""
    order = _order_by_id(tx, doc_id)
    _allow(order, "approve")
    _set_status(tx, actor, order, "approved", "purchase.approve")


def on_rejected(tx: Tx, actor: Actor, doc_id: int, reason: str) -> None:
    """Approvals calls this on a rejection: the order ends as rejected, with the reason."""
    order = _order_by_id(tx, doc_id)
    _allow(order, "reject")
    order.reason = reason.strip()[:500]
    _set_status(tx, actor, order, "rejected", "purchase.reject", reason=order.reason)


def cancel_purchase_order(uow: UnitOfWork, actor: Actor, number: str, reason: str = "") -> PurchaseOrderView:
    """Cancel an order that has not received anything yet; a pending approval request is withdrawn."""
    actor.require(Permission.PURCHASE_CREATE)

    def work(tx: Tx) -> PurchaseOrderView:
        order = _order(tx, number, lock=True)
        actor.require(Permission.PURCHASE_CREATE, order.warehouse_id)
        _allow(order, "cancel")
        if order.status == "pending_approval":
            cancel_request(tx, DOC_TYPE, order.id)
        order.reason, order.closed_at = reason.strip()[:500], tx.now
        _set_status(tx, actor, order, "cancelled", "purchase.cancel", reason=order.reason)
        return _view(tx, actor, order)

    return uow.run(work)


def close_purchase_order(uow: UnitOfWork, actor: Actor, number: str, reason: str = "") -> PurchaseOrderView:
    """Close a (partially) received order: what has not come will not come."""
    actor.require(Permission.PURCHASE_CREATE)

    def work(tx: Tx) -> PurchaseOrderView:
        order = _order(tx, number, lock=True)
        actor.require(Permission.PURCHASE_CREATE, order.warehouse_id)
        _allow(order, "close")
        order.reason, order.closed_at = reason.strip()[:500], tx.now
        _set_status(tx, actor, order, "closed", "purchase.close", reason=order.reason)
        return _view(tx, actor, order)

    return uow.run(work)


# Receiving and returning


def receive_purchase(
    uow: UnitOfWork, actor: Actor, number: str, lines: Sequence[ReceiptLineIn], note: str = "",
    *, tolerance_percent: object | None = None,
) -> PurchaseReceiptView:
    """Take delivered goods into stock at the order's prices; rejected quantities are recorded, not stocked.

    Over-receipt beyond [books] over_receipt_percent (tx.rules; `tolerance_percent` overrides it) needs a manager."""
    actor.require(Permission.PURCHASE_RECEIVE)
    parsed = _parse_receipt_lines(lines)
    given = None if tolerance_percent is None else parse_quantity(tolerance_percent, allow_zero=True)

    def work(tx: Tx) -> PurchaseReceiptView | _Refused:
        percent = parse_quantity(tx.rules.over_receipt_percent, allow_zero=True) if given is None else given
        tolerance = percent / 100
        order = _order(tx, number, lock=True)
        actor.require(Permission.PURCHASE_RECEIVE, order.warehouse_id)
        _allow(order, "receive")
        order_lines = _order_lines(tx, order.id)
        wanted = _receipt_by_line(_match(tx, order, order_lines, [p[0] for p in parsed]), parsed)
        over = [_over(ln, got, tolerance) for ln, (got, _, _) in wanted.items()]
        over_lines = tuple(o for o in over if o is not None)
        if over_lines and not actor.can(Permission.OVER_RECEIPT_APPROVE, order.warehouse_id):
            return _refuse_over_receipt(tx, actor, order, over_lines)
        return _receive(tx, actor, order, order_lines, wanted, note.strip()[:500])

    result = uow.run(work)
    if isinstance(result, _Refused):
        raise OverReceipt(number=result.number, lines=list(result.lines))
    return result


def return_to_supplier(
    uow: UnitOfWork, actor: Actor, po_number: str, lines: Sequence[ReturnLineIn], reason: str
) -> PurchaseReturnView:
    """Send received goods back: out of stock at the order's price, never more than received less returned."""
    actor.require(Permission.PURCHASE_RETURN)
    if not reason.strip():
        raise ReasonRequired(action="purchase_return")
    parsed = [(item_code(ln.item), parse_quantity(ln.qty)) for ln in bounded(lines, MAX_LINES)]

    def work(tx: Tx) -> PurchaseReturnView:
        order = _order(tx, po_number, lock=True)
        actor.require(Permission.PURCHASE_RETURN, order.warehouse_id)
        _allow(order, "return")
        matched = _match(tx, order, _order_lines(tx, order.id), [item for item, _ in parsed])
        wanted: dict[_OrderLine, Decimal] = {}
        for item, qty in parsed:
            line = matched[item]
            wanted[line] = wanted.get(line, ZERO) + qty
            if wanted[line] > line.received_qty - line.returned_qty:
                raise OverReturn(number=order.number, item=item, sku=line.sku, requested=wanted[line],
                                 returnable=line.received_qty - line.returned_qty)
        return _return(tx, actor, order, wanted, reason.strip()[:500])

    return uow.run(work)


# Reading


def get_purchase_order(uow: UnitOfWork, actor: Actor, number: str) -> PurchaseOrderView:
    """One purchase order with its lines, for those who may see purchases in its warehouse."""
    actor.require(Permission.PURCHASE_VIEW)

    def work(tx: Tx) -> PurchaseOrderView:
        order = _order(tx, number)
        actor.require(Permission.PURCHASE_VIEW, order.warehouse_id)
        return _view(tx, actor, order)

    return uow.read(work)


def list_purchase_orders(
    uow: UnitOfWork, actor: Actor, status: str | None = None, supplier: str | None = None, page: int = 1
) -> list[PurchaseOrderSummary]:
    """Purchase orders newest first, a page at a time, optionally by status and supplier code."""
    actor.require(Permission.PURCHASE_VIEW)
    if status is not None and status not in PO_STATUSES:
        raise InvalidState(status=status[:40], reason="unknown_status")
    sees_cost = actor.can(Permission.COST_VIEW)

    def work(tx: Tx) -> list[PurchaseOrderSummary]:
        statement = (
            select(PurchaseOrder.number, PurchaseOrder.status, Supplier.code.label("supplier_code"),
                   Supplier.name.label("supplier_name"), Warehouse.code.label("warehouse"),
                   PurchaseOrder.created_at, PurchaseOrder.total)
            .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
            .join(Warehouse, Warehouse.id == PurchaseOrder.warehouse_id)
            .order_by(PurchaseOrder.id.desc()).limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE)
        )
        if status is not None:
            statement = statement.where(PurchaseOrder.status == status)
        if supplier is not None:
            statement = statement.where(PurchaseOrder.supplier_id == supplier_by_code(tx, supplier).id)
        if not _sees_every_warehouse(actor):
            statement = statement.where(PurchaseOrder.warehouse_id.in_(sorted(actor.warehouse_ids)))
        return [
            PurchaseOrderSummary(number=r.number, status=r.status, supplier_code=r.supplier_code,
                                 supplier_name=r.supplier_name, warehouse=r.warehouse, created_at=r.created_at,
                                 total=r.total if sees_cost else None)
            for r in tx.session.execute(statement)
        ]

    return uow.read(work)


def _sees_every_warehouse(actor: Actor) -> bool:
    """True unless purchases are visible to the actor only through a warehouse-scoped role."""
    return actor.can(Permission.PURCHASE_VIEW, warehouse_id=-1)


# Inside the transaction


def _parse_order_lines(lines: Sequence[PurchaseLineIn]) -> list[EnteredLine]:
    return [entered(ln.item, ln.qty, ln.unit, ln.unit_price) for ln in bounded(lines, MAX_LINES)]


def _parse_receipt_lines(lines: Sequence[ReceiptLineIn]) -> list[tuple[str, Decimal, Decimal, str]]:
    parsed = []
    for ln in bounded(lines, MAX_LINES):
        received = parse_quantity(ln.received, allow_zero=True)
        rejected = parse_quantity(ln.rejected, allow_zero=True)
        if received + rejected == 0:
            raise InvalidQuantity(value="0", reason="zero", item=str(ln.item)[:40])
        parsed.append((item_code(ln.item), received, rejected, ln.note.strip()[:500]))
    return parsed


def _priced_lines(tx: Tx, parsed: list[EnteredLine]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    seen: set[int] = set()
    for line_no, ln in enumerate(resolve_lines(tx, parsed), 1):
        product = ln.product
        if product.id in seen:
            raise InvalidQuantity(value=ln.line.item, reason="duplicate_item")
        seen.add(product.id)
        qty, price = ln.base_qty, ln.price_or(product.purchase_price)
        rows.append({"line_no": line_no, "product_id": product.id, "qty": qty, "unit_price": price,
                     "amount": round_money(qty * price, tx.money_places), "received_qty": ZERO,
                     "rejected_qty": ZERO, "returned_qty": ZERO})
    return rows


def _order(tx: Tx, number: str, *, lock: bool = False) -> PurchaseOrder:
    statement = select(PurchaseOrder).where(PurchaseOrder.number == str(number).strip().upper())
    order = tx.session.scalar(statement.with_for_update() if lock else statement)
    if order is None:
        raise UnknownDocument(number=str(number)[:40])
    return order


def _order_by_id(tx: Tx, order_id: int) -> PurchaseOrder:
    order = tx.session.scalar(select(PurchaseOrder).where(PurchaseOrder.id == order_id).with_for_update())
    if order is None:
        raise UnknownDocument(number=str(order_id))
    return order


def _allow(order: PurchaseOrder, action: str) -> None:
    PurchaseOrder.LIFECYCLE.ensure(action, order.number, order.status)


def _set_status(tx: Tx, actor: Actor, order: PurchaseOrder, status: str, action: str, **detail: Any) -> None:
    before, order.status = order.status, status
    if status == "approved":
        order.approved_at = tx.now
    tx.session.flush()
    record(tx, actor, action, DOC_TYPE, order.id, number=order.number, status=status, previous=before, **detail)


def _order_lines(tx: Tx, order_id: int) -> list[_OrderLine]:
    rows = tx.session.execute(
        select(LINES.c.id, LINES.c.line_no, LINES.c.product_id, Product.sku, LINES.c.qty, LINES.c.unit_price,
               LINES.c.received_qty, LINES.c.rejected_qty, LINES.c.returned_qty)
        .join(Product, Product.id == LINES.c.product_id)
        .where(LINES.c.order_id == order_id).order_by(LINES.c.line_no)
    )
    return [_OrderLine(**row._mapping) for row in rows]


def _match(
    tx: Tx, order: PurchaseOrder, lines: list[_OrderLine], items: Sequence[str]
) -> dict[str, _OrderLine]:
    """The order line of each item (SKU in any case, or barcode); items not on the order are refused."""
    by_sku = {ln.sku.upper(): ln for ln in lines}
    by_product = {ln.product_id: ln for ln in lines}
    missing = {i for i in items if i.upper() not in by_sku}
    barcodes = dict(tx.session.execute(
        select(ProductBarcode.barcode, ProductBarcode.product_id)
        .where(ProductBarcode.barcode.in_(missing), ProductBarcode.product_id.in_(by_product))
    ).all()) if missing else {}
    matched: dict[str, _OrderLine] = {}
    for item in items:
        line = by_sku.get(item.upper()) or by_product.get(barcodes.get(item, -1))
        if line is None:
            raise InvalidQuantity(value=item[:40], reason="not_on_order", number=order.number)
        matched[item] = line
    return matched


def _receipt_by_line(
    matched: dict[str, _OrderLine], parsed: list[tuple[str, Decimal, Decimal, str]]
) -> dict[_OrderLine, tuple[Decimal, Decimal, str]]:
    wanted: dict[_OrderLine, tuple[Decimal, Decimal, str]] = {}
    for item, received, rejected, note in parsed:
        got, bad, notes = wanted.get(matched[item], (ZERO, ZERO, ""))
        wanted[matched[item]] = (got + received, bad + rejected, "; ".join(n for n in (notes, note) if n)[:500])
    return dict(sorted(wanted.items(), key=lambda kv: kv[0].line_no))


def _over(line: _OrderLine, received: Decimal, tolerance: Decimal) -> dict[str, Any] | None:
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
    tx: Tx, actor: Actor, order: PurchaseOrder, lines: list[_OrderLine],
    wanted: dict[_OrderLine, tuple[Decimal, Decimal, str]], note: str,
) -> PurchaseReceiptView:
    document_id, receipt_number = open_document(tx, actor, "po_receipt", order.warehouse_id, reason=note,
                                                source=(DOC_TYPE, order.id))
    specs = [
        MoveSpec(line.line_no, line.product_id, order.warehouse_id, qty=got, unit_cost=line.unit_price,
                 source_line_id=line.id, label=line.sku)
        for line, (got, _, _) in wanted.items() if got > 0
    ]
    posted = {m.spec.source_line_id: m for m in post_moves(tx, actor, document_id, specs)} if specs else {}
    tx.session.execute(insert(RECEIPT_LINES), [
        {"document_id": document_id, "order_line_id": line.id, "received": got, "rejected": bad, "note": text}
        for line, (got, bad, text) in wanted.items()
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
    sees_cost = actor.can(Permission.COST_VIEW)
    value = sum((m.change.value for m in posted.values()), ZERO)
    record(tx, actor, "purchase.receive", DOC_TYPE, order.id, number=order.number, receipt=receipt_number,
           status=status, value=value, note=note,
           lines=[{"sku": ln.sku, "received": got, "rejected": bad, "note": text}
                  for ln, (got, bad, text) in wanted.items()])
    return PurchaseReceiptView(
        order_number=order.number, receipt_number=receipt_number, status=status,
        lines=tuple(_received_line(ln, got, bad, text, posted.get(ln.id), sees_cost)
                    for ln, (got, bad, text) in wanted.items()),
        value=value if sees_cost else None,
    )


def _status_after_receipt(
    current: str, lines: list[_OrderLine], wanted: dict[_OrderLine, tuple[Decimal, Decimal, str]]
) -> str:
    received = [(ln.received_qty + wanted.get(ln, (ZERO,))[0], ln.qty) for ln in lines]
    if all(got >= qty for got, qty in received):
        return "received"
    if any(got > 0 for got, _ in received):
        return "partially_received"
    return current


def _received_line(
    line: _OrderLine, got: Decimal, bad: Decimal, note: str, move: PostedMove | None, sees_cost: bool
) -> ReceivedLine:
    received_qty = line.received_qty + got
    return ReceivedLine(
        line_no=line.line_no, sku=line.sku, received=got, rejected=bad, note=note, received_qty=received_qty,
        outstanding=max(line.qty - received_qty, ZERO), on_hand=None if move is None else move.change.balance_qty,
        value=(move.change.value if move else ZERO) if sees_cost else None,
    )


def _return(
    tx: Tx, actor: Actor, order: PurchaseOrder, wanted: dict[_OrderLine, Decimal], reason: str
) -> PurchaseReturnView:
    document_id, return_number = open_document(tx, actor, "purchase_return", order.warehouse_id, reason=reason,
                                               source=(DOC_TYPE, order.id))
    posting = Posting(tx, {(line.product_id, order.warehouse_id) for line in wanted})
    for line, qty in wanted.items():
        position = posting.positions[(line.product_id, order.warehouse_id)]
        out = round_money(qty * line.unit_price, tx.money_places)
        value = None if qty >= position.on_hand or out > position.value else -out
        posting.apply(MoveSpec(line.line_no, line.product_id, order.warehouse_id, qty=-qty, value=value,
                               source_line_id=line.id, label=line.sku))
    posted = {m.spec.source_line_id: m for m in write_posting(posting, actor, document_id)}
    tx.session.execute(
        update(LINES).where(LINES.c.id == bindparam("line_id"))
        .values(returned_qty=LINES.c.returned_qty + bindparam("back")),
        [{"line_id": line.id, "back": qty} for line, qty in wanted.items()],
    )
    value = sum((m.change.value for m in posted.values()), ZERO)
    record(tx, actor, "purchase.return", DOC_TYPE, order.id, number=order.number, document=return_number,
           reason=reason, value=value, lines=[{"sku": ln.sku, "qty": qty} for ln, qty in wanted.items()])
    sees_cost = actor.can(Permission.COST_VIEW)
    return PurchaseReturnView(
        order_number=order.number, return_number=return_number, status=order.status, reason=reason,
        lines=tuple(
            ReturnedLine(line.line_no, line.sku, qty, line.returned_qty + qty, posted[line.id].change.balance_qty,
                         posted[line.id].change.value if sees_cost else None)
            for line, qty in wanted.items()
        ),
        value=value if sees_cost else None,
    )


def _view(tx: Tx, actor: Actor, order: PurchaseOrder, *, prices: bool | None = None) -> PurchaseOrderView:
    sees_cost = actor.can(Permission.COST_VIEW) if prices is None else prices
    header = tx.session.execute(
        select(Supplier.code.label("supplier_code"), Supplier.name.label("supplier_name"),
               Warehouse.code.label("warehouse"), Employee.name.label("author")).select_from(PurchaseOrder)
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .join(Warehouse, Warehouse.id == PurchaseOrder.warehouse_id)
        .join(Employee, Employee.id == PurchaseOrder.author_id)
        .where(PurchaseOrder.id == order.id)
    ).one()
    rows = tx.session.execute(
        select(LINES.c.line_no, Product.sku, Product.name_zh, Product.name_en, LINES.c.qty, LINES.c.unit_price,
               LINES.c.amount, LINES.c.received_qty, LINES.c.rejected_qty, LINES.c.returned_qty)
        .join(Product, Product.id == LINES.c.product_id)
        .where(LINES.c.order_id == order.id).order_by(LINES.c.line_no)
    )
    lines = tuple(
        PurchaseLineView(r.line_no, r.sku, r.name_zh, r.name_en, r.qty, r.unit_price if sees_cost else None,
                         r.amount if sees_cost else None, r.received_qty, r.rejected_qty, r.returned_qty)
        for r in rows
    )
    return PurchaseOrderView(
        number=order.number, status=order.status, supplier_code=header.supplier_code,
        supplier_name=header.supplier_name, warehouse=header.warehouse, author=header.author,
        total=order.total if sees_cost else None, note=order.note,
        reason=order.reason, created_at=order.created_at, approved_at=order.approved_at,
        closed_at=order.closed_at, lines=lines,
    )


def _summary(view: PurchaseOrderView) -> dict[str, Any]:
    return {
        "supplier": view.supplier_name, "supplier_code": view.supplier_code, "warehouse": view.warehouse,
        "author": view.author, "total": view.total, "line_count": len(view.lines),
        "lines": [{"sku": ln.sku, "name_zh": ln.name_zh, "name_en": ln.name_en, "qty": ln.qty,
                   "unit_price": ln.unit_price, "amount": ln.amount} for ln in view.lines[:10]],
    }

