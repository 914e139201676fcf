"""/api/v1 routes for what integrations take out of the books: reports, and the webhooks that push events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.api.http import MAX_PAGE, BadRequest, encode, int_query, known_fields, query_text, text_field
from bot.engine.texts import Texts
from core.catalog import listing as api_reads
from core.errors import UnknownDocument
from core.integration import webhooks
from core.integration.webhook_policy import WebhookPolicy
from core.permissions import Actor
from core.reporting import periods
from core.reporting import reports as reporting
from core.uow import UnitOfWork


def report(uow: UnitOfWork, texts: Texts, request: web.Request, actor: Actor) -> Any:
    """GET /reports/{name}: one page of a report, over a period, by the filters given."""
    name = request.match_info["name"]
    if name not in reporting.REPORTS:
        raise UnknownDocument(report=name[:40])
    page = int_query(request, "page", 1, 1, MAX_PAGE)
    size = int_query(request, "page_size", periods.PAGE_SIZE, 1, api_reads.MAX_PAGE_SIZE)
    month, start, end = query_text(request, "month"), query_text(request, "from"), query_text(request, "to")
    by = query_text(request, "by")
    days = int_query(request, "days", 90, 1, 3650)
    zone = texts.zone.key
    period = periods.parse_period(month or None, start or None, end or None,
                                  today=datetime.now(texts.zone).date())
    filters = periods.Filters(
        period=period if (month or start or end or name != "movements") else None,
        warehouse=query_text(request, "warehouse") or None, category=query_text(request, "category") or None,
        customer=query_text(request, "customer") or None, supplier=query_text(request, "supplier") or None,
        channel=query_text(request, "channel") or None, product=query_text(request, "product") or None,
        by=tuple(by.split(",")) if by else (), days=days, page=page, page_size=size, timezone=zone)
    result = reporting.run_report(uow, actor, name, filters)
    following = None
    if result.page < result.pages:
        query = {**request.query, "page": str(result.page + 1), "page_size": str(size)}
        following = f"{request.path}?{urlencode(query)}"
    return {**encode(result), "next": following}


def list_webhooks(uow: UnitOfWork, request: web.Request, actor: Actor) -> Any:
    """GET /webhooks: the webhook endpoints (admins)."""
    return {"items": webhooks.list_endpoints(uow, actor)}


def new_webhook(uow: UnitOfWork, policy: WebhookPolicy, request: web.Request, actor: Actor,
                body: dict[str, Any]) -> Callable[[], Any]:
    """POST /webhooks: a new endpoint for the events named (admins)."""
    known_fields(body, ("name", "url", "events"))
    name, url = text_field(body, "name", limit=100), text_field(body, "url", limit=500)
    events = body.get("events")
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        raise BadRequest("events must be a list of event names")
    return lambda: webhooks.add_endpoint(uow, actor, name, url, events, policy)


def remove_webhook(uow: UnitOfWork, request: web.Request, actor: Actor) -> Any:
    """DELETE /webhooks/{name}: the endpoint and its waiting deliveries are gone (admins)."""
    return {"name": webhooks.remove_endpoint(uow, actor, request.match_info["name"])}
