"""Tracing a lot or serial: every movement with its document, the supplier it came from and the customers it
went to with quantities and dates (a recall list); for a serial, whom it was sold to, when and on which order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select

from core.errors import LotRefused, UnknownProduct
from core.models import (
    Customer,
    Lot,
    Product,
    PurchaseOrder,
    SalesOrder,
    StockDocument,
    StockMove,
    Supplier,
    Warehouse,
)
from core.numbers import ZERO
from core.permissions import Actor, Permission
from core.purchasing.records import DOC_TYPE as PURCHASE
from core.sales.records import DOC_TYPE as SALE
from core.uow import Tx, UnitOfWork

MAX_MOVES = 2000


@dataclass(frozen=True)
class TraceMove:
    """One ledger row of the lot: when, which document (and the order behind it), where, how much, with whom."""

    at: datetime
    document: str
    kind: str
    order: str | None
    warehouse: str
    qty: Decimal
    partner: str | None  # the supplier's or customer's code
    partner_name: str | None


@dataclass(frozen=True)
class TracePartner:
    """A supplier the lot came from or a customer it went to (net of returns), with the last date."""

    code: str
    name: str
    qty: Decimal
    last: datetime


@dataclass(frozen=True)
class LotTrace:
    """Everything known of one lot or serial."""

    sku: str
    name_zh: str
    name_en: str
    lot: str
    serial: bool
    expiry: date | None
    produced: date | None
    on_hand: Decimal
    moves: tuple[TraceMove, ...]
    suppliers: tuple[TracePartner, ...]
    customers: tuple[TracePartner, ...]


def trace_lot(uow: UnitOfWork, actor: Actor, sku: str, lot: str) -> LotTrace:
    """The trace of one lot (or serial) of a product, in three statements whatever its history."""
    actor.require(Permission.STOCK_VIEW)

    def work(tx: Tx) -> LotTrace:
        row = tx.session.execute(
            select(Lot.id, Lot.code, Lot.expiry, Lot.produced, Product.sku, Product.name_zh, Product.name_en,
                   Product.tracking)
            .join(Product, Product.id == Lot.product_id)
            .where(func.upper(Product.sku) == sku.strip().upper()[:40], Lot.code == lot.strip()[:64])
        ).one_or_none()
        if row is None:
            if tx.session.scalar(select(Product.id).where(func.upper(Product.sku) == sku.strip().upper()[:40])):
                raise LotRefused(reason="unknown_lot", lot=lot.strip()[:40])
            raise UnknownProduct(item=sku[:40])
        moves = _moves(tx, row.id)
        return LotTrace(
            row.sku, row.name_zh, row.name_en, row.code, row.tracking == "serial", row.expiry, row.produced,
            sum((m.qty for m in moves if m.warehouse != "TRANSIT"), ZERO) if moves else ZERO, moves,
            _partners(moves, ("po_receipt", "purchase_return"), sign=1),
            _partners(moves, ("shipment", "sales_return"), sign=-1))

    return uow.read(work)


def find_lot(uow: UnitOfWork, actor: Actor, code: str) -> list[tuple[str, str]]:
    """The (SKU, lot) pairs whose lot or serial is `code`: `trace LOT` needs no SKU when the code is unique."""
    actor.require(Permission.STOCK_VIEW)

    def work(tx: Tx) -> list[tuple[str, str]]:
        return [(r.sku, r.code) for r in tx.session.execute(
            select(Product.sku, Lot.code).join(Product, Product.id == Lot.product_id)
            .where(Lot.code == code.strip()[:64]).order_by(Product.sku).limit(10))]

    return uow.read(work)


def _moves(tx: Tx, lot_id: int) -> tuple[TraceMove, ...]:
    partner = func.coalesce(Supplier.code, Customer.code)
    partner_name = func.coalesce(Supplier.name, Customer.name)
    rows = tx.session.execute(
        select(StockMove.created_at, StockMove.qty, StockDocument.number, StockDocument.kind, Warehouse.code,
               func.coalesce(PurchaseOrder.number, SalesOrder.number).label("order"), partner.label("partner"),
               partner_name.label("partner_name"))
        .join(StockDocument, StockDocument.id == StockMove.document_id)
        .join(Warehouse, Warehouse.id == StockMove.warehouse_id)
        .outerjoin(PurchaseOrder,
                   (StockDocument.source_type == PURCHASE) & (PurchaseOrder.id == StockDocument.source_id))
        .outerjoin(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .outerjoin(SalesOrder, (StockDocument.source_type == SALE) & (SalesOrder.id == StockDocument.source_id))
        .outerjoin(Customer, Customer.id == SalesOrder.customer_id)
        .where(StockMove.lot_id == lot_id, StockMove.qty != 0)
        .order_by(StockMove.id).limit(MAX_MOVES))
    return tuple(TraceMove(r.created_at, r.number, r.kind, r.order, r.code, r.qty, r.partner, r.partner_name)
                 for r in rows)


def _partners(moves: tuple[TraceMove, ...], kinds: tuple[str, ...], sign: int) -> tuple[TracePartner, ...]:
    """Suppliers (what came in from each) or customers (what went out to each, less what came back)."""
    totals: dict[tuple[str, str], tuple[Decimal, datetime]] = {}
    for move in moves:
        if move.kind in kinds and move.partner is not None:
            key = (move.partner, move.partner_name or "")
            qty, _ = totals.get(key, (ZERO, move.at))
            totals[key] = (qty + sign * move.qty, move.at)
    return tuple(TracePartner(code, name, qty, last) for (code, name), (qty, last) in sorted(totals.items())
                 if qty != 0)
