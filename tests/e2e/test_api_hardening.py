"""Bad input and scopes on the REST API: what is refused, with which status and words, and that nothing changed."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.models import PurchaseOrder, SalesOrder
from core.partners.customers import NewCustomer, create_customer
from core.people.tokens import create_token
from core.permissions import Actor
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.e2e.api_client import Reply, serve, tokens
from tests.factories import Shop, make_shop


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    return make_shop(uow, admin)


def count(uow: UnitOfWork, model: type[PurchaseOrder] | type[SalesOrder]) -> int:
    return uow.read(lambda tx: tx.session.scalar(select(func.count(model.id))) or 0)


def test_rest_amounts_are_plain_decimal_strings_or_json_numbers_never_with_separators(shop: Shop) -> None:
    t = tokens(shop)

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            assert (await api.post("/suppliers", t["purchaser"], {"code": "ACME", "name": "Acme"})).status == 201
            for qty in ("1,5", "1,500", "1，500", "15,00", "1e3", "1_000", " ", "+5"):
                bad = await api.post("/purchase-orders", t["purchaser"], {
                    "supplier": "ACME", "warehouse": "MAIN", "lines": [{"sku": "LAMP", "qty": qty}]})
                assert (bad.status, bad.body["error"]["code"]) == (400, "bad_request"), qty
                assert "plain decimal string such as \"1500\" or \"2.5\"" in bad.body["error"]["message"]
            price = await api.post("/purchase-orders", t["purchaser"], {
                "supplier": "ACME", "warehouse": "MAIN", "lines": [{"sku": "LAMP", "qty": "2", "unit_price": "4,5"}]})
            assert (price.status, price.body["error"]["code"]) == (400, "bad_request")
            assert count(shop.uow, PurchaseOrder) == 0

            raw = b'{"supplier": "ACME", "warehouse": "MAIN", "lines": [{"sku": "LAMP", "qty": 1500, ' \
                  b'"unit_price": 0.1}, {"sku": "TEA-CUP", "qty": " 2.5 ", "unit_price": "3.30"}]}'
            taken = await api.post("/purchase-orders", t["purchaser"], raw=raw)
            assert taken.status == 201, taken.body
            assert [(ln["sku"], Decimal(ln["qty"]), Decimal(ln["unit_price"])) for ln in taken.body["lines"]] == [
                ("LAMP", Decimal(1500), Decimal("0.1")), ("TEA-CUP", Decimal("2.5"), Decimal("3.3"))]

    asyncio.run(scenario())


def test_a_line_or_total_beyond_what_the_books_hold_is_refused_when_the_order_is_written(shop: Shop) -> None:
    t = tokens(shop)

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            assert (await api.post("/suppliers", t["purchaser"], {"code": "ACME", "name": "Acme"})).status == 201
            assert (await api.post("/customers", t["manager"], {"code": "BIG", "name": "Big"})).status == 201
            huge = [{"sku": "LAMP", "qty": "999999999999", "unit_price": "999999"}]
            near = [{"sku": "LAMP", "qty": "900000", "unit_price": "1000000000"}]  # 9·10^14: never receivable
            pair = [{"sku": "LAMP", "qty": "600000", "unit_price": "1000000"},
                    {"sku": "TEA-CUP", "qty": "600000", "unit_price": "1000000"}]  # each 6·10^11, 1.2·10^12 in all
            for lines in (huge, near, pair):
                po = await api.post("/purchase-orders", t["purchaser"],
                                    {"supplier": "ACME", "warehouse": "MAIN", "lines": lines})
                assert (po.status, po.body["error"]["code"]) == (422, "amount_too_large"), po.body
                so = await api.post("/sales-orders", t["manager"],
                                    {"customer": "BIG", "warehouse": "MAIN", "lines": lines})
                assert (so.status, so.body["error"]["code"]) == (422, "amount_too_large"), so.body
            chinese = await api.post("/sales-orders", t["manager"],
                                     {"customer": "BIG", "warehouse": "MAIN", "lines": pair}, lang="zh-CN")
            assert chinese.body["error"]["message"] == (
                "合计金额为 ¥1,200,000,000,000.00，超出了账簿能记录的金额（须小于 ¥1,000,000,000,000.00）。"
                "请检查数量和单价，或拆成几张单。没有任何内容被修改。")
            line = await api.post("/purchase-orders", t["purchaser"],
                                  {"supplier": "ACME", "warehouse": "MAIN", "lines": near})
            assert line.body["error"]["message"].startswith("The line LAMP comes to CN¥900,000,000,000,000.00: "
                                                            "the books hold amounts below CN¥1,000,000,000,000.00.")
            assert (count(shop.uow, PurchaseOrder), count(shop.uow, SalesOrder)) == (0, 0)

            fits = await api.post("/purchase-orders", t["purchaser"], {
                "supplier": "ACME", "warehouse": "MAIN",
                "lines": [{"sku": "LAMP", "qty": "900000", "unit_price": "1000000"}]})
            assert (fits.status, Decimal(fits.body["total"])) == (201, Decimal("9E+11")), fits.body

    asyncio.run(scenario())


def test_bad_filters_are_400_saying_what_is_allowed_and_a_period_beyond_the_books_is_no_500(shop: Shop) -> None:
    t = tokens(shop)

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            cases = [
                ("/reports/sales?from=0001-01-01&to=9999-12-31", "The period from 0001-01-01 to 9999-12-31 is "
                 "outside the years the books hold: choose days from 1970-01-01 to 2999-12-31."),
                ("/reports/profit?month=0001-01", "The period from 0001-01-01 to 0001-01-31 is outside the years "
                 "the books hold: choose days from 1970-01-01 to 2999-12-31."),
                ("/reports/sales?by=cost", 'The report cannot be grouped by "cost". Choose from: product, customer, '
                 "salesperson, channel, month, warehouse, category."),
                ("/reports/sales?from=2026-05-01&to=2026-04-01", "The period from 2026-05-01 to 2026-04-01 is not "
                 "valid: the first day must not be after the last."),
                ("/sales-orders?status=bogus", 'There is no status "bogus". Choose from: draft, pending_approval, '
                 "approved, partially_shipped, shipped, closed, cancelled, rejected."),
                ("/purchase-orders?status=bogus", 'There is no status "bogus". Choose from: draft, '
                 "pending_approval, approved, partially_received, received, closed, cancelled, rejected."),
            ]
            for path, message in cases:
                bad = await api.get(path, t["manager"])
                assert (bad.status, bad.body["error"]) == (400, {"code": "invalid_filter", "message": message}), path
            chinese = await api.get("/reports/sales?from=0001-01-01&to=9999-12-31", t["manager"], lang="zh-CN")
            assert chinese.body["error"]["message"] == (
                "期间 0001-01-01 至 9999-12-31 超出了账簿的年份范围：请选择 1970-01-01 至 2999-12-31 之间的日期。")
            unknown = await api.get("/reports/sales?customer=NOPE", t["manager"])
            assert (unknown.status, unknown.body["error"]["message"]) == (404, 'No customer "NOPE".')
            widest = await api.get("/reports/sales?from=1970-01-01&to=2999-12-31", t["manager"])
            assert widest.status == 200, widest.body

    asyncio.run(scenario())


def test_pack_units_on_rest_lines_count_as_in_chat_and_unknown_fields_are_refused(shop: Shop) -> None:
    t = tokens(shop)

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            assert (await api.post("/suppliers", t["purchaser"], {"code": "ACME", "name": "Acme"})).status == 201
            po = await api.post("/purchase-orders", t["purchaser"], {
                "supplier": "ACME", "warehouse": "MAIN",
                "lines": [{"sku": "RETRO-CLOCK", "qty": "2", "unit": "箱", "unit_price": "120"}]})
            assert po.status == 201, po.body
            line = po.body["lines"][0]
            assert (Decimal(line["qty"]), Decimal(line["unit_price"]), Decimal(line["amount"])) == (24, 10, 240)
            got = await api.post(f"/purchase-orders/{po.body['number']}/receipts", t["warehouse"],
                                 {"lines": [{"sku": "RETRO-CLOCK", "received": "24"}]})
            assert got.status == 201, got.body

            assert (await api.post("/customers", t["manager"], {"code": "SHOP", "name": "Shop"})).status == 201
            so = await api.post("/sales-orders", t["manager"], {
                "customer": "SHOP", "warehouse": "MAIN", "lines": [{"sku": "RETRO-CLOCK", "qty": 1, "unit": "box"}]})
            assert so.status == 201, so.body
            assert (Decimal(so.body["lines"][0]["qty"]), Decimal(so.body["total"])) == (12, 300)
            shipped = await api.post(f"/sales-orders/{so.body['number']}/shipments", t["warehouse"],
                                     {"lines": [{"sku": "RETRO-CLOCK", "qty": "1", "unit": "箱"}]})
            assert (shipped.status, shipped.body["status"]) == (201, "shipped"), shipped.body
            moved = await api.post("/transfers", t["manager"], {
                "from_warehouse": "MAIN", "to_warehouse": "NORTH", "lines": [{"sku": "RETRO-CLOCK", "qty": "1",
                                                                             "unit": "箱"}]})
            assert moved.status == 201 and Decimal(moved.body["lines"][0]["qty"]) == -12, moved.body

            no_unit = await api.post("/sales-orders", t["manager"], {
                "customer": "SHOP", "warehouse": "MAIN", "lines": [{"sku": "TEA-CUP", "qty": 1, "unit": "crate"}]})
            assert (no_unit.status, no_unit.body["error"]["message"]) == (
                422, 'The quantity "crate" is not valid: there is no such pack unit. Nothing was changed.')
            orders = count(shop.uow, SalesOrder)
            for body in ({"customer": "SHOP", "warehouse": "MAIN", "lines": [{"sku": "TEA-CUP", "qty": 1}],
                          "discount": "10"},
                         {"customer": "SHOP", "warehouse": "MAIN", "lines": [{"sku": "TEA-CUP", "qty": 1,
                                                                              "units": "box"}]}):
                bad = await api.post("/sales-orders", t["manager"], body)
                assert (bad.status, bad.body["error"]["code"]) == (400, "bad_request"), body
            assert bad.body["error"]["message"] == \
                "unknown field 'units' in line 1; allowed: sku, qty, unit, unit_price"
            receipt = await api.post(f"/purchase-orders/{po.body['number']}/receipts", t["warehouse"],
                                     {"lines": [{"sku": "RETRO-CLOCK", "received": "1", "unit": "箱"}]})
            assert receipt.status == 400 and "unknown field 'unit'" in receipt.body["error"]["message"]
            assert count(shop.uow, SalesOrder) == orders

    asyncio.run(scenario())


def test_a_bad_channel_on_a_sales_order_is_400_saying_what_is_allowed(shop: Shop) -> None:
    t = tokens(shop)
    create_customer(shop.uow, shop.admin, NewCustomer("WEB", "Web shop", salesperson="api:sales-api"))
    receive_stock(shop.uow, shop.admin, "MAIN", [LineIn("TEA-CUP", 5, "3.3")])

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            order = {"customer": "WEB", "warehouse": "MAIN", "lines": [{"sku": "TEA-CUP", "qty": "1"}]}
            for channel in ("web shop", "1web", "x" * 21, "网店"):
                refused = await api.post("/sales-orders", t["sales"], {**order, "channel": channel})
                assert (refused.status, refused.body["error"]["code"]) == (400, "bad_request"), refused.body
                assert "field 'channel' must be a word of letters, digits and _" in refused.body["error"]["message"]
            assert count(shop.uow, SalesOrder) == 0
            taken = await api.post("/sales-orders", t["sales"], {**order, "channel": "Shopify"})
            assert (taken.status, taken.body["channel"]) == (201, "shopify"), taken.body

    asyncio.run(scenario())


def test_a_warehouse_token_reads_the_stock_and_the_list_of_its_own_warehouses_only_as_the_stock_report(
        shop: Shop) -> None:
    t = tokens(shop)
    receive_stock(shop.uow, shop.admin, "MAIN", [LineIn("LAMP", 3, "45")])
    receive_stock(shop.uow, shop.admin, "NORTH", [LineIn("LAMP", 5, "45"), LineIn("TEA-CUP", 7, "3.3")])
    nowhere = create_token(shop.uow, shop.admin, "no-warehouse", "warehouse").secret

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            def seen(reply: Reply) -> list[tuple[str, str]]:
                assert reply.status == 200, reply.body
                return [(r["sku"], r["warehouse"]) for r in reply.body["items"]]

            assert seen(await api.get("/stock", t["manager"])) == [
                ("LAMP", "MAIN"), ("LAMP", "NORTH"), ("TEA-CUP", "NORTH")]
            assert seen(await api.get("/stock", t["warehouse"])) == [("LAMP", "MAIN")]
            assert seen(await api.get("/stock?warehouse=NORTH", t["warehouse"])) == []
            assert seen(await api.get("/stock?sku=TEA-CUP", t["warehouse"])) == []
            assert seen(await api.get("/stock", nowhere)) == []
            report = await api.get("/reports/stock?by=warehouse", t["warehouse"])
            assert [row[0] for row in report.body["rows"]] == ["MAIN"]
            assert (await api.get("/reports/stock?by=warehouse", nowhere)).body["rows"] == []

            def codes(reply: Reply) -> list[str]:
                assert reply.status == 200, reply.body
                return [w["code"] for w in reply.body["items"]]

            assert codes(await api.get("/warehouses", t["manager"])) == ["MAIN", "NORTH"]
            assert codes(await api.get("/warehouses", t["warehouse"])) == ["MAIN"]
            assert codes(await api.get("/warehouses", nowhere)) == []

    asyncio.run(scenario())


def test_another_salespersons_customer_answers_exactly_as_an_unknown_one(shop: Shop) -> None:
    t = tokens(shop)
    create_customer(shop.uow, shop.admin, NewCustomer("THEIRS", "Theirs Ltd", salesperson="manager-1"))

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            answers = []
            for code in ("THEIRS", "NOPE"):
                order = await api.post("/sales-orders", t["sales"], {
                    "customer": code, "warehouse": "MAIN", "lines": [{"sku": "TEA-CUP", "qty": "1"}]})
                report = await api.get(f"/reports/sales?customer={code}", t["sales"])
                answers.append((order.status, order.body["error"]["code"], report.status,
                                report.body["error"]["code"], order.body["error"]["message"].replace(code, "X"),
                                report.body["error"]["message"].replace(code, "X")))
            assert answers[0] == answers[1] == (422, "unknown_partner", 404, "unknown_partner", 'No customer "X".',
                                                'No customer "X".')
            assert count(shop.uow, SalesOrder) == 0
            seen = await api.get("/reports/sales?customer=THEIRS", t["manager"])
            assert seen.status == 200

    asyncio.run(scenario())


def test_another_salespersons_order_answers_exactly_as_an_unknown_number(shop: Shop) -> None:
    t = tokens(shop)
    other = create_token(shop.uow, shop.admin, "other-shop", "sales").secret
    receive_stock(shop.uow, shop.admin, "MAIN", [LineIn("TEA-CUP", 5, "3.3")])
    create_customer(shop.uow, shop.admin, NewCustomer("WEB", "Web shop", salesperson="api:sales-api"))

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            order = await api.post("/sales-orders", t["sales"], {
                "customer": "WEB", "warehouse": "MAIN", "lines": [{"sku": "TEA-CUP", "qty": "1"}]})
            assert order.status == 201, order.body
            number = order.body["number"]
            unknown = number[:-6] + "999999"
            answers = []
            for typed in (number, unknown):
                read = await api.get(f"/sales-orders/{typed}", other)
                withdraw = await api.post(f"/sales-orders/{typed}/withdraw", other, {})
                answers.append([(r.status, r.body["error"]["code"], r.body["error"]["message"].replace(typed, "X"))
                                for r in (read, withdraw)])
            hidden = (404, "unknown_document", 'No document "X", or you may not see it.')
            assert answers[0] == answers[1] == [hidden, hidden]
            assert (await api.get(f"/sales-orders/{number}", t["sales"])).status == 200

    asyncio.run(scenario())


def test_money_has_the_money_places_in_lists_and_details_alike(shop: Shop) -> None:
    t = tokens(shop)

    async def scenario() -> None:
        async with serve(shop.uow) as api:
            await api.post("/suppliers", t["manager"], {"code": "ACME", "name": "Acme"})
            await api.post("/customers", t["manager"], {"code": "SHOP", "name": "Shop", "credit_limit": "1000"})
            po = await api.post("/purchase-orders", t["manager"], {"supplier": "ACME", "warehouse": "MAIN", "lines": [
                {"sku": "TEA-CUP", "qty": "3", "unit_price": "1.30"}]})
            await api.post(f"/purchase-orders/{po.body['number']}/receipts", t["warehouse"],
                           {"lines": [{"sku": "TEA-CUP", "received": "3"}]})
            so = await api.post("/sales-orders", t["manager"], {"customer": "SHOP", "warehouse": "MAIN", "lines": [
                {"sku": "TEA-CUP", "qty": "1", "unit_price": "8"}]})
            detail_po = (await api.get(f"/purchase-orders/{po.body['number']}", t["manager"])).body
            listed_po = (await api.get("/purchase-orders", t["manager"])).body["items"][0]
            detail_so = (await api.get(f"/sales-orders/{so.body['number']}", t["manager"])).body
            listed_so = (await api.get("/sales-orders", t["manager"])).body["items"][0]
            stock = (await api.get("/stock?sku=TEA-CUP", t["manager"])).body["items"][0]
            customer = (await api.get("/customers", t["manager"])).body["items"][0]
            assert (listed_po["total"], detail_po["total"], detail_po["lines"][0]["amount"]) == ("3.90",) * 3
            assert (listed_so["total"], detail_so["total"], detail_so["lines"][0]["amount"]) == ("8.00",) * 3
            assert (detail_so["lines"][0]["cost"], detail_so["lines"][0]["profit"]) == ("0.00", "0.00")
            assert (stock["value"], stock["on_hand"], stock["avg_cost"]) == ("3.90", "3.0000", "1.300000")
            assert customer["credit_limit"] == "1000.00"
            report = (await api.get("/reports/stock?by=warehouse", t["manager"])).body
            assert (report["rows"], report["totals"]) == ([["MAIN", 1, "3.0000", "3.90"]], ["", 1, "3.0000", "3.90"])
            assert type(report["totals"][1]) is int, "a count is a JSON number in the totals too, on every database"
            bought = (await api.get("/reports/purchases", t["manager"])).body
            assert (bought["totals"][-1], bought["comparison"][0]["current"]) == ("3.90", "3.90")

    asyncio.run(scenario())
