"""VAT billed on each database: when prices exclude VAT, shipments bill the customer net + VAT (rounded per ledger
row as a line's tax is), and statements, ageing, payments and deposits agree to the cent; when prices include VAT
what is billed is unchanged. The figures are worked by hand."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import BigInteger, literal, select

from core.config import BookRules
from core.documents.purchasing import purchase_order
from core.ledger.check import check_ledger
from core.money.billing import gross_amount, net_amount, row_tax
from core.money.deposits import order_deposits, record_deposit
from core.money.payments import record_payment
from core.money.statements import gross_profit, partner_balance, statement
from core.numbers import round_money
from core.partners.customers import NewCustomer, create_customer
from core.partners.suppliers import NewSupplier, create_supplier
from core.permissions import Actor
from core.purchasing.orders import (
    PurchaseLineIn,
    create_purchase_order,
    get_purchase_order,
    revise_purchase_draft,
    submit_purchase_order,
    withdraw_purchase_order,
)
from core.purchasing.receipts import ReceiptLineIn, receive_purchase
from core.purchasing.returns import ReturnLineIn, return_to_supplier
from core.reporting.dashboard import read_dashboard
from core.reporting.periods import Filters
from core.reporting.reports import run_report
from core.sales.orders import create_sales_order, submit_sales_order
from core.sales.records import SalesLineIn
from core.sales.returns import return_from_customer
from core.sales.shipments import ship_sales_order
from core.sales.tax import set_vat_rate
from core.stock.levels import find_stock
from core.stock.moves import LineIn, receive_stock
from core.uow import Tx, UnitOfWork
from tests.factories import Shop, make_shop
from tests.integration.chat_shop import person

EXCLUSIVE = BookRules(prices_include_tax=False)
INCLUSIVE = BookRules(prices_include_tax=True)
LINES = [SalesLineIn("RETRO-CLOCK", 7), SalesLineIn("LAMP", 3), SalesLineIn("TEA-CUP", 7, unit_price="8.25")]
# Without VAT in the prices: RETRO-CLOCK 7 x 25 = 175.00 + 9 % 15.75 = 190.75; LAMP 3 x 99 = 297.00 + 13 % 38.61 =
# 335.61; TEA-CUP 7 x 8.25 = 57.75 + 6 % 3.465 -> 3.47 = 61.22. Total 587.58, VAT 57.83.


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = make_shop(uow, admin)
    create_customer(uow, admin, NewCustomer("ACME", "Acme", salesperson="sales-1"))
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 20, "10"), LineIn("LAMP", 5, "45"),
                                       LineIn("TEA-CUP", 20, "3.30")])
    set_vat_rate(uow, shop.manager, "RETRO-CLOCK", "9")
    set_vat_rate(uow, shop.manager, "LAMP", "13")
    set_vat_rate(uow, shop.manager, "TEA-CUP", "6")
    return shop


def books(uow: UnitOfWork, rules: BookRules) -> UnitOfWork:
    return UnitOfWork(uow.engine, rules=rules)


def test_without_vat_in_prices_shipments_bill_net_plus_vat_and_the_money_agrees(uow: UnitOfWork,
                                                                                shop: Shop) -> None:
    excl = books(uow, EXCLUSIVE)
    draft = create_sales_order(excl, shop.sales, "ACME", "MAIN", LINES)
    assert (draft.total, draft.tax_total) == (D("587.58"), D("57.83"))
    number = submit_sales_order(excl, shop.sales, draft.number).number
    record_deposit(excl, shop.finance, number, "100", note="订金")
    ship_sales_order(excl, shop.warehouse, number, [SalesLineIn("RETRO-CLOCK", 3)])  # 75.00 + 6.75 = 81.75
    [part] = order_deposits(excl, shop.finance, number)
    assert (part.allocated, part.status) == (D("81.75"), "held")
    ship_sales_order(excl, shop.warehouse, number)  # 4 clocks 100.00 + 9.00, the lamps 335.61, the cups 61.22
    [done] = order_deposits(excl, shop.finance, number)
    assert (done.allocated, done.status) == (D(100), "allocated")
    balance = partner_balance(excl, shop.finance, "customer", "ACME")
    assert (balance.billed, balance.paid, balance.balance) == (D("587.58"), D(100), D("487.58"))
    assert [(d.number, d.billed, d.open) for d in balance.documents] == [(number, D("587.58"), D("487.58"))]

    ageing = run_report(excl, shop.finance, "ageing", Filters())
    assert ageing.rows == (("ACME", "Acme", D("487.58"), D(0), D(0), D(0), D("487.58")),)
    paid = record_payment(excl, shop.finance, "customer", "ACME", "487.58")
    assert paid.allocations == ((number, D("487.58")),) and paid.unallocated == D(0)
    assert partner_balance(excl, shop.finance, "customer", "ACME").balance == D(0)

    return_from_customer(excl, shop.sales, number, [SalesLineIn("LAMP", 1)], reason="坏了")  # -(99.00 + 12.87)
    after = partner_balance(excl, shop.finance, "customer", "ACME")
    assert (after.billed, after.balance) == (D("475.71"), D("-111.87"))
    today = datetime.now(UTC).date()
    lines = statement(excl, shop.finance, "customer", "ACME", today - timedelta(days=1), today + timedelta(days=1))
    # the VAT in each: 6.75; 9.00 + 38.61 + 3.47 = 51.08; the lamp back -12.87
    assert [(e.kind, e.reference, e.amount, e.tax) for e in lines.entries] == [
        ("deposit", number, D(-100), None), ("shipment", number, D("81.75"), D("6.75")),
        ("shipment", number, D("505.83"), D("51.08")), ("payment", "bank", D("-487.58"), None),
        ("sales_return", number, D("-111.87"), D("-12.87"))]
    assert lines.closing == D("-111.87")


def test_with_vat_in_prices_what_is_billed_is_unchanged(uow: UnitOfWork, shop: Shop) -> None:
    incl = books(uow, INCLUSIVE)
    draft = create_sales_order(incl, shop.sales, "ACME", "MAIN", LINES)
    # 175.00 x 9/109 = 14.45, 297.00 x 13/113 = 34.17, 57.75 x 6/106 = 3.27: VAT 51.89 inside 529.75
    assert (draft.total, draft.tax_total) == (D("529.75"), D("51.89"))
    number = submit_sales_order(incl, shop.sales, draft.number).number
    ship_sales_order(incl, shop.warehouse, number)
    balance = partner_balance(incl, shop.finance, "customer", "ACME")
    assert (balance.billed, balance.balance) == (D("529.75"), D("529.75"))


def test_an_order_keeps_the_setting_it_was_priced_under(uow: UnitOfWork, shop: Shop) -> None:
    draft = create_sales_order(books(uow, EXCLUSIVE), shop.sales, "ACME", "MAIN", [SalesLineIn("LAMP", 1)])
    number = submit_sales_order(uow, shop.sales, draft.number).number
    ship_sales_order(books(uow, INCLUSIVE), shop.warehouse, number)  # the books changed their mind since
    assert partner_balance(uow, shop.finance, "customer", "ACME").billed == D("111.87") == draft.total


@pytest.mark.parametrize("places", [2, 0, 4])
def test_the_sql_vat_of_a_row_is_the_python_vat_of_a_line(uow: UnitOfWork, places: int) -> None:
    picker = random.Random(places)
    cases = [(D("0.01"), D(13)), (D("999999999999.99"), D(100)), (D("999999999999.99"), D("13.5")), (D(1), D(0)),
             (D("34.335"), D(9)), (D("2.5"), D(20))]
    cases += [(D(picker.randint(-10**9, 10**11)) / 100, D(picker.choice([6, 9, 13, 3, 17]))
               + D(picker.randint(0, 9999)) / 10_000) for _ in range(60)]
    for amount, rate in cases:
        amount = round_money(amount, places)
        for included in (True, False):
            raw, rate_raw = literal(int(amount * 10_000), BigInteger), literal(int(rate * 10_000), BigInteger)
            flag = literal(included)

            def work(tx: Tx, raw: object = raw, rate_raw: object = rate_raw, flag: object = flag) -> tuple[D, ...]:
                row = tx.conn.execute(select(row_tax(raw, rate_raw, flag, places), gross_amount(raw, rate_raw, flag,
                                             places), net_amount(raw, rate_raw, flag, places))).one()
                return tuple(D(int(v)) / 10_000 for v in row)

            tax, gross, net = uow.read(work)
            divisor = 100 + rate if included else D(100)
            expected = round_money(abs(amount) * rate / divisor, places) * (-1 if amount < 0 else 1)
            assert tax == expected, (amount, rate, included)
            assert (gross, net) == ((amount, amount - tax) if included else (amount + tax, amount))


PO_LINES = [PurchaseLineIn("RETRO-CLOCK", 10), PurchaseLineIn("LAMP", 4, "45.55")]
# Without VAT in the prices: RETRO-CLOCK 10 x 10 = 100.00 + 9 % 9.00 = 109.00; LAMP 4 x 45.55 = 182.20 + 13 %
# 23.686 -> 23.69 = 205.89. Total 314.89, VAT 32.69.


def test_purchase_lines_carry_vat_and_payables_bill_it_on_receipt(uow: UnitOfWork, shop: Shop) -> None:
    excl = books(uow, EXCLUSIVE)
    create_supplier(excl, shop.admin, NewSupplier("S-CLOCK", "钟表厂"))
    draft = create_purchase_order(excl, shop.purchaser, "S-CLOCK", "MAIN", PO_LINES)
    assert (draft.total, draft.tax_total, draft.tax_included) == (D("314.89"), D("32.69"), False)
    assert [(ln.tax_rate, ln.tax_amount) for ln in draft.lines] == [(D(9), D("9.00")), (D(13), D("23.69"))]
    number = submit_purchase_order(excl, shop.purchaser, draft.number).number
    record_deposit(excl, shop.finance, number, "50")
    receive_purchase(excl, shop.warehouse, number, [ReceiptLineIn("RETRO-CLOCK", 6, rejected=1, note="dented"),
                                                    ReceiptLineIn("LAMP", 4)])  # 60.00 + 5.40, 205.89
    [deposit] = order_deposits(excl, shop.finance, number)
    assert (deposit.allocated, deposit.status) == (D(50), "allocated")
    return_to_supplier(excl, shop.purchaser, number, [ReturnLineIn("LAMP", 1)], reason="flickers")  # -51.47
    balance = partner_balance(excl, shop.finance, "supplier", "S-CLOCK")
    assert (balance.billed, balance.paid, balance.balance) == (D("219.82"), D(50), D("169.82"))
    payables = run_report(excl, shop.finance, "ageing", Filters(partner_kind="supplier"))
    assert payables.rows[0][-1] == D("169.82")
    worker = get_purchase_order(excl, shop.warehouse, number)
    assert (worker.total, worker.tax_total, worker.lines[0].tax_amount) == (None, None, None), "no cost, no tax"

    printed = excl.read(lambda tx: purchase_order(tx, shop.purchaser, number))
    assert printed.totals == (("tax_total", D("32.69")), ("total", D("314.89")))
    assert [(ln["tax_rate"], ln["tax_amount"]) for ln in printed.lines] == [(D(9), D("9.00")), (D(13), D("23.69"))]


def test_purchase_vat_inside_prices_bills_the_order_price(uow: UnitOfWork, shop: Shop) -> None:
    create_supplier(uow, shop.admin, NewSupplier("S-CLOCK", "钟表厂"))
    draft = create_purchase_order(books(uow, INCLUSIVE), shop.purchaser, "S-CLOCK", "MAIN", PO_LINES)
    # 100.00 x 9/109 = 8.2568 -> 8.26, 182.20 x 13/113 = 20.9610 -> 20.96
    assert (draft.total, draft.tax_total, draft.tax_included) == (D("282.20"), D("29.22"), True)
    number = submit_purchase_order(uow, shop.purchaser, draft.number).number
    revised = revise_purchase_draft(books(uow, EXCLUSIVE), shop.purchaser,
                                    withdraw_purchase_order(uow, shop.purchaser, number, "价格不含税").number,
                                    [PurchaseLineIn("LAMP", 2, "45.55")])  # 91.10 + 11.843 -> 11.84
    assert (revised.total, revised.tax_total, revised.tax_included) == (D("102.94"), D("11.84"), False)
    submit_purchase_order(uow, shop.purchaser, number)
    receive_purchase(uow, shop.warehouse, number, [ReceiptLineIn("LAMP", 2)])
    assert partner_balance(uow, shop.finance, "supplier", "S-CLOCK").billed == D("102.94")


def test_a_purchaser_sees_the_vat_of_an_order_in_chat_in_both_languages(uow: UnitOfWork, shop: Shop) -> None:
    excl = books(uow, EXCLUSIVE)
    create_supplier(excl, shop.admin, NewSupplier("ACME", "Acme 贸易"))
    for language, running, summary, done in [
        ("zh_CN", "合计：¥314.89（其中税额 ¥32.69）（2 行）", "合计：¥314.89（其中税额 ¥32.69）",
         "已提交并批准（合计 ¥314.89，其中税额 ¥32.69）"),
        ("en", "Total: CN¥314.89, VAT CN¥32.69 (2 lines)", "Total: CN¥314.89 (VAT CN¥32.69)",
         "submitted and approved (total CN¥314.89, VAT CN¥32.69)")]:
        chat = person(excl, shop.admin, "purchaser-1", language)
        chat.send("采购单")
        chat.send("acme")
        chat.press(chat.button("Acme"))
        chat.press(chat.button("MAIN"))
        assert running in chat.send("RETRO-CLOCK 10\nLAMP 4 45.55")[0]
        assert chat.send("完成")[0].endswith(summary)
        assert done in chat.press(chat.button("提交" if language == "zh_CN" else "Submit"))[0]


def test_reports_and_profit_are_net_of_vat_and_stock_is_valued_without_input_vat(uow: UnitOfWork,
                                                                                 shop: Shop) -> None:
    incl = books(uow, INCLUSIVE)
    number = submit_sales_order(incl, shop.sales, create_sales_order(
        incl, shop.sales, "ACME", "MAIN", LINES).number).number
    ship_sales_order(incl, shop.warehouse, number)
    # net of the VAT inside: RETRO-CLOCK 175.00 - 14.45 = 160.55, LAMP 297.00 - 34.17 = 262.83,
    # TEA-CUP 57.75 - 3.27 = 54.48: 477.86; cost 7 x 10 + 3 x 45 + 7 x 3.30 = 228.10; profit 249.76
    sales = run_report(incl, shop.manager, "sales", Filters(by=("product",)))
    assert {r[0]: r[-1] for r in sales.rows} == {"LAMP": D("262.83"), "RETRO-CLOCK": D("160.55"),
                                                 "TEA-CUP": D("54.48")}
    profit = run_report(incl, shop.manager, "profit", Filters(by=("customer",)))
    assert [r[-3:] for r in profit.rows] == [(D("477.86"), D("228.10"), D("249.76"))]
    today = datetime.now(UTC).date()
    books_profit = gross_profit(incl, shop.manager, today - timedelta(days=1), today + timedelta(days=1), "customer")
    assert (books_profit.revenue, books_profit.cost, books_profit.profit) == (D("477.86"), D("228.10"),
                                                                            D("249.76"))
    board = read_dashboard(incl, shop.manager)
    assert (board.sales_month, board.profit_month) == (D("477.86"), D("249.76"))
    assert partner_balance(incl, shop.finance, "customer", "ACME").billed == D("529.75"), "billed with VAT"

    create_supplier(incl, shop.admin, NewSupplier("S-LAMP", "灯具厂"))
    po = submit_purchase_order(incl, shop.purchaser, create_purchase_order(
        incl, shop.purchaser, "S-LAMP", "MAIN", [PurchaseLineIn("LAMP", 2, "45.20")]).number).number
    receive_purchase(incl, shop.warehouse, po, [ReceiptLineIn("LAMP", 2)])  # 45.20 x 100/113 = 40.00 a lamp
    lamps = {w.warehouse: (w.on_hand, w.value) for w in find_stock(incl, shop.manager, "LAMP")[0].by_warehouse}
    assert lamps["MAIN"] == (D(4), D("170.00")), "2 left at 45 and 2 at 40: the input VAT is not stock"
    purchases = run_report(incl, shop.manager, "purchases", Filters(by=("supplier",)))
    assert [r[-1] for r in purchases.rows] == [D("80.00")]
    assert partner_balance(incl, shop.finance, "supplier", "S-LAMP").billed == D("90.40")
    return_to_supplier(incl, shop.purchaser, po, [ReturnLineIn("LAMP", 1)], reason="flickers")
    lamps = {w.warehouse: (w.on_hand, w.value) for w in find_stock(incl, shop.manager, "LAMP")[0].by_warehouse}
    assert lamps["MAIN"] == (D(3), D("130.00"))
    assert partner_balance(incl, shop.finance, "supplier", "S-LAMP").billed == D("45.20")
    assert incl.read(check_ledger) == []
