"""What chat does besides writing orders, through the REST API on our real server: an approver's token lists what
waits for it, orders are cancelled and closed, a warehouse token receives and issues stock in its own warehouse
and undoes its own last posting; other roles and other warehouses are refused."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from core.approvals.requests import set_rule
from core.models import AuditLog
from core.partners.suppliers import NewSupplier, create_supplier
from core.permissions import Actor
from core.purchasing.replenishment import set_reorder_rule
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.e2e.api_client import serve, tokens
from tests.factories import Shop, make_shop


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = make_shop(uow, admin)
    set_rule(uow, admin, "purchase_order", "1000", ["manager"])
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 20, "10")])
    return shop


def test_approvals_listed_and_orders_cancelled_and_closed_through_rest(shop: Shop) -> None:
    t = tokens(shop)

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            await api.post("/suppliers", t["purchaser"], {"code": "ACME", "name": "Acme"})
            big = await api.post("/purchase-orders", t["purchaser"], {"supplier": "ACME", "warehouse": "MAIN",
                                                                      "lines": [{"sku": "LAMP", "qty": "30"}]})
            number = big.body["number"]
            waiting = await api.get("/approvals", t["manager"])
            assert [(a["number"], a["amount"], a["role"]) for a in waiting.body["items"]] == [
                (number, "1350.00", "manager")], waiting.body
            assert (await api.get("/approvals", t["purchaser"])).body["items"] == [], "not the author's to decide"
            for role in ("sales", "warehouse"):
                refused = await api.post(f"/purchase-orders/{number}/cancel", t[role], {})
                assert (refused.status, refused.body["error"]["code"]) == (403, "permission_denied"), role
            cancelled = await api.post(f"/purchase-orders/{number}/cancel", t["purchaser"], {"reason": "不要了"})
            assert (cancelled.status, cancelled.body["status"], cancelled.body["reason"]) == (
                200, "cancelled", "不要了")
            assert (await api.get("/approvals", t["manager"])).body["items"] == [], "the request is withdrawn"
            again = await api.post(f"/purchase-orders/{number}/cancel", t["purchaser"], {})
            assert (again.status, again.body["error"]["code"]) == (409, "invalid_state")

            small = await api.post("/purchase-orders", t["purchaser"], {"supplier": "ACME", "warehouse": "MAIN",
                                                                        "lines": [{"sku": "LAMP", "qty": "10"}]})
            part = small.body["number"]
            early = await api.post(f"/purchase-orders/{part}/close", t["purchaser"], {})
            assert (early.status, early.body["error"]["code"]) == (409, "invalid_state"), "nothing received yet"
            await api.post(f"/purchase-orders/{part}/receipts", t["warehouse"], {
                "lines": [{"sku": "LAMP", "received": "4"}]})
            closed = await api.post(f"/purchase-orders/{part}/close", t["purchaser"], {"reason": "缺货"})
            assert (closed.status, closed.body["status"]) == (200, "closed")

            await api.post("/customers", t["sales"], {"code": "SHOP-1", "name": "网店一号"})
            sold = await api.post("/sales-orders", t["sales"], {"customer": "SHOP-1", "warehouse": "MAIN",
                                                                "lines": [{"sku": "RETRO-CLOCK", "qty": "5"}]})
            held = await api.get("/stock?sku=RETRO-CLOCK&warehouse=MAIN", t["sales"])
            assert held.body["items"][0]["reserved"] == "5.0000"
            refused = await api.post(f"/sales-orders/{sold.body['number']}/cancel", t["warehouse"], {})
            assert refused.status == 403
            dropped = await api.post(f"/sales-orders/{sold.body['number']}/cancel", t["sales"], {"reason": "客户取消"})
            assert (dropped.status, dropped.body["status"]) == (200, "cancelled"), dropped.body
            freed = await api.get("/stock?sku=RETRO-CLOCK&warehouse=MAIN", t["sales"])
            assert freed.body["items"][0]["reserved"] == "0.0000"

    asyncio.run(scenario())


def test_stock_received_issued_and_undone_through_rest_in_the_tokens_warehouses(shop: Shop) -> None:
    t = tokens(shop)

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            came = await api.post("/stock/receipts", t["warehouse"], {
                "warehouse": "MAIN", "reason": "样品", "lines": [{"sku": "TEA-CUP", "qty": "2", "unit_cost": "3"},
                                                                 {"sku": "RETRO-CLOCK", "qty": "1", "unit": "箱"}]})
            assert came.status == 201, came.body
            assert (came.body["number"].startswith("RC-"), [ln["qty"] for ln in came.body["lines"]]) == (
                True, ["2.0000", "12.0000"])
            elsewhere = await api.post("/stock/receipts", t["warehouse"], {
                "warehouse": "NORTH", "lines": [{"sku": "TEA-CUP", "qty": "2"}]})
            assert (elsewhere.status, elsewhere.body["error"]["code"]) == (403, "permission_denied")
            for role in ("sales", "finance"):
                refused = await api.post("/stock/issues", t[role], {"warehouse": "MAIN",
                                                                    "lines": [{"sku": "TEA-CUP", "qty": "1"}]})
                assert refused.status == 403, role
            short = await api.post("/stock/issues", t["warehouse"], {"warehouse": "MAIN",
                                                                     "lines": [{"sku": "TEA-CUP", "qty": "3"}]})
            assert (short.status, short.body["error"]["code"]) == (422, "out_of_stock")
            out = await api.post("/stock/issues", t["warehouse"], {"warehouse": "MAIN", "reason": "展示",
                                                                   "lines": [{"sku": "RETRO-CLOCK", "qty": "4"}]})
            assert out.status == 201, out.body
            level = await api.get("/stock?sku=RETRO-CLOCK&warehouse=MAIN", t["warehouse"])
            assert level.body["items"][0]["on_hand"] == "28.0000"

            theirs = await api.post(f"/stock-documents/{came.body['number']}/reverse", t["manager"], {})
            assert theirs.status in (403, 409) and theirs.body["error"]["code"] in ("not_own_document",
                                                                                     "permission_denied")
            undone = await api.post(f"/stock-documents/{out.body['number']}/reverse", t["warehouse"], {})
            assert undone.status == 201, undone.body
            assert (undone.body["original"], undone.body["number"].startswith("RV-")) == (out.body["number"], True)
            twice = await api.post(f"/stock-documents/{out.body['number']}/reverse", t["warehouse"], {})
            assert (twice.status, twice.body["error"]["code"]) == (409, "already_reversed")
            level = await api.get("/stock?sku=RETRO-CLOCK&warehouse=MAIN", t["warehouse"])
            assert level.body["items"][0]["on_hand"] == "32.0000"
            bad = await api.post("/stock/issues", t["warehouse"], {"warehouse": "MAIN",
                                                                   "lines": [{"sku": "TEA-CUP", "qty": "1", "x": 1}]})
            assert (bad.status, bad.body["error"]["code"]) == (400, "bad_request")

    asyncio.run(scenario())
    audited = select(AuditLog.action, AuditLog.channel).where(
        AuditLog.action.in_(("stock.receipt", "stock.issue", "stock.reversal")),
        AuditLog.employee_id != shop.admin.employee_id).order_by(AuditLog.id)
    assert shop.uow.read(lambda tx: [tuple(r) for r in tx.session.execute(audited)]) == [
        ("stock.receipt", "api"), ("stock.issue", "api"), ("stock.reversal", "api")]


def test_replenishment_suggested_and_drafted_through_rest_as_chats_one_tap(shop: Shop) -> None:
    create_supplier(shop.uow, shop.admin, NewSupplier("ACME", "Acme"))
    set_reorder_rule(shop.uow, shop.admin, "LAMP", "MAIN", 5, 20, supplier="ACME")
    set_reorder_rule(shop.uow, shop.admin, "TEA-CUP", "MAIN", 10, 50)
    t = tokens(shop)

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            for role in ("sales", "warehouse", "finance"):
                assert (await api.get("/replenishment", t[role])).status == 403, role
                assert (await api.post("/replenishment/orders", t[role], {})).status == 403, role
            found = await api.get("/replenishment?warehouse=MAIN", t["purchaser"])
            assert found.status == 200, found.body
            got = {s["sku"]: (s["quantity"], s["supplier_code"], s["reason"]["code"]) for s in found.body["items"]}
            assert got == {"LAMP": ("20.0000", "ACME", "below_minimum"), "TEA-CUP": ("50.0000", None, "below_minimum")}
            drafted = await api.post("/replenishment/orders", t["purchaser"], {"warehouse": "MAIN"})
            assert drafted.status == 201, drafted.body
            assert drafted.body["skipped"] == ["TEA-CUP"], "no supplier: named, not ordered"
            [order] = drafted.body["orders"]
            assert (order["status"], order["supplier_code"], [(ln["sku"], ln["qty"]) for ln in order["lines"]]) == (
                "draft", "ACME", [("LAMP", "20.0000")])
            none = await api.post("/replenishment/orders", t["purchaser"], {"skus": ["RETRO-CLOCK"]})
            assert (none.status, none.body["error"]["code"]) == (422, "invalid_quantity")
            bad = await api.post("/replenishment/orders", t["purchaser"], {"skus": "LAMP"})
            assert (bad.status, bad.body["error"]["code"]) == (400, "bad_request")

    asyncio.run(scenario())
