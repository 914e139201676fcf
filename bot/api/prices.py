"""/api/v1 routes for prices: price rules listed, added (many at once) and removed, a customer's price grade, a
sales order priced for a customer before it is written (each line's price, its source and the last price paid), and
quotations written, read, listed, ordered and cancelled."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from aiohttp import web

from bot.api.http import (
    BadRequest,
    amount_field,
    known_fields,
    language,
    lines_field,
    paged,
    pages,
    query_text,
    text_field,
)
from bot.engine.texts import Texts
from core.money import deposits as money_deposits
from core.permissions import Actor
from core.sales import price_lists
from core.sales import quotations as quotes
from core.sales.entry import quote_sales_order
from core.sales.records import SalesLineIn
from core.sales.tax import set_vat_rate
from core.uow import UnitOfWork

RULE_FIELDS = ("grade", "customer", "product", "category", "method", "value", "min_qty", "valid_from", "valid_to")
PRICED_LINE = ("sku", "qty", "unit", "unit_price")
MAX_RULES = 1000


def price_rules(uow: UnitOfWork, request: web.Request, actor: Actor) -> Any:
    """GET /price-rules: a page of rules, newest first, of a grade, customer or product (or `of` any of them)."""
    filters = {name: query_text(request, name) or None for name in ("grade", "customer", "product", "of")}
    return paged(request, pages(lambda p: price_lists.list_price_rules(uow, actor, page=p, **filters)))


def new_price_rules(uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
    """POST /price-rules: add every rule given, or none (the first bad one refused by what is wrong)."""
    known_fields(body, ("rules",))
    given = body.get("rules")
    if not isinstance(given, list) or not 1 <= len(given) <= MAX_RULES or not all(isinstance(r, dict) for r in given):
        raise BadRequest(f"field 'rules' must be a list of 1 to {MAX_RULES} objects")
    rules = [_rule(known_fields(r, RULE_FIELDS, f"rule {n}")) for n, r in enumerate(given, 1)]
    return lambda: {"rules": price_lists.add_price_rules(uow, actor, rules)}


def remove_price_rule(uow: UnitOfWork, request: web.Request, actor: Actor) -> dict[str, int]:
    """DELETE /price-rules/{id}: the rule is gone (admins and managers)."""
    rule_id = request.match_info["rule_id"]
    if not rule_id.isdigit() or len(rule_id) > 12:
        raise BadRequest("the rule id must be a whole number")
    price_lists.remove_price_rule(uow, actor, int(rule_id))
    return {"id": int(rule_id)}


def set_grade(uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
    """POST /customers/{code}/price-grade: put the customer in a grade, or in none (null or "")."""
    known_fields(body, ("grade",))
    if "grade" not in body:
        raise BadRequest("field 'grade' is required (null for none)")
    grade = None if body["grade"] is None else text_field(body, "grade", limit=40)
    code = request.match_info["code"]
    return lambda: {"customer": code.strip().upper(), "grade": price_lists.set_price_grade(uow, actor, code, grade)}


def quote(uow: UnitOfWork, texts: Texts, request: web.Request, actor: Actor,
          body: dict[str, Any]) -> Callable[[], Any]:
    """POST /sales-orders/quote: the lines priced for the customer as an order would be, nothing written."""
    known_fields(body, ("customer", "warehouse", "lines"))
    customer, warehouse = text_field(body, "customer", limit=40), text_field(body, "warehouse", limit=40)
    lines = [SalesLineIn(text_field(ln, "sku", limit=64), amount_field(ln.get("qty"), "qty"),
                         amount_field(ln.get("unit_price"), "unit_price", required=False),
                         text_field(ln, "unit", required=False, limit=20).strip() or None)
             for ln in lines_field(body, PRICED_LINE) or ()]
    lang = language(request)

    def work() -> Any:
        quoted = quote_sales_order(uow, actor, warehouse, lines, customer)
        return {"lines": [{**asdict(ln), "source_text": texts.render(lang, "price_source", src=ln.source)}
                          for ln in quoted.lines], "total": quoted.total}

    return work


def _rule(given: dict[str, Any]) -> price_lists.PriceRuleIn:
    texts = {name: _optional_text(given, name) for name in ("grade", "customer", "product", "category",
                                                             "valid_from", "valid_to")}
    return price_lists.PriceRuleIn(
        method=text_field(given, "method", limit=20), value=amount_field(given.get("value"), "value"),
        min_qty=amount_field(given.get("min_qty", 0), "min_qty"), **texts)


def _optional_text(given: dict[str, Any], name: str) -> str | None:
    return text_field(given, name, required=False, limit=64) or None


def quotations(uow: UnitOfWork, request: web.Request, actor: Actor) -> Any:
    """GET /quotations: open quotations still valid (`status=all` for every one), of a customer when given."""
    customer, status = query_text(request, "customer") or None, query_text(request, "status") or "open"
    if status not in ("open", "all"):
        raise BadRequest("query parameter 'status' must be open or all")
    return paged(request, pages(lambda p: quotes.list_quotations(uow, actor, customer, open_only=status == "open",
                                                                 page=p)))


def quotation(uow: UnitOfWork, request: web.Request, actor: Actor) -> Any:
    """GET /quotations/{number}: one quotation."""
    return quotes.get_quotation(uow, actor, request.match_info["number"])


def new_quotation(uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
    """POST /quotations: lines priced for the customer, valid until a day (two weeks when not given)."""
    known_fields(body, ("customer", "warehouse", "valid_until", "note", "lines"))
    customer, warehouse = text_field(body, "customer", limit=40), text_field(body, "warehouse", limit=40)
    until, note = text_field(body, "valid_until", required=False, limit=10), text_field(body, "note", required=False)
    lines = [SalesLineIn(text_field(ln, "sku", limit=64), amount_field(ln.get("qty"), "qty"),
                         amount_field(ln.get("unit_price"), "unit_price", required=False),
                         text_field(ln, "unit", required=False, limit=20).strip() or None)
             for ln in lines_field(body, PRICED_LINE) or ()]
    return lambda: quotes.create_quotation(uow, actor, customer, warehouse, lines, until or None, note)


def order_quotation(uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
    """POST /quotations/{number}/order: a submitted sales order at the quoted prices, while it is valid."""
    known_fields(body, ())
    number = request.match_info["number"]
    return lambda: quotes.order_quotation(uow, actor, number, "api")


def cancel_quotation(uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
    """POST /quotations/{number}/cancel: withdraw an open quotation."""
    known_fields(body, ())
    number = request.match_info["number"]
    return lambda: quotes.cancel_quotation(uow, actor, number)


def set_vat(uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
    """POST /vat-rates: the VAT rate (percent) of a product by SKU, else a category by code; null for none."""
    known_fields(body, ("code", "rate"))
    code = text_field(body, "code", limit=64)
    rate = None if body.get("rate") is None else amount_field(body.get("rate"), "rate")
    return lambda: {"code": code, "rate": set_vat_rate(uow, actor, code, rate)}


def deposits(uow: UnitOfWork, request: web.Request, actor: Actor) -> Any:
    """GET /deposits?order=NUMBER: the order's deposits (money staff)."""
    order = query_text(request, "order")
    if not order:
        raise BadRequest("query parameter 'order' is required")
    return {"items": money_deposits.order_deposits(uow, actor, order)}


def new_deposit(uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
    """POST /deposits: a deposit paid against a sales (SO-) or purchase (PO-) order."""
    known_fields(body, ("order", "amount", "method", "note"))
    order, amount = text_field(body, "order", limit=40), amount_field(body.get("amount"), "amount")
    method = text_field(body, "method", required=False, default="bank", limit=20)
    note = text_field(body, "note", required=False)
    return lambda: money_deposits.record_deposit(uow, actor, order, amount, method, note)


def settle_deposits(uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
    """POST /deposits/settle: on a cancelled order, refund or forfeit what is left of its deposits, with a reason."""
    known_fields(body, ("order", "action", "reason", "method"))
    order, action = text_field(body, "order", limit=40), text_field(body, "action", limit=20)
    reason = text_field(body, "reason", required=False)
    method = text_field(body, "method", required=False, default="bank", limit=20)
    return lambda: {"items": money_deposits.settle_deposits(uow, actor, order, action, reason, method)}
