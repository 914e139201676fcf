"""/api/v1 routes for what chat does besides writing orders: the approvals waiting for the token, orders
cancelled or closed, stock received and issued outside an order, and one's own recent posting undone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.api.http import amount_field, known_fields, lines_field, text_field, unit_field
from core.approvals.requests import pending_for
from core.permissions import Actor
from core.purchasing import orders as purchasing
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
