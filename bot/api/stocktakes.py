"""/api/v1 routes for stocktakes: open a count sheet, read its variances, add counts (per lot or serial for a
tracked product), submit it (posted at once, or sent for approval above the threshold)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.api.http import BadRequest, amount_field, known_fields, lines_field, serials_field, text_field, unit_field
from core.permissions import Actor
from core.stock import stocktake
from core.uow import UnitOfWork

COUNT_LINE = ("sku", "qty", "unit", "lot", "expiry", "serials")


def stocktake_sheet(uow: UnitOfWork, request: web.Request, actor: Actor) -> Any:
    """GET /stocktakes/{number}: the sheet's lines, expected against counted, with values for cost viewers."""
    return stocktake.stocktake_variances(uow, actor, request.match_info["number"])


def new_stocktake(uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
    """POST /stocktakes: open a count sheet of a warehouse (or one category of it)."""
    known_fields(body, ("warehouse", "category", "uncounted"))
    warehouse = text_field(body, "warehouse", limit=40)
    category = text_field(body, "category", required=False, limit=40) or None
    uncounted = text_field(body, "uncounted", required=False, default="unchanged", limit=20)
    return lambda: stocktake.start_stocktake(uow, actor, warehouse, category, uncounted=uncounted)


def new_counts(uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
    """POST /stocktakes/{number}/counts: record counts, all or none; a recount replaces (or, with add, adds)."""
    known_fields(body, ("lines", "add"))
    add = body.get("add", False)
    if not isinstance(add, bool):
        raise BadRequest("field 'add' must be true or false")
    number = request.match_info["number"]
    counts = [stocktake.CountIn(text_field(ln, "sku", limit=120), amount_field(ln.get("qty"), "qty"), unit_field(ln),
                                lot=text_field(ln, "lot", required=False, limit=64) or None,
                                expiry=text_field(ln, "expiry", required=False, limit=10) or None,
                                serials=serials_field(ln))
              for ln in lines_field(body, COUNT_LINE) or ()]

    def work() -> Any:
        stocktake.count_items(uow, actor, number, counts, add=add)
        return stocktake.stocktake_variances(uow, actor, number)

    return work


def submit(uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
    """POST /stocktakes/{number}/submit: finish counting; posted at once or sent for approval."""
    known_fields(body, ("reason",))
    number, reason = request.match_info["number"], text_field(body, "reason", required=False)
    return lambda: stocktake.submit_stocktake(uow, actor, number, reason=reason)
