"""Webhooks end to end: a real aiohttp receiver on 127.0.0.1 checks every signature and answers as a struggling
integrator would (500, then 429 with Retry-After, then 200); the dispatcher delivers each event exactly once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select

from bot.cli import main as jxc
from bot.composition import build_app_parts
from bot.delivery import render
from bot.engine.texts import Texts
from bot.server import build_app, make_runner
from bot.webhooks import WebhookDispatcher, sign, verify
from core.config import Config
from core.integration.webhook_policy import WebhookPolicy
from core.integration.webhooks import add_endpoint
from core.models import Notification, WebhookDelivery
from core.people.tokens import create_token
from core.permissions import Actor
from core.purchasing.replenishment import set_reorder_rule
from core.stock.moves import LineIn, issue_stock, receive_stock
from core.uow import UnitOfWork
from tests.e2e.api_client import Server, serve, url_of
from tests.factories import Shop, make_shop


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    return make_shop(uow, admin)


LOCAL = WebhookPolicy(allow_private_networks=True)  # the receivers of these tests listen on 127.0.0.1


@dataclass
class Received:
    delivery: str
    event: str
    body: bytes
    verified: bool
    answered: int


@dataclass
class Receiver:
    """An integrator's endpoint: verifies the signature (401 when wrong), answers what `script` says per attempt."""

    secret: str = ""
    script: Callable[[int], tuple[int, dict[str, str]]] = lambda attempt: (200, {})
    received: list[Received] = field(default_factory=list)
    url: str = ""
    delay: float = 0.0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        delivery = request.headers.get("X-Jxc-Delivery", "")
        ok = verify(self.secret, request.headers.get("X-Jxc-Timestamp", ""), body,
                    request.headers.get("X-Jxc-Signature", ""))
        attempt = sum(1 for r in self.received if r.delivery == delivery) + 1
        await asyncio.sleep(self.delay)
        status, headers = self.script(attempt) if ok else (401, {})
        self.received.append(Received(delivery, request.headers.get("X-Jxc-Event", ""), body, ok, status))
        return web.Response(status=status, headers=headers, text="ok" if status < 300 else "no")

    def accepted(self) -> list[dict[str, Any]]:
        """Bodies answered with 2xx, in order."""
        return [json.loads(r.body) for r in self.received if 200 <= r.answered < 300]


@asynccontextmanager
async def receiving(receiver: Receiver) -> AsyncIterator[Receiver]:
    app = web.Application()
    app.router.add_post("/hooks", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    receiver.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hooks"
    try:
        yield receiver
    finally:
        await runner.cleanup()


class Clock:
    """The dispatcher's time, moved by the test: retries come due without waiting."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def statuses(uow: UnitOfWork) -> list[tuple[str, int]]:
    return uow.read(lambda tx: [(r.status, r.attempts) for r in tx.session.execute(
        select(WebhookDelivery.status, WebhookDelivery.attempts).order_by(WebhookDelivery.id))])


def struggling(attempt: int) -> tuple[int, dict[str, str]]:
    """500 first, then 429 asking for 7 seconds, then 200."""
    return {1: (500, {}), 2: (429, {"Retry-After": "7"})}.get(attempt, (200, {}))


def test_every_event_is_delivered_exactly_once_signed_after_a_500_and_a_429_with_retry_after(shop: Shop) -> None:
    set_reorder_rule(shop.uow, shop.purchaser, "RETRO-CLOCK", "MAIN", 10, 40)
    receiver = Receiver(script=struggling)
    clock = Clock()

    async def scenario() -> None:
        async with receiving(receiver):
            receiver.secret = add_endpoint(shop.uow, shop.admin, "online-shop", receiver.url,
                                           ["stock.changed", "stock.low"], LOCAL).secret
            receipt = receive_stock(shop.uow, shop.admin, "MAIN", [LineIn("RETRO-CLOCK", 12, "10")])
            issue = issue_stock(shop.uow, shop.admin, "MAIN", [LineIn("RETRO-CLOCK", 4)])  # 8 < minimum 10
            clock.now = datetime.now(UTC) + timedelta(seconds=1)
            dispatcher = WebhookDispatcher(shop.uow, policy=LOCAL, clock=clock, settle=timedelta(0))
            try:
                assert await dispatcher.drain() == 3  # each answered 500
                assert statuses(shop.uow) == [("pending", 1)] * 3
                clock.advance(2)  # the first backoff is at most 2 s
                assert await dispatcher.drain() == 3  # each answered 429, Retry-After: 7
                clock.advance(6)
                assert await dispatcher.drain() == 0  # Retry-After honoured: not yet
                clock.advance(1)
                assert await dispatcher.drain() == 3
                clock.advance(3600)
                assert await dispatcher.drain() == 0  # nothing is sent again
            finally:
                await dispatcher.close()
            assert statuses(shop.uow) == [("sent", 3)] * 3
            assert (dispatcher.stats.sent, dispatcher.stats.retried, dispatcher.stats.dead) == (3, 6, 0)
            assert all(r.verified for r in receiver.received) and len(receiver.received) == 9
            accepted = receiver.accepted()
            assert sorted((b["event"], b["data"].get("number") or b["data"]["sku"]) for b in accepted) == sorted([
                ("stock.changed", receipt.number), ("stock.changed", issue.number), ("stock.low", "RETRO-CLOCK")])
            assert len({b["id"] for b in accepted}) == 3
            for r in receiver.received:
                assert json.loads(r.body)["event"] == r.event and str(json.loads(r.body)["id"]) == r.delivery

    asyncio.run(scenario())


def test_a_forged_or_altered_body_fails_verification(shop: Shop) -> None:
    receiver = Receiver()

    async def scenario() -> None:
        async with receiving(receiver):
            receiver.secret = add_endpoint(shop.uow, shop.admin, "online-shop", receiver.url,
                                           ["stock.changed"], LOCAL).secret
            receive_stock(shop.uow, shop.admin, "MAIN", [LineIn("TEA-CUP", 5, "3.3")])
            dispatcher = WebhookDispatcher(shop.uow, policy=LOCAL, settle=timedelta(0))
            try:
                assert await dispatcher.drain() == 1
            finally:
                await dispatcher.close()
            [genuine] = receiver.received
            assert genuine.verified and genuine.answered == 200
            altered = genuine.body.replace(b'"qty":"5"', b'"qty":"500"')
            assert altered != genuine.body
            async with aiohttp.ClientSession() as http:
                async with http.post(receiver.url, data=genuine.body, headers={"X-Jxc-Delivery": "1"}) as unsigned:
                    assert unsigned.status == 401
                timestamp = str(int(datetime.now(UTC).timestamp()))

                headers = {"X-Jxc-Delivery": "1", "X-Jxc-Timestamp": timestamp,
                           "X-Jxc-Signature": sign(receiver.secret, timestamp, genuine.body)}
                async with http.post(receiver.url, data=altered, headers=headers) as forged:
                    assert forged.status == 401
                wrong_key = {**headers, "X-Jxc-Signature": sign("whsec_guess", timestamp, altered)}
                async with http.post(receiver.url, data=altered, headers=wrong_key) as guessed:
                    assert guessed.status == 401
            assert [r.verified for r in receiver.received] == [True, False, False, False]

    asyncio.run(scenario())


def test_a_delivery_is_dead_after_the_bound_and_the_admins_are_alerted(shop: Shop) -> None:
    receiver = Receiver(script=lambda attempt: (503, {}))
    clock = Clock()

    async def scenario() -> None:
        async with receiving(receiver):
            receiver.secret = add_endpoint(shop.uow, shop.admin, "online-shop", receiver.url,
                                           ["stock.changed"], LOCAL).secret
            receive_stock(shop.uow, shop.admin, "MAIN", [LineIn("TEA-CUP", 5, "3.3")])
            clock.now = datetime.now(UTC) + timedelta(seconds=1)
            dispatcher = WebhookDispatcher(shop.uow, policy=LOCAL, clock=clock, settle=timedelta(0), max_attempts=3)
            try:
                for _ in range(5):
                    await dispatcher.drain()
                    clock.advance(3600)
            finally:
                await dispatcher.close()
        assert [r.answered for r in receiver.received] == [503, 503, 503]
        assert statuses(shop.uow) == [("dead", 3)]
        alerts = shop.uow.read(lambda tx: [(n.recipient_id, n.payload) for n in tx.session.scalars(
            select(Notification).where(Notification.event_type == "webhook_dead"))])
        assert [(who, p["endpoint"], p["event_type"], p["attempts"], p["error"]) for who, p in alerts] == [
            (shop.admin.employee_id, "online-shop", "stock.changed", 3, "HTTP 503")]
        assert render(Texts(), "zh_CN", "webhook_dead", alerts[0][1]).text.startswith("🚨 Webhook「online-shop」")

    asyncio.run(scenario())


def test_a_refusal_that_will_not_change_is_dead_at_once_and_a_dead_receiver_is_retried(shop: Shop) -> None:
    receiver = Receiver(script=lambda attempt: (404, {}))
    clock = Clock()

    async def scenario() -> None:
        async with receiving(receiver):
            receiver.secret = add_endpoint(shop.uow, shop.admin, "gone", receiver.url,
                                           ["stock.changed"], LOCAL).secret
            add_endpoint(shop.uow, shop.admin, "closed-port", "http://127.0.0.1:9/hooks", ["stock.changed"], LOCAL)
            receive_stock(shop.uow, shop.admin, "MAIN", [LineIn("TEA-CUP", 5, "3.3")])
            clock.now = datetime.now(UTC) + timedelta(seconds=1)
            dispatcher = WebhookDispatcher(shop.uow, policy=LOCAL, clock=clock, settle=timedelta(0), timeout=2)
            try:
                assert await dispatcher.drain() == 2
            finally:
                await dispatcher.close()
        assert sorted(statuses(shop.uow)) == [("dead", 1), ("pending", 1)]

    asyncio.run(scenario())


def test_the_cli_adds_lists_and_removes_a_webhook_and_prints_the_secret_once(
        uow: UnitOfWork, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("JXC_DATABASE_URL", url_of(uow))
    assert jxc(["webhook", "add", "online-shop", "https://shop.example/hooks", "--events",
                "sales_order.approved,stock.low"]) == 0
    secret = capsys.readouterr().out.strip()
    assert secret.startswith("whsec_")
    assert jxc(["webhook", "list"]) == 0
    listed = capsys.readouterr().out
    assert "online-shop" in listed and "sales_order.approved,stock.low" in listed and secret not in listed
    assert jxc(["webhook", "add", "bad", "ftp://x", "--events", "stock.low"]) == 2
    assert "invalid_webhook" in capsys.readouterr().err
    assert jxc(["webhook", "remove", "online-shop"]) == 0
    assert "removed" in capsys.readouterr().out
    assert jxc(["webhook", "list"]) == 0
    assert "online-shop" not in capsys.readouterr().out


@asynccontextmanager
async def server_with_background(uow: UnitOfWork) -> AsyncIterator[Server]:
    """Our whole server as `jxc serve` runs it (background work on), webhooks polled every 0.1 s."""
    config = Config(sections={"database": {"url": url_of(uow), "pool_size": 10},
                              "server": {"public_url": "http://127.0.0.1"}, "api": {"rate_per_minute": 0},
                              "webhooks": {"poll_seconds": 0.1, "settle_seconds": 0,
                                           "allow_private_networks": True}})
    runner = make_runner(build_app(build_app_parts(config), background=True))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    http = aiohttp.ClientSession()
    try:
        yield Server(f"http://127.0.0.1:{runner.addresses[0][1]}/api/v1", http)
    finally:
        await http.close()
        await runner.cleanup()


def test_an_order_approved_through_the_rest_api_reaches_the_integrator_from_the_running_server(shop: Shop) -> None:
    receive_stock(shop.uow, shop.admin, "MAIN", [LineIn("RETRO-CLOCK", 20, "10")])
    sales = create_token(shop.uow, shop.admin, "shop-api", "sales").secret
    manager = create_token(shop.uow, shop.admin, "manager-api", "manager").secret
    receiver = Receiver()

    async def scenario() -> None:
        async with receiving(receiver), server_with_background(shop.uow) as api:
            receiver.secret = add_endpoint(shop.uow, shop.admin, "online-shop", receiver.url,
                                           ["sales_order.approved"], LOCAL).secret
            customer = await api.post("/customers", sales, {"code": "SHOP-1", "name": "网店客户"})
            assert customer.status == 201, customer.body
            order = await api.post("/sales-orders", sales, {
                "customer": "SHOP-1", "warehouse": "MAIN", "lines": [{"sku": "RETRO-CLOCK", "qty": "2",
                                                                      "unit_price": "12"}]})
            assert (order.status, order.body.get("status")) == (201, "pending_approval"), order.body
            approved = await api.post(f"/sales-orders/{order.body['number']}/approve", manager, {})
            assert (approved.status, approved.body["status"]) == (200, "approved"), approved.body
            for _ in range(100):
                if receiver.accepted():
                    break
                await asyncio.sleep(0.1)
            [event] = receiver.accepted()
            assert (event["event"], event["data"]["number"], event["data"]["channel"], event["data"]["total"]) == (
                "sales_order.approved", order.body["number"], "api", "24.00")
            assert [(ln["sku"], ln["qty"]) for ln in event["data"]["lines"]] == [("RETRO-CLOCK", "2")]
        assert statuses(shop.uow) == [("sent", 1)]

    asyncio.run(scenario())


def test_admins_manage_webhooks_through_the_rest_api(shop: Shop) -> None:
    admin = create_token(shop.uow, shop.admin, "ops-api", "admin").secret
    manager = create_token(shop.uow, shop.admin, "manager-api", "manager").secret

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            hook = {"name": "online-shop", "url": "https://shop.example/hooks", "events": ["stock.low"]}
            assert (await api.post("/webhooks", manager, hook)).status == 403
            assert (await api.get("/webhooks", manager)).status == 403
            made = await api.post("/webhooks", admin, hook)
            assert (made.status, made.body["name"], made.body["events"]) == (201, "online-shop", ["stock.low"])
            assert made.body["secret"].startswith("whsec_")
            listed = await api.get("/webhooks", admin)
            assert [(h["name"], h["url"], h["pending"]) for h in listed.body["items"]] == [
                ("online-shop", "https://shop.example/hooks", 0)]
            assert made.body["secret"] not in str(listed.body)
            again = await api.post("/webhooks", admin, hook)
            assert (again.status, again.body["error"]["code"]) == (409, "duplicate_code")
            bad = await api.post("/webhooks", admin, {**hook, "name": "x", "url": "ftp://shop.example/"})
            assert (bad.status, bad.body["error"]["code"]) == (422, "invalid_webhook")
            assert "http" in bad.body["error"]["message"]
            assert (await api.post("/webhooks", admin, {**hook, "name": "y", "events": "stock.low"})).status == 400
            removed = await api.call("DELETE", "/webhooks/online-shop", admin)
            assert (removed.status, removed.body) == (200, {"name": "online-shop"})
            gone = await api.call("DELETE", "/webhooks/online-shop", admin)
            assert (gone.status, gone.body["error"]["code"]) == (404, "unknown_webhook")

    asyncio.run(scenario())


def test_deliveries_too_late_in_the_lease_are_given_back_untried_instead_of_racing_another_process(shop: Shop) -> None:
    receiver = Receiver(delay=2.0)

    async def scenario() -> None:
        async with receiving(receiver):
            receiver.secret = add_endpoint(shop.uow, shop.admin, "slow", receiver.url,
                                           ["stock.changed"], LOCAL).secret
            for qty in (1, 2, 3):
                receive_stock(shop.uow, shop.admin, "MAIN", [LineIn("TEA-CUP", qty, "3.3")])
            dispatcher = WebhookDispatcher(shop.uow, policy=LOCAL, settle=timedelta(0), lease=timedelta(seconds=4),
                                           timeout=2.5, concurrency=1)
            try:
                assert await dispatcher.run_once() == 3
                assert sorted(statuses(shop.uow)) == [("pending", 0), ("pending", 0), ("sent", 1)]
                await dispatcher.drain()  # 2 claimed: 1 sent, 1 given back again; then the last one
            finally:
                await dispatcher.close()
        assert statuses(shop.uow) == [("sent", 1)] * 3
        assert sorted(r.delivery for r in receiver.received) == sorted({r.delivery for r in receiver.received})
        assert len(receiver.received) == 3

    asyncio.run(scenario())
