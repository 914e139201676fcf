"""Products kept through the REST API on our real server: a purchaser's token adds one with barcodes, pack units,
prices, a category, a VAT rate and lot tracking, and changes it field by field; a manager changes its prices;
every other role is refused, bad input is 400 or 422 by what is wrong, a retry with the same Idempotency-Key gets
the first answer, and the audit trail says the changes came through the API."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from core.catalog.products import create_category
from core.models import AuditLog
from core.permissions import Actor
from core.uow import UnitOfWork
from tests.e2e.api_client import serve, tokens
from tests.factories import Shop, make_shop

KETTLE = {"sku": "kettle-1", "name_zh": "电水壶", "name_en": "Electric kettle", "category": "KITCHEN", "unit": "个",
          "purchase_price": "61.5", "sale_price": "129", "floor_price": "99", "vat_rate": "9",
          "barcodes": ["6900000000017"], "units": [{"name": "箱", "factor": "6"}, {"name": "box", "factor": 6}],
          "tracking": "lot", "shelf_life_days": 720, "alert_days": 30, "spec": "1.7L"}


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = make_shop(uow, admin)
    create_category(uow, admin, "KITCHEN", "厨房", "Kitchen")
    create_category(uow, admin, "GIFTS", "礼品", "Gifts")
    return shop


def test_a_product_added_and_changed_through_rest(shop: Shop) -> None:
    t = tokens(shop)

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            for role in ("sales", "warehouse", "finance"):
                refused = await api.post("/products", t[role], {**KETTLE, "sku": f"K-{role}"})
                assert (refused.status, refused.body["error"]["code"]) == (403, "permission_denied"), role
            made = await api.post("/products", t["purchaser"], KETTLE, key="kettle-1")
            assert made.status == 201, made.body
            assert made.body == {
                "sku": "KETTLE-1", "name_zh": "电水壶", "name_en": "Electric kettle", "unit": "个",
                "category": "KITCHEN", "sale_price": "129.000000", "floor_price": "99.000000",
                "purchase_price": "61.500000", "vat_rate": "9.0000", "tracking": "lot", "shelf_life_days": 720,
                "alert_days": 30, "allow_negative": False, "active": True, "barcodes": ["6900000000017"],
                "units": [{"name": "箱", "factor": "6.0000"}, {"name": "box", "factor": "6.0000"}], "spec": "1.7L"}
            again = await api.post("/products", t["purchaser"], KETTLE, key="kettle-1")
            assert (again.status, again.body, again.headers.get("Idempotent-Replayed")) == (201, made.body, "true")
            other = await api.post("/products", t["purchaser"], {**KETTLE, "sku": "K-2"}, key="kettle-1")
            assert (other.status, other.body["error"]["code"]) == (422, "idempotency_key_reused")

            seen = await api.get("/products/kettle-1", t["sales"])
            assert seen.status == 200 and seen.body["purchase_price"] is None, "a salesperson never sees cost"
            assert (seen.body["sale_price"], seen.body["units"][0]) == ("129.000000",
                                                                        {"name": "箱", "factor": "6.0000"})
            by_barcode = await api.get("/products?search=6900000000017", t["sales"])
            assert [p["sku"] for p in by_barcode.body["items"]] == ["KETTLE-1"]

            # a pack unit is understood on an order line at once: 2 boxes of 6
            await api.post("/suppliers", t["purchaser"], {"code": "ACME", "name": "Acme"})
            ordered = await api.post("/purchase-orders", t["purchaser"], {
                "supplier": "ACME", "warehouse": "MAIN", "lines": [{"sku": "KETTLE-1", "qty": "2", "unit": "箱"}]})
            assert ordered.status == 201, ordered.body
            assert (ordered.body["lines"][0]["qty"], ordered.body["lines"][0]["unit_price"]) == ("12.0000",
                                                                                                 "61.500000")

            changed = await api.call("PATCH", "/products/Kettle-1", t["purchaser"], {
                "name_en": "Glass kettle", "barcodes": ["6900000000024", "KET-1"], "units": [{"name": "箱",
                                                                                             "factor": "12"}],
                "category": "GIFTS", "vat_rate": None, "purchase_price": "58"})
            assert changed.status == 200, changed.body
            body = changed.body
            assert (body["name_en"], body["barcodes"], body["units"], body["category"], body["vat_rate"],
                    body["purchase_price"]) == ("Glass kettle", ["6900000000024", "KET-1"],
                                                [{"name": "箱", "factor": "12.0000"}], "GIFTS", None, "58.000000")
            found = await api.get("/products?search=glass kettle", t["sales"])
            assert [p["sku"] for p in found.body["items"]] == ["KETTLE-1"], "the search follows the new name"
            gone = await api.get("/products?search=6900000000017", t["sales"])
            assert "KETTLE-1" not in [p["sku"] for p in gone.body["items"]]

            priced = await api.call("PATCH", "/products/KETTLE-1", t["purchaser"], {"sale_price": "139"})
            assert (priced.status, priced.body["error"]["code"]) == (403, "permission_denied"), "prices: managers"
            priced = await api.call("PATCH", "/products/KETTLE-1", t["manager"], {"sale_price": "139",
                                                                                  "floor_price": "109.5"})
            assert (priced.status, priced.body["sale_price"], priced.body["floor_price"]) == (
                200, "139.000000", "109.500000")
            renamed = await api.call("PATCH", "/products/KETTLE-1", t["purchaser"], {"name_zh": "玻璃水壶"}, key="k")
            replayed = await api.call("PATCH", "/products/KETTLE-1", t["purchaser"], {"name_zh": "玻璃水壶"}, key="k")
            assert (replayed.body, replayed.headers.get("Idempotent-Replayed")) == (renamed.body, "true")
            reused = await api.call("PATCH", "/products/KETTLE-1", t["purchaser"], {"name_zh": "水壶"}, key="k")
            assert (reused.status, reused.body["error"]["code"]) == (422, "idempotency_key_reused")
            for role in ("sales", "warehouse", "finance"):
                refused = await api.call("PATCH", "/products/KETTLE-1", t[role], {"name_en": "x"})
                assert refused.status == 403, role
            retired = await api.call("PATCH", "/products/KETTLE-1", t["purchaser"], {"active": False,
                                                                                     "tracking": "none"})
            assert (retired.status, retired.body["active"], retired.body["tracking"]) == (200, False, "none")

    asyncio.run(scenario())
    rows = shop.uow.read(lambda tx: tx.session.execute(
        select(AuditLog.action, AuditLog.channel).where(AuditLog.entity == "product",
                                                        AuditLog.action.in_(("product.create", "product.update")))
        .order_by(AuditLog.id)).all())
    created = [r for r in rows if r.action == "product.create"]
    assert [r.channel for r in created][-1:] == ["api"]
    assert [r.channel for r in rows if r.action == "product.update"] == ["api"] * 4


def test_bad_products_are_refused_by_what_is_wrong_and_nothing_changes(shop: Shop) -> None:
    t = tokens(shop)

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            async def add(**fields: object) -> tuple[int, str]:
                reply = await api.post("/products", t["purchaser"], {**KETTLE, **fields})
                return reply.status, reply.body["error"]["code"]

            assert await add(sku="RETRO-CLOCK") == (409, "duplicate_code")
            assert await add(barcodes=["6901234567890"]) == (409, "duplicate_code"), "RETRO-CLOCK's barcode"
            assert await add(barcodes=["X1", "X1"]) == (409, "duplicate_code")
            assert await add(sku="A B") == (422, "invalid_product")
            assert await add(category="NO-SUCH") == (422, "invalid_product")
            assert await add(units=[{"name": "箱", "factor": "0"}]) == (422, "invalid_quantity")
            assert await add(units=[{"name": "个", "factor": "6"}]) == (422, "invalid_product"), "the base unit"
            assert await add(units=[{"name": "12pack", "factor": "12"}]) == (422, "invalid_product")
            assert await add(sale_price="-1") == (422, "invalid_amount")
            assert await add(vat_rate="130") == (422, "invalid_amount")
            assert await add(tracking="batch") == (422, "lot_refused")
            assert await add(shelf_life_days=0) == (422, "invalid_product")
            assert await add(shelf_life_days=10 ** 30) == (422, "invalid_product")
            assert await add(units=[{"name": "箱"}]) == (400, "bad_request")
            assert await add(units=[{"name": "箱", "factor": "6", "price": "1"}]) == (400, "bad_request")
            assert await add(barcodes="6900000000017") == (400, "bad_request")
            assert await add(shelf_life_days="720") == (400, "bad_request")
            assert await add(allow_negative="yes") == (400, "bad_request")
            assert await add(colour="red") == (400, "bad_request")
            assert await add(name_zh="") == (422, "invalid_product")
            zh = await api.post("/products", t["purchaser"], {**KETTLE, "category": "NO-SUCH"}, lang="zh-CN")
            assert "没有分类" in zh.body["error"]["message"]
            listed = await api.get("/products?page_size=100", t["purchaser"])
            assert [p["sku"] for p in listed.body["items"]] == ["LAMP", "RETRO-CLOCK", "TEA-CUP"]

            empty = await api.call("PATCH", "/products/LAMP", t["purchaser"], {})
            assert (empty.status, empty.body["error"]["code"]) == (400, "bad_request")
            unknown = await api.call("PATCH", "/products/NO-SUCH", t["purchaser"], {"name_en": "x"})
            assert (unknown.status, unknown.body["error"]["code"]) == (404, "unknown_product")
            taken = await api.call("PATCH", "/products/LAMP", t["purchaser"], {"barcodes": ["6901234567890"]})
            assert (taken.status, taken.body["error"]["code"]) == (409, "duplicate_code")
            half = await api.call("PATCH", "/products/LAMP", t["purchaser"], {
                "name_en": "Changed", "units": [{"name": "box", "factor": "-3"}]})
            assert (half.status, half.body["error"]["code"]) == (422, "invalid_quantity")
            lamp = await api.get("/products/LAMP", t["purchaser"])
            assert (lamp.body["name_en"], lamp.body["units"]) == ("Desk lamp", []), "nothing changed"
            for bad in ({"active": "no"}, {"name_zh": 7}, {"sku": "LAMP-2"}, {"units": [1]}):
                refused = await api.call("PATCH", "/products/LAMP", t["purchaser"], bad)
                assert (refused.status, refused.body["error"]["code"]) == (400, "bad_request"), bad

    asyncio.run(scenario())
