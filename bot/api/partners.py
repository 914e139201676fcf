"""/api/v1 routes for partners: suppliers and customers, listed and created."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.api.http import BadRequest, amount_field, known_fields, paged, pages, query_text, text_field
from core.partners import customers, suppliers
from core.permissions import Actor
from core.uow import UnitOfWork


def list_suppliers(uow: UnitOfWork, request: web.Request, actor: Actor) -> Any:
    """GET /suppliers: a page of suppliers, optionally searched."""
    search = query_text(request, "search")
    return paged(request, pages(lambda p: suppliers.find_suppliers(uow, actor, search, p)))


def list_customers(uow: UnitOfWork, request: web.Request, actor: Actor) -> Any:
    """GET /customers: a page of customers, optionally searched."""
    search = query_text(request, "search")
    return paged(request, pages(lambda p: customers.find_customers(uow, actor, search, p)))


def new_supplier(uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
    """POST /suppliers: a new supplier."""
    known_fields(body, ("code", "name", "contact", "phone", "credit_rating", "lead_time_days", "payment_terms_days",
                        "note"))
    new = suppliers.NewSupplier(
        code=text_field(body, "code", limit=40), name=text_field(body, "name", limit=200),
        contact=text_field(body, "contact", required=False), phone=text_field(body, "phone", required=False),
        credit_rating=text_field(body, "credit_rating", required=False, default="B"),
        lead_time_days=amount_field(body.get("lead_time_days", 7), "lead_time_days"),
        payment_terms_days=amount_field(body.get("payment_terms_days", 30), "payment_terms_days"),
        note=text_field(body, "note", required=False))
    return lambda: suppliers.create_supplier(uow, actor, new)


def new_customer(uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
    """POST /customers: a new customer."""
    known_fields(body, ("code", "name", "contact", "phone", "channel", "credit_limit", "payment_terms_days", "note",
                        "language"))
    new = customers.NewCustomer(
        code=text_field(body, "code", limit=40), name=text_field(body, "name", limit=200),
        contact=text_field(body, "contact", required=False), phone=text_field(body, "phone", required=False),
        channel=text_field(body, "channel", required=False, default="online", limit=40),
        credit_limit=amount_field(body.get("credit_limit", 0), "credit_limit"),
        payment_terms_days=amount_field(body.get("payment_terms_days", 30), "payment_terms_days"),
        note=text_field(body, "note", required=False),
        language=text_field(body, "language", required=False, default="zh_CN", limit=20))
    return lambda: customers.create_customer(uow, actor, new)


def change_supplier(uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
    """PATCH /suppliers/{code}: change the fields given (supplier editors)."""
    changes = _changes(body, ("name", "contact", "phone", "credit_rating", "note"), ("lead_time_days",
                                                                                    "payment_terms_days"))
    code = request.match_info["code"]
    return lambda: suppliers.update_supplier(uow, actor, code, **changes)


def change_customer(uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
    """PATCH /customers/{code}: change the fields given; the owning salesperson only for those who see every
    customer."""
    given = {k: v for k, v in body.items() if k != "salesperson"}
    salesperson = None if body.get("salesperson") is None else text_field(body, "salesperson", limit=100)
    changes = _changes(given, ("name", "contact", "phone", "channel", "note"), ("credit_limit", "payment_terms_days"),
                       allow_empty=salesperson is not None)
    code = request.match_info["code"]
    return lambda: customers.update_customer(uow, actor, code, salesperson=salesperson, **changes)


def _changes(body: dict[str, Any], texts: tuple[str, ...], numbers: tuple[str, ...], *,
             allow_empty: bool = False) -> dict[str, object]:
    """The fields given of those allowed (texts, numbers and active), checked for their type; none given: 400."""
    known_fields(body, (*texts, *numbers, "active"))
    if not body and not allow_empty:
        raise BadRequest(f"give at least one field to change: {', '.join((*texts, *numbers, 'active'))}")
    changes: dict[str, object] = {}
    for name in body:
        if name in texts:
            changes[name] = text_field(body, name, limit=500)
        elif name in numbers:
            changes[name] = amount_field(body[name], name)
        elif not isinstance(body[name], bool):
            raise BadRequest("field 'active' must be true or false")
        else:
            changes[name] = body[name]
    return changes


def set_language(uow: UnitOfWork, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
    """POST /customers/{code}/language: the language the customer's documents print in (zh_CN or en)."""
    known_fields(body, ("language",))
    language = text_field(body, "language", limit=20)
    return lambda: customers.update_customer(uow, actor, request.match_info["code"], language=language)
