"""The REST API's route table and what every route goes through: the bearer token and rate limit, the body,
running the work off the event loop (with its Idempotency-Key), and turning refusals into statuses.

Blocking core calls run off the event loop. Every POST (and PATCH) may carry an Idempotency-Key; its first answer is
stored with the key in the same transaction as the work, and replayed to retries. The handlers of each resource
group live beside this module: catalogue (and stock), partners, documents, printed (PDFs), reports (and
webhooks).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from decimal import Decimal
from functools import partial
from typing import Any

from aiohttp import web

from bot.api import (
    catalogue,
    documents,
    operations,
    partners,
    payments,
    prices,
    printed,
    products,
    reports,
    stocktakes,
)
from bot.api.auth import RateLimits, caller_of
from bot.api.http import BASE, BadRequest, check_readable, dumps, error_body, error_response, language
from bot.api.idempotency import fingerprint, key_of, once
from bot.api.openapi import document
from bot.channels import read_capped
from bot.documents import PDF_MIME, FontMissing, Printer
from bot.engine.inbound import PictureReading
from bot.engine.texts import Texts
from core.errors import DomainError
from core.integration.webhook_policy import DEFAULT_POLICY, WebhookPolicy
from core.people.tokens import Caller
from core.permissions import Actor
from core.purchasing.receipt_drafts import draft_receipt
from core.reading.text import Reading
from core.uow import UnitOfWork

log = logging.getLogger(__name__)
MAX_BODY = 256 * 1024
MAX_PICTURE = 10 * 1024 * 1024
NOT_FOUND = frozenset({"unknown_product", "unknown_warehouse", "unknown_document", "unknown_partner",
                       "unknown_employee", "unknown_webhook"})
NOT_FOUND_REASONS = frozenset({("invalid_price_rule", "unknown_rule")})
CONFLICT = frozenset({"invalid_state", "already_decided", "already_posted", "already_reversed", "own_document",
                      "duplicate_code", "not_own_document", "not_reversible"})
BAD_FILTER = frozenset({"invalid_filter"})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Api:
    """The /api/v1 routes on the server, acting for integrations through core services."""

    def __init__(self, uow: UnitOfWork, texts: Texts, rate_per_minute: float = 600,
                 policy: WebhookPolicy = DEFAULT_POLICY, printer: Printer | None = None,
                 reader: PictureReading | None = None) -> None:
        self.uow = uow
        self.reader = reader  # reads the delivery note of POST /purchase-orders/{number}/receipt-drafts
        self.policy = policy
        self.printer = printer or Printer()
        self.texts = texts
        self.limits = RateLimits(rate_per_minute)

    # Plumbing

    def mount(self, app: web.Application) -> None:
        r = app.router
        r.add_get(f"{BASE}/openapi.json", self.openapi)
        uow = self.uow
        gets: list[tuple[str, Callable[[web.Request, Actor], Any]]] = [
            ("/products", partial(catalogue.products, uow)), ("/products/{sku}", partial(catalogue.product, uow)),
            ("/stock", partial(catalogue.stock_levels, uow)), ("/warehouses", partial(catalogue.warehouses, uow)),
            ("/lots", partial(catalogue.lots, uow)),
            ("/lots/{sku}/{lot}/trace", partial(catalogue.lot_trace, uow)),
            ("/suppliers", partial(partners.list_suppliers, uow)),
            ("/customers", partial(partners.list_customers, uow)),
            ("/purchase-orders", partial(documents.purchase_orders, uow)),
            ("/purchase-orders/{number}", partial(documents.purchase_order, uow)),
            ("/sales-orders", partial(documents.sales_orders, uow)),
            ("/sales-orders/{number}", partial(documents.sales_order, uow)),
            ("/reports/{name}", partial(reports.report, uow, self.texts)),
            ("/webhooks", partial(reports.list_webhooks, uow)),
            ("/price-rules", partial(prices.price_rules, uow)),
            ("/quotations", partial(prices.quotations, uow)),
            ("/quotations/{number}", partial(prices.quotation, uow)),
            ("/deposits", partial(prices.deposits, uow)),
            ("/stocktakes/{number}", partial(stocktakes.stocktake_sheet, uow)),
        ]
        gets += [
            ("/payments/unallocated", partial(payments.unallocated, uow)),
            ("/customers/{code}/balance", partial(payments.customer_balance, uow)),
            ("/suppliers/{code}/balance", partial(payments.supplier_balance, uow)),
            ("/customers/{code}/statement", partial(payments.partner_statement, uow, self.texts, "customer")),
            ("/suppliers/{code}/statement", partial(payments.partner_statement, uow, self.texts, "supplier")),
            ("/approvals", partial(operations.approvals, uow)),
            ("/replenishment", partial(operations.replenishment, uow)),
        ]
        for path, read in gets:
            r.add_get(BASE + path, self._without_body(read))
        posts: list[tuple[str, Callable[[web.Request, Actor, dict[str, Any]], Callable[[], Any]], int]] = [
            ("/suppliers", partial(partners.new_supplier, uow), 201),
            ("/customers", partial(partners.new_customer, uow), 201),
            ("/purchase-orders", partial(documents.new_purchase_order, uow), 201),
            ("/purchase-orders/{number}/receipts", partial(documents.new_purchase_receipt, uow), 201),
            ("/purchase-orders/{number}/withdraw", partial(documents.withdraw_purchase_order, uow), 200),
            ("/sales-orders", partial(documents.new_sales_order, uow), 201),
            ("/sales-orders/quote", partial(prices.quote, uow, self.texts), 200),
            ("/price-rules", partial(prices.new_price_rules, uow), 201),
            ("/customers/{code}/price-grade", partial(prices.set_grade, uow), 200),
            ("/customers/{code}/language", partial(partners.set_language, uow), 200),
            ("/products/{sku}/spec", partial(catalogue.set_spec, uow), 200),
            ("/quotations", partial(prices.new_quotation, uow), 201),
            ("/vat-rates", partial(prices.set_vat, uow), 200),
            ("/deposits", partial(prices.new_deposit, uow), 201),
            ("/deposits/settle", partial(prices.settle_deposits, uow), 200),
            ("/quotations/{number}/order", partial(prices.order_quotation, uow), 201),
            ("/quotations/{number}/cancel", partial(prices.cancel_quotation, uow), 200),
            ("/sales-orders/{number}/approve", partial(documents.approve_sales_order, uow), 200),
            ("/sales-orders/{number}/reject", partial(documents.reject_sales_order, uow), 200),
            ("/sales-orders/{number}/withdraw", partial(documents.withdraw_sales_order, uow), 200),
            ("/sales-orders/{number}/shipments", partial(documents.new_shipment, uow), 201),
            ("/transfers", partial(catalogue.new_transfer, uow), 201),
            ("/transfers/{number}/receipts", partial(catalogue.new_transfer_receipt, uow), 201),
            ("/webhooks", partial(reports.new_webhook, uow, self.policy), 201),
            ("/stocktakes", partial(stocktakes.new_stocktake, uow), 201),
            ("/stocktakes/{number}/counts", partial(stocktakes.new_counts, uow), 200),
            ("/stocktakes/{number}/submit", partial(stocktakes.submit, uow), 200),
        ]
        posts += [
            ("/products", partial(products.new_product, uow), 201),
            ("/purchase-orders/{number}/approve", partial(documents.approve_purchase_order, uow), 200),
            ("/purchase-orders/{number}/reject", partial(documents.reject_purchase_order, uow), 200),
            ("/purchase-orders/{number}/returns", partial(documents.new_purchase_return, uow), 201),
            ("/sales-orders/{number}/returns", partial(documents.new_sales_return, uow), 201),
            ("/payments", partial(payments.new_payment, uow), 201),
            ("/payments/{number}/allocations", partial(payments.allocate, uow), 200),
            ("/money-entries", partial(payments.new_money_entry, uow), 201),
            ("/sales-orders/{number}/cancel", partial(operations.cancel_sales_order, uow), 200),
            ("/purchase-orders/{number}/cancel", partial(operations.cancel_purchase_order, uow), 200),
            ("/purchase-orders/{number}/close", partial(operations.close_purchase_order, uow), 200),
            ("/stock/receipts", partial(operations.receive, uow), 201),
            ("/stock/issues", partial(operations.issue, uow), 201),
            ("/stock-documents/{number}/reverse", partial(operations.undo, uow), 201),
            ("/replenishment/orders", partial(operations.replenish, uow), 201),
        ]
        for path, write, status in posts:
            r.add_post(BASE + path, self._write(write, status))
        patches: list[tuple[str, Callable[[web.Request, Actor, dict[str, Any]], Callable[[], Any]]]] = [
            ("/products/{sku}", partial(products.change_product, uow)),
            ("/customers/{code}", partial(partners.change_customer, uow)),
            ("/suppliers/{code}", partial(partners.change_supplier, uow)),
        ]
        for path, change in patches:
            r.add_patch(BASE + path, self._write(change, 200, by_path=True))
        deletes: list[tuple[str, Callable[[web.Request, Actor], Any]]] = [
            ("/webhooks/{name}", partial(reports.remove_webhook, uow)),
            ("/price-rules/{rule_id}", partial(prices.remove_price_rule, uow)),
        ]
        for path, remove in deletes:
            r.add_delete(BASE + path, self._without_body(remove))
        r.add_get(f"{BASE}/documents/{{number}}.pdf", self.document_pdf)
        r.add_get(f"{BASE}/labels.pdf", self.labels_pdf)
        r.add_post(f"{BASE}/purchase-orders/{{number}}/receipt-drafts", self.receipt_draft)

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

    def _without_body(self, read: Callable[[web.Request, Actor], Any]) -> Handler:
        """A GET or DELETE: the path and query checked, the work in its own transaction off the event loop, an
        unknown thing named by the path 404."""

        async def handler(request: web.Request) -> web.StreamResponse:
            entered = await self._enter(request)
            if isinstance(entered, web.Response):
                return entered
            try:
                check_readable(request)
                result = await asyncio.to_thread(read, request, entered.actor)
            except BadRequest as error:
                return error_response(400, "bad_request", str(error))
            except DomainError as error:
                status, body = self._refusal(error, language(request), read_only=True)
                return web.Response(status=status, text=body, content_type="application/json")
            return web.Response(text=dumps(result), content_type="application/json")

        return handler

    def _write(self, write: Callable[[web.Request, Actor, dict[str, Any]], Callable[[], Any]], done: int, *,
               by_path: bool = False) -> Handler:
        """A write route; `by_path`: the path names the thing changed, so an unknown one is 404 (as for reads)."""
        async def handler(request: web.Request) -> web.StreamResponse:
            entered = await self._enter(request)
            if isinstance(entered, web.Response):
                return entered
            lang = language(request)
            try:
                key = key_of(request)
                body = await self._body(request)
                check_readable(request, body)
                work = write(request, entered.actor.with_channel("api", key), body)
            except BadRequest as error:
                return error_response(400, "bad_request", str(error))
            except ValueError as error:
                return error_response(400, "bad_request", str(error))

            def refusal(error: DomainError) -> tuple[int, str]:
                return self._refusal(error, lang, read_only=by_path)

            if key is None:
                status, text = await asyncio.to_thread(self._answered, work, done, refusal)
                return web.Response(status=status, text=text, content_type="application/json")
            answer = await once(self.uow, entered.token_id, key, fingerprint(request.method, request.path, body),
                                lambda: (done, dumps(work())), refusal)
            if answer.conflict:
                return error_response(422, "idempotency_key_reused",
                                      "this Idempotency-Key was used with a different request")
            headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
            return web.Response(status=answer.status, text=answer.body, content_type="application/json",
                                headers=headers)

        return handler

    def _answered(self, work: Callable[[], Any], done: int,
                  refusal: Callable[[DomainError], tuple[int, str]]) -> tuple[int, str]:
        """`work` in one transaction of its own: its status and JSON, or the refusal's."""
        try:
            return done, dumps(self.uow.run(lambda tx: work()))
        except DomainError as error:
            return refusal(error)

    async def _body(self, request: web.Request) -> dict[str, Any]:
        raw = await read_capped(request, MAX_BODY)
        if raw is None:
            raise BadRequest("request body too large")
        try:
            body = json.loads(raw.decode("utf-8") or "null", parse_float=Decimal, parse_constant=_no_constant)
        except (UnicodeDecodeError, json.JSONDecodeError, ValueError, RecursionError) as error:
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
        elif code in BAD_FILTER:
            status = 400
        elif code == "unknown_document" or (read_only and (code in NOT_FOUND or
                                                           (code, error.params.get("reason")) in NOT_FOUND_REASONS)):
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

    async def receipt_draft(self, request: web.Request) -> web.Response:
        """POST /purchase-orders/{number}/receipt-drafts with a photo of the delivery note as the body: the lines
        it proposes against the order's open lines, as data; nothing is received."""
        entered = await self._enter(request)
        if isinstance(entered, web.Response):
            return entered
        if self.reader is None:
            return error_response(501, "not_available", "reading pictures is not configured")
        content = await read_capped(request, MAX_PICTURE)
        reading = Reading("", refused="too_large") if content is None else await self.reader.read(content)
        try:
            draft = await asyncio.to_thread(draft_receipt, self.uow, entered.actor.with_channel("api"),
                                            request.match_info["number"], reading)
        except DomainError as error:
            status, text = self._refusal(error, language(request), read_only=True)
            if error.code == "picture_refused" and error.params.get("reason") == "too_large":
                status = 413
            return web.Response(status=status, text=text, content_type="application/json")
        return web.Response(text=dumps(draft), content_type="application/json")

    async def document_pdf(self, request: web.Request) -> web.StreamResponse:
        """GET /documents/{number}.pdf?layout=a4|80mm: the document as its reader may print it (a statement:
        customer:CODE or supplier:CODE with month or from/to)."""
        entered = await self._enter(request)
        if isinstance(entered, web.Response):
            return entered
        lang = request.query.get("lang") or language(request)
        try:
            check_readable(request)
            ask = printed.ask_of(request, self.texts)
            content, name = await asyncio.to_thread(printed.render, self.uow, self.texts, self.printer,
                                                    entered.actor, ask, lang)
        except BadRequest as error:
            return error_response(400, "bad_request", str(error))
        except DomainError as error:
            status, body = self._refusal(error, lang, read_only=True)
            return web.Response(status=status, text=body, content_type="application/json")
        except FontMissing as error:
            return error_response(503, "font_missing", str(error))
        return web.Response(body=content, content_type=PDF_MIME,
                            headers={"Content-Disposition": f'inline; filename="{name}"'})


    async def labels_pdf(self, request: web.Request) -> web.StreamResponse:
        """GET /labels.pdf?sku=A,B&layout=a4|50x30&shelf=1&copies=N: product (or shelf) labels as `jxc labels`
        prints them, for a token that may see stock."""
        entered = await self._enter(request)
        if isinstance(entered, web.Response):
            return entered
        lang = request.query.get("lang") or language(request)
        try:
            check_readable(request)
            ask = printed.labels_ask_of(request)
            content = await asyncio.to_thread(printed.render_labels, self.uow, self.texts, self.printer,
                                              entered.actor, ask, lang)
        except BadRequest as error:
            return error_response(400, "bad_request", str(error))
        except DomainError as error:
            status, body = self._refusal(error, lang, read_only=True)
            return web.Response(status=status, text=body, content_type="application/json")
        except FontMissing as error:
            return error_response(503, "font_missing", str(error))
        return web.Response(body=content, content_type=PDF_MIME,
                            headers={"Content-Disposition": 'inline; filename="labels.pdf"'})


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")
