"""/api/v1 routes for what chat does besides writing orders: the approvals waiting for the token, orders
cancelled or closed, stock received and issued outside an order, one's own recent posting undone, and the
replenishment suggestions turned into draft purchase orders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.api.http import (
    MAX_LINES,
    BadRequest,
    amount_field,
    known_fields,
    lines_field,
    paged,
    query_text,
    text_field,
    unit_field,
)
from core.approvals.requests import pending_for
from core.permissions import Actor
from core.purchasing import orders as purchasing
from core.purchasing.replenishment import Suggestion, draft_purchase_orders, suggest_replenishment
from core.sales import orders as sales
from core.stock import moves as stock
from core.stock.reversal import reverse_document
from core.uow import UnitOfWork

RECEIVED_LINE = ("sku", "qty", "unit", "unit_cost", "lot", "expiry")
ISSUED_LINE = ("sku", "qty", "unit", "lot")


def approvals(uow: UnitOfWork, request: web.Request, actor: Actor) -> Any:
    """GET /approvals: the requests the token may decide now, oldest first, with what the approver sees."""
    return {"items": pending_for(uow, actor)}


def cancel_sales_order(uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
    """POST /sales-orders/{number}/cancel: before its first shipment; the reservation is released."""
    known_fields(body, ("reason",))
    number, reason = request.match_info["number"], text_field(body, "reason", required=False)
    return lambda: sales.cancel_sales_order(uow, actor, number, reason)


def cancel_purchase_order(
    uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]
) -> Callable[[], Any]:
    """POST /purchase-orders/{number}/cancel: before anything is received; a pending approval is withdrawn."""
    known_fields(body, ("reason",))
    number, reason = request.match_info["number"], text_field(body, "reason", required=False)
    return lambda: purchasing.cancel_purchase_order(uow, actor, number, reason)


def close_purchase_order(
    uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]
) -> Callable[[], Any]:
    """POST /purchase-orders/{number}/close: what has not come will not come."""
    known_fields(body, ("reason",))
    number, reason = request.match_info["number"], text_field(body, "reason", required=False)
    return lambda: purchasing.close_purchase_order(uow, actor, number, reason)


def receive(uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
    """POST /stock/receipts: goods into a warehouse outside a purchase order, at their cost (default: the
    product's purchase price)."""
    known_fields(body, ("warehouse", "reason", "lines"))
    warehouse, reason = text_field(body, "warehouse", limit=40), text_field(body, "reason", required=False)
    lines = [stock.LineIn(text_field(ln, "sku", limit=120), amount_field(ln.get("qty"), "qty"),
                          amount_field(ln.get("unit_cost"), "unit_cost", required=False), unit_field(ln),
                          lot=text_field(ln, "lot", required=False, limit=64) or None,
                          expiry=text_field(ln, "expiry", required=False, limit=10) or None)
             for ln in lines_field(body, RECEIVED_LINE) or ()]
    return lambda: stock.receive_stock(uow, actor, warehouse, lines, reason)


def issue(uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
    """POST /stock/issues: goods out of a warehouse outside a sales order, at its average cost."""
    known_fields(body, ("warehouse", "reason", "lines"))
    warehouse, reason = text_field(body, "warehouse", limit=40), text_field(body, "reason", required=False)
    lines = [stock.LineIn(text_field(ln, "sku", limit=120), amount_field(ln.get("qty"), "qty"), unit=unit_field(ln),
                          lot=text_field(ln, "lot", required=False, limit=64) or None)
             for ln in lines_field(body, ISSUED_LINE) or ()]
    return lambda: stock.issue_stock(uow, actor, warehouse, lines, reason)


def undo(uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
    """POST /stock-documents/{number}/reverse: undo one's own recent posting (within the undo window)."""
    known_fields(body, ())
    number = request.match_info["number"]
    return lambda: reverse_document(uow, actor, number)


def replenishment(uow: UnitOfWork, request: web.Request, actor: Actor) -> Any:
    """GET /replenishment?warehouse=: what to order for every reorder rule below its minimum, with the reason."""
    found = [_suggestion(s) for s in suggest_replenishment(uow, actor, query_text(request, "warehouse") or None)]
    return paged(request, lambda offset, limit: found[offset:offset + limit])


def replenish(uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
    """POST /replenishment/orders: the suggestions turned into draft purchase orders, one per supplier and
    warehouse, as chat's one tap; products without a supplier are skipped and named."""
    known_fields(body, ("warehouse", "skus"))
    warehouse = text_field(body, "warehouse", required=False, limit=40) or None
    skus = body.get("skus")
    if skus is not None and (not isinstance(skus, list) or len(skus) > MAX_LINES
                             or not all(isinstance(s, str) and len(s) <= 40 for s in skus)):
        raise BadRequest(f"field 'skus' must be a list of at most {MAX_LINES} SKUs")
    chosen = None if skus is None else {s.strip().upper() for s in skus}

    def work() -> Any:
        found = [s for s in suggest_replenishment(uow, actor, warehouse) if chosen is None or s.sku in chosen]
        wanted = [s for s in found if s.quantity > 0]
        orders = draft_purchase_orders(uow, actor, [s for s in wanted if s.supplier_code])
        return {"orders": orders, "skipped": sorted({s.sku for s in wanted if not s.supplier_code})}

    return work


def _suggestion(found: Suggestion) -> dict[str, Any]:
    return {**found._asdict(), "reason": found.reason._asdict()}
