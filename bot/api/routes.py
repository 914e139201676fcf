"""The REST API handlers: parse and check the request, call core services as the token's actor, answer JSON.

Blocking core calls run off the event loop. Every POST may carry an Idempotency-Key; its first answer is
stored with the key in the same transaction as the work, and replayed to retries.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.api.auth import RateLimits, caller_of
from bot.api.idempotency import fingerprint, key_of, once
from bot.api.openapi import document
from bot.channels import read_capped
from bot.engine.texts import Texts
from core.approvals import decisions as approvals
from core.catalog import listing as api_reads
from core.errors import DomainError, InvalidState, UnknownDocument
from core.integration import webhooks
from core.partners import customers, suppliers
from core.people.tokens import Caller
from core.permissions import Actor
from core.purchasing import orders as purchasing
from core.purchasing import receipts
from core.reporting import periods, reports
from core.sales import orders as sales
from core.sales.records import SalesLineIn
from core.sales.shipments import ship_sales_order
from core.stock import moves as stock
from core.uow import UnitOfWork

log = logging.getLogger(__name__)
BASE = "/api/v1"
MAX_BODY = 256 * 1024
MAX_LINES = 1000
SERVICE_PAGE = 20
MAX_PAGE = 10_000
NOT_FOUND = frozenset({"unknown_product", "unknown_warehouse", "unknown_document", "unknown_partner",
                       "unknown_employee", "unknown_webhook"})
CONFLICT = frozenset({"invalid_state", "already_decided", "already_posted", "already_reversed", "own_document",
                      "duplicate_code", "not_own_document", "not_reversible"})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class BadRequest(Exception):
    """Malformed JSON or fields: 400."""


def encode(value: Any) -> Any:
    """JSON-ready data: Decimals as strings, datetimes in ISO 8601, dataclasses as objects."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Decimal):
        return format(value, "f")  # never exponent notation (0E-6)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [encode(v) for v in value]
    return value


def dumps(value: Any) -> str:
    return json.dumps(encode(value), ensure_ascii=False, separators=(",", ":"))


def language(request: web.Request) -> str:
    """zh_CN when Accept-Language puts Chinese first, else English."""
    first = request.headers.get("Accept-Language", "").split(",")[0].strip().lower()
    return "zh_CN" if first.startswith("zh") else "en"


def error_body(code: str, message: str, **extra: Any) -> str:
    return dumps({"error": {"code": code, "message": message, **extra}})


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, text=error_body(code, message), content_type="application/json",
                        headers=headers)


# Request fields


def _text(body: dict[str, Any], name: str, *, required: bool = True, default: str = "", limit: int = 500) -> str:
    value = body.get(name)
    if value is None:
        if required:
            raise BadRequest(f"field {name!r} is required")
        return default
    if not isinstance(value, str) or len(value) > limit:
        raise BadRequest(f"field {name!r} must be a string of at most {limit} characters")
    return value


def _amount(value: Any, name: str, *, required: bool = True) -> object:
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal) or len(str(value)) > 40:
        raise BadRequest(f"field {name!r} must be a decimal string or a number")
    return value


def _lines(body: dict[str, Any], *, required: bool = True) -> list[dict[str, Any]] | None:
    lines = body.get("lines")
    if lines is None and not required:
        return None
    if not isinstance(lines, list) or not lines or len(lines) > MAX_LINES:
        raise BadRequest(f"field 'lines' must be a list of 1 to {MAX_LINES} objects")
    if not all(isinstance(line, dict) for line in lines):
        raise BadRequest("every line must be an object")
    return lines


def _int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as error:
        raise BadRequest(f"query parameter {name!r} must be a whole number") from error
    if not low <= value <= high:
        raise BadRequest(f"query parameter {name!r} must be between {low} and {high}")
    return value


def _query(request: web.Request, name: str) -> str:
    value = request.query.get(name, "")
    if len(value) > 64:
        raise BadRequest(f"query parameter {name!r} is too long")
    return value


class Api:
    """The /api/v1 routes on the server, acting for integrations through core services."""

    def __init__(self, uow: UnitOfWork, texts: Texts, rate_per_minute: float = 600) -> None:
        self.uow = uow
        self.texts = texts
        self.limits = RateLimits(rate_per_minute)

    # Plumbing

    def mount(self, app: web.Application) -> None:
        r = app.router
        r.add_get(f"{BASE}/openapi.json", self.openapi)
        gets: list[tuple[str, Callable[[web.Request, Actor], Any]]] = [
            ("/products", self.products), ("/products/{sku}", self.product), ("/stock", self.stock),
            ("/warehouses", self.warehouses), ("/suppliers", self.suppliers), ("/customers", self.customers),
            ("/purchase-orders", self.purchase_orders), ("/purchase-orders/{number}", self.purchase_order),
            ("/sales-orders", self.sales_orders), ("/sales-orders/{number}", self.sales_order),
            ("/reports/{name}", self.report), ("/webhooks", self.webhooks),
        ]
        for path, read in gets:
            r.add_get(BASE + path, self._read(read))
        posts: list[tuple[str, Callable[[web.Request, Actor, dict[str, Any]], Callable[[], Any]], int]] = [
            ("/suppliers", self.new_supplier, 201), ("/customers", self.new_customer, 201),
            ("/purchase-orders", self.new_purchase_order, 201),
            ("/purchase-orders/{number}/receipts", self.new_purchase_receipt, 201),
            ("/sales-orders", self.new_sales_order, 201),
            ("/sales-orders/{number}/approve", self.approve_sales_order, 200),
            ("/sales-orders/{number}/reject", self.reject_sales_order, 200),
            ("/sales-orders/{number}/shipments", self.new_shipment, 201),
            ("/transfers", self.new_transfer, 201), ("/transfers/{number}/receipts", self.new_transfer_receipt, 201),
            ("/webhooks", self.new_webhook, 201),
        ]
        for path, write, status in posts:
            r.add_post(BASE + path, self._write(write, status))
        r.add_delete(f"{BASE}/webhooks/{{name}}", self.remove_webhook)

    async def openapi(self, request: web.Request) -> web.Response:
        return web.json_response(document())

    async def _enter(self, request: web.Request) -> Caller | web.Response:
        try:
            caller = await caller_of(self.uow, request)
        except DomainError:
            caller = None
        if caller is None:
            return error_response(401, "unauthorized", "a valid bearer token is required",
                                  {"WWW-Authenticate": 'Bearer realm="jxc"'})
        wait = await self.limits.retry_after(caller.token_id)
        if wait is not None:
            return error_response(429, "rate_limited", f"too many requests; retry in {wait} s",
                                  {"Retry-After": str(wait)})
        return caller

    def _read(self, read: Callable[[web.Request, Actor], Any]) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            entered = await self._enter(request)
            if isinstance(entered, web.Response):
                return entered
            try:
                result = await asyncio.to_thread(read, request, entered.actor)
            except BadRequest as error:
                return error_response(400, "bad_request", str(error))
            except DomainError as error:
                status, body = self._refusal(error, language(request), read_only=True)
                return web.Response(status=status, text=body, content_type="application/json")
            return web.Response(text=dumps(result), content_type="application/json")

        return handler

    def _write(self, write: Callable[[web.Request, Actor, dict[str, Any]], Callable[[], Any]], done: int) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            entered = await self._enter(request)
            if isinstance(entered, web.Response):
                return entered
            lang = language(request)
            try:
                key = key_of(request)
                body = await self._body(request)
                work = write(request, entered.actor.with_channel("api", key), body)
            except BadRequest as error:
                return error_response(400, "bad_request", str(error))
            except ValueError as error:
                return error_response(400, "bad_request", str(error))

            def action() -> tuple[int, str]:
                try:
                    return done, dumps(self.uow.run(lambda tx: work()))
                except DomainError as error:
                    return self._refusal(error, lang)

            if key is None:
                status, text = await asyncio.to_thread(action)
                return web.Response(status=status, text=text, content_type="application/json")
            answer = await once(self.uow, entered.token_id, key, fingerprint("POST", request.path, body), action)
            if answer.conflict:
                return error_response(422, "idempotency_key_reused",
                                      "this Idempotency-Key was used with a different request")
            headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
            return web.Response(status=answer.status, text=answer.body, content_type="application/json",
                                headers=headers)

        return handler

    async def _body(self, request: web.Request) -> dict[str, Any]:
        raw = await read_capped(request, MAX_BODY)
        if raw is None:
            raise BadRequest("request body too large")
        try:
            body = json.loads(raw.decode("utf-8") or "null", parse_float=Decimal, parse_constant=_no_constant)
        except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as error:
            raise BadRequest("the body must be a JSON object") from error
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object")
        return body

    def _refusal(self, error: DomainError, lang: str, *, read_only: bool = False) -> tuple[int, str]:
        code = error.code
        if code == "permission_denied":
            status = 403
        elif code == "unknown_document" or (code in NOT_FOUND and read_only):
            status = 404
        elif code in CONFLICT:
            status = 409
        else:
            status = 422
        try:
            message = self.texts.error(lang, error)
        except Exception:  # a template that cannot render these params must not turn a refusal into a 500
            log.warning("error template %s failed for %s", code, error.params)
            message = code.replace("_", " ")
        return status, error_body(code, message)

    # Reads

    def _paged(self, request: web.Request, fetch: Callable[[int, int], Sequence[Any]]) -> dict[str, Any]:
        """A page of `fetch(offset, limit)` and the link to the next one."""
        page = _int(request, "page", 1, 1, MAX_PAGE)
        size = _int(request, "page_size", SERVICE_PAGE, 1, api_reads.MAX_PAGE_SIZE)
        items = list(fetch((page - 1) * size, size + 1))
        following = None
        if len(items) > size:
            query = {**request.query, "page": str(page + 1), "page_size": str(size)}
            following = f"{BASE}{request.path[len(BASE):]}?{urlencode(query)}"
        return {"items": items[:size], "page": page, "page_size": size, "next": following}

    @staticmethod
    def _pages(service_page: Callable[[int], Sequence[Any]]) -> Callable[[int, int], list[Any]]:
        """fetch(offset, limit) from a service that returns fixed pages of SERVICE_PAGE rows."""

        def fetch(offset: int, limit: int) -> list[Any]:
            rows: list[Any] = []
            number = offset // SERVICE_PAGE + 1
            skip = offset % SERVICE_PAGE
            while len(rows) < skip + limit:
                got = service_page(number)
                rows.extend(got)
                if len(got) < SERVICE_PAGE:
                    break
                number += 1
            return rows[skip:skip + limit]

        return fetch

    def products(self, request: web.Request, actor: Actor) -> Any:
        search = _query(request, "search")
        return self._paged(request, lambda o, n: api_reads.list_products(self.uow, actor, search, o, n))

    def product(self, request: web.Request, actor: Actor) -> Any:
        return api_reads.get_product(self.uow, actor, request.match_info["sku"])

    def stock(self, request: web.Request, actor: Actor) -> Any:
        sku, warehouse = _query(request, "sku"), _query(request, "warehouse")
        return self._paged(request, lambda o, n: api_reads.stock_levels(self.uow, actor, sku, warehouse, o, n))

    def warehouses(self, request: web.Request, actor: Actor) -> Any:
        return {"items": api_reads.list_warehouses(self.uow, actor)}

    def suppliers(self, request: web.Request, actor: Actor) -> Any:
        search = _query(request, "search")
        return self._paged(request, self._pages(lambda p: suppliers.find_suppliers(self.uow, actor, search, p)))

    def customers(self, request: web.Request, actor: Actor) -> Any:
        search = _query(request, "search")
        return self._paged(request, self._pages(lambda p: customers.find_customers(self.uow, actor, search, p)))

    def purchase_orders(self, request: web.Request, actor: Actor) -> Any:
        status = _query(request, "status") or None
        return self._paged(request, self._pages(
            lambda p: purchasing.list_purchase_orders(self.uow, actor, status=status, page=p)))

    def purchase_order(self, request: web.Request, actor: Actor) -> Any:
        return purchasing.get_purchase_order(self.uow, actor, request.match_info["number"])

    def sales_orders(self, request: web.Request, actor: Actor) -> Any:
        status = _query(request, "status") or None
        return self._paged(request, self._pages(
            lambda p: sales.list_sales_orders(self.uow, actor, status=status, page=p)))

    def sales_order(self, request: web.Request, actor: Actor) -> Any:
        return sales.get_sales_order(self.uow, actor, request.match_info["number"])

    def report(self, request: web.Request, actor: Actor) -> Any:
        name = request.match_info["name"]
        if name not in reports.REPORTS:
            raise UnknownDocument(report=name[:40])
        page = _int(request, "page", 1, 1, MAX_PAGE)
        size = _int(request, "page_size", periods.PAGE_SIZE, 1, api_reads.MAX_PAGE_SIZE)
        month, start, end = _query(request, "month"), _query(request, "from"), _query(request, "to")
        by = _query(request, "by")
        days = _int(request, "days", 90, 1, 3650)
        zone = self.texts.zone.key
        period = periods.parse_period(month or None, start or None, end or None,
                                      today=datetime.now(self.texts.zone).date())
        filters = periods.Filters(
            period=period if (month or start or end or name != "movements") else None,
            warehouse=_query(request, "warehouse") or None, category=_query(request, "category") or None,
            customer=_query(request, "customer") or None, supplier=_query(request, "supplier") or None,
            channel=_query(request, "channel") or None, product=_query(request, "product") or None,
            by=tuple(by.split(",")) if by else (), days=days, page=page, page_size=size, timezone=zone)
        result = reports.run_report(self.uow, actor, name, filters)
        following = None
        if result.page < result.pages:
            query = {**request.query, "page": str(result.page + 1), "page_size": str(size)}
            following = f"{request.path}?{urlencode(query)}"
        return {**encode(result), "next": following}

    # Writes: each parses the body now and returns the work to run (in one transaction)

    def new_supplier(self, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
        new = suppliers.NewSupplier(
            code=_text(body, "code", limit=40), name=_text(body, "name", limit=200),
            contact=_text(body, "contact", required=False), phone=_text(body, "phone", required=False),
            credit_rating=_text(body, "credit_rating", required=False, default="B"),
            lead_time_days=_amount(body.get("lead_time_days", 7), "lead_time_days"),
            payment_terms_days=_amount(body.get("payment_terms_days", 30), "payment_terms_days"),
            note=_text(body, "note", required=False))
        return lambda: suppliers.create_supplier(self.uow, actor, new)

    def new_customer(self, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
        new = customers.NewCustomer(
            code=_text(body, "code", limit=40), name=_text(body, "name", limit=200),
            contact=_text(body, "contact", required=False), phone=_text(body, "phone", required=False),
            channel=_text(body, "channel", required=False, default="online", limit=40),
            credit_limit=_amount(body.get("credit_limit", 0), "credit_limit"),
            payment_terms_days=_amount(body.get("payment_terms_days", 30), "payment_terms_days"),
            note=_text(body, "note", required=False))
        return lambda: customers.create_customer(self.uow, actor, new)

    def new_purchase_order(self, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
        supplier, warehouse = _text(body, "supplier", limit=40), _text(body, "warehouse", limit=40)
        note = _text(body, "note", required=False)
        lines = [purchasing.PurchaseLineIn(_text(ln, "sku", limit=64), _amount(ln.get("qty"), "qty"),
                                           _amount(ln.get("unit_price"), "unit_price", required=False))
                 for ln in _lines(body) or ()]

        def work() -> Any:
            draft = purchasing.create_purchase_order(self.uow, actor, supplier, warehouse, lines, note)
            return purchasing.submit_purchase_order(self.uow, actor, draft.number)

        return work

    def new_purchase_receipt(self, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
        number, note = request.match_info["number"], _text(body, "note", required=False)
        lines = [receipts.ReceiptLineIn(_text(ln, "sku", limit=64), _amount(ln.get("received"), "received"),
                                          _amount(ln.get("rejected", 0), "rejected"),
                                          _text(ln, "note", required=False))
                 for ln in _lines(body) or ()]
        return lambda: receipts.receive_purchase(self.uow, actor, number, lines, note)

    def new_sales_order(self, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
        customer, warehouse = _text(body, "customer", limit=40), _text(body, "warehouse", limit=40)
        channel = _text(body, "channel", required=False, default="api", limit=40)
        note = _text(body, "note", required=False)
        lines = [SalesLineIn(_text(ln, "sku", limit=64), _amount(ln.get("qty"), "qty"),
                                   _amount(ln.get("unit_price"), "unit_price", required=False))
                 for ln in _lines(body) or ()]

        def work() -> Any:
            draft = sales.create_sales_order(self.uow, actor, customer, warehouse, lines, channel=channel, note=note)
            return sales.submit_sales_order(self.uow, actor, draft.number)

        return work

    def _decide(self, actor: Actor, number: str, approve: bool, reason: str) -> Callable[[], Any]:
        def work() -> Any:
            order = sales.get_sales_order(self.uow, actor, number)
            if order.status != "pending_approval" or order.approval_request_id is None:
                raise InvalidState(number=order.number, status=order.status, action="approve" if approve else "reject")
            approvals.decide(self.uow, actor, order.approval_request_id, approve, reason)
            return sales.get_sales_order(self.uow, actor, number)

        return work

    def approve_sales_order(self, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
        return self._decide(actor, request.match_info["number"], True, _text(body, "reason", required=False))

    def reject_sales_order(self, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
        return self._decide(actor, request.match_info["number"], False, _text(body, "reason"))

    def new_shipment(self, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
        number, given = request.match_info["number"], _lines(body, required=False)
        lines = None if given is None else [
            SalesLineIn(_text(ln, "sku", limit=64), _amount(ln.get("qty"), "qty")) for ln in given]
        return lambda: ship_sales_order(self.uow, actor, number, lines)

    def new_transfer(self, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
        source, dest = _text(body, "from_warehouse", limit=40), _text(body, "to_warehouse", limit=40)
        reason = _text(body, "reason", required=False)
        lines = [stock.LineIn(_text(ln, "sku", limit=64), _amount(ln.get("qty"), "qty")) for ln in _lines(body) or ()]
        return lambda: stock.dispatch_transfer(self.uow, actor, source, dest, lines, reason)

    def new_transfer_receipt(self, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
        number, given = request.match_info["number"], _lines(body, required=False)
        lines = None if given is None else [
            stock.LineIn(_text(ln, "sku", limit=64), _amount(ln.get("qty"), "qty")) for ln in given]
        return lambda: stock.receive_transfer(self.uow, actor, number, lines)

    # Webhooks (admins)

    def webhooks(self, request: web.Request, actor: Actor) -> Any:
        return {"items": webhooks.list_endpoints(self.uow, actor)}

    def new_webhook(self, request: web.Request, actor: Actor, body: dict[str, Any]) -> Callable[[], Any]:
        name, url = _text(body, "name", limit=100), _text(body, "url", limit=500)
        events = body.get("events")
        if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            raise BadRequest("events must be a list of event names")
        return lambda: webhooks.add_endpoint(self.uow, actor, name, url, events)

    async def remove_webhook(self, request: web.Request) -> web.Response:
        """DELETE /webhooks/{name}: the endpoint and its waiting deliveries are gone."""
        entered = await self._enter(request)
        if isinstance(entered, web.Response):
            return entered
        actor = entered.actor.with_channel("api")
        try:
            name = await asyncio.to_thread(webhooks.remove_endpoint, self.uow, actor, request.match_info["name"])
        except DomainError as error:
            status, text = self._refusal(error, language(request), read_only=True)
            return web.Response(status=status, text=text, content_type="application/json")
        return web.Response(text=dumps({"name": name}), content_type="application/json")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")
