"""Customers and suppliers changed through the REST API on our real server, by the rules of chat: a salesperson's
token changes its own customers (not another's, nor who owns them), a manager's moves a customer to another
salesperson, a purchaser's changes suppliers; bad fields are 400, bad values 422, unknown codes 404."""

from __future__ import annotations

import asyncio

import pytest

from core.partners.customers import NewCustomer, create_customer
from core.permissions import Actor
from core.uow import UnitOfWork
from tests.e2e.api_client import serve, tokens
from tests.factories import Shop, make_shop


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = make_shop(uow, admin)
    create_customer(uow, admin, NewCustomer("THEIRS", "Theirs Ltd", salesperson="sales-1"))
    return shop


def test_partners_changed_through_rest_as_in_chat(shop: Shop) -> None:
    t = tokens(shop)

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            await api.post("/customers", t["sales"], {"code": "SHOP-1", "name": "网店一号"})
            changed = await api.call("PATCH", "/customers/shop-1", t["sales"], {
                "phone": "13800000000", "credit_limit": "5000", "payment_terms_days": 45})
            assert changed.status == 200, changed.body
            assert (changed.body["phone"], changed.body["credit_limit"], changed.body["payment_terms_days"]) == (
                "13800000000", "5000.00", 45)
            others = await api.call("PATCH", "/customers/THEIRS", t["sales"], {"note": "mine now"})
            assert others.status in (403, 404), "another salesperson's customer"
            owner = await api.call("PATCH", "/customers/SHOP-1", t["sales"], {"salesperson": "sales-1"})
            assert (owner.status, owner.body["error"]["code"]) == (403, "permission_denied")
            moved = await api.call("PATCH", "/customers/SHOP-1", t["manager"], {"salesperson": "sales-1"})
            assert (moved.status, moved.body["salesperson"]) == (200, "sales-1")
            for role in ("warehouse", "purchaser"):
                assert (await api.call("PATCH", "/customers/THEIRS", t[role], {"note": "x"})).status == 403, role

            await api.post("/suppliers", t["purchaser"], {"code": "ACME", "name": "Acme"})
            rated = await api.call("PATCH", "/suppliers/acme", t["purchaser"], {"credit_rating": "a",
                                                                                "lead_time_days": "3"})
            assert (rated.status, rated.body["credit_rating"], rated.body["lead_time_days"]) == (200, "A", 3)
            for role in ("sales", "warehouse", "finance"):
                refused = await api.call("PATCH", "/suppliers/ACME", t[role], {"note": "x"})
                assert (refused.status, refused.body["error"]["code"]) == (403, "permission_denied"), role
            bad = await api.call("PATCH", "/suppliers/ACME", t["purchaser"], {"credit_rating": "Z"})
            assert (bad.status, bad.body["error"]["code"]) == (422, "invalid_partner")
            retired = await api.call("PATCH", "/suppliers/ACME", t["purchaser"], {"active": False})
            assert (retired.status, retired.body["active"]) == (200, False)
            for body in ({}, {"code": "NEW"}, {"active": "no"}, {"name": 5}, {"lead_time_days": "1e3"}):
                refused = await api.call("PATCH", "/suppliers/ACME", t["purchaser"], body)
                assert (refused.status, refused.body["error"]["code"]) == (400, "bad_request"), body
            unknown = await api.call("PATCH", "/suppliers/NOPE", t["purchaser"], {"note": "x"})
            assert (unknown.status, unknown.body["error"]["code"]) == (404, "unknown_partner")

    asyncio.run(scenario())
