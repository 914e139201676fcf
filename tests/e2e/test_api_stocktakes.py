"""Stocktakes through the REST API: a sheet opened, counts per lot and serial (a lot found recorded with its
expiry, a serial missing a loss), all or none, then submitted; the books proven per lot afterwards."""

from __future__ import annotations

import asyncio

import pytest

from core.catalog.products import NewProduct, create_product
from core.ledger.check import check_ledger
from core.people.employees import load_actor
from core.permissions import Actor
from core.stock.lots import list_lots
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.e2e.api_client import serve, tokens
from tests.factories import Shop, make_shop


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = make_shop(uow, admin)
    create_product(uow, admin, NewProduct("MILK", "牛奶", "Milk", purchase_price="2", tracking="lot"))
    create_product(uow, admin, NewProduct("PHONE", "手机", "Phone", purchase_price="90", tracking="serial"))
    receive_stock(uow, admin, "MAIN", [LineIn("MILK", 10, "2", lot="A1", expiry="2030-06-01"),
                                       LineIn("PHONE", 1, "90", lot="IMEI-1"), LineIn("PHONE", 1, "90", lot="IMEI-2"),
                                       LineIn("LAMP", 3, "45")])
    return shop


def test_a_stocktake_is_counted_per_lot_and_serial_and_posted(shop: Shop) -> None:
    t = tokens(shop)

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            opened = await api.post("/stocktakes", t["warehouse"], {"warehouse": "MAIN"})
            assert (opened.status, opened.body["lines"], opened.body["products"]) == (201, 4, 3), opened.body
            number = opened.body["number"]
            refused = await api.post(f"/stocktakes/{number}/counts", t["warehouse"], {"lines": [
                {"sku": "LAMP", "qty": "3"}, {"sku": "MILK", "qty": "4"}]})
            assert (refused.status, refused.body["error"]["code"]) == (422, "lot_refused"), refused.body
            unknown = await api.post(f"/stocktakes/{number}/counts", t["warehouse"], {"lines": [
                {"sku": "LAMP", "qty": "3", "colour": "red"}]})
            assert unknown.status == 400
            read = await api.get(f"/stocktakes/{number}", t["warehouse"])
            assert read.body["counted_lines"] == 0, "all or none: the lamp of the refused request is not counted"
            counted = await api.post(f"/stocktakes/{number}/counts", t["warehouse"], {"lines": [
                {"sku": "LAMP", "qty": "3"}, {"sku": "MILK", "qty": "9", "lot": "A1"},
                {"sku": "MILK", "qty": "2", "lot": "B7", "expiry": "2031-01-31"},
                {"sku": "PHONE", "qty": "2", "serials": ["IMEI-2", "IMEI-9"]}]})
            assert counted.status == 200, counted.body
            assert [(ln["sku"], ln["lot"], ln["expiry"], ln["variance"]) for ln in counted.body["lines"]] == [
                ("LAMP", None, None, "0.0000"), ("MILK", "A1", "2030-06-01", "-1.0000"),
                ("PHONE", "IMEI-1", None, "-1.0000"), ("PHONE", "IMEI-2", None, "0.0000"),
                ("MILK", "B7", "2031-01-31", "2.0000"), ("PHONE", "IMEI-9", None, "1.0000")]
            posted = await api.post(f"/stocktakes/{number}/submit", t["warehouse"], {})
            assert (posted.status, posted.body["status"]) == (200, "posted"), posted.body
            again = await api.post(f"/stocktakes/{number}/counts", t["warehouse"], {"lines": [
                {"sku": "LAMP", "qty": "1"}]})
            assert again.status == 409
            missing = await api.get("/stocktakes/SC-2026-999999", t["warehouse"])
            assert missing.status == 404
            ageing = await api.get("/reports/lot-ageing?days=1", t["manager"])
            assert ageing.status == 200, ageing.body
            assert ageing.body["columns"][3:6] == ["lot", "received", "age_days"] and ageing.body["rows"] == []

    asyncio.run(scenario())
    system = load_actor(shop.uow, "system")
    assert {(s.lot, s.on_hand) for s in list_lots(shop.uow, system, "MILK")} == {("A1", 9), ("B7", 2)}
    assert {s.lot for s in list_lots(shop.uow, system, "PHONE")} == {"IMEI-2", "IMEI-9"}
    assert shop.uow.read(check_ledger) == []
