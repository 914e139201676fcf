"""Webhook endpoints and their outbox: admins only, checked inputs, each event once per subscribed endpoint, and a
ledger tail that leaves posting untouched."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update

from bot.webhooks import claim
from core.errors import DuplicateCode, InvalidWebhook, PermissionDenied, UnknownWebhook
from core.integration.queue import WEBHOOK_QUEUE
from core.integration.webhooks import add_endpoint, emit, list_endpoints, purge_sent, remove_endpoint, tail
from core.models import AuditLog, StockDocument, WebhookDelivery, WebhookEndpoint
from core.partners.customers import NewCustomer, create_customer
from core.partners.suppliers import NewSupplier, create_supplier
from core.permissions import Actor
from core.purchasing.orders import PurchaseLineIn, create_purchase_order, submit_purchase_order
from core.purchasing.replenishment import set_reorder_rule
from core.sales.orders import create_sales_order, submit_sales_order
from core.sales.records import SalesLineIn
from core.stock.moves import LineIn, issue_stock, receive_stock
from core.uow import Tx, UnitOfWork
from tests.factories import Shop, make_shop
from tests.statements import counted

NOW = timedelta(0)
mark_sent = WEBHOOK_QUEUE.mark_sent


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    return make_shop(uow, admin)


def deliveries(uow: UnitOfWork) -> list[tuple[str, str, dict[str, Any]]]:
    """(endpoint, event, payload) of every delivery in the outbox, in order."""
    return uow.read(lambda tx: [
        (name, event_type, payload) for name, event_type, payload in tx.session.execute(
            select(WebhookEndpoint.name, WebhookDelivery.event_type, WebhookDelivery.payload)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id).order_by(WebhookDelivery.id))])


def test_only_admins_add_list_and_remove_endpoints_and_the_secret_is_shown_only_once(shop: Shop) -> None:
    for someone in (shop.manager, shop.purchaser, shop.sales, shop.warehouse, shop.finance):
        with pytest.raises(PermissionDenied):
            add_endpoint(shop.uow, someone, "online-shop", "https://shop.example/hooks", ["stock.changed"])
        with pytest.raises(PermissionDenied):
            list_endpoints(shop.uow, someone)
    issued = add_endpoint(shop.uow, shop.admin, " online-shop ", "https://shop.example/hooks",
                          ["stock.changed", "sales_order.approved", "stock.changed"])
    assert issued.name == "online-shop" and issued.secret.startswith("whsec_") and len(issued.secret) > 40
    assert issued.events == ("stock.changed", "sales_order.approved")
    listed = list_endpoints(shop.uow, shop.admin)
    assert [(h.name, h.url, h.events, h.active) for h in listed] == [
        ("online-shop", "https://shop.example/hooks", ("stock.changed", "sales_order.approved"), True)]
    assert issued.secret not in repr(listed)
    with pytest.raises(PermissionDenied):
        remove_endpoint(shop.uow, shop.manager, "online-shop")
    assert remove_endpoint(shop.uow, shop.admin, "online-shop") == "online-shop"
    assert list_endpoints(shop.uow, shop.admin) == []
    audit = shop.uow.read(lambda tx: [(a.action, a.detail.get("name")) for a in tx.session.scalars(
        select(AuditLog).where(AuditLog.entity == "webhook_endpoint").order_by(AuditLog.id))])
    assert audit == [("webhook.add", "online-shop"), ("webhook.remove", "online-shop")]
    assert "whsec_" not in str(shop.uow.read(lambda tx: tx.session.scalars(select(AuditLog.detail)).all()))


@pytest.mark.parametrize(("url", "events", "reason"), [
    ("ftp://shop.example/hooks", ["stock.changed"], "url"),
    ("shop.example/hooks", ["stock.changed"], "url"),
    ("https://", ["stock.changed"], "url"),
    ("https://shop.example/a b", ["stock.changed"], "url"),
    ("javascript:alert(1)", ["stock.changed"], "url"),
    ("https://shop.example/hooks", ["order.shipped"], "events"),
    ("https://shop.example/hooks", [], "events"),
])
def test_bad_urls_and_unknown_events_are_refused_and_nothing_is_written(
        shop: Shop, url: str, events: list[str], reason: str) -> None:
    with pytest.raises(InvalidWebhook) as refused:
        add_endpoint(shop.uow, shop.admin, "online-shop", url, events)
    assert refused.value.params["reason"] == reason
    assert list_endpoints(shop.uow, shop.admin) == []


def test_names_are_unique_and_removing_an_unknown_endpoint_is_refused(shop: Shop) -> None:
    add_endpoint(shop.uow, shop.admin, "online-shop", "https://shop.example/hooks", ["stock.low"])
    with pytest.raises(DuplicateCode):
        add_endpoint(shop.uow, shop.admin, "online-shop", "https://other.example/", ["stock.low"])
    with pytest.raises(UnknownWebhook):
        remove_endpoint(shop.uow, shop.admin, "nobody")


def test_emit_writes_once_per_key_to_each_active_endpoint_subscribed_to_the_event(shop: Shop) -> None:
    add_endpoint(shop.uow, shop.admin, "shop", "https://shop.example/", ["stock.low"])
    add_endpoint(shop.uow, shop.admin, "erp", "https://erp.example/", ["stock.changed", "stock.low"])
    add_endpoint(shop.uow, shop.admin, "stock-only", "https://wms.example/", ["stock.changed"])
    add_endpoint(shop.uow, shop.admin, "paused", "https://paused.example/", ["stock.low"])
    shop.uow.run(lambda tx: tx.session.execute(
        update(WebhookEndpoint).where(WebhookEndpoint.name == "paused").values(active=False)))

    def work(tx: Tx) -> int:
        return emit(tx, "stock.low", {"sku": "RETRO-CLOCK", "available": "3"}, "doc-7")

    assert shop.uow.run(work) == 2
    assert shop.uow.run(work) == 0
    assert sorted((name, e, p["sku"]) for name, e, p in deliveries(shop.uow)) == [
        ("erp", "stock.low", "RETRO-CLOCK"), ("shop", "stock.low", "RETRO-CLOCK")]
    with pytest.raises(ValueError):
        shop.uow.run(lambda tx: emit(tx, "order.shipped", {}, "x"))


def test_a_minimum_crossed_enqueues_stock_low_with_the_warning_in_its_transaction(shop: Shop) -> None:
    add_endpoint(shop.uow, shop.admin, "erp", "https://erp.example/", ["stock.low"])
    set_reorder_rule(shop.uow, shop.purchaser, "RETRO-CLOCK", "MAIN", 10, 40)
    receive_stock(shop.uow, shop.admin, "MAIN", [LineIn("RETRO-CLOCK", 12, "10")])
    issue_stock(shop.uow, shop.admin, "MAIN", [LineIn("RETRO-CLOCK", 1)])
    assert deliveries(shop.uow) == []
    issue_stock(shop.uow, shop.admin, "MAIN", [LineIn("RETRO-CLOCK", 3)])
    issue_stock(shop.uow, shop.admin, "MAIN", [LineIn("RETRO-CLOCK", 1)])  # still below: not crossed again
    [(name, kind, payload)] = deliveries(shop.uow)
    assert (name, kind, payload["sku"], payload["warehouse"], payload["available"], payload["minimum"]) == (
        "erp", "stock.low", "RETRO-CLOCK", "MAIN", "8", "10")


def test_stock_changed_comes_from_the_ledger_once_per_document_even_when_tailed_twice(shop: Shop) -> None:
    receive_stock(shop.uow, shop.admin, "MAIN", [LineIn("TEA-CUP", 5, "3.3")])  # before the endpoint: not sent
    add_endpoint(shop.uow, shop.admin, "erp", "https://erp.example/", ["stock.changed"])
    add_endpoint(shop.uow, shop.admin, "shop", "https://shop.example/", ["stock.low"])
    received = receive_stock(shop.uow, shop.admin, "MAIN", [LineIn("RETRO-CLOCK", 12, "10"), LineIn("LAMP", 2)])
    issued = issue_stock(shop.uow, shop.admin, "MAIN", [LineIn("RETRO-CLOCK", 5)])
    assert deliveries(shop.uow) == []  # posting wrote nothing for the webhooks

    assert tail(shop.uow, settle=NOW) == 2
    assert tail(shop.uow, settle=NOW) == 0
    sent = deliveries(shop.uow)
    assert [(n, e, p["number"], p["kind"]) for n, e, p in sent] == [
        ("erp", "stock.changed", received.number, "receipt"), ("erp", "stock.changed", issued.number, "issue")]
    assert [(m["sku"], m["warehouse"], m["qty"], m["on_hand_after"]) for m in sent[0][2]["moves"]] == [
        ("RETRO-CLOCK", "MAIN", "12", "12"), ("LAMP", "MAIN", "2", "2")]
    assert [(m["sku"], m["qty"], m["available_after"]) for m in sent[1][2]["moves"]] == [("RETRO-CLOCK", "-5", "7")]
    assert "value" not in str(sent) and "cost" not in str(sent)  # integrators do not see cost prices


def test_the_tail_enqueues_fresh_documents_at_once_but_moves_its_cursor_only_past_settled_ones(shop: Shop) -> None:
    add_endpoint(shop.uow, shop.admin, "erp", "https://erp.example/", ["stock.changed"])
    receive_stock(shop.uow, shop.admin, "MAIN", [LineIn("RETRO-CLOCK", 12, "10")])
    last = shop.uow.read(lambda tx: tx.session.scalar(select(func.max(StockDocument.id))))

    def cursor() -> int:
        return int(shop.uow.read(lambda tx: tx.session.scalar(select(WebhookEndpoint.stock_cursor))))

    before = cursor()
    assert tail(shop.uow, settle=timedelta(minutes=2)) == 1
    assert cursor() == before  # a document this fresh might have an older neighbour still committing
    assert tail(shop.uow, settle=timedelta(minutes=2)) == 0
    assert tail(shop.uow, settle=NOW) == 0 and cursor() == last
    assert len(deliveries(shop.uow)) == 1


def test_a_full_batch_moves_the_cursor_only_as_far_as_it_read(shop: Shop) -> None:
    add_endpoint(shop.uow, shop.admin, "erp", "https://erp.example/", ["stock.changed"])
    for qty in (1, 2, 3):
        receive_stock(shop.uow, shop.admin, "MAIN", [LineIn("TEA-CUP", qty, "3.3")])
    assert [tail(shop.uow, settle=NOW, limit=2) for _ in range(3)] == [2, 1, 0]
    assert [p["moves"][0]["qty"] for _, _, p in deliveries(shop.uow)] == ["1", "2", "3"]


def test_posting_runs_the_same_statements_whether_or_not_anyone_subscribes(shop: Shop, engine: Engine) -> None:
    receive_stock(shop.uow, shop.admin, "MAIN", [LineIn("RETRO-CLOCK", 50, "10")])
    with counted(engine) as alone:
        issue_stock(shop.uow, shop.admin, "MAIN", [LineIn("RETRO-CLOCK", 1)])
    add_endpoint(shop.uow, shop.admin, "erp", "https://erp.example/", list(("stock.changed", "stock.low")))
    with counted(engine) as subscribed:
        issue_stock(shop.uow, shop.admin, "MAIN", [LineIn("RETRO-CLOCK", 1)])
    assert len(subscribed) == len(alone)
    assert deliveries(shop.uow) == []


def test_approved_orders_are_enqueued_from_the_audit_trail_once(shop: Shop) -> None:
    create_customer(shop.uow, shop.admin, NewCustomer("ACME", "Acme Trading", salesperson="sales-1"))
    create_supplier(shop.uow, shop.admin, NewSupplier("NORTHWIND", "Northwind Traders"))
    receive_stock(shop.uow, shop.admin, "MAIN", [LineIn("RETRO-CLOCK", 20, "10")])
    add_endpoint(shop.uow, shop.admin, "shop", "https://shop.example/", ["sales_order.approved"])
    add_endpoint(shop.uow, shop.admin, "erp", "https://erp.example/", ["purchase_order.approved"])
    draft = create_sales_order(shop.uow, shop.sales, "ACME", "MAIN", [SalesLineIn("RETRO-CLOCK", 2)],
                               channel="api")
    create_sales_order(shop.uow, shop.sales, "ACME", "MAIN", [SalesLineIn("RETRO-CLOCK", 1)])  # never submitted
    order = submit_sales_order(shop.uow, shop.sales, draft.number)
    po = create_purchase_order(shop.uow, shop.purchaser, "NORTHWIND", "MAIN", [PurchaseLineIn("LAMP", 4, "45")])
    submit_purchase_order(shop.uow, shop.purchaser, po.number)
    assert order.status == "approved"

    assert tail(shop.uow, settle=NOW) == 2
    assert tail(shop.uow, settle=NOW) == 0
    by_event = {e: (n, p) for n, e, p in deliveries(shop.uow)}
    name, sale = by_event["sales_order.approved"]
    assert (name, sale["number"], sale["customer"]["code"], sale["channel"], sale["total"]) == (
        "shop", order.number, "ACME", "api", "50.00")
    assert [(ln["sku"], ln["qty"], ln["unit_price"]) for ln in sale["lines"]] == [("RETRO-CLOCK", "2", "25")]
    name, purchase = by_event["purchase_order.approved"]
    assert (name, purchase["number"], purchase["supplier"]["code"], purchase["lines"][0]["sku"]) == (
        "erp", po.number, "NORTHWIND", "LAMP")


def test_removing_an_endpoint_drops_its_waiting_deliveries(shop: Shop) -> None:
    add_endpoint(shop.uow, shop.admin, "erp", "https://erp.example/", ["stock.changed"])
    add_endpoint(shop.uow, shop.admin, "shop", "https://shop.example/", ["stock.changed"])
    receive_stock(shop.uow, shop.admin, "MAIN", [LineIn("RETRO-CLOCK", 1, "10")])
    assert tail(shop.uow, settle=NOW) == 2
    remove_endpoint(shop.uow, shop.admin, "erp")
    assert [n for n, _, _ in deliveries(shop.uow)] == ["shop"]


def test_dispatchers_claim_disjoint_deliveries_and_a_dead_process_s_claims_are_taken_over_after_the_lease(
        shop: Shop) -> None:
    add_endpoint(shop.uow, shop.admin, "erp", "https://erp.example/", ["stock.low"])
    shop.uow.run(lambda tx: [emit(tx, "stock.low", {"n": n}, f"k{n}") for n in range(12)])
    now = shop.uow.read(lambda tx: tx.now) + timedelta(seconds=1)
    lease = timedelta(seconds=60)
    with ThreadPoolExecutor(3) as pool:
        batches = list(pool.map(lambda t: claim(shop.uow, t, now, limit=4, lease=lease), ["a", "b", "c"]))
    ids = [d.id for batch in batches for d in batch]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 12
    assert claim(shop.uow, "d", now + timedelta(seconds=30), lease=lease) == []
    assert mark_sent(shop.uow, "b", [d.id for d in batches[0]], now) == 0  # not b's to mark
    assert mark_sent(shop.uow, "a", [d.id for d in batches[0]], now) == 4
    taken_over = claim(shop.uow, "e", now + lease + timedelta(seconds=1), lease=lease)
    assert sorted(d.id for d in taken_over) == sorted(d.id for b in batches[1:] for d in b)
    assert {d.attempts for d in taken_over} == {2}
    assert mark_sent(shop.uow, "b", [d.id for d in batches[1]], now) == 0  # the dead process's late mark is void


def test_sent_deliveries_are_forgotten_after_a_while_and_never_enqueued_again(shop: Shop) -> None:
    add_endpoint(shop.uow, shop.admin, "erp", "https://erp.example/", ["stock.changed"])
    for qty in (1, 2):
        receive_stock(shop.uow, shop.admin, "MAIN", [LineIn("TEA-CUP", qty, "3.3")])
    assert tail(shop.uow, settle=NOW) == 2
    now = shop.uow.read(lambda tx: tx.now) + timedelta(seconds=1)
    first, _still_sending = claim(shop.uow, "a", now)
    assert mark_sent(shop.uow, "a", [first.id], now) == 1
    assert purge_sent(shop.uow, now) == 0
    assert purge_sent(shop.uow, now + timedelta(days=7)) == 1
    assert tail(shop.uow, settle=NOW) == 0
    assert [p["moves"][0]["qty"] for _, _, p in deliveries(shop.uow)] == ["2"]  # the one still sending stays
