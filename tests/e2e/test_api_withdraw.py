"""POST /api/v1/sales-orders/{number}/withdraw on our real server: the author takes a waiting order back."""

from __future__ import annotations

import asyncio

import pytest

from bot.api.openapi import document
from core.permissions import Actor
from core.uow import UnitOfWork
from tests.e2e.api_client import serve
from tests.e2e.test_api import stocked, tokens
from tests.factories import Shop, make_shop


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    return make_shop(uow, admin)


def test_the_author_withdraws_a_waiting_order_and_others_are_refused(shop: Shop) -> None:
    t = tokens(shop)

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            await stocked(api, t)
            await api.post("/customers", t["sales"], {"code": "SHOP-1", "name": "网店客户"})
            cheap = await api.post("/sales-orders", t["sales"], {
                "customer": "SHOP-1", "warehouse": "MAIN",
                "lines": [{"sku": "RETRO-CLOCK", "qty": "2", "unit_price": "12"}]})
            number = cheap.body["number"]
            assert cheap.body["status"] == "pending_approval"
            by_manager = await api.post(f"/sales-orders/{number}/withdraw", t["manager"], {})
            assert (by_manager.status, by_manager.body["error"]["code"]) == (409, "not_own_document")
            assert "only its author can withdraw it" in by_manager.body["error"]["message"]
            withdrawn = await api.post(f"/sales-orders/{number}/withdraw", t["sales"], {})
            assert (withdrawn.status, withdrawn.body["status"]) == (200, "draft"), withdrawn.body
            again = await api.post(f"/sales-orders/{number}/withdraw", t["sales"], {})
            assert (again.status, again.body["error"]["code"]) == (409, "invalid_state")
            approve = await api.post(f"/sales-orders/{number}/approve", t["manager"], {})
            assert approve.status == 409, "nothing is waiting for the manager any more"
            unknown = await api.post("/sales-orders/SO-1999-000001/withdraw", t["sales"], {})
            assert unknown.status == 404

    asyncio.run(scenario())


def test_the_openapi_document_describes_withdraw() -> None:
    path = document()["paths"]["/sales-orders/{number}/withdraw"]["post"]
    assert set(path["responses"]) >= {"200", "404", "409"}
    assert path["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SalesOrder"}
