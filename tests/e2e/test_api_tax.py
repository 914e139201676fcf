"""VAT over REST on our real server: with [books] prices_include_tax = false a purchase order's lines carry their
VAT, the order its VAT total, and the supplier's balance is billed net + VAT on receipt."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from core.money.statements import partner_balance
from core.permissions import Actor
from core.sales.tax import set_vat_rate
from core.uow import UnitOfWork
from tests.e2e.api_client import serve, tokens
from tests.factories import Shop, make_shop


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = make_shop(uow, admin)
    set_vat_rate(uow, shop.manager, "RETRO-CLOCK", "9")
    set_vat_rate(uow, shop.manager, "LAMP", "13")
    return shop


def test_a_purchase_order_over_rest_carries_its_vat_and_bills_it(shop: Shop) -> None:
    t = tokens(shop)

    async def scenario() -> None:
        async with serve(shop.uow, books={"prices_include_tax": False}) as api:
            await api.post("/suppliers", t["purchaser"], {"code": "ACME", "name": "Acme 工厂"})
            made = await api.post("/purchase-orders", t["purchaser"], {
                "supplier": "ACME", "warehouse": "MAIN",
                "lines": [{"sku": "RETRO-CLOCK", "qty": "10"}, {"sku": "LAMP", "qty": "4", "unit_price": "45.55"}]})
            assert made.status == 201, made.body
            number = made.body["number"]
            read = await api.get(f"/purchase-orders/{number}", t["purchaser"])
            assert (read.body["total"], read.body["tax_total"], read.body["tax_included"]) == (
                "314.89", "32.69", False)
            assert [(ln["tax_rate"], ln["tax_amount"]) for ln in read.body["lines"]] == [
                ("9", "9.00"), ("13", "23.69")]
            hidden = await api.get(f"/purchase-orders/{number}", t["warehouse"])
            assert (hidden.body["tax_total"], hidden.body["lines"][0]["tax_amount"]) == (None, None)
            received = await api.post(f"/purchase-orders/{number}/receipts", t["warehouse"], {
                "lines": [{"sku": "RETRO-CLOCK", "received": "10"}, {"sku": "LAMP", "received": "4"}]})
            assert received.status == 201, received.body

    asyncio.run(scenario())
    assert partner_balance(shop.uow, shop.finance, "supplier", "ACME").billed == Decimal("314.89")
