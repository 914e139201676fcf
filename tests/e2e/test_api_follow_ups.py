"""What chat and the books do after an order, through the REST API on our real server: a purchase order approved
or rejected by the approver's token under the approval rules, goods returned by customers and to suppliers, and
money received and paid, set against orders oldest first or as given, allocated later, and listed while it is
not; every other role is refused, and the audit trail says it came through the API."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.approvals.requests import set_rule
from core.models import AuditLog
from core.people.tokens import create_token
from core.permissions import Actor
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.e2e.api_client import Server, serve, tokens
from tests.factories import Shop, make_shop


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = make_shop(uow, admin)
    set_rule(uow, admin, "purchase_order", "1000", ["manager"])
    set_rule(uow, admin, "purchase_order", "10000", ["manager", "admin"])
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 100, "10"), LineIn("TEA-CUP", 100, "3.3")])
    return shop


def channels(uow: UnitOfWork, *actions: str) -> list[str]:
    return list(uow.read(lambda tx: tx.session.scalars(
        select(AuditLog.channel).where(AuditLog.action.in_(actions)).order_by(AuditLog.id)).all()))


async def purchase(api: Server, token: str, qty: str) -> str:
    """A purchase order of LAMP (45 each) into MAIN, submitted."""
    order = await api.post("/purchase-orders", token, {"supplier": "ACME", "warehouse": "MAIN",
                                                       "lines": [{"sku": "LAMP", "qty": qty}]})
    assert order.status == 201, order.body
    return str(order.body["number"])


def test_purchase_orders_are_approved_and_rejected_through_rest_as_in_chat(shop: Shop) -> None:
    t = tokens(shop)
    owner = create_token(shop.uow, shop.admin, "owner-api", "admin").secret

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            await api.post("/suppliers", t["purchaser"], {"code": "ACME", "name": "Acme"})
            small = await purchase(api, t["purchaser"], "10")  # 450: no approval needed
            assert (await api.get(f"/purchase-orders/{small}", t["purchaser"])).body["status"] == "approved"
            late = await api.post(f"/purchase-orders/{small}/approve", t["manager"], {})
            assert (late.status, late.body["error"]["code"]) == (409, "invalid_state")

            number = await purchase(api, t["purchaser"], "30")  # 1350: a manager approves
            for role, status, code in (("purchaser", 409, "own_document"), ("sales", 403, "permission_denied"),
                                       ("warehouse", 403, "permission_denied"),
                                       ("finance", 403, "permission_denied")):
                refused = await api.post(f"/purchase-orders/{number}/approve", t[role], {})
                assert (refused.status, refused.body["error"]["code"]) == (status, code), role
            no_reason = await api.post(f"/purchase-orders/{number}/reject", t["manager"], {"reason": " "})
            assert (no_reason.status, no_reason.body["error"]["code"]) == (400, "bad_request")
            approved = await api.post(f"/purchase-orders/{number}/approve", t["manager"], {}, key="po-ok")
            assert (approved.status, approved.body["status"]) == (200, "approved"), approved.body
            replay = await api.post(f"/purchase-orders/{number}/approve", t["manager"], {}, key="po-ok")
            assert (replay.status, replay.headers.get("Idempotent-Replayed")) == (200, "true")
            twice = await api.post(f"/purchase-orders/{number}/approve", t["manager"], {})
            assert (twice.status, twice.body["error"]["code"]) == (409, "invalid_state")

            rejected_one = await purchase(api, t["purchaser"], "40")
            rejected = await api.post(f"/purchase-orders/{rejected_one}/reject", t["manager"],
                                      {"reason": "价格太高"}, lang="zh-CN")
            assert (rejected.status, rejected.body["status"], rejected.body["reason"]) == (200, "rejected", "价格太高")

            own = await purchase(api, t["manager"], "30")
            mine = await api.post(f"/purchase-orders/{own}/approve", t["manager"], {})
            assert (mine.status, mine.body["error"]["code"]) == (409, "own_document"), "nobody approves their own"

            big = await purchase(api, t["purchaser"], "300")  # 13500: a manager, then an admin
            first = await api.post(f"/purchase-orders/{big}/approve", t["manager"], {})
            assert (first.status, first.body["status"]) == (200, "pending_approval")
            again = await api.post(f"/purchase-orders/{big}/approve", t["manager"], {})
            assert (again.status, again.body["error"]["code"]) == (409, "already_decided"), "each level by another"
            last = await api.post(f"/purchase-orders/{big}/approve", owner, {})
            assert (last.status, last.body["status"]) == (200, "approved")
            unknown = await api.post("/purchase-orders/PO-2000-000001/approve", t["manager"], {})
            assert (unknown.status, unknown.body["error"]["code"]) == (404, "unknown_document")

    asyncio.run(scenario())
    assert channels(shop.uow, "approval.approve", "approval.reject") == ["api"] * 4


def test_goods_come_back_from_customers_and_go_back_to_suppliers_through_rest(shop: Shop) -> None:
    t = tokens(shop)

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            await api.post("/customers", t["sales"], {"code": "SHOP-1", "name": "网店一号"})
            sold = await api.post("/sales-orders", t["sales"], {"customer": "SHOP-1", "warehouse": "MAIN", "lines": [
                {"sku": "RETRO-CLOCK", "qty": "2", "unit": "box"}, {"sku": "TEA-CUP", "qty": "10"}]})
            assert (sold.status, sold.body["status"]) == (201, "approved"), sold.body
            number = sold.body["number"]
            early = await api.post(f"/sales-orders/{number}/returns", t["sales"], {
                "reason": "破损", "lines": [{"sku": "TEA-CUP", "qty": "1"}]})
            assert (early.status, early.body["error"]["code"]) == (409, "invalid_state"), "nothing shipped yet"
            shipped = await api.post(f"/sales-orders/{number}/shipments", t["warehouse"], {})
            assert shipped.status == 201, shipped.body
            for role in ("warehouse", "finance", "purchaser"):
                refused = await api.post(f"/sales-orders/{number}/returns", t[role], {
                    "reason": "破损", "lines": [{"sku": "TEA-CUP", "qty": "1"}]})
                assert refused.status in (403, 404), role
            missing = await api.post(f"/sales-orders/{number}/returns", t["sales"], {
                "lines": [{"sku": "TEA-CUP", "qty": "1"}]})
            assert (missing.status, missing.body["error"]["code"]) == (400, "bad_request")
            over = await api.post(f"/sales-orders/{number}/returns", t["sales"], {
                "reason": "破损", "lines": [{"sku": "TEA-CUP", "qty": "11"}]})
            assert (over.status, over.body["error"]["code"]) == (422, "over_return")
            back = await api.post(f"/sales-orders/{number}/returns", t["sales"], {
                "reason": "破损", "lines": [{"sku": "TEA-CUP", "qty": "3"}, {"sku": "RETRO-CLOCK", "qty": "1",
                                                                            "unit": "box"}]}, key="ret-1")
            assert back.status == 201, back.body
            assert back.body["document"] and [ln["returned_qty"] for ln in back.body["lines"]] == ["12.0000",
                                                                                                   "3.0000"]
            assert "cost" not in str(back.body) or back.body.get("cost") is None
            stock = await api.get("/stock?warehouse=MAIN&sku=TEA-CUP", t["sales"])
            assert stock.body["items"][0]["on_hand"] == "93.0000"

            await api.post("/suppliers", t["purchaser"], {"code": "ACME", "name": "Acme"})
            bought = await purchase(api, t["purchaser"], "10")
            received = await api.post(f"/purchase-orders/{bought}/receipts", t["warehouse"], {
                "lines": [{"sku": "LAMP", "received": "10"}]})
            assert received.status == 201, received.body
            for role in ("sales", "warehouse", "finance"):
                refused = await api.post(f"/purchase-orders/{bought}/returns", t[role], {
                    "reason": "质量问题", "lines": [{"sku": "LAMP", "qty": "1"}]})
                assert (refused.status, refused.body["error"]["code"]) == (403, "permission_denied"), role
            over = await api.post(f"/purchase-orders/{bought}/returns", t["purchaser"], {
                "reason": "质量问题", "lines": [{"sku": "LAMP", "qty": "11"}]})
            assert (over.status, over.body["error"]["code"]) == (422, "over_return")
            sent = await api.post(f"/purchase-orders/{bought}/returns", t["purchaser"], {
                "reason": "质量问题", "lines": [{"sku": "LAMP", "qty": "4"}]})
            assert sent.status == 201, sent.body
            assert (sent.body["value"], sent.body["lines"][0]["returned_qty"], sent.body["lines"][0]["on_hand"]) == (
                "-180.00", "4.0000", "6.0000")
            shown = await api.get(f"/purchase-orders/{bought}", t["purchaser"])
            assert shown.body["lines"][0]["returned_qty"] == "4.0000"

    asyncio.run(scenario())
    assert channels(shop.uow, "sales.return", "purchase.return") == ["api", "api"]


def test_money_is_received_paid_and_allocated_through_rest(shop: Shop) -> None:
    t = tokens(shop)

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            await api.post("/customers", t["sales"], {"code": "SHOP-1", "name": "网店一号"})
            numbers = []
            for qty in ("4", "6"):  # 100.00 and 150.00 billed once shipped
                sold = await api.post("/sales-orders", t["sales"], {"customer": "SHOP-1", "warehouse": "MAIN",
                                                                    "lines": [{"sku": "RETRO-CLOCK", "qty": qty}]})
                numbers.append(sold.body["number"])
                assert (await api.post(f"/sales-orders/{sold.body['number']}/shipments", t["warehouse"],
                                       {})).status == 201
            first, second = numbers
            receipt = {"partner_kind": "customer", "partner": "shop-1", "amount": "120"}
            for role in ("sales", "warehouse", "purchaser"):
                refused = await api.post("/payments", t[role], receipt)
                assert (refused.status, refused.body["error"]["code"]) == (403, "permission_denied"), role
                assert (await api.get("/payments/unallocated", t[role])).status == 403
                assert (await api.get("/customers/SHOP-1/balance", t[role])).status == 403
            paid = await api.post("/payments", t["finance"], receipt, key="cr-1")
            assert paid.status == 201, paid.body
            assert (paid.body["allocations"], paid.body["unallocated"]) == (
                [{"order": first, "amount": "100.00"}, {"order": second, "amount": "20.00"}], "0.00"), "oldest first"
            replay = await api.post("/payments", t["finance"], receipt, key="cr-1")
            assert (replay.body, replay.headers.get("Idempotent-Replayed")) == (paid.body, "true")

            over = await api.post("/payments", t["finance"], {**receipt, "allocations": [
                {"order": second, "amount": "200"}]})
            assert (over.status, over.body["error"]["code"]) == (422, "over_allocation")
            elsewhere = await api.post("/payments", t["finance"], {**receipt, "allocations": [
                {"order": "SO-2000-000001", "amount": "1"}]})
            assert (elsewhere.status, elsewhere.body["error"]["code"]) == (404, "unknown_document")
            kept = await api.post("/payments", t["finance"], {**receipt, "amount": "80", "allocations": []})
            assert (kept.status, kept.body["allocations"], kept.body["unallocated"]) == (201, [], "80.00")

            waiting = await api.get("/payments/unallocated?partner_kind=customer&partner=SHOP-1", t["finance"])
            assert [(p["number"], p["unallocated"]) for p in waiting.body["items"]] == [(kept.body["number"],
                                                                                         "80.00")]
            balance = await api.get("/customers/shop-1/balance", t["finance"])
            assert (balance.body["billed"], balance.body["paid"], balance.body["unallocated"]) == (
                "250.00", "200.00", "80.00")
            assert [(d["number"], d["open"]) for d in balance.body["documents"]] == [(second, "130.00")]
            today = datetime.now(UTC).date()
            span = f"from={today - timedelta(days=2)}&to={today + timedelta(days=2)}"
            sheet = await api.get(f"/customers/SHOP-1/statement?{span}", t["finance"])
            assert sheet.status == 200, sheet.body
            assert [(e["kind"], e["amount"], e["balance"]) for e in sheet.body["entries"]] == [
                ("shipment", "100.00", "100.00"), ("shipment", "150.00", "250.00"), ("payment", "-120.00", "130.00"),
                ("payment", "-80.00", "50.00")], sheet.body
            assert (sheet.body["opening"], sheet.body["closing"]) == ("0.00", "50.00")
            assert (await api.get("/customers/SHOP-1/statement?month=2026-13", t["finance"])).status == 400
            assert (await api.get("/customers/SHOP-1/statement", t["sales"])).status == 403
            assert (await api.get("/customers/NOPE/statement", t["finance"])).status == 404

            part = await api.post(f"/payments/{kept.body['number']}/allocations", t["finance"], {
                "allocations": [{"order": second, "amount": "30"}]})
            assert (part.status, part.body["allocations"], part.body["unallocated"]) == (
                200, [{"order": second, "amount": "30.00"}], "50.00")
            rest = await api.post(f"/payments/{kept.body['number']}/allocations", t["finance"], {})
            assert (rest.status, rest.body["allocations"], rest.body["unallocated"]) == (
                200, [{"order": second, "amount": "80.00"}], "0.00"), "oldest open first, one row per order"
            done = await api.post(f"/payments/{kept.body['number']}/allocations", t["finance"], {})
            assert (done.status, done.body["error"]["code"]) == (422, "over_allocation")
            assert (await api.get("/payments/unallocated", t["finance"])).body["items"] == []
            unknown = await api.post("/payments/CR-2000-000009/allocations", t["finance"], {})
            assert (unknown.status, unknown.body["error"]["code"]) == (404, "unknown_document")

            await api.post("/suppliers", t["purchaser"], {"code": "ACME", "name": "Acme"})
            bought = await purchase(api, t["purchaser"], "10")
            await api.post(f"/purchase-orders/{bought}/receipts", t["warehouse"], {
                "lines": [{"sku": "LAMP", "received": "10"}]})
            paid_out = await api.post("/payments", t["finance"], {"partner_kind": "supplier", "partner": "ACME",
                                                                  "amount": "500", "method": "cash"})
            assert (paid_out.body["allocations"], paid_out.body["unallocated"]) == (
                [{"order": bought, "amount": "450.00"}], "50.00")
            owed = await api.get("/suppliers/ACME/balance", t["finance"])
            assert (owed.body["billed"], owed.body["unallocated"], owed.body["documents"]) == ("450.00", "50.00", [])
            for bad in ({"partner_kind": "friend", "partner": "ACME", "amount": "1"},
                        {"partner_kind": "supplier", "partner": "ACME", "amount": "1e3"},
                        {"partner_kind": "supplier", "partner": "ACME", "amount": "1", "allocations": {}},
                        {"partner_kind": "supplier", "partner": "ACME", "amount": "1", "allocations": [
                            {"order": bought}]}):
                refused = await api.post("/payments", t["finance"], bad)
                assert (refused.status, refused.body["error"]["code"]) == (400, "bad_request"), bad
            zero = await api.post("/payments", t["finance"], {"partner_kind": "supplier", "partner": "ACME",
                                                              "amount": "0"})
            assert zero.status == 409 and zero.body["error"]["code"] == "invalid_state"
            nobody = await api.post("/payments", t["finance"], {"partner_kind": "supplier", "partner": "NOPE",
                                                                "amount": "1"})
            assert (nobody.status, nobody.body["error"]["code"]) == (422, "unknown_partner")
            assert (await api.get("/payments/unallocated?partner=ACME", t["finance"])).status == 400
            freight = await api.post("/money-entries", t["finance"], {"direction": "out", "category": "Freight",
                                                                      "amount": "35.5", "note": "顺丰"})
            assert (freight.status, freight.body["number"][:3], freight.body["category"], freight.body["amount"]) == (
                201, "EX-", "freight", "35.50"), freight.body
            for role in ("sales", "warehouse", "purchaser"):
                refused = await api.post("/money-entries", t[role], {"direction": "in", "category": "x", "amount": "1"})
                assert refused.status == 403, role
            sideways = await api.post("/money-entries", t["finance"], {"direction": "up", "category": "x",
                                                                       "amount": "1"})
            assert (sideways.status, sideways.body["error"]["code"]) == (400, "bad_request")

    asyncio.run(scenario())
    assert channels(shop.uow, "money.payment", "money.allocate") == ["api"] * 5
