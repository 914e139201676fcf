"""Purchase orders from draft to closed: create, submit for approval (and its hooks), cancel, close, read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from core.approvals.requests import cancel_request, submit_for_approval
from core.catalog.lines import EnteredLine, bounded, entered
from core.catalog.products import warehouse_in
from core.catalog.resolve import resolve_lines
from core.errors import InvalidFilter, InvalidQuantity, InvalidState, NotOwnDocument
from core.ledger.numbering import next_number
from core.models import PO_STATUSES, Employee, Product, PurchaseOrder, Supplier, Warehouse
from core.money.deposits import CLOSED, tell_deposits_held
from core.numbers import ZERO, line_amount, round_money
from core.partners.suppliers import supplier_by_code, supplier_in
from core.people.audit import record
from core.permissions import Actor, Permission
from core.purchasing.records import DOC_TYPE, LINES, MAX_LINES, allow, find_order, lines_of, order_by_id
from core.sales.tax import LineTax, line_tax, tax_totals, vat_rates
from core.uow import Tx, UnitOfWork

PAGE_SIZE = 20


@dataclass(frozen=True)
class PurchaseLineIn:
    """One line to order: SKU or barcode, quantity, price per unit (default: the product's purchase price)."""

    item: str
    qty: object
    unit_price: object = None
    unit: str | None = None



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
    tracking: str = "none"  # lot or serial: receiving asks which
    tax_rate: Decimal = ZERO  # percent, as on sales lines
    tax_amount: Decimal | None = ZERO  # None for readers who may not see cost

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
    tax_total: Decimal | None = ZERO  # the VAT in (prices with VAT) or on top of (without) the lines' amounts
    tax_included: bool = True  # the order's prices include VAT (含税价)


@dataclass(frozen=True)
class PurchaseOrderSummary:
    """One order in a list: enough for a card (who from, how many lines, how much, where it stands, when)."""

    number: str
    status: str
    supplier_code: str
    supplier_name: str
    warehouse: str
    created_at: datetime
    total: Decimal | None
    line_count: int



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
        total, tax_total = tax_totals(rows, tx.money_places)
        number = next_number(tx, "PO")
        order_id: int = tx.session.execute(
            insert(PurchaseOrder).values(
                number=number, supplier_id=partner.id, warehouse_id=target.id, author_id=actor.employee_id,
                status="draft", total=total, tax_total=tax_total, tax_included=tx.rules.prices_include_tax,
                note=note.strip()[:500], reason="", created_at=tx.now,
            ).returning(PurchaseOrder.id)
        ).scalar_one()
        tx.session.execute(insert(LINES), [{**r, "order_id": order_id} for r in rows])
        record(tx, actor, "purchase.create", DOC_TYPE, order_id, number=number, supplier=partner.code,
               warehouse=target.code, total=total, lines=len(rows))
        return _view(tx, actor, find_order(tx, number))

    return uow.run(work)


def submit_purchase_order(uow: UnitOfWork, actor: Actor, number: str) -> PurchaseOrderView:
    """Send a draft for approval; approved at once when no approval rule applies to its amount."""
    actor.require(Permission.PURCHASE_CREATE)

    def work(tx: Tx) -> PurchaseOrderView:
        order = find_order(tx, number, lock=True)
        actor.require(Permission.PURCHASE_CREATE, order.warehouse_id)
        allow(order, "submit")
        view = _view(tx, actor, order, prices=True)
        outcome = submit_for_approval(tx, actor, DOC_TYPE, order.id, order.number, order.total, _summary(view))
        status = "pending_approval" if outcome.required else "approved"
        _set_status(tx, actor, order, status, "purchase.submit", approval_request_id=outcome.request_id)
        return _view(tx, actor, order)

    return uow.run(work)


def on_approved(tx: Tx, actor: Actor, doc_id: int) -> None:
    """Approvals calls this when the last level approves: the order may now be received."""
    order = order_by_id(tx, doc_id)
    allow(order, "approve")
    _set_status(tx, actor, order, "approved", "purchase.approve")


def on_rejected(tx: Tx, actor: Actor, doc_id: int, reason: str) -> None:
    """Approvals calls this on a rejection: the order ends as rejected, with the reason."""
    order = order_by_id(tx, doc_id)
    allow(order, "reject")
    order.reason = reason.strip()[:500]
    _set_status(tx, actor, order, "rejected", "purchase.reject", reason=order.reason)


def cancel_purchase_order(uow: UnitOfWork, actor: Actor, number: str, reason: str = "") -> PurchaseOrderView:
    """Cancel an order that has not received anything yet; a pending approval request is withdrawn."""
    actor.require(Permission.PURCHASE_CREATE)

    def work(tx: Tx) -> PurchaseOrderView:
        order = find_order(tx, number, lock=True)
        actor.require(Permission.PURCHASE_CREATE, order.warehouse_id)
        allow(order, "cancel")
        if order.status == "pending_approval":
            cancel_request(tx, DOC_TYPE, order.id)
        order.reason, order.closed_at = reason.strip()[:500], tx.now
        _set_status(tx, actor, order, "cancelled", "purchase.cancel", reason=order.reason)
        return _view(tx, actor, order)

    return uow.run(work)


def withdraw_purchase_order(uow: UnitOfWork, actor: Actor, number: str, reason: str = "") -> PurchaseOrderView:
    """Take a submitted order back to a draft, by its author, while it waits for approval or (approved) before
    anything arrived; a pending approval request is withdrawn."""
    actor.require(Permission.PURCHASE_CREATE)

    def work(tx: Tx) -> PurchaseOrderView:
        order = find_order(tx, number, lock=True)
        actor.require(Permission.PURCHASE_CREATE, order.warehouse_id)
        allow(order, "withdraw")
        if order.author_id != actor.employee_id:
            raise NotOwnDocument(number=order.number, action="withdraw")
        if any(ln.received_qty or ln.rejected_qty for ln in lines_of(tx, order.id)):
            raise InvalidState(number=order.number, status=order.status, action="withdraw", reason="goods_arrived")
        if order.status == "pending_approval":
            cancel_request(tx, DOC_TYPE, order.id)
        order.reason, order.approved_at = reason.strip()[:500], None
        _set_status(tx, actor, order, "draft", "purchase.withdraw", reason=order.reason)
        return _view(tx, actor, order)

    return uow.run(work)


def revise_purchase_draft(
    uow: UnitOfWork, actor: Actor, number: str, lines: Sequence[PurchaseLineIn], supplier: str | None = None
) -> PurchaseOrderView:
    """Replace a draft's lines (and, if given, its supplier) with what the purchaser settled on."""
    actor.require(Permission.PURCHASE_CREATE)
    parsed = _parse_order_lines(lines)

    def work(tx: Tx) -> PurchaseOrderView:
        order = find_order(tx, number, lock=True)
        actor.require(Permission.PURCHASE_CREATE, order.warehouse_id)
        allow(order, "revise")
        partner = supplier_in(tx, supplier) if supplier else None
        rows = _priced_lines(tx, parsed)
        total, tax_total = tax_totals(rows, tx.money_places)
        tx.session.execute(delete(LINES).where(LINES.c.order_id == order.id))
        tx.session.execute(insert(LINES), [{**r, "order_id": order.id} for r in rows])
        changes: dict[str, Any] = {"total": total, "tax_total": tax_total,
                                   "tax_included": tx.rules.prices_include_tax}
        if partner is not None:
            changes["supplier_id"] = partner.id
        tx.session.execute(update(PurchaseOrder).where(PurchaseOrder.id == order.id).values(**changes))
        tx.session.refresh(order)
        record(tx, actor, "purchase.revise", DOC_TYPE, order.id, number=order.number,
               supplier=None if partner is None else partner.code, total=total, lines=len(rows))
        return _view(tx, actor, order)

    return uow.run(work)


def close_purchase_order(uow: UnitOfWork, actor: Actor, number: str, reason: str = "") -> PurchaseOrderView:
    """Close a (partially) received order: what has not come will not come."""
    actor.require(Permission.PURCHASE_CREATE)

    def work(tx: Tx) -> PurchaseOrderView:
        order = find_order(tx, number, lock=True)
        actor.require(Permission.PURCHASE_CREATE, order.warehouse_id)
        allow(order, "close")
        order.reason, order.closed_at = reason.strip()[:500], tx.now
        _set_status(tx, actor, order, "closed", "purchase.close", reason=order.reason)
        return _view(tx, actor, order)

    return uow.run(work)


# Reading


def get_purchase_order(uow: UnitOfWork, actor: Actor, number: str) -> PurchaseOrderView:
    """One purchase order with its lines, for those who may see purchases in its warehouse."""
    actor.require(Permission.PURCHASE_VIEW)

    def work(tx: Tx) -> PurchaseOrderView:
        order = find_order(tx, number)
        actor.require(Permission.PURCHASE_VIEW, order.warehouse_id)
        return _view(tx, actor, order)

    return uow.read(work)


def list_purchase_orders(
    uow: UnitOfWork, actor: Actor, status: str | Sequence[str] | None = None, supplier: str | None = None,
    page: int = 1, *, page_size: int = PAGE_SIZE,
) -> list[PurchaseOrderSummary]:
    """Purchase orders newest first, a page at a time, optionally by status (one or several) and supplier code."""
    actor.require(Permission.PURCHASE_VIEW)
    statuses = None if status is None else [status] if isinstance(status, str) else list(status)
    unknown = [s for s in statuses or () if s not in PO_STATUSES]
    if unknown:
        raise InvalidFilter(reason="unknown_status", status=str(unknown[0])[:40], allowed=list(PO_STATUSES))
    sees_cost = actor.can(Permission.COST_VIEW)
    size = min(max(page_size, 1), PAGE_SIZE)

    def work(tx: Tx) -> list[PurchaseOrderSummary]:
        line_count = (select(func.count(LINES.c.id)).where(LINES.c.order_id == PurchaseOrder.id)
                      .scalar_subquery().label("line_count"))
        statement = (
            select(PurchaseOrder.number, PurchaseOrder.status, Supplier.code.label("supplier_code"),
                   Supplier.name.label("supplier_name"), Warehouse.code.label("warehouse"),
                   PurchaseOrder.created_at, PurchaseOrder.total, line_count)
            .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
            .join(Warehouse, Warehouse.id == PurchaseOrder.warehouse_id)
            .order_by(PurchaseOrder.id.desc()).limit(size).offset((max(page, 1) - 1) * size)
        )
        if statuses is not None:
            statement = statement.where(PurchaseOrder.status.in_(statuses))
        if supplier is not None:
            statement = statement.where(PurchaseOrder.supplier_id == supplier_by_code(tx, supplier).id)
        if not _sees_every_warehouse(actor):
            statement = statement.where(PurchaseOrder.warehouse_id.in_(sorted(actor.warehouse_ids)))
        return [
            PurchaseOrderSummary(number=r.number, status=r.status, supplier_code=r.supplier_code,
                                 supplier_name=r.supplier_name, warehouse=r.warehouse, created_at=r.created_at,
                                 total=round_money(r.total, tx.money_places) if sees_cost else None,
                                 line_count=r.line_count or 0)
            for r in tx.session.execute(statement)
        ]

    return uow.read(work)


def _sees_every_warehouse(actor: Actor) -> bool:
    """True unless purchases are visible to the actor only through a warehouse-scoped role."""
    return actor.can(Permission.PURCHASE_VIEW, warehouse_id=-1)


def purchase_line_tax(tx: Tx, product_id: int, amount: Decimal) -> LineTax:
    """The VAT of a purchase line of this amount (the product's rate), as the order will hold it."""
    return line_tax(tx, amount, vat_rates(tx, [product_id]).get(product_id, ZERO))


# Inside the transaction


def _parse_order_lines(lines: Sequence[PurchaseLineIn]) -> list[EnteredLine]:
    return [entered(ln.item, ln.qty, ln.unit, ln.unit_price) for ln in bounded(lines, MAX_LINES)]



def _priced_lines(tx: Tx, parsed: list[EnteredLine]) -> list[dict[str, Any]]:
    """Line rows in base units at the price given or the purchase price, with their VAT (the product's rate)."""
    rows: list[dict[str, Any]] = []
    seen: set[int] = set()
    resolved = resolve_lines(tx, parsed)
    rates = vat_rates(tx, [ln.product.id for ln in resolved])
    for line_no, ln in enumerate(resolved, 1):
        product = ln.product
        if product.id in seen:
            raise InvalidQuantity(value=ln.line.item, reason="duplicate_item")
        seen.add(product.id)
        qty, price = ln.base_qty, ln.price_or(product.purchase_price)
        amount = line_amount(qty, price, tx.money_places, product.sku)
        tax = line_tax(tx, amount, rates.get(product.id, ZERO))
        rows.append({"line_no": line_no, "product_id": product.id, "qty": qty, "unit_price": price,
                     "amount": amount, "tax_rate": tax.rate, "tax_amount": tax.tax, "gross": tax.gross,
                     "received_qty": ZERO, "rejected_qty": ZERO, "returned_qty": ZERO})
    return rows



def _set_status(tx: Tx, actor: Actor, order: PurchaseOrder, status: str, action: str, **detail: Any) -> None:
    before, order.status = order.status, status
    if status == "approved":
        order.approved_at = tx.now
    tx.session.flush()
    record(tx, actor, action, DOC_TYPE, order.id, number=order.number, status=status, previous=before, **detail)
    if status in CLOSED:
        tell_deposits_held(tx, "purchase_order", order.id, order.number, status)



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
               LINES.c.amount, LINES.c.received_qty, LINES.c.rejected_qty, LINES.c.returned_qty, Product.tracking,
               LINES.c.tax_rate, LINES.c.tax_amount)
        .join(Product, Product.id == LINES.c.product_id)
        .where(LINES.c.order_id == order.id).order_by(LINES.c.line_no)
    )
    lines = tuple(
        PurchaseLineView(r.line_no, r.sku, r.name_zh, r.name_en, r.qty, r.unit_price if sees_cost else None,
                         round_money(r.amount, tx.money_places) if sees_cost else None, r.received_qty,
                         r.rejected_qty, r.returned_qty, r.tracking, r.tax_rate.normalize(),
                         round_money(r.tax_amount, tx.money_places) if sees_cost else None)
        for r in rows
    )
    return PurchaseOrderView(
        number=order.number, status=order.status, supplier_code=header.supplier_code,
        supplier_name=header.supplier_name, warehouse=header.warehouse, author=header.author,
        total=round_money(order.total, tx.money_places) if sees_cost else None, note=order.note,
        reason=order.reason, created_at=order.created_at, approved_at=order.approved_at,
        closed_at=order.closed_at, lines=lines,
        tax_total=round_money(order.tax_total, tx.money_places) if sees_cost else None,
        tax_included=order.tax_included,
    )


def _summary(view: PurchaseOrderView) -> dict[str, Any]:
    return {
        "supplier": view.supplier_name, "supplier_code": view.supplier_code, "warehouse": view.warehouse,
        "author": view.author, "total": view.total, "tax_total": view.tax_total, "line_count": len(view.lines),
        "lines": [{"sku": ln.sku, "name_zh": ln.name_zh, "name_en": ln.name_en, "qty": ln.qty,
                   "unit_price": ln.unit_price, "amount": ln.amount} for ln in view.lines[:10]],
    }

