"""/api/v1 routes for the catalogue and stock: products, stock levels, warehouses, and transfers between them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.api.http import BadRequest, amount_field, known_fields, lines_field, paged, query_text, text_field, unit_field
from core.catalog import editing
from core.catalog import listing as api_reads
from core.catalog.products import set_product_spec
from core.permissions import Actor
from core.stock import lots as stock_lots
from core.stock import moves as stock
from core.stock import trace
from core.uow import UnitOfWork

COUNTED_LINE = ("sku", "qty", "unit")


def products(uow: UnitOfWork, request: web.Request, actor: Actor) -> Any:
    """GET /products: a page of products, optionally searched."""
    search = query_text(request, "search")
    return paged(request, lambda o, n: api_reads.list_products(uow, actor, search, o, n))


def product(uow: UnitOfWork, request: web.Request, actor: Actor) -> Any:
    """GET /products/{sku}: one product, with its category, floor price, VAT rate, pack units and tracking."""
    return editing.product_detail(uow, actor, request.match_info["sku"])


def set_spec(uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
    """POST /products/{sku}/spec: the product's spec (规格, e.g. 500ml; "" for none), catalogue editors."""
    known_fields(body, ("spec",))
    spec = text_field(body, "spec", limit=60)
    sku = request.match_info["sku"]
    return lambda: {"sku": sku.strip().upper(), "spec": set_product_spec(uow, actor, sku, spec)}


def stock_levels(uow: UnitOfWork, request: web.Request, actor: Actor) -> Any:
    """GET /stock: a page of stock levels, by SKU and warehouse."""
    sku, warehouse = query_text(request, "sku"), query_text(request, "warehouse")
    return paged(request, lambda o, n: api_reads.stock_levels(uow, actor, sku, warehouse, o, n))


def lots(uow: UnitOfWork, request: web.Request, actor: Actor) -> Any:
    """GET /lots?sku=&warehouse=: a product's lots with on hand, reserved and expiry, nearest expiry first."""
    sku = query_text(request, "sku")
    if not sku:
        raise BadRequest("query parameter 'sku' is required")
    return {"items": stock_lots.list_lots(uow, actor, sku, query_text(request, "warehouse") or None)}


def lot_trace(uow: UnitOfWork, request: web.Request, actor: Actor) -> Any:
    """GET /lots/{sku}/{lot}/trace: every movement of a lot or serial, its suppliers and customers."""
    return trace.trace_lot(uow, actor, request.match_info["sku"], request.match_info["lot"])


def warehouses(uow: UnitOfWork, request: web.Request, actor: Actor) -> Any:
    """GET /warehouses: every warehouse the actor may see."""
    return {"items": api_reads.list_warehouses(uow, actor)}


def new_transfer(uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
    """POST /transfers: send goods from one warehouse towards another."""
    known_fields(body, ("from_warehouse", "to_warehouse", "reason", "lines"))
    source, dest = text_field(body, "from_warehouse", limit=40), text_field(body, "to_warehouse", limit=40)
    reason = text_field(body, "reason", required=False)
    lines = [stock.LineIn(text_field(ln, "sku", limit=64), amount_field(ln.get("qty"), "qty"), unit=unit_field(ln))
             for ln in lines_field(body, COUNTED_LINE) or ()]
    return lambda: stock.dispatch_transfer(uow, actor, source, dest, lines, reason)


def new_transfer_receipt(
    uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]
) -> Callable[[], Any]:
    """POST /transfers/{number}/receipts: take in what arrived of a transfer (all, or the lines given)."""
    known_fields(body, ("lines",))
    number, given = request.match_info["number"], lines_field(body, COUNTED_LINE, required=False)
    lines = None if given is None else [
        stock.LineIn(text_field(ln, "sku", limit=64), amount_field(ln.get("qty"), "qty"), unit=unit_field(ln))
        for ln in given]
    return lambda: stock.receive_transfer(uow, actor, number, lines)
