"""/api/v1 routes for money: a customer's receipt or a supplier's payment recorded and set against orders (the
oldest open first, or as given), what is left of a payment allocated later, the payments not yet allocated, a
partner's balance with its open orders, and its statement for a period."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.api.http import BadRequest, amount_field, known_fields, paged, pages, query_text, text_field
from bot.engine.texts import Texts
from core.money import payments
from core.money.statements import partner_balance, statement
from core.permissions import Actor
from core.reporting.periods import parse_period
from core.uow import UnitOfWork

MAX_ALLOCATIONS = payments.MAX_ALLOCATIONS


def new_payment(uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
    """POST /payments: money received from a customer or paid to a supplier, allocated as given or oldest first."""
    known_fields(body, ("partner_kind", "partner", "amount", "method", "note", "allocations"))
    kind = _kind(text_field(body, "partner_kind", limit=20))
    partner, amount = text_field(body, "partner", limit=40), amount_field(body.get("amount"), "amount")
    method = text_field(body, "method", required=False, default="bank", limit=20)
    note, allocations = text_field(body, "note", required=False), _allocations(body)
    return lambda: _answer(payments.record_payment(uow, actor, kind, partner, amount, allocations, method, note))


def new_money_entry(uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
    """POST /money-entries: other income (in) or an expense (out) than a partner's: freight, rent, interest..."""
    known_fields(body, ("direction", "category", "amount", "method", "note"))
    direction = text_field(body, "direction", limit=3)
    if direction not in ("in", "out"):
        raise BadRequest("field 'direction' must be in (income) or out (expense)")
    category, amount = text_field(body, "category", limit=30), amount_field(body.get("amount"), "amount")
    method = text_field(body, "method", required=False, default="bank", limit=20)
    note = text_field(body, "note", required=False)
    record = payments.record_income if direction == "in" else payments.record_expense
    return lambda: record(uow, actor, category, amount, note, method)


def allocate(uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
    """POST /payments/{number}/allocations: set what is left of a payment against orders, as given or oldest first."""
    known_fields(body, ("allocations",))
    number, allocations = request.match_info["number"], _allocations(body)
    return lambda: _answer(payments.allocate_payment(uow, actor, number, allocations))


def unallocated(uow: UnitOfWork, request: web.Request, actor: Actor) -> Any:
    """GET /payments/unallocated: payments with money not yet set against an order, oldest first."""
    kind = query_text(request, "partner_kind") or None
    partner = query_text(request, "partner") or None
    if partner is not None and kind is None:
        raise BadRequest("query parameter 'partner' needs 'partner_kind' (customer or supplier)")
    return paged(request, pages(lambda p: payments.unallocated_payments(
        uow, actor, None if kind is None else _kind(kind), partner, p)))


def customer_balance(uow: UnitOfWork, request: web.Request, actor: Actor) -> Any:
    """GET /customers/{code}/balance: what the customer owes, paid, unallocated, and the open orders."""
    return partner_balance(uow, actor, "customer", request.match_info["code"])


def supplier_balance(uow: UnitOfWork, request: web.Request, actor: Actor) -> Any:
    """GET /suppliers/{code}/balance: what we owe the supplier, paid, unallocated, and the open orders."""
    return partner_balance(uow, actor, "supplier", request.match_info["code"])


def partner_statement(uow: UnitOfWork, texts: Texts, kind: str, request: web.Request, actor: Actor) -> Any:
    """GET /customers/{code}/statement, /suppliers/{code}/statement: the period's opening balance, every
    shipment or receipt, return and payment with the running balance, and the closing balance (month, or
    from/to; this month by default), as the printed 对账单."""
    month, first, last = (query_text(request, name) or None for name in ("month", "from", "to"))
    period = parse_period(month, first, last, today=datetime.now(texts.zone).date())
    return statement(uow, actor, kind, request.match_info["code"], period.start, period.end,
                     timezone=texts.zone.key)


def _answer(done: payments.PaymentRecorded) -> dict[str, Any]:
    return {"number": done.number, "partner_kind": done.partner_kind, "partner": done.partner, "amount": done.amount,
            "allocations": [{"order": n, "amount": a} for n, a in done.allocations], "unallocated": done.unallocated}


def _kind(value: str) -> str:
    if value not in ("customer", "supplier"):
        raise BadRequest("partner_kind must be customer or supplier")
    return value


def _allocations(body: dict[str, Any]) -> list[tuple[str, object]] | None:
    """The allocations given ([{"order": "SO-...", "amount": "100"}]); None (absent): the oldest open first."""
    given = body.get("allocations")
    if given is None:
        return None
    if not isinstance(given, list) or len(given) > MAX_ALLOCATIONS or not all(isinstance(a, dict) for a in given):
        raise BadRequest(f"field 'allocations' must be a list of at most {MAX_ALLOCATIONS} objects such as "
                         "{\"order\": \"SO-2026-000001\", \"amount\": \"100\"}")
    return [(text_field(known_fields(a, ("order", "amount"), f"allocation {n}"), "order", limit=40),
             amount_field(a.get("amount"), "amount")) for n, a in enumerate(given, 1)]
