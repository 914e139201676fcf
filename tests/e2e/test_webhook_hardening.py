"""Webhooks cannot be pointed inside the network (loopback, link-local, private) unless allowed, checked when
added and again at delivery after DNS resolution; their secrets are encrypted at rest with [webhooks] secret_key;
`jxc webhook replay` sends given-up deliveries again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from bot.cli import main as jxc
from bot.webhooks import WebhookDispatcher, webhook_policy
from core.config import Config, ConfigError
from core.errors import InvalidWebhook
from core.integration.webhook_policy import WebhookPolicy
from core.integration.webhooks import add_endpoint, seal_secrets
from core.models import WebhookDelivery, WebhookEndpoint
from core.people.tokens import create_token
from core.permissions import Actor
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.e2e.api_client import serve, url_of
from tests.e2e.test_webhooks import LOCAL, Clock, Receiver, receiving, statuses
from tests.factories import Shop, make_shop

KEY = Fernet.generate_key().decode()
PRIVATE = ["http://127.0.0.1:8080/hooks", "http://localhost/hooks", "http://api.localhost/", "http://[::1]/",
           "http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/", "http://192.168.0.7:9000/x",
           "http://172.16.0.1/", "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/", "http://100.64.0.1/",
           "http://[fe80::1]/", "http://224.0.0.1/"]


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    return make_shop(uow, admin)


def stored_secret(uow: UnitOfWork, name: str) -> str:
    return uow.read(lambda tx: tx.session.scalar(select(WebhookEndpoint.secret).where(WebhookEndpoint.name == name)))


@pytest.mark.parametrize("url", PRIVATE)
def test_a_webhook_to_a_private_address_is_refused_unless_allowed(shop: Shop, url: str) -> None:
    with pytest.raises(InvalidWebhook) as refused:
        add_endpoint(shop.uow, shop.admin, "inside", url, ["stock.low"])
    assert refused.value.params["reason"] == "private_address"
    assert add_endpoint(shop.uow, shop.admin, "inside", url, ["stock.low"], LOCAL).url == url


def test_rest_refuses_the_cloud_metadata_address_in_the_readers_language(shop: Shop) -> None:
    admin = create_token(shop.uow, shop.admin, "admin-api", "admin").secret

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            hook = {"name": "meta", "url": "http://169.254.169.254/latest/", "events": ["stock.low"]}
            refused = await api.post("/webhooks", admin, hook)
            assert (refused.status, refused.body["error"]["message"]) == (422, (
                "The webhook host 169.254.169.254 is a loopback, link-local or private address: give a public "
                "address (or set [webhooks] allow_private_networks = true for a receiver inside your network)."))
            public = await api.post("/webhooks", admin, {**hook, "url": "https://93.184.216.34/hooks"})
            assert public.status == 201, public.body

    asyncio.run(scenario())


def test_a_host_that_resolves_to_a_private_address_is_refused_at_delivery(shop: Shop) -> None:
    receiver = Receiver()
    clock = Clock()

    async def scenario() -> None:
        async with receiving(receiver):
            name_url = receiver.url.replace("127.0.0.1", "localhost")
            receiver.secret = add_endpoint(shop.uow, shop.admin, "by-name", name_url, ["stock.changed"], LOCAL).secret
            receive_stock(shop.uow, shop.admin, "MAIN", [LineIn("TEA-CUP", 5, "3.3")])
            clock.now = datetime.now(UTC) + timedelta(seconds=1)
            strict = WebhookDispatcher(shop.uow, clock=clock, settle=timedelta(0))  # no private networks
            try:
                assert await strict.drain() == 1
            finally:
                await strict.close()
        assert receiver.received == []
        assert statuses(shop.uow) == [("dead", 1)]
        error = shop.uow.read(lambda tx: tx.session.scalar(select(WebhookDelivery.last_error)))
        assert error.startswith("refused: localhost ") and "allow_private_networks" in error

    asyncio.run(scenario())


def test_secrets_are_encrypted_at_rest_with_the_key_and_deliveries_are_signed_with_the_real_secret(
        shop: Shop) -> None:
    sealed = WebhookPolicy(KEY, allow_private_networks=True)
    receiver = Receiver()
    clock = Clock()

    async def scenario() -> None:
        async with receiving(receiver):
            receiver.secret = add_endpoint(shop.uow, shop.admin, "sealed", receiver.url, ["stock.changed"],
                                           sealed).secret
            stored = stored_secret(shop.uow, "sealed")
            assert stored.startswith("fernet:") and receiver.secret not in stored
            receive_stock(shop.uow, shop.admin, "MAIN", [LineIn("TEA-CUP", 5, "3.3")])
            clock.now = datetime.now(UTC) + timedelta(seconds=1)
            keyless = WebhookDispatcher(shop.uow, clock=clock, settle=timedelta(0), policy=LOCAL)
            try:
                assert await keyless.drain() == 1
            finally:
                await keyless.close()
            assert receiver.received == [] and statuses(shop.uow) == [("pending", 1)], "kept for a keyed process"
            clock.advance(3600)
            keyed = WebhookDispatcher(shop.uow, clock=clock, settle=timedelta(0), policy=sealed)
            try:
                assert await keyed.drain() == 1
            finally:
                await keyed.close()
        assert [r.verified for r in receiver.received] == [True]
        assert statuses(shop.uow) == [("sent", 2)]

    asyncio.run(scenario())


def test_without_a_key_secrets_are_stored_plain_and_seal_encrypts_them_once_a_key_is_set(shop: Shop) -> None:
    secret = add_endpoint(shop.uow, shop.admin, "early", "https://shop.example/hooks", ["stock.low"]).secret
    assert stored_secret(shop.uow, "early") == "plain:" + secret
    with pytest.raises(InvalidWebhook):
        seal_secrets(shop.uow, shop.admin, WebhookPolicy())
    policy = WebhookPolicy(KEY)
    assert seal_secrets(shop.uow, shop.admin, policy) == 1
    assert seal_secrets(shop.uow, shop.admin, policy) == 0
    stored = stored_secret(shop.uow, "early")
    assert stored.startswith("fernet:") and policy.unseal(stored) == secret


def test_the_key_and_the_private_network_switch_come_from_the_config_and_a_bad_key_is_refused() -> None:
    policy = webhook_policy(Config(sections={"webhooks": {"secret_key": KEY, "allow_private_networks": "true"}}))
    assert (policy.encrypts, policy.allow_private_networks) == (True, True)
    assert webhook_policy(Config(sections={})) == WebhookPolicy()
    with pytest.raises(ConfigError, match="jxc webhook new-key"):
        webhook_policy(Config(sections={"webhooks": {"secret_key": "not-a-key"}}))


def test_the_cli_replays_dead_deliveries_seals_secrets_and_prints_a_new_key(
        shop: Shop, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    uow = shop.uow
    monkeypatch.setenv("JXC_DATABASE_URL", url_of(uow))
    receiver = Receiver(script=lambda attempt: (400, {}) if attempt == 1 else (200, {}))
    clock = Clock()

    async def deliver() -> int:
        dispatcher = WebhookDispatcher(uow, clock=clock, settle=timedelta(0), policy=LOCAL)
        try:
            return await dispatcher.drain()
        finally:
            await dispatcher.close()

    async def scenario() -> None:
        async with receiving(receiver):
            receiver.secret = add_endpoint(uow, shop.admin, "shop", receiver.url, ["stock.changed"], LOCAL).secret
            receive_stock(uow, shop.admin, "MAIN", [LineIn("TEA-CUP", 5, "3.3")])
            clock.now = datetime.now(UTC) + timedelta(seconds=1)
            assert await deliver() == 1
            assert statuses(uow) == [("dead", 1)], "a 400 will not change by itself"
            assert jxc(["webhook", "replay", "shop"]) == 0
            assert capsys.readouterr().out == "1 dead delivery to 'shop' will be sent again\n"
            assert statuses(uow) == [("pending", 0)]
            clock.advance(60)  # due from the moment of the replay
            assert await deliver() == 1
            assert statuses(uow) == [("sent", 1)]
            assert jxc(["webhook", "replay", "shop"]) == 0
            assert capsys.readouterr().out.startswith("0 dead deliveries")
            assert jxc(["webhook", "replay", "nobody"]) == 2

    asyncio.run(scenario())
    assert [r.answered for r in receiver.received] == [400, 200]

    assert jxc(["webhook", "new-key"]) == 0
    key = capsys.readouterr().out.strip()
    Fernet(key.encode())
    monkeypatch.setenv("JXC_WEBHOOKS_SECRET_KEY", key)
    assert jxc(["webhook", "seal"]) == 0
    assert capsys.readouterr().out == "1 webhook secret(s) encrypted with [webhooks] secret_key\n"
    assert WebhookPolicy(key).unseal(stored_secret(uow, "shop")) == receiver.secret
