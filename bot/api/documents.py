"""/api/v1 routes for documents: purchase orders and their receipts, sales orders, their approval and shipments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.api.http import (
    BadRequest,
    amount_field,
    known_fields,
    lines_field,
    paged,
    pages,
    query_text,
    serials_field,
    text_field,
    unit_field,
)
from core.permissions import Actor
from core.purchasing import orders as purchasing
from core.purchasing import receipts
from core.purchasing import returns as purchase_returns
from core.purchasing.approval import decide_purchase_order
from core.sales import orders as sales
from core.sales.approval import decide_sales_order
from core.sales.records import SalesLineIn
from core.sales.returns import return_from_customer
from core.sales.shipments import ship_sales_order
from core.uow import UnitOfWork

PRICED_LINE = ("sku", "qty", "unit", "unit_price")
COUNTED_LINE = ("sku", "qty", "unit")


def purchase_orders(uow: UnitOfWork, request: web.Request, actor: Actor) -> Any:
    """GET /purchase-orders: a page of purchase orders, optionally by status."""
    status = query_text(request, "status") or None
    return paged(request, pages(
        lambda p: purchasing.list_purchase_orders(uow, actor, status=status, page=p)))


def purchase_order(uow: UnitOfWork, request: web.Request, actor: Actor) -> Any:
    """GET /purchase-orders/{number}: one purchase order."""
    return purchasing.get_purchase_order(uow, actor, request.match_info["number"])


def sales_orders(uow: UnitOfWork, request: web.Request, actor: Actor) -> Any:
    """GET /sales-orders: a page of the sales orders the actor may see, optionally by status."""
    status = query_text(request, "status") or None
    return paged(request, pages(
        lambda p: sales.list_sales_orders(uow, actor, status=status, page=p)))


def sales_order(uow: UnitOfWork, request: web.Request, actor: Actor) -> Any:
    """GET /sales-orders/{number}: one sales order."""
    return sales.get_sales_order(uow, actor, request.match_info["number"])


def new_purchase_order(
    uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]
) -> Callable[[], Any]:
    """POST /purchase-orders: write the order and submit it for approval."""
    known_fields(body, ("supplier", "warehouse", "note", "lines"))
    supplier, warehouse = text_field(body, "supplier", limit=40), text_field(body, "warehouse", limit=40)
    note = text_field(body, "note", required=False)
    lines = [purchasing.PurchaseLineIn(text_field(ln, "sku", limit=64), amount_field(ln.get("qty"), "qty"),
                                       amount_field(ln.get("unit_price"), "unit_price", required=False),
                                       unit_field(ln))
             for ln in lines_field(body, PRICED_LINE) or ()]

    def work() -> Any:
        draft = purchasing.create_purchase_order(uow, actor, supplier, warehouse, lines, note)
        return purchasing.submit_purchase_order(uow, actor, draft.number)

    return work


def new_purchase_receipt(
    uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]
) -> Callable[[], Any]:
    """POST /purchase-orders/{number}/receipts: take in what arrived, with rejections."""
    known_fields(body, ("note", "lines"))
    number, note = request.match_info["number"], text_field(body, "note", required=False)
    lines = [receipts.ReceiptLineIn(text_field(ln, "sku", limit=120), amount_field(ln.get("received"), "received"),
                                    amount_field(ln.get("rejected", 0), "rejected"),
                                    text_field(ln, "note", required=False),
                                    lot=text_field(ln, "lot", required=False, limit=64) or None,
                                    expiry=text_field(ln, "expiry", required=False, limit=10) or None,
                                    produced=text_field(ln, "produced", required=False, limit=10) or None,
                                    serials=serials_field(ln))
             for ln in lines_field(body, ("sku", "received", "rejected", "note", "lot", "expiry", "produced",
                                          "serials")) or ()]
    return lambda: receipts.receive_purchase(uow, actor, number, lines, note)


def withdraw_purchase_order(
    uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]
) -> Callable[[], Any]:
    """POST /purchase-orders/{number}/withdraw: its author takes a submitted order back to a draft."""
    number, reason = request.match_info["number"], text_field(body, "reason", required=False)
    return lambda: purchasing.withdraw_purchase_order(uow, actor, number, reason)


def approve_purchase_order(
    uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]
) -> Callable[[], Any]:
    """POST /purchase-orders/{number}/approve: approve its pending approval level."""
    known_fields(body, ("reason",))
    number, reason = request.match_info["number"], text_field(body, "reason", required=False)
    return lambda: decide_purchase_order(uow, actor, number, True, reason)


def reject_purchase_order(
    uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]
) -> Callable[[], Any]:
    """POST /purchase-orders/{number}/reject: reject the order, with a reason."""
    known_fields(body, ("reason",))
    number, reason = request.match_info["number"], _reason(body)
    return lambda: decide_purchase_order(uow, actor, number, False, reason)


def new_purchase_return(
    uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]
) -> Callable[[], Any]:
    """POST /purchase-orders/{number}/returns: send received goods back to the supplier, with a reason."""
    known_fields(body, ("reason", "lines"))
    number, reason = request.match_info["number"], _reason(body)
    lines = [purchase_returns.ReturnLineIn(text_field(ln, "sku", limit=64), amount_field(ln.get("qty"), "qty"))
             for ln in lines_field(body, ("sku", "qty")) or ()]
    return lambda: purchase_returns.return_to_supplier(uow, actor, number, lines, reason)


def new_sales_order(uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
    """POST /sales-orders: write the order and submit it (reserving the stock when no approval is needed)."""
    known_fields(body, ("customer", "warehouse", "channel", "note", "lines"))
    customer, warehouse = text_field(body, "customer", limit=40), text_field(body, "warehouse", limit=40)
    channel = text_field(body, "channel", required=False, default="api", limit=40)
    if not sales.CHANNEL_PATTERN.fullmatch(channel.strip().lower()):
        raise BadRequest("field 'channel' must be a word of letters, digits and _ that starts with a letter, at "
                         "most 20 characters, such as \"web\" or \"shopify\"")
    note = text_field(body, "note", required=False)
    lines = [SalesLineIn(text_field(ln, "sku", limit=64), amount_field(ln.get("qty"), "qty"),
                         amount_field(ln.get("unit_price"), "unit_price", required=False), unit_field(ln))
             for ln in lines_field(body, PRICED_LINE) or ()]

    def work() -> Any:
        draft = sales.create_sales_order(uow, actor, customer, warehouse, lines, channel=channel, note=note)
        return sales.submit_sales_order(uow, actor, draft.number)

    return work


def approve_sales_order(
    uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]
) -> Callable[[], Any]:
    """POST /sales-orders/{number}/approve: approve its pending approval level."""
    known_fields(body, ("reason",))
    number, reason = request.match_info["number"], text_field(body, "reason", required=False)
    return lambda: decide_sales_order(uow, actor, number, True, reason)


def reject_sales_order(
    uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]
) -> Callable[[], Any]:
    """POST /sales-orders/{number}/reject: reject the order, with a reason."""
    known_fields(body, ("reason",))
    number, reason = request.match_info["number"], text_field(body, "reason")
    return lambda: decide_sales_order(uow, actor, number, False, reason)


def withdraw_sales_order(
    uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]
) -> Callable[[], Any]:
    """POST /sales-orders/{number}/withdraw: its author takes it back before it is approved (a draft again)."""
    number = request.match_info["number"]
    return lambda: sales.withdraw_sales_order(uow, actor, number)


def new_shipment(uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
    """POST /sales-orders/{number}/shipments: ship reserved goods (all, or the lines given)."""
    known_fields(body, ("lines",))
    number = request.match_info["number"]
    given = lines_field(body, (*COUNTED_LINE, "lot", "serials"), required=False)
    lines = None if given is None else [
        SalesLineIn(text_field(ln, "sku", limit=64), amount_field(ln.get("qty"), "qty"), unit=unit_field(ln),
                    lot=text_field(ln, "lot", required=False, limit=64) or None, serials=serials_field(ln))
        for ln in given]
    return lambda: ship_sales_order(uow, actor, number, lines)


def new_sales_return(uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
    """POST /sales-orders/{number}/returns: take goods the customer sent back into stock, with a reason."""
    known_fields(body, ("reason", "lines"))
    number, reason = request.match_info["number"], _reason(body)
    lines = [SalesLineIn(text_field(ln, "sku", limit=64), amount_field(ln.get("qty"), "qty"), unit=unit_field(ln))
             for ln in lines_field(body, COUNTED_LINE) or ()]
    return lambda: return_from_customer(uow, actor, number, lines, reason)


def _reason(body: dict[str, Any]) -> str:
    """A required reason: a rejection or a return without one is refused (400)."""
    reason = text_field(body, "reason")
    if not reason.strip():
        raise BadRequest("field 'reason' must not be empty")
    return reason
