"""Outbound webhooks: integrators' endpoints (admins), and their outbox of deliveries, written without slowing posting.

Nothing is written in a posting or an approval for `stock.changed` or the `*.approved` events: `tail` reads the
ledger's stock documents and the audit rows of approvals above each endpoint's cursor and enqueues them (one row per
endpoint and event, `dedupe_key` unique), so the hot path runs the same statements whether anyone subscribes or not.
`stock.low` is rare (a minimum crossed) and is written with the low-stock warning, in its transaction, by `emit`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import String, Table, and_, cast, delete, exists, func, literal, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from core.errors import DuplicateCode, InvalidWebhook, UnknownWebhook
from core.integration.outbox import Note
from core.integration.webhook_policy import DEFAULT_POLICY, PLAIN, SEALED, WebhookPolicy
from core.models import (
    AuditLog,
    Customer,
    Lot,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    SalesOrder,
    SalesOrderLine,
    StockDocument,
    StockMove,
    Supplier,
    Warehouse,
    WebhookDelivery,
    WebhookEndpoint,
)
from core.payloads import to_plain
from core.people.audit import record
from core.permissions import Actor, Permission
from core.uow import Tx, UnitOfWork

EVENTS = ("sales_order.approved", "purchase_order.approved", "stock.changed", "stock.low")
SECRET_PREFIX = "whsec_"
SETTLE = timedelta(seconds=120)  # a cursor passes only rows older than this: no transaction runs half as long
TAIL_BATCH = 500
DELIVERIES: Table = WebhookDelivery.__table__  # type: ignore[assignment]
APPROVALS = {"sales_order.approved": ("sales.approve",), "purchase_order.approved": ("purchase.approve",
                                                                                     "purchase.submit")}


@dataclass(frozen=True)
class IssuedWebhook:
    """A new endpoint: the signing secret is shown this once."""

    name: str
    url: str
    events: tuple[str, ...]
    secret: str


@dataclass(frozen=True)
class WebhookView:
    name: str
    url: str
    events: tuple[str, ...]
    active: bool
    created_at: datetime
    pending: int
    dead: int


def add_endpoint(uow: UnitOfWork, actor: Actor, name: str, url: str, events: Iterable[str],
                 policy: WebhookPolicy = DEFAULT_POLICY) -> IssuedWebhook:
    """Register an integrator's URL for some events (admins); it hears of what happens from now on. The URL's host
    may not be a private address unless the policy allows it; the secret is stored as the policy seals it."""
    actor.require(Permission.PEOPLE_ADMIN)
    name, url, wanted = _valid(name, url, events)
    policy.check_host(urlsplit(url).hostname or "")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)

    def work(tx: Tx) -> IssuedWebhook:
        if tx.session.scalar(select(WebhookEndpoint.id).where(WebhookEndpoint.name == name)) is not None:
            raise DuplicateCode(kind="webhook", code=name)
        endpoint = WebhookEndpoint(
            name=name, url=url, secret=policy.seal(secret), events=list(wanted), active=True,
            created_by=actor.employee_id,
            created_at=tx.now, stock_cursor=tx.session.scalar(select(func.max(StockDocument.id))) or 0,
            audit_cursor=tx.session.scalar(select(func.max(AuditLog.id))) or 0)
        tx.session.add(endpoint)
        tx.session.flush()
        record(tx, actor, "webhook.add", "webhook_endpoint", endpoint.id, name=name, url=url, events=list(wanted))
        return IssuedWebhook(name, url, wanted, secret)

    return uow.run(work)


def list_endpoints(uow: UnitOfWork, actor: Actor) -> list[WebhookView]:
    """Every endpoint by name, with its deliveries waiting and given up, without secrets (admins)."""
    actor.require(Permission.PEOPLE_ADMIN)

    def work(tx: Tx) -> list[WebhookView]:
        counts: dict[tuple[int, str], int] = {
            (e, s): n for e, s, n in tx.session.execute(
                select(WebhookDelivery.endpoint_id, WebhookDelivery.status, func.count())
                .where(WebhookDelivery.status.in_(("pending", "sending", "dead")))
                .group_by(WebhookDelivery.endpoint_id, WebhookDelivery.status))}
        return [WebhookView(e.name, e.url, tuple(e.events), e.active, e.created_at,
                            counts.get((e.id, "pending"), 0) + counts.get((e.id, "sending"), 0),
                            counts.get((e.id, "dead"), 0))
                for e in tx.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.name))]

    return uow.read(work)


def remove_endpoint(uow: UnitOfWork, actor: Actor, name: str) -> str:
    """Delete an endpoint and every delivery still waiting for it (admins); returns its name."""
    actor.require(Permission.PEOPLE_ADMIN)

    def work(tx: Tx) -> str:
        endpoint = tx.session.scalar(
            select(WebhookEndpoint).where(WebhookEndpoint.name == name.strip()).with_for_update())
        if endpoint is None:
            raise UnknownWebhook(name=name)
        dropped = tx.session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
        tx.session.delete(endpoint)
        record(tx, actor, "webhook.remove", "webhook_endpoint", endpoint.id, name=endpoint.name,
               deliveries_dropped=int(getattr(dropped, "rowcount", 0)))
        return endpoint.name

    return uow.run(work)


def seal_secrets(uow: UnitOfWork, actor: Actor, policy: WebhookPolicy) -> int:
    """Encrypt every secret still stored plain with the policy's key (admins); returns how many were sealed."""
    actor.require(Permission.PEOPLE_ADMIN)
    if not policy.encrypts:
        raise InvalidWebhook(reason="no_key")

    def work(tx: Tx) -> int:
        endpoints = [e for e in tx.session.scalars(select(WebhookEndpoint).with_for_update())
                     if not e.secret.startswith(SEALED)]
        for endpoint in endpoints:
            endpoint.secret = policy.seal(endpoint.secret.removeprefix(PLAIN))
            record(tx, actor, "webhook.seal", "webhook_endpoint", endpoint.id, name=endpoint.name)
        return len(endpoints)

    return uow.run(work)


def replay_dead(uow: UnitOfWork, actor: Actor, name: str, delivery_ids: Sequence[int] = ()) -> int:
    """Send the given-up deliveries of an endpoint again (all, or those ids), from a fresh count of attempts
    (admins); returns how many were put back."""
    actor.require(Permission.PEOPLE_ADMIN)

    def work(tx: Tx) -> int:
        endpoint = tx.session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.name == name.strip()))
        if endpoint is None:
            raise UnknownWebhook(name=name)
        wanted = [WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == "dead"]
        if delivery_ids:
            wanted.append(WebhookDelivery.id.in_(sorted(set(delivery_ids))))
        ids = list(tx.session.scalars(select(WebhookDelivery.id).where(*wanted).with_for_update()))
        if ids:
            tx.session.execute(update(WebhookDelivery).where(WebhookDelivery.id.in_(ids)).values(
                status="pending", attempts=0, next_attempt_at=tx.now, claim_token=""))
        record(tx, actor, "webhook.replay", "webhook_endpoint", endpoint.id, name=endpoint.name, deliveries=ids)
        return len(ids)

    return uow.run(work)


def emit(tx: Tx, event_type: str, payload: Mapping[str, Any], key: str) -> int:
    """One delivery per active endpoint subscribed to `event_type`, in the caller's transaction, once per `key`."""
    return emit_many(tx, event_type, [(key, payload)])


def emit_many(tx: Tx, event_type: str, items: Sequence[tuple[str, Mapping[str, Any]]]) -> int:
    """`emit` for several events of one type: one query for the endpoints, one insert; returns rows written."""
    if event_type not in EVENTS:
        raise ValueError(f"unknown webhook event {event_type!r}")
    if not items:
        return 0
    endpoints = [e for e, events in tx.session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.events).where(WebhookEndpoint.active)) if event_type in events]
    rows = [_row(tx, e, event_type, to_plain(dict(payload), short=True), f"{event_type}:{e}:{key}")
            for e in endpoints for key, payload in items]
    return _insert(tx, rows)


def emit_low_stock(tx: Tx, notes: Iterable[Note]) -> int:
    """`stock.low` for the positions of low-stock warnings (one per position, whoever the warnings went to)."""
    positions = {f"{n.payload['document_id']}:{n.payload['product_id']}:{n.payload['warehouse_id']}":
                 {k: v for k, v in n.payload.items() if k != "rule_id"} for n in notes}
    return emit_many(tx, "stock.low", sorted(positions.items())) if positions else 0


def tail(uow: UnitOfWork, now: datetime | None = None, *, settle: timedelta = SETTLE,
         limit: int = TAIL_BATCH) -> int:
    """Enqueue stock documents and approvals above each subscribed endpoint's cursor (safe to run twice, or in
    several processes at once); the cursor moves past rows older than `settle` only. Returns rows written."""

    def work(tx: Tx) -> int:
        settled = (now or tx.now) - settle
        endpoints = tx.session.scalars(
            select(WebhookEndpoint).where(WebhookEndpoint.active).order_by(WebhookEndpoint.id).with_for_update()
        ).all()
        written = 0
        for endpoint in endpoints:
            if "stock.changed" in endpoint.events:
                written += _tail_stock(tx, endpoint, settled, limit)
            wanted = [e for e in APPROVALS if e in endpoint.events]
            if wanted:
                written += _tail_approvals(tx, endpoint, wanted, settled, limit)
        return written

    return uow.run(work)


def purge_sent(uow: UnitOfWork, before: datetime) -> int:
    """Forget deliveries sent before `before` (dead ones stay for the admins); returns rows deleted."""

    def work(tx: Tx) -> int:
        result = tx.session.execute(
            delete(WebhookDelivery).where(WebhookDelivery.status == "sent", WebhookDelivery.sent_at < before))
        return int(getattr(result, "rowcount", 0))

    return uow.run(work)


def has_endpoints(uow: UnitOfWork) -> bool:
    """True when some endpoint is active (dispatchers skip their work otherwise)."""
    return uow.read(lambda tx: tx.session.scalar(
        select(WebhookEndpoint.id).where(WebhookEndpoint.active).limit(1)) is not None)


# ---- tailing --------------------------------------------------------------------------------------------------------

def _tail_stock(tx: Tx, endpoint: WebhookEndpoint, settled: datetime, limit: int) -> int:
    prefix = f"stock.changed:{endpoint.id}:"
    enqueued = exists().where(WebhookDelivery.dedupe_key == literal(prefix) + cast(StockDocument.id, String))
    docs = tx.session.execute(
        select(StockDocument.id, StockDocument.number, StockDocument.kind, StockDocument.warehouse_id,
               StockDocument.dest_warehouse_id, StockDocument.source_type, StockDocument.source_id,
               StockDocument.reason, StockDocument.channel, StockDocument.created_at)
        .where(StockDocument.id > endpoint.stock_cursor, ~enqueued)
        .order_by(StockDocument.id).limit(limit)).all()
    rows = [_row(tx, endpoint.id, "stock.changed", p, prefix + str(p["document_id"])) for p in _documents(tx, docs)]
    written = _insert(tx, rows)
    endpoint.stock_cursor = _cursor(tx, StockDocument.id, StockDocument.created_at, endpoint.stock_cursor, settled,
                                    docs[-1].id if len(docs) == limit else None)
    return written


def _documents(tx: Tx, docs: Sequence[Any]) -> list[dict[str, Any]]:
    if not docs:
        return []
    codes = _warehouse_codes(tx)
    moves: dict[int, list[dict[str, Any]]] = {}
    for m in tx.session.execute(
        select(StockMove.document_id, StockMove.line_no, Product.sku, StockMove.warehouse_id, StockMove.qty,
               StockMove.reserved, StockMove.balance_qty, StockMove.balance_reserved, Lot.code.label("lot"),
               Lot.expiry)
        .join(Product, Product.id == StockMove.product_id).outerjoin(Lot, Lot.id == StockMove.lot_id)
        .where(StockMove.document_id.in_([d.id for d in docs])).order_by(StockMove.document_id, StockMove.id)
    ):
        lot = {} if m.lot is None else {"lot": m.lot, "expiry": m.expiry.isoformat() if m.expiry else None}
        moves.setdefault(m.document_id, []).append({
            "line_no": m.line_no, "sku": m.sku, "warehouse": codes.get(m.warehouse_id), "qty": m.qty,
            "reserved": m.reserved, "on_hand_after": m.balance_qty, "reserved_after": m.balance_reserved,
            "available_after": m.balance_qty - m.balance_reserved, **lot})  # a tracked product's moves carry the lot
    return [to_plain({
        "document_id": d.id, "number": d.number, "kind": d.kind, "warehouse": codes.get(d.warehouse_id),
        "dest_warehouse": codes.get(d.dest_warehouse_id) if d.dest_warehouse_id else None,
        "source_type": d.source_type, "source_id": d.source_id, "reason": d.reason, "channel": d.channel,
        "created_at": d.created_at.isoformat(), "moves": moves.get(d.id, [])}, short=True) for d in docs]


def _tail_approvals(tx: Tx, endpoint: WebhookEndpoint, events: Sequence[str], settled: datetime, limit: int) -> int:
    conditions: list[ColumnElement[bool]] = []
    if "sales_order.approved" in events:
        conditions.append(AuditLog.action == "sales.approve")
    if "purchase_order.approved" in events:
        conditions.append(AuditLog.action == "purchase.approve")
        conditions.append(and_(AuditLog.action == "purchase.submit",
                               AuditLog.detail["status"].as_string() == "approved"))
    event_of = {"sales.approve": "sales_order.approved", "purchase.approve": "purchase_order.approved",
                "purchase.submit": "purchase_order.approved"}
    rows = tx.session.execute(
        select(AuditLog.id, AuditLog.action, AuditLog.entity_id).where(AuditLog.id > endpoint.audit_cursor,
                                                                         or_(*conditions))
        .order_by(AuditLog.id).limit(limit)).all()
    sales = sorted({r.entity_id for r in rows if r.action == "sales.approve"})
    purchases = sorted({r.entity_id for r in rows if r.action != "sales.approve"})
    payloads = {**{("sales_order.approved", k): v for k, v in _sales_orders(tx, sales).items()},
                **{("purchase_order.approved", k): v for k, v in _purchase_orders(tx, purchases).items()}}
    new = []
    for r in rows:
        event = event_of[r.action]
        if (event, r.entity_id) in payloads:
            new.append(_row(tx, endpoint.id, event, payloads[(event, r.entity_id)],
                            f"{event}:{endpoint.id}:{r.entity_id}"))
    written = _insert(tx, new)
    endpoint.audit_cursor = _cursor(tx, AuditLog.id, AuditLog.at, endpoint.audit_cursor, settled,
                                    rows[-1].id if len(rows) == limit else None)
    return written


def _sales_orders(tx: Tx, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    codes = _warehouse_codes(tx)
    lines = _order_lines(tx, SalesOrderLine, ids)
    return {o.id: to_plain({
        "order_id": o.id, "number": o.number, "status": o.status, "channel": o.channel,
        "customer": {"code": o.code, "name": o.name}, "warehouse": codes.get(o.warehouse_id),
        "total": _money(tx, o.total), "created_at": o.created_at.isoformat(),
        "approved_at": o.approved_at.isoformat() if o.approved_at else None,
        "lines": lines.get(o.id, [])}, short=True)
        for o in tx.session.execute(
            select(SalesOrder.id, SalesOrder.number, SalesOrder.status, SalesOrder.channel, SalesOrder.warehouse_id,
                   SalesOrder.total, SalesOrder.created_at, SalesOrder.approved_at, Customer.code, Customer.name)
            .join(Customer, Customer.id == SalesOrder.customer_id).where(SalesOrder.id.in_(ids)))}


def _purchase_orders(tx: Tx, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    codes = _warehouse_codes(tx)
    lines = _order_lines(tx, PurchaseOrderLine, ids)
    return {o.id: to_plain({
        "order_id": o.id, "number": o.number, "status": o.status, "supplier": {"code": o.code, "name": o.name},
        "warehouse": codes.get(o.warehouse_id), "total": _money(tx, o.total), "created_at": o.created_at.isoformat(),
        "approved_at": o.approved_at.isoformat() if o.approved_at else None, "lines": lines.get(o.id, [])}, short=True)
        for o in tx.session.execute(
            select(PurchaseOrder.id, PurchaseOrder.number, PurchaseOrder.status, PurchaseOrder.warehouse_id,
                   PurchaseOrder.total, PurchaseOrder.created_at, PurchaseOrder.approved_at, Supplier.code,
                   Supplier.name)
            .join(Supplier, Supplier.id == PurchaseOrder.supplier_id).where(PurchaseOrder.id.in_(ids)))
        if o.approved_at is not None}


def _order_lines(tx: Tx, model: Any, ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    lines: dict[int, list[dict[str, Any]]] = {}
    for ln in tx.session.execute(
        select(model.order_id, model.line_no, Product.sku, model.qty, model.unit_price, model.amount)
        .join(Product, Product.id == model.product_id).where(model.order_id.in_(ids))
        .order_by(model.order_id, model.line_no)
    ):
        lines.setdefault(ln.order_id, []).append(
            {"line_no": ln.line_no, "sku": ln.sku, "qty": ln.qty, "unit_price": ln.unit_price,
             "amount": _money(tx, ln.amount)})
    return lines


def _money(tx: Tx, value: Decimal) -> str:
    return str(value.quantize(Decimal(1).scaleb(-tx.money_places), ROUND_HALF_UP))


def _warehouse_codes(tx: Tx) -> dict[int, str]:
    return {i: c for i, c in tx.session.execute(select(Warehouse.id, Warehouse.code))}


def _cursor(tx: Tx, id_column: Any, at_column: Any, cursor: int, settled: datetime, last: int | None) -> int:
    """The highest id below which every row is settled (older than the window) and, with a full batch, read."""
    highest = tx.session.scalar(select(func.max(id_column)).where(id_column > cursor, at_column < settled))
    if highest is None:
        return cursor
    return int(min(highest, last) if last is not None else highest)


# ---- writing deliveries -------------------------------------------------------------------------------------------

def _row(tx: Tx, endpoint_id: int, event_type: str, payload: dict[str, Any], key: str) -> dict[str, Any]:
    return {"endpoint_id": endpoint_id, "event_type": event_type, "payload": payload, "dedupe_key": key[:200],
            "status": "pending", "attempts": 0, "next_attempt_at": tx.now, "created_at": tx.now, "last_error": "",
            "claim_token": ""}


def _insert(tx: Tx, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    statement = (tx.insert(DELIVERIES).on_conflict_do_nothing(index_elements=["dedupe_key"])
                 .returning(DELIVERIES.c.id))
    return len(tx.session.execute(statement, rows).all())


def _valid(name: str, url: str, events: Iterable[str]) -> tuple[str, str, tuple[str, ...]]:
    name, url = name.strip(), url.strip()
    if not name or len(name) > 100:
        raise InvalidWebhook(reason="name", name=name)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 500 or any(c.isspace() for c in url):
        raise InvalidWebhook(reason="url", url=url)
    wanted = tuple(dict.fromkeys(e.strip() for e in events if e.strip()))
    unknown = [e for e in wanted if e not in EVENTS]
    if unknown or not wanted:
        raise InvalidWebhook(reason="events", unknown=unknown, allowed=list(EVENTS))
    return name, url, wanted


def dead_alert(endpoint: str, delivery_id: int, event_type: str, attempts: int, error: str) -> dict[str, Any]:
    """What the admins' alert about a given-up delivery says."""
    return {"endpoint": endpoint, "delivery_id": delivery_id, "event_type": event_type, "attempts": attempts,
            "error": error[:200]}


__all__ = ["EVENTS", "IssuedWebhook", "WebhookView", "add_endpoint", "dead_alert", "emit", "emit_low_stock",
           "emit_many", "has_endpoints", "list_endpoints", "purge_sent", "remove_endpoint", "replay_dead",
           "seal_secrets", "tail"]
