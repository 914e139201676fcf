"""/api/v1 routes that keep the catalogue: a product added (barcodes, pack units, prices, category, VAT rate,
tracking) and changed field by field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.api.http import BadRequest, amount_field, known_fields, text_field
from core.catalog import editing
from core.catalog.products import NewProduct
from core.permissions import Actor
from core.uow import UnitOfWork

SHARED_FIELDS = ("name_zh", "name_en", "category", "unit", "purchase_price", "sale_price", "floor_price", "vat_rate",
                 "barcodes", "units", "tracking", "shelf_life_days", "alert_days", "allow_negative", "spec")
NEW_FIELDS = ("sku", *SHARED_FIELDS)
CHANGE_FIELDS = (*SHARED_FIELDS, "active")
MAX_CODES = editing.MAX_CODES


def new_product(uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
    """POST /products: a new product with its barcodes and pack units (catalogue editors)."""
    known_fields(body, NEW_FIELDS)
    new = NewProduct(
        sku=text_field(body, "sku", limit=40), name_zh=text_field(body, "name_zh", limit=200),
        name_en=text_field(body, "name_en", required=False, limit=200),
        category=text_field(body, "category", required=False, limit=40) or None,
        base_unit=text_field(body, "unit", required=False, default="pcs", limit=20),
        purchase_price=amount_field(body.get("purchase_price", 0), "purchase_price"),
        sale_price=amount_field(body.get("sale_price", 0), "sale_price"),
        floor_price=amount_field(body.get("floor_price", 0), "floor_price"),
        barcodes=_barcodes(body) or (), units=_units(body) or (), allow_negative=_flag(body, "allow_negative") or False,
        tracking=text_field(body, "tracking", required=False, default="none", limit=20),
        shelf_life_days=_days(body, "shelf_life_days"), alert_days=_days(body, "alert_days"),
        spec=text_field(body, "spec", required=False, limit=60))
    rate = None if body.get("vat_rate") is None else amount_field(body["vat_rate"], "vat_rate")
    return lambda: editing.add_product(uow, actor, new, rate)


def change_product(uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
    """PATCH /products/{sku}: change the fields given; barcodes and units replace the product's own; null
    category, vat_rate, shelf_life_days or alert_days: none of its own."""
    known_fields(body, CHANGE_FIELDS)
    if not body:
        raise BadRequest(f"give at least one field to change: {', '.join(CHANGE_FIELDS)}")
    given: dict[str, Any] = {}
    for name, limit in (("name_zh", 200), ("name_en", 200), ("unit", 20), ("tracking", 20), ("spec", 60)):
        if name in body:
            given[name] = text_field(body, name, limit=limit)
    for name in ("purchase_price", "sale_price", "floor_price"):
        if name in body:
            given[name] = amount_field(body[name], name)
    if "category" in body:
        given["category"] = None if body["category"] is None else text_field(body, "category", limit=40) or None
    if "vat_rate" in body:
        given["vat_rate"] = None if body["vat_rate"] is None else amount_field(body["vat_rate"], "vat_rate")
    for name in ("shelf_life_days", "alert_days"):
        if name in body:
            given[name] = _days(body, name)
    for name in ("allow_negative", "active"):
        if name in body:
            given[name] = _flag(body, name)
    if "barcodes" in body:
        given["barcodes"] = _barcodes(body) or ()
    if "units" in body:
        given["units"] = _units(body) or ()
    changes = editing.ProductChanges(**given)
    sku = request.match_info["sku"]
    return lambda: editing.update_product(uow, actor, sku, changes)


def _barcodes(body: dict[str, Any]) -> tuple[str, ...] | None:
    value = body.get("barcodes")
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > MAX_CODES or not all(isinstance(c, str) for c in value):
        raise BadRequest(f"field 'barcodes' must be a list of at most {MAX_CODES} strings")
    return tuple(value)


def _units(body: dict[str, Any]) -> tuple[tuple[str, object], ...] | None:
    value = body.get("units")
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > MAX_CODES or not all(isinstance(u, dict) for u in value):
        raise BadRequest(f"field 'units' must be a list of at most {MAX_CODES} objects such as "
                         "{\"name\": \"box\", \"factor\": \"12\"}")
    return tuple((text_field(known_fields(u, ("name", "factor"), f"unit {n}"), "name", limit=20),
                  amount_field(u.get("factor"), "factor")) for n, u in enumerate(value, 1))


def _days(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"field {name!r} must be a whole number of days or null")
    return value


def _flag(body: dict[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise BadRequest(f"field {name!r} must be true or false")
    return value
