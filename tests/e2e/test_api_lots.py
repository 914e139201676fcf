"""Lots through the REST API: receipts with lot, expiry and serials (or a GS1 scan), and the lots listed."""

from __future__ import annotations

import asyncio

import pytest

from core.catalog.products import NewProduct, create_product
from core.ledger.check import check_ledger
from core.permissions import Actor
from core.uow import UnitOfWork
from tests.e2e.api_client import serve, tokens
from tests.factories import Shop, make_shop


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = make_shop(uow, admin)
    create_product(uow, admin, NewProduct("MILK", "牛奶", "Milk", purchase_price="2", tracking="lot",
                                          barcodes=("06901234567892",)))
    create_product(uow, admin, NewProduct("PHONE", "手机", "Phone", purchase_price="900", tracking="serial"))
    return shop


def test_a_receipt_names_lots_and_serials_and_the_lots_are_listed(shop: Shop) -> None:
    t = tokens(shop)

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            await api.post("/suppliers", t["purchaser"], {"code": "ACME", "name": "Acme"})
            order = await api.post("/purchase-orders", t["purchaser"], {
                "supplier": "ACME", "warehouse": "MAIN",
                "lines": [{"sku": "MILK", "qty": "20"}, {"sku": "PHONE", "qty": "2"}]})
            number = order.body["number"]
            missing = await api.post(f"/purchase-orders/{number}/receipts", t["warehouse"], {
                "lines": [{"sku": "MILK", "received": "5"}]})
            assert (missing.status, missing.body["error"]["code"]) == (422, "lot_refused"), missing.body
            assert "lot" in missing.body["error"]["message"]
            bad_date = await api.post(f"/purchase-orders/{number}/receipts", t["warehouse"], {
                "lines": [{"sku": "MILK", "received": "5", "lot": "A1", "expiry": "31/12/2030"}]})
            assert bad_date.status == 422, bad_date.body
            got = await api.post(f"/purchase-orders/{number}/receipts", t["warehouse"], {"lines": [
                {"sku": "MILK", "received": "8", "rejected": "2", "lot": "A1", "expiry": "2030-06-01"},
                {"sku": "(01)06901234567892(17)300101(10)B2", "received": "10"},
                {"sku": "PHONE", "received": "2", "serials": ["IMEI-1", "IMEI-2"]}]})
            assert (got.status, got.body["status"]) == (201, "partially_received"), got.body
            assert [ln["lots"] for ln in got.body["lines"]] == [["A1", "B2"], ["IMEI-1", "IMEI-2"]]
            listed = await api.get("/lots?sku=MILK&warehouse=MAIN", t["warehouse"])
            assert listed.status == 200, listed.body
            assert [(i["lot"], i["expiry"], i["on_hand"]) for i in listed.body["items"]] == [
                ("B2", "2030-01-01", "10.0000"), ("A1", "2030-06-01", "8.0000")]
            unknown = await api.get("/lots?sku=NOPE", t["warehouse"])
            assert unknown.status == 404
            schema = await api.get("/openapi.json", t["warehouse"])
            receipt_line = schema.body["paths"]["/purchase-orders/{number}/receipts"]["post"]["requestBody"]
            assert "serials" in str(receipt_line) and "/lots" in schema.body["paths"]

    asyncio.run(scenario())


def test_a_shipment_names_its_lot_or_serials_else_first_expired_first_out(shop: Shop) -> None:
    t = tokens(shop)

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            await api.post("/suppliers", t["purchaser"], {"code": "ACME", "name": "Acme"})
            await api.post("/customers", t["sales"], {"code": "SHOP", "name": "Corner shop"})
            order = await api.post("/purchase-orders", t["purchaser"], {
                "supplier": "ACME", "warehouse": "MAIN",
                "lines": [{"sku": "MILK", "qty": "10"}, {"sku": "PHONE", "qty": "3"}]})
            await api.post(f"/purchase-orders/{order.body['number']}/receipts", t["warehouse"], {"lines": [
                {"sku": "MILK", "received": "5", "lot": "EARLY", "expiry": "2030-01-01"},
                {"sku": "MILK", "received": "5", "lot": "LATE", "expiry": "2030-06-01"},
                {"sku": "PHONE", "received": "3", "serials": ["S-1", "S-2", "S-3"]}]})
            sale = await api.post("/sales-orders", t["sales"], {
                "customer": "SHOP", "warehouse": "MAIN",
                "lines": [{"sku": "MILK", "qty": "6", "unit_price": "4"}, {"sku": "PHONE", "qty": "2",
                                                                          "unit_price": "999"}]})
            number = sale.body["number"]
            wrong = await api.post(f"/sales-orders/{number}/shipments", t["warehouse"], {
                "lines": [{"sku": "PHONE", "qty": "2", "serials": ["S-3"]}]})
            assert (wrong.status, wrong.body["error"]["code"]) == (422, "lot_refused"), wrong.body
            shipped = await api.post(f"/sales-orders/{number}/shipments", t["warehouse"], {"lines": [
                {"sku": "MILK", "qty": "2", "lot": "LATE"}, {"sku": "PHONE", "qty": "2", "serials": ["S-3", "S-1"]}]})
            assert shipped.status == 201, shipped.body
            rest = await api.post(f"/sales-orders/{number}/shipments", t["warehouse"], {})
            assert (rest.status, rest.body["status"]) == (201, "shipped"), rest.body
            milk = await api.get("/lots?sku=MILK", t["warehouse"])
            assert [(i["lot"], i["on_hand"]) for i in milk.body["items"]] == [("EARLY", "1.0000"), ("LATE", "3.0000")]
            phones = await api.get("/lots?sku=PHONE", t["warehouse"])
            assert [i["lot"] for i in phones.body["items"]] == ["S-2"]

    asyncio.run(scenario())
    assert shop.uow.read(check_ledger) == []
