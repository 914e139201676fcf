"""Goods a customer returns: back into stock at the cost they left with, never more than shipped less returned."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from sqlalchemy import func, select

from core.errors import OverReturn, ReasonRequired
from core.ledger.documents import open_document, post_moves
from core.ledger.posting import MoveSpec
from core.models import StockDocument, StockMove
from core.numbers import ZERO, round_money
from core.people.audit import record
from core.permissions import Actor, Permission
from core.sales.records import DOC_TYPE, OrderLine, SalesLineIn, allocate, held, lines_of, parse_lines, write_lines
from core.sales.views import SalesOrderView, order_view
from core.stock.lots import into_lots
from core.uow import Tx, UnitOfWork


def return_from_customer(
    uow: UnitOfWork, actor: Actor, so_number: str, lines: Sequence[SalesLineIn], reason: str
) -> SalesOrderView:
    """Take goods back into stock at the cost they left with, never more than was shipped and not returned."""
    actor.require(Permission.SALES_RETURN)
    reason = reason.strip()[:500]
    if not reason:
        raise ReasonRequired(action="sales_return")
    parsed = parse_lines(lines)

    def work(tx: Tx) -> SalesOrderView:
        order = held(tx, actor, so_number, "return")
        current = lines_of(tx, order.id)
        wanted = allocate(tx, parsed, current, lambda ln: ln.shipped_qty - ln.returned_qty, _over_return)
        costs, lots = _ledger_by_line(tx, order.id)
        document_id, document = open_document(tx, actor, "sales_return", order.warehouse_id, reason=reason,
                                              source=(DOC_TYPE, order.id))
        by_id = {ln.id: ln for ln in current}
        specs = [part for i, q in wanted.items() for part in into_lots(
            MoveSpec(by_id[i].line_no, by_id[i].product_id, order.warehouse_id, qty=q,
                     value=_return_value(tx, by_id[i], q, costs.get(i, {})), source_line_id=i, label=by_id[i].sku),
            lots.get(i, {}), tx.money_places)]
        post_moves(tx, actor, document_id, specs)
        write_lines(tx, [{"line_id": i, "returned_qty": by_id[i].returned_qty + q} for i, q in wanted.items()])
        record(tx, actor, "sales.return", DOC_TYPE, order.id, number=order.number, document=document,
               reason=reason, lines={by_id[i].line_no: q for i, q in wanted.items()})
        return replace(order_view(tx, actor, order.id), document=document)

    return uow.run(work)


def _over_return(item: str, requested: Decimal, returnable: Decimal) -> None:
    raise OverReturn(item=item, requested=requested, returnable=returnable)


def _ledger_by_line(
    tx: Tx, order_id: int
) -> tuple[dict[int, dict[str, tuple[Decimal, Decimal]]], dict[int, dict[int, Decimal]]]:
    """Per order line and document kind: quantity and value the order's stock documents moved; and per line and
    lot, what left by shipment and has not come back yet."""
    rows = tx.session.execute(
        select(StockMove.source_line_id, StockMove.lot_id, StockDocument.kind, func.sum(StockMove.qty).label("qty"),
               func.sum(StockMove.value).label("value"))
        .join(StockDocument, StockDocument.id == StockMove.document_id)
        .where(StockDocument.source_type == DOC_TYPE, StockDocument.source_id == order_id,
               StockDocument.kind.in_(("shipment", "sales_return")))
        .group_by(StockMove.source_line_id, StockMove.lot_id, StockDocument.kind)
    )
    moved: dict[int, dict[str, tuple[Decimal, Decimal]]] = {}
    out: dict[int, dict[int, Decimal]] = {}
    for row in rows:
        qty, value = moved.setdefault(row.source_line_id, {}).get(row.kind, (ZERO, ZERO))
        moved[row.source_line_id][row.kind] = (qty + row.qty, value + row.value)
        if row.lot_id is not None:
            lots = out.setdefault(row.source_line_id, {})
            lots[row.lot_id] = lots.get(row.lot_id, ZERO) - row.qty
    return moved, out


def _return_value(tx: Tx, line: OrderLine, qty: Decimal, moved: dict[str, tuple[Decimal, Decimal]]) -> Decimal:
    """The cost the goods left with: the shipments' average unit cost; the exact remainder for the last units."""
    shipped_qty, shipped_value = moved.get("shipment", (ZERO, ZERO))
    returned_qty, returned_value = moved.get("sales_return", (ZERO, ZERO))
    if shipped_qty == 0:
        return ZERO
    if qty == -shipped_qty - returned_qty:
        return -shipped_value - returned_value
    return round_money(qty * shipped_value / shipped_qty, tx.money_places)
