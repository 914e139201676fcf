"""A sales order as its reader sees it: head, lines and (for who sees cost) cost and profit, in one statement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, null, select

from core.models import ApprovalRequest, Customer, Employee, Lot, Product, StockDocument, StockMove, Warehouse
from core.numbers import ZERO, round_money
from core.permissions import Actor, Permission
from core.sales.records import DOC_TYPE, LINES, ORDERS
from core.sales.tax import net_of_tax
from core.uow import Tx

LEDGER_KINDS = ("shipment", "sales_return")
PICKING_KINDS = ("so_reservation", "shipment")  # the documents that pick lots for an order
_SO, _L, _CU = ORDERS.c, LINES.c, Customer.__table__.c
_P, _W, _E = Product.__table__.c, Warehouse.__table__.c, Employee.__table__.c
_M, _D, _AR = StockMove.__table__.c, StockDocument.__table__.c, ApprovalRequest.__table__.c
_LOT = Lot.__table__.c


@dataclass(frozen=True)
class SalesLineView:
    line_no: int
    sku: str
    name_zh: str
    name_en: str
    qty: Decimal
    unit_price: Decimal
    amount: Decimal
    reserved_qty: Decimal
    shipped_qty: Decimal
    returned_qty: Decimal
    cost: Decimal | None
    profit: Decimal | None
    tax_rate: Decimal = ZERO
    tax_amount: Decimal = ZERO
    lot: str | None = None  # the lot the line names (else first-expired-first-out)


@dataclass(frozen=True)
class NearExpiry:
    """A lot picked for the order (reserved or shipped) within its product's alert lead time, or past its expiry."""

    sku: str
    lot: str
    expiry: date
    expired: bool


@dataclass(frozen=True)
class SalesOrderView:
    """A sales order as its reader may see it; cost and profit are None without cost.view."""

    number: str
    status: str
    channel: str
    customer: str
    customer_name: str
    warehouse: str
    salesperson: str
    total: Decimal
    note: str
    reason: str
    created_at: datetime
    approved_at: datetime | None
    lines: tuple[SalesLineView, ...]
    approval_request_id: int | None = None
    approval_reasons: tuple[str, ...] = ()
    document: str | None = None
    tax_total: Decimal = ZERO
    tax_included: bool = True  # the order's prices include VAT (含税价)
    near_expiry: tuple[NearExpiry, ...] = ()  # 临期: lots picked within their alert lead time


@dataclass(frozen=True)
class SalesOrderSummary:
    number: str
    status: str
    channel: str
    customer: str
    customer_name: str
    salesperson: str
    total: Decimal
    created_at: datetime


_PENDING_REQUEST = select(func.min(_AR.id)).where(
    _AR.doc_type == DOC_TYPE, _AR.doc_id == _SO.id, _AR.status == "pending").scalar_subquery()
_LEDGER_VALUE = (  # cost of goods sold per line: what shipments took out, less what returns brought back
    select(_M.source_line_id, func.sum(_M.value).label("value"))
    .join_from(StockMove.__table__, StockDocument.__table__, _D.id == _M.document_id)
    .where(_D.source_type == DOC_TYPE, _D.source_id == bindparam("order_id"), _D.kind.in_(LEDGER_KINDS))
    .group_by(_M.source_line_id).subquery("ledger")
)


def _view_statement(with_costs: bool) -> Any:
    """The whole order in one statement: head, lines in order, and (for who sees cost) each line's ledger value."""
    joined = (ORDERS.join(Customer.__table__, _CU.id == _SO.customer_id)
              .join(Warehouse.__table__, _W.id == _SO.warehouse_id)
              .join(Employee.__table__, _E.id == _SO.salesperson_id)
              .join(LINES, _L.order_id == _SO.id)
              .join(Product.__table__, _P.id == _L.product_id)
              .outerjoin(Lot.__table__, _LOT.id == _L.lot_id))
    if with_costs:
        joined = joined.outerjoin(_LEDGER_VALUE, _LEDGER_VALUE.c.source_line_id == _L.id)
    cost = _LEDGER_VALUE.c.value if with_costs else null()
    return (
        select(_SO.number, _SO.status, _SO.channel, _CU.code.label("customer"), _CU.name.label("customer_name"),
               _W.code.label("warehouse"), _E.name.label("salesperson"), _SO.total, _SO.note, _SO.reason,
               _SO.created_at, _SO.approved_at, _PENDING_REQUEST.label("request_id"), _L.line_no, _P.sku,
               _P.name_zh, _P.name_en, _L.qty, _L.unit_price, _L.amount, _L.reserved_qty, _L.shipped_qty,
               _L.returned_qty, cost.label("ledger_value"), _L.tax_rate, _L.tax_amount, _SO.tax_total,
               _SO.tax_included, _LOT.code.label("lot"), _P.tracking)
        .select_from(joined).where(_SO.id == bindparam("order_id")).order_by(_L.line_no)
    )


_VIEWS = {with_costs: _view_statement(with_costs) for with_costs in (False, True)}
_PICKED_LOTS = (  # the dated lots the order's reservations and shipments took, when first taken
    select(_P.sku, _LOT.code, _LOT.expiry, _P.alert_days, func.min(_M.created_at).label("at"))
    .join_from(StockMove.__table__, StockDocument.__table__, _D.id == _M.document_id)
    .join(Lot.__table__, _LOT.id == _M.lot_id).join(Product.__table__, _P.id == _M.product_id)
    .where(_D.source_type == DOC_TYPE, _D.source_id == bindparam("order_id"), _D.kind.in_(PICKING_KINDS),
           (_M.qty < 0) | (_M.reserved > 0), _LOT.expiry.is_not(None))
    .group_by(_P.sku, _LOT.code, _LOT.expiry, _P.alert_days).order_by(_LOT.expiry, _P.sku, _LOT.code)
)


def near_expiry(tx: Tx, order_id: int) -> tuple[NearExpiry, ...]:
    """The lots picked for the order within their alert lead time (or past expiry) when they were picked."""
    found = []
    for row in tx.conn.execute(_PICKED_LOTS, {"order_id": order_id}):
        picked = row.at.date()
        if row.expiry < picked or (row.alert_days is not None
                                   and row.expiry - timedelta(days=row.alert_days) <= picked):
            found.append(NearExpiry(row.sku, row.code, row.expiry, row.expiry < picked))
    return tuple(found)


def order_view(tx: Tx, actor: Actor, order_id: int) -> SalesOrderView:
    """The order as the actor may see it, read in one statement."""
    sees_cost = actor.can(Permission.COST_VIEW)
    rows = tx.conn.execute(_VIEWS[sees_cost], {"order_id": order_id}).all()
    head = rows[0]
    lines = []
    for line in rows:
        cost = profit = None
        if sees_cost:
            cost = round_money(ZERO if line.ledger_value is None else -line.ledger_value, tx.money_places)
            revenue = round_money((line.shipped_qty - line.returned_qty) * line.unit_price, tx.money_places)
            profit = net_of_tax(revenue, line.tax_rate, head.tax_included, tx.money_places) - cost
        lines.append(SalesLineView(line.line_no, line.sku, line.name_zh, line.name_en, line.qty, line.unit_price,
                                   round_money(line.amount, tx.money_places), line.reserved_qty,
                                   line.shipped_qty, line.returned_qty, cost, profit, line.tax_rate.normalize(),
                                   round_money(line.tax_amount, tx.money_places), line.lot))
    return SalesOrderView(
        number=head.number, status=head.status, channel=head.channel, customer=head.customer,
        customer_name=head.customer_name, warehouse=head.warehouse, salesperson=head.salesperson,
        total=round_money(head.total, tx.money_places), note=head.note, reason=head.reason,
        created_at=head.created_at, approved_at=head.approved_at, lines=tuple(lines),
        approval_request_id=head.request_id if head.status == "pending_approval" else None,
        tax_total=round_money(head.tax_total, tx.money_places), tax_included=head.tax_included,
        near_expiry=near_expiry(tx, order_id) if any(line.tracking != "none" for line in rows) else (),
    )
