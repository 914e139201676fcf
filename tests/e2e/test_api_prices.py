"""Prices through the REST API on our real server: a manager's token keeps the price list (grades, rules added all
or none, removed), a salesperson's token prices an order before writing it and sees each line's source and the last
price paid; the order is written at those prices; other roles are refused."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from core.permissions import Actor
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.e2e.api_client import serve, tokens
from tests.factories import Shop, make_shop


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = make_shop(uow, admin)
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 50, "10"), LineIn("TEA-CUP", 100, "3.3")])
    return shop


def test_a_price_list_through_rest(shop: Shop) -> None:
    t = tokens(shop)

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            made = await api.post("/customers", t["sales"], {"code": "SHOP-7", "name": "网店七号"})
            assert made.status == 201, made.body
            graded = await api.post("/customers/shop-7/price-grade", t["manager"], {"grade": "经销商"})
            assert (graded.status, graded.body) == (200, {"customer": "SHOP-7", "grade": "经销商"})
            added = await api.post("/price-rules", t["manager"], {"rules": [
                {"grade": "经销商", "product": "RETRO-CLOCK", "method": "fixed", "value": "21", "min_qty": 5},
                {"grade": "经销商", "method": "percent", "value": "90", "valid_to": "2099-12-31"},
                {"customer": "SHOP-7", "product": "TEA-CUP", "method": "cost_plus", "value": "100"}]})
            assert added.status == 201, added.body
            assert [(r["method"], r["value"], r["min_qty"]) for r in added.body["rules"]] == [
                ("fixed", "21", "5"), ("percent", "90", "0"), ("cost_plus", "100", "0")]
            refused = await api.post("/price-rules", t["manager"], {"rules": [
                {"grade": "VIP", "method": "fixed", "value": "1"},
                {"grade": "VIP", "customer": "SHOP-7", "method": "fixed", "value": "1"}]}, lang="zh-CN")
            assert refused.status == 422 and refused.body["error"]["code"] == "invalid_price_rule"
            assert "不能两者都给" in refused.body["error"]["message"]
            listed = await api.get("/price-rules?of=经销商", t["manager"])
            assert (listed.status, len(listed.body["items"])) == (200, 2)
            for role in ("sales", "purchaser", "warehouse", "finance"):
                assert (await api.get("/price-rules", t[role])).status == 403
                assert (await api.post("/price-rules", t[role], {"rules": [
                    {"method": "fixed", "value": "1"}]})).status == 403
                assert (await api.post("/customers/SHOP-7/price-grade", t[role], {"grade": None})).status == 403

            lines = [{"sku": "RETRO-CLOCK", "qty": "5"}, {"sku": "RETRO-CLOCK", "qty": "1"},
                     {"sku": "TEA-CUP", "qty": "10"}, {"sku": "TEA-CUP", "qty": "1", "unit_price": "6"}]
            quoted = await api.post("/sales-orders/quote", t["sales"], {
                "customer": "SHOP-7", "warehouse": "MAIN", "lines": lines}, lang="zh-CN")
            assert quoted.status == 200, quoted.body
            got = [(ln["unit_price"], ln["amount"], ln["source_text"], ln["last_price"]) for ln in quoted.body["lines"]]
            assert got == [("21.00", "105.00", "经销商 价，5 件起", None),
                           ("22.50", "22.50", "经销商 价，牌价的 90%，至 2099-12-31", None),
                           ("6.60", "66.00", "客户专价", None), ("6.000000", "6.00", "手填价", None)]
            assert quoted.body["total"] == "199.50"
            shown = str(quoted.body)
            assert "3.3" not in shown and "purchase" not in shown and "'100'" not in shown, "never the cost or margin"
            placed = await api.post("/sales-orders", t["sales"], {"customer": "SHOP-7", "warehouse": "MAIN",
                                                                   "lines": lines})
            assert (placed.status, placed.body["status"], placed.body["total"]) == (201, "approved", "199.50")
            again = await api.post("/sales-orders/quote", t["sales"], {
                "customer": "SHOP-7", "warehouse": "MAIN", "lines": lines[:1]})
            line = again.body["lines"][0]
            assert (line["source_text"], line["last_price"]) == ("经销商 price, from 5", "22.500000")
            assert datetime.fromisoformat(line["last_at"]).date() == datetime.now(UTC).date()

            rule = added.body["rules"][0]["id"]
            removed = await api.call("DELETE", f"/price-rules/{rule}", t["manager"])
            assert (removed.status, removed.body) == (200, {"id": rule})
            assert (await api.call("DELETE", f"/price-rules/{rule}", t["manager"])).status == 404
            assert (await api.call("DELETE", "/price-rules/x1", t["manager"])).status == 400
            assert (await api.call("DELETE", f"/price-rules/{rule + 1}", t["sales"])).status == 403
            after = await api.post("/sales-orders/quote", t["sales"], {
                "customer": "SHOP-7", "warehouse": "MAIN", "lines": lines[:1]})
            assert after.body["lines"][0]["unit_price"] == "22.50"

    asyncio.run(scenario())


def test_quotations_through_rest(shop: Shop) -> None:
    from datetime import timedelta

    from core.partners.customers import NewCustomer, create_customer
    from core.sales.quotations import create_quotation
    from core.sales.records import SalesLineIn

    t = tokens(shop)
    create_customer(shop.uow, shop.admin, NewCustomer("OLDIE", "Old Customer", salesperson="sales-1"))
    month_ago = UnitOfWork(shop.uow.engine, clock=lambda: datetime.now(UTC) - timedelta(days=30))
    stale = create_quotation(month_ago, shop.manager, "OLDIE", "MAIN", [SalesLineIn("LAMP", 1)]).number

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            assert (await api.post("/customers", t["sales"], {"code": "SHOP-8", "name": "网店八号"})).status == 201
            await api.post("/customers/SHOP-8/price-grade", t["manager"], {"grade": "VIP"})
            await api.post("/price-rules", t["manager"], {"rules": [
                {"grade": "VIP", "product": "TEA-CUP", "method": "fixed", "value": "6.50", "min_qty": "10"}]})
            made = await api.post("/quotations", t["sales"], {
                "customer": "SHOP-8", "warehouse": "MAIN", "valid_until": "2099-01-01",
                "lines": [{"sku": "TEA-CUP", "qty": "12"}, {"sku": "RETRO-CLOCK", "qty": "1", "unit_price": "24"}]})
            assert made.status == 422 and made.body["error"]["code"] == "invalid_quotation", "too far ahead"
            vat = await api.post("/vat-rates", t["purchaser"], {"code": "TEA-CUP", "rate": "13"})
            assert (vat.status, vat.body) == (200, {"code": "TEA-CUP", "rate": "13"})
            assert (await api.post("/vat-rates", t["sales"], {"code": "TEA-CUP", "rate": "9"})).status == 403
            assert (await api.post("/vat-rates", t["manager"], {"code": "TEA-CUP", "rate": "113"})).status == 422
            made = await api.post("/quotations", t["sales"], {
                "customer": "SHOP-8", "warehouse": "MAIN", "note": "含运费",
                "lines": [{"sku": "TEA-CUP", "qty": "12"}, {"sku": "RETRO-CLOCK", "qty": "1", "unit_price": "24"}]})
            assert made.status == 201, made.body
            number = made.body["number"]
            assert (made.body["status"], made.body["valid"], made.body["total"]) == ("open", True, "102.00")
            assert made.body["tax_total"] == "8.97"  # 78 x 13 / 113 = 8.9734...
            assert [(ln["sku"], ln["unit_price"], ln["amount"]) for ln in made.body["lines"]] == [
                ("TEA-CUP", "6.500000", "78.00"), ("RETRO-CLOCK", "24.000000", "24.00")]
            listed = await api.get("/quotations?customer=SHOP-8", t["sales"])
            assert [q["number"] for q in listed.body["items"]] == [number]
            assert (await api.get(f"/quotations/{number}", t["sales"])).body["note"] == "含运费"
            assert (await api.get(f"/quotations/{number}", t["purchaser"])).status == 403
            assert (await api.get("/quotations/QT-1999-000009", t["sales"])).status == 404
            ordered = await api.post(f"/quotations/{number}/order", t["sales"], {})
            assert (ordered.status, ordered.body["status"], ordered.body["total"]) == (201, "approved", "102.00")
            assert (ordered.body["tax_total"], ordered.body["lines"][0]["tax_amount"]) == ("8.97", "8.97")
            again = await api.post(f"/quotations/{number}/order", t["sales"], {})
            assert again.status == 409 and again.body["error"]["code"] == "invalid_state"
            assert (await api.get(f"/quotations/{number}", t["sales"])).body["order_number"] == ordered.body["number"]
            expired = await api.post(f"/quotations/{stale}/order", t["manager"], {}, lang="zh-CN")
            assert expired.status == 409 and "已过期" in expired.body["error"]["message"]
            everything = await api.get("/quotations?status=all", t["manager"])
            assert {q["number"]: q["valid"] for q in everything.body["items"]} == {number: False, stale: False}
            assert (await api.post(f"/quotations/{stale}/cancel", t["manager"], {})).body["status"] == "cancelled"

    asyncio.run(scenario())


def test_deposits_through_rest(shop: Shop) -> None:
    from core.sales.orders import cancel_sales_order

    t = tokens(shop)

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            assert (await api.post("/customers", t["sales"], {"code": "SHOP-9", "name": "网店九号"})).status == 201
            placed = await api.post("/sales-orders", t["sales"], {
                "customer": "SHOP-9", "warehouse": "MAIN", "lines": [{"sku": "RETRO-CLOCK", "qty": "4"}]})
            number = placed.body["number"]
            assert (await api.post("/deposits", t["sales"], {"order": number, "amount": "50"})).status == 403
            paid = await api.post("/deposits", t["finance"], {"order": number, "amount": "50", "method": "cash"})
            assert (paid.status, paid.body["status"], paid.body["allocated"]) == (201, "held", "0.00"), paid.body
            shipped = await api.post(f"/sales-orders/{number}/shipments", t["warehouse"], {})
            assert shipped.status == 201, shipped.body
            listed = await api.get(f"/deposits?order={number}", t["finance"])
            assert [(d["status"], d["allocated"]) for d in listed.body["items"]] == [("allocated", "50.00")]
            assert (await api.get("/deposits?order=SO-1999-000001", t["finance"])).status == 404
            other = await api.post("/sales-orders", t["sales"], {
                "customer": "SHOP-9", "warehouse": "MAIN", "lines": [{"sku": "TEA-CUP", "qty": "2"}]})
            await api.post("/deposits", t["finance"], {"order": other.body["number"], "amount": "5"})
            early = await api.post("/deposits/settle", t["finance"], {
                "order": other.body["number"], "action": "forfeit", "reason": "违约"})
            assert early.status == 409
            await asyncio.to_thread(cancel_sales_order, shop.uow, shop.manager, other.body["number"], "客户取消")
            bare = await api.post("/deposits/settle", t["finance"], {
                "order": other.body["number"], "action": "forfeit", "reason": ""})
            assert bare.status == 422 and bare.body["error"]["code"] == "reason_required"
            kept = await api.post("/deposits/settle", t["finance"], {
                "order": other.body["number"], "action": "forfeit", "reason": "违约"})
            assert (kept.status, kept.body["items"][0]["status"]) == (200, "forfeited")

    asyncio.run(scenario())
