"""The REST API on our real server: tokens per integration acting with a role, idempotent POSTs, errors as JSON."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bot.cli import main as jxc
from core.approvals.requests import pending_for, set_rule
from core.models import ApiToken, SalesOrder
from core.people.tokens import hash_secret, revoke_token
from core.permissions import Actor
from core.uow import UnitOfWork
from tests.e2e.api_client import Server, serve, tokens, url_of
from tests.factories import Shop, make_shop


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    return make_shop(uow, admin)


def around_now() -> str:
    """Report dates around today, so a sale made seconds before a month ends still shows (the company's day may
    differ from UTC's)."""
    today = datetime.now(UTC).date()
    return f"from={today - timedelta(days=2)}&to={today + timedelta(days=2)}"


async def stocked(api: Server, t: dict[str, str], qty: str = "100") -> str:
    """A supplier, an approved purchase order for RETRO-CLOCK and TEA-CUP into MAIN, received in full."""
    supplier = await api.post("/suppliers", t["purchaser"], {"code": "ACME", "name": "Acme 工厂"})
    assert supplier.status == 201, supplier.body
    order = await api.post("/purchase-orders", t["purchaser"], {
        "supplier": "ACME", "warehouse": "MAIN",
        "lines": [{"sku": "RETRO-CLOCK", "qty": qty}, {"sku": "TEA-CUP", "qty": qty, "unit_price": "3.30"}]})
    assert (order.status, order.body["status"]) == (201, "approved"), order.body
    number = order.body["number"]
    received = await api.post(f"/purchase-orders/{number}/receipts", t["warehouse"], {
        "lines": [{"sku": "RETRO-CLOCK", "received": qty}, {"sku": "TEA-CUP", "received": qty}]})
    assert (received.status, received.body["status"]) == (201, "received"), received.body
    return str(number)


def orders_in(uow: UnitOfWork) -> int:
    return uow.read(lambda tx: tx.session.scalar(select(func.count(SalesOrder.id))) or 0)


def test_tokens_are_created_once_listed_and_revoked_from_the_command_line(
        uow: UnitOfWork, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("JXC_DATABASE_URL", url_of(uow))
    assert jxc(["token", "create", "online-shop", "--role", "sales"]) == 0
    secret = capsys.readouterr().out.strip()
    assert secret.startswith("jxc_") and len(secret) > 40
    stored = uow.read(lambda tx: tx.session.execute(select(ApiToken.token_hash, ApiToken.role, ApiToken.scopes)).one())
    assert stored.token_hash == hash_secret(secret) and secret not in stored.token_hash
    assert (stored.role, "sales.create" in stored.scopes, "purchase.create" in stored.scopes) == ("sales", True, False)

    assert jxc(["token", "create", "online-shop", "--role", "sales"]) == 2
    assert "duplicate_code" in capsys.readouterr().err

    assert jxc(["token", "list"]) == 0
    listed = capsys.readouterr().out
    assert "online-shop" in listed and "active" in listed and secret not in listed

    assert jxc(["token", "revoke", "online-shop"]) == 0
    assert jxc(["token", "list"]) == 0
    assert "revoked" in capsys.readouterr().out


def test_each_token_may_do_only_what_its_role_allows(shop: Shop) -> None:
    t = tokens(shop)

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            po = await stocked(api, t)
            denied = await api.post("/purchase-orders", t["sales"], {
                "supplier": "ACME", "warehouse": "MAIN", "lines": [{"sku": "LAMP", "qty": "1"}]})
            assert (denied.status, denied.body["error"]["code"]) == (403, "permission_denied")
            for role in ("finance", "sales"):
                moved = await api.post("/transfers", t[role], {
                    "from_warehouse": "MAIN", "to_warehouse": "NORTH", "lines": [{"sku": "TEA-CUP", "qty": "1"}]})
                assert (moved.status, moved.body["error"]["code"]) == (403, "permission_denied"), role
            receipt = await api.post(f"/purchase-orders/{po}/receipts", t["finance"],
                                     {"lines": [{"sku": "LAMP", "received": "1"}]})
            assert (receipt.status, receipt.body["error"]["code"]) == (403, "permission_denied")
            finance_reads = await api.get(f"/purchase-orders/{po}", t["finance"])
            assert finance_reads.status == 200 and Decimal(finance_reads.body["total"]) == Decimal("1330")
            hidden = await api.get(f"/purchase-orders/{po}", t["sales"])
            assert (hidden.status, hidden.body["error"]["code"]) == (403, "permission_denied")

            stock = await api.get("/stock?sku=RETRO-CLOCK", t["sales"])
            assert [(r["warehouse"], r["on_hand"], r["avg_cost"]) for r in stock.body["items"]] == \
                [("MAIN", "100.0000", None)]
            costed = await api.get("/stock?sku=RETRO-CLOCK&warehouse=main", t["finance"])
            assert Decimal(costed.body["items"][0]["avg_cost"]) == Decimal("10")

            moved = await api.post("/transfers", t["manager"], {
                "from_warehouse": "MAIN", "to_warehouse": "NORTH", "lines": [{"sku": "TEA-CUP", "qty": "4"}]})
            assert (moved.status, moved.body["status"]) == (201, "in_transit"), moved.body
            arrived = await api.post(f"/transfers/{moved.body['number']}/receipts", t["manager"], {})
            assert (arrived.status, arrived.body["status"]) == (201, "received"), arrived.body
            north = await api.get("/stock?warehouse=NORTH", t["manager"])
            assert [(r["sku"], r["on_hand"]) for r in north.body["items"]] == [("TEA-CUP", "4.0000")]

    asyncio.run(scenario())


def test_a_revoked_or_unknown_token_is_refused(shop: Shop) -> None:
    t = tokens(shop)

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            assert (await api.get("/warehouses", t["sales"])).status == 200
            revoke_token(shop.uow, shop.admin, "sales-api")
            refused = await api.get("/warehouses", t["sales"])
            assert (refused.status, refused.body["error"]["code"]) == (401, "unauthorized")
            assert refused.headers["WWW-Authenticate"].startswith("Bearer")
            assert (await api.get("/warehouses", None)).status == 401
            assert (await api.get("/warehouses", "jxc_" + "x" * 43)).status == 401
            assert (await api.get("/warehouses", t["sales"][:-1] + "?")).status == 401

    asyncio.run(scenario())


def test_a_sales_order_comes_in_through_the_api_goes_through_approval_and_ships(shop: Shop) -> None:
    t = tokens(shop)

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            await stocked(api, t)
            customer = await api.post("/customers", t["sales"], {"code": "SHOP-1", "name": "网店客户"})
            assert (customer.status, customer.body["channel"]) == (201, "online"), customer.body
            cheap = await api.post("/sales-orders", t["sales"], {
                "customer": "SHOP-1", "warehouse": "MAIN",
                "lines": [{"sku": "RETRO-CLOCK", "qty": "2", "unit_price": "12"}]})
            assert (cheap.status, cheap.body["status"], cheap.body["channel"]) == (201, "pending_approval", "api")
            number = cheap.body["number"]
            self_approval = await api.post(f"/sales-orders/{number}/approve", t["sales"], {})
            assert (self_approval.status, self_approval.body["error"]["code"]) == (409, "own_document")
            approved = await api.post(f"/sales-orders/{number}/approve", t["manager"], {})
            assert (approved.status, approved.body["status"]) == (200, "approved"), approved.body
            again = await api.post(f"/sales-orders/{number}/approve", t["manager"], {})
            assert (again.status, again.body["error"]["code"]) == (409, "invalid_state")
            shipped = await api.post(f"/sales-orders/{number}/shipments", t["warehouse"], {})
            assert (shipped.status, shipped.body["status"]) == (201, "shipped"), shipped.body
            seen = await api.get(f"/sales-orders/{number}", t["sales"])
            assert [(ln["sku"], ln["shipped_qty"]) for ln in seen.body["lines"]] == [("RETRO-CLOCK", "2.0000")]
            report = await api.get(f"/reports/sales?by=product&page_size=5&{around_now()}", t["manager"])
            assert report.status == 200, report.body
            row = dict(zip(report.body["columns"], report.body["rows"][0], strict=True))
            assert (row["product"], Decimal(row["qty"]), Decimal(row["revenue"])) == ("RETRO-CLOCK", 2, 24), row
            assert report.body["next"] is None
            assert (await api.get("/reports/nonsense", t["manager"])).status == 404

            other = await api.post("/sales-orders", t["sales"], {
                "customer": "SHOP-1", "warehouse": "MAIN",
                "lines": [{"sku": "RETRO-CLOCK", "qty": "1", "unit_price": "1"}]})
            no_reason = await api.post(f"/sales-orders/{other.body['number']}/reject", t["manager"], {})
            assert (no_reason.status, no_reason.body["error"]["code"]) == (400, "bad_request")
            rejected = await api.post(f"/sales-orders/{other.body['number']}/reject", t["manager"],
                                      {"reason": "price too low"})
            assert (rejected.status, rejected.body["status"]) == (200, "rejected"), rejected.body

    asyncio.run(scenario())


def test_a_retried_post_with_the_same_key_creates_one_order_and_gets_the_same_answer(shop: Shop) -> None:
    t = tokens(shop)
    order = {"customer": "SHOP-1", "warehouse": "MAIN", "lines": [{"sku": "TEA-CUP", "qty": "3"}]}

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            await stocked(api, t)
            await api.post("/customers", t["sales"], {"code": "SHOP-1", "name": "网店客户"})
            first = await api.post("/sales-orders", t["sales"], order, key="order-1001")
            retry = await api.post("/sales-orders", t["sales"], order, key="order-1001")
            assert first.status == retry.status == 201
            assert first.body == retry.body and retry.headers.get("Idempotent-Replayed") == "true"
            assert orders_in(shop.uow) == 1
            changed = await api.post("/sales-orders", t["sales"], {**order, "note": "other"}, key="order-1001")
            assert (changed.status, changed.body["error"]["code"]) == (422, "idempotency_key_reused")
            other_token = await api.post("/customers", t["manager"], {"code": "SHOP-2", "name": "b"},
                                         key="order-1001")
            assert other_token.status == 201

            refused = await api.post("/sales-orders", t["sales"], {**order, "lines": [{"sku": "NOPE", "qty": "1"}]},
                                     key="order-1002")
            refused_again = await api.post("/sales-orders", t["sales"],
                                           {**order, "lines": [{"sku": "NOPE", "qty": "1"}]}, key="order-1002")
            assert refused.status == refused_again.status == 422
            assert refused.body == refused_again.body and refused.body["error"]["code"] == "unknown_product"

            together = await asyncio.gather(*[
                api.post("/sales-orders", t["sales"], order, key="order-1003") for _ in range(5)])
            assert {r.status for r in together} == {201}
            assert len({r.body["number"] for r in together}) == 1
            assert all(r.body == together[0].body for r in together)
            assert orders_in(shop.uow) == 2

    asyncio.run(scenario())


def test_an_online_shop_pushing_orders_with_retries_gets_exactly_one_order_each(shop: Shop) -> None:
    t = tokens(shop)

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            await stocked(api, t)
            await api.post("/customers", t["sales"], {"code": "WEB", "name": "Online shop"})

            async def push(n: int) -> str:
                """The shop's client: a timeout on the first try (the answer is lost), then retries."""
                body = {"customer": "WEB", "warehouse": "MAIN", "note": f"web order {n}",
                        "lines": [{"sku": "TEA-CUP", "qty": str(1 + n % 3)}]}
                key = f"shop-{n}"
                if n % 2 == 0:
                    await api.post("/sales-orders", t["sales"], body, key=key)  # response "lost"
                answers = await asyncio.gather(*[api.post("/sales-orders", t["sales"], body, key=key)
                                                 for _ in range(2)])
                assert {a.status for a in answers} == {201}
                assert answers[0].body == answers[1].body
                return str(answers[0].body["number"])

            numbers = await asyncio.gather(*[push(n) for n in range(8)])
            assert len(set(numbers)) == 8
            listed = await api.get("/sales-orders?page_size=100", t["sales"])
            assert sorted(o["number"] for o in listed.body["items"]) == sorted(numbers)
            assert {o["channel"] for o in listed.body["items"]} == {"api"}
            assert orders_in(shop.uow) == 8
            level = await api.get("/stock?sku=TEA-CUP&warehouse=MAIN", t["manager"])
            reserved = sum(Decimal(1 + n % 3) for n in range(8))
            assert Decimal(level.body["items"][0]["reserved"]) == reserved
            await api.post(f"/sales-orders/{numbers[0]}/shipments", t["warehouse"], {})
            by_channel = await api.get(f"/reports/sales?by=channel&{around_now()}", t["manager"])
            assert [row[0] for row in by_channel.body["rows"]] == ["api"], by_channel.body

    asyncio.run(scenario())


def test_lists_come_in_pages_with_a_link_to_the_next(shop: Shop) -> None:
    t = tokens(shop)

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            for n in range(25):
                made = await api.post("/suppliers", t["purchaser"], {"code": f"S{n:02d}", "name": f"Supplier {n}"})
                assert made.status == 201, made.body
            seen: list[str] = []
            path: str | None = "/suppliers?page_size=7"
            while path is not None:
                page = await api.get(path, t["purchaser"])
                assert page.status == 200 and len(page.body["items"]) <= 7
                seen += [s["code"] for s in page.body["items"]]
                path = page.body["next"][len("/api/v1"):] if page.body["next"] else None
            assert seen == [f"S{n:02d}" for n in range(25)]
            products = await api.get("/products?page=2&page_size=2", t["sales"])
            assert ([p["sku"] for p in products.body["items"]], products.body["next"]) == (["TEA-CUP"], None)
            found = await api.get("/products?search=6901234567890", t["sales"])
            assert [p["sku"] for p in found.body["items"]] == ["RETRO-CLOCK"]
            assert found.body["items"][0]["purchase_price"] is None
            one = await api.get("/products/retro-clock", t["purchaser"])
            assert (Decimal(one.body["sale_price"]), Decimal(one.body["purchase_price"])) == (25, 10)
            assert (await api.get("/products?page=0", t["sales"])).status == 400
            assert (await api.get("/products?page_size=101", t["sales"])).status == 400

    asyncio.run(scenario())


def test_errors_are_json_with_the_domain_code_in_the_readers_language(shop: Shop) -> None:
    t = tokens(shop)

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            await api.post("/customers", t["sales"], {"code": "SHOP-1", "name": "网店客户"})
            for raw in (b"{not json", b"[1, 2]", b"\xff\xfe", b'{"qty": NaN}'):
                bad = await api.post("/sales-orders", t["sales"], raw=raw)
                assert (bad.status, bad.body["error"]["code"]) == (400, "bad_request"), raw
            missing = await api.post("/sales-orders", t["sales"], {"customer": "SHOP-1"})
            assert (missing.status, missing.body["error"]["code"]) == (400, "bad_request")
            typed = await api.post("/sales-orders", t["sales"], {"customer": 7, "warehouse": "MAIN", "lines": []})
            assert typed.status == 400
            order = {"customer": "SHOP-1", "warehouse": "MAIN", "lines": [{"sku": "TEA-CUP", "qty": "-2"}]}
            negative = await api.post("/sales-orders", t["sales"], order)
            assert (negative.status, negative.body["error"]["code"]) == (422, "invalid_quantity")
            chinese = await api.post("/sales-orders", t["sales"], order, lang="zh-CN,zh;q=0.9")
            assert chinese.body["error"]["code"] == "invalid_quantity"
            assert chinese.body["error"]["message"] != negative.body["error"]["message"]
            assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese.body["error"]["message"])
            short = await api.post("/sales-orders", t["sales"], {**order, "lines": [{"sku": "LAMP", "qty": "5"}]})
            assert (short.status, short.body["error"]["code"]) == (422, "out_of_stock")
            unknown = await api.get("/sales-orders/SO-2026-999999", t["sales"])
            assert (unknown.status, unknown.body["error"]["code"]) == (404, "unknown_document")
            assert (await api.get("/products/NO-SUCH", t["sales"])).status == 404
            assert (await api.post("/sales-orders", t["sales"], order, key="bad key with spaces")).status == 400
            assert orders_in(shop.uow) == 0

        async with serve(shop.uow, rate_per_minute=3) as limited:
            statuses = [(await limited.get("/warehouses", t["sales"])) for _ in range(4)]
            assert [s.status for s in statuses] == [200, 200, 200, 429]
            assert statuses[-1].body["error"]["code"] == "rate_limited"
            assert int(statuses[-1].headers["Retry-After"]) >= 1
            assert (await limited.get("/warehouses", t["manager"])).status == 200

    asyncio.run(scenario())


def test_control_characters_and_deep_nesting_are_400_and_change_nothing(shop: Shop) -> None:
    t = tokens(shop)

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            for path in ("/products?search=%00", "/customers?search=a%07", "/stock?warehouse=%00",
                         "/products/A%00B", "/sales-orders?status=%00"):
                answer = await api.get(path, t["manager"])
                assert (answer.status, answer.body["error"]["code"]) == (400, "bad_request"), path
            for body in ({"code": "C1", "name": "网店\x00客户"}, {"code": "C1", "name": "\ud800"},
                         {"code": "C1", "name": "ok", "note\x00": "x"}):
                answer = await api.post("/customers", t["sales"], body)
                assert (answer.status, answer.body["error"]["code"]) == (400, "bad_request"), body
            deep = b"[" * 2000 + b"]" * 2000
            assert (await api.post("/customers", t["sales"], raw=deep)).status == 400
            nested: object = "x"
            for _ in range(100):
                nested = {"a": nested}
            assert (await api.post("/customers", t["sales"], {"code": "C1", "name": "ok", "x": nested})).status == 400
            assert (await api.get("/customers", t["sales"])).body["items"] == []

    asyncio.run(scenario())


def test_the_configured_over_receipt_tolerance_holds_for_receipts_through_the_api(shop: Shop) -> None:
    t = tokens(shop)

    async def receive(books: dict[str, object], supplier: str) -> tuple[int, dict[str, object]]:
        async with serve(shop.uow, books=books) as api:
            await api.post("/suppliers", t["purchaser"], {"code": supplier, "name": supplier})
            order = await api.post("/purchase-orders", t["purchaser"], {
                "supplier": supplier, "warehouse": "MAIN", "lines": [{"sku": "LAMP", "qty": "10"}]})
            got = await api.post(f"/purchase-orders/{order.body['number']}/receipts", t["warehouse"], {
                "lines": [{"sku": "LAMP", "received": "12"}]})
            return got.status, got.body

    async def scenario() -> None:
        refused = await receive({}, "USUAL")
        assert (refused[0], refused[1]["error"]["code"]) == (422, "over_receipt"), refused  # type: ignore[index]
        taken = await receive({"over_receipt_percent": 20}, "LENIENT")
        assert (taken[0], taken[1]["status"]) == (201, "received"), taken

    asyncio.run(scenario())


def test_a_purchase_order_is_withdrawn_to_a_draft_through_the_api_by_its_author_only(shop: Shop) -> None:
    t = tokens(shop)
    set_rule(shop.uow, shop.admin, "purchase_order", 100, ["manager"])

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            await api.post("/suppliers", t["purchaser"], {"code": "ACME", "name": "Acme 工厂"})
            order = await api.post("/purchase-orders", t["purchaser"], {
                "supplier": "ACME", "warehouse": "MAIN", "lines": [{"sku": "LAMP", "qty": "4"}]})
            assert (order.status, order.body["status"]) == (201, "pending_approval"), order.body
            number = order.body["number"]
            others = await api.post(f"/purchase-orders/{number}/withdraw", t["manager"], {})
            assert (others.status, others.body["error"]["code"]) == (409, "not_own_document"), others.body
            assert "only its author can withdraw it" in others.body["error"]["message"]
            denied = await api.post(f"/purchase-orders/{number}/withdraw", t["warehouse"], {})
            assert (denied.status, denied.body["error"]["code"]) == (403, "permission_denied")
            withdrawn = await api.post(f"/purchase-orders/{number}/withdraw", t["purchaser"],
                                       {"reason": "wrong lamp"})
            assert (withdrawn.status, withdrawn.body["status"], withdrawn.body["reason"]) == (
                200, "draft", "wrong lamp"), withdrawn.body
            again = await api.post(f"/purchase-orders/{number}/withdraw", t["purchaser"], {})
            assert (again.status, again.body["error"]["code"]) == (409, "invalid_state")
            unknown = await api.post("/purchase-orders/PO-2026-999999/withdraw", t["purchaser"], {})
            assert unknown.status == 404
            bad = await api.post(f"/purchase-orders/{number}/withdraw", t["purchaser"], {"reason": ["x"]})
            assert bad.status == 400
            listed = await api.get("/purchase-orders?status=draft", t["purchaser"])
            assert [(o["number"], o["line_count"]) for o in listed.body["items"]] == [(number, 1)]

    asyncio.run(scenario())
    assert pending_for(shop.uow, shop.manager) == []
