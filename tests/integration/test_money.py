"""Money on each database: receivables and payables from the ledger, payments, statements, cash flow, profit."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
from sqlalchemy import Engine, select

from core.errors import (
    DomainError,
    InvalidFilter,
    InvalidPartner,
    InvalidState,
    OverAllocation,
    PermissionDenied,
    UnknownDocument,
    UnknownPartner,
)
from core.models import Customer
from core.money.billing import open_balance
from core.money.payments import record_expense, record_income, record_payment
from core.money.statements import cash_flow, gross_profit, partner_balance, statement
from core.partners.customers import NewCustomer, create_customer
from core.partners.suppliers import NewSupplier, create_supplier
from core.people.employees import load_actor
from core.people.setup import bootstrap
from core.purchasing.orders import PurchaseLineIn, create_purchase_order, submit_purchase_order
from core.purchasing.receipts import ReceiptLineIn, receive_purchase
from core.purchasing.returns import ReturnLineIn, return_to_supplier
from core.sales.orders import create_sales_order, submit_sales_order
from core.sales.records import SalesLineIn
from core.sales.returns import return_from_customer
from core.sales.shipments import ship_sales_order
from core.stock.moves import LineIn, receive_stock
from core.uow import Tx, UnitOfWork
from tests.factories import Shop, make_shop


class Clock:
    """The time the next transaction happens at, moved by the test."""

    def __init__(self) -> None:
        self.at = datetime(2026, 2, 20, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at

    def set(self, month: int, day: int) -> None:
        self.at = datetime(2026, month, day, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Books:
    shop: Shop
    clock: Clock


@pytest.fixture
def books(engine: Engine) -> Books:
    """The small shop on a clock, MAIN holding 20 clocks at 10 and 100 cups at 3.30; customers and a supplier."""
    clock = Clock()
    uow = UnitOfWork(engine, clock=clock)
    bootstrap(uow)
    admin = load_actor(uow, "system")
    shop = make_shop(uow, admin)
    create_customer(uow, admin, NewCustomer("ACME", "Acme Trading", salesperson="sales-1"))
    create_customer(uow, admin, NewCustomer("BETA", "Beta Stores", salesperson="sales-1"))
    create_supplier(uow, admin, NewSupplier("NORTHWIND", "Northwind Traders"))
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 20, "10"), LineIn("TEA-CUP", 100, "3.30")])
    return Books(shop, clock)


def sell(b: Books, customer: str, *lines: SalesLineIn) -> str:
    """An approved sales order (no rule applies, prices at or above the floor): its number."""
    shop = b.shop
    draft = create_sales_order(shop.uow, shop.sales, customer, "MAIN", list(lines))
    return submit_sales_order(shop.uow, shop.sales, draft.number).number


def ship(b: Books, number: str, *lines: SalesLineIn) -> None:
    ship_sales_order(b.shop.uow, b.shop.warehouse, number, list(lines) or None)


def acme_trade(b: Books) -> tuple[str, str]:
    """Feb 20 ship 3 of 5 clocks at 25 (75.00); Mar 10 ship 10 cups at 8 (80.00); Mar 12 one cup back (-8.00)."""
    first = sell(b, "ACME", SalesLineIn("RETRO-CLOCK", 5))
    second = sell(b, "ACME", SalesLineIn("TEA-CUP", 10))
    ship(b, first, SalesLineIn("RETRO-CLOCK", 3))
    b.clock.set(3, 10)
    ship(b, second)
    b.clock.set(3, 12)
    return_from_customer(b.shop.uow, b.shop.sales, second, [SalesLineIn("TEA-CUP", 1)], reason="chipped")
    return first, second


def test_receivables_follow_shipments_less_returns_and_payments_settle_the_oldest_first(books: Books) -> None:
    shop = books.shop
    first, second = acme_trade(books)
    before = partner_balance(shop.uow, shop.finance, "customer", "ACME")
    # 3 x 25 = 75.00 on the first order; 10 x 8 - 1 x 8 = 72.00 on the second
    assert [(d.number, d.billed, d.open) for d in before.documents] == [
        (first, D("75.00"), D("75.00")), (second, D("72.00"), D("72.00"))]
    assert (before.billed, before.paid, before.balance) == (D("147.00"), D(0), D("147.00"))

    paid = record_payment(shop.uow, shop.finance, "customer", "acme", "100", method="bank", note="wire")
    assert paid.number.startswith("CR-")
    assert paid.allocations == ((first, D("75.00")), (second, D("25.00")))
    assert paid.unallocated == D(0)
    after = partner_balance(shop.uow, shop.finance, "customer", "ACME")
    assert [(d.number, d.allocated, d.open) for d in after.documents] == [(second, D("25.00"), D("47.00"))]
    assert after.balance == D("47.00")

    with pytest.raises(OverAllocation) as too_much:
        record_payment(shop.uow, shop.finance, "customer", "ACME", "50", allocations=[(second, "47.01")])
    assert (too_much.value.code, too_much.value.params["open"]) == ("over_allocation", D("47.00"))
    with pytest.raises(OverAllocation) as beyond_payment:
        record_payment(shop.uow, shop.finance, "customer", "ACME", "40", allocations=[(second, "47")])
    assert beyond_payment.value.params["reason"] == "more_than_payment"
    with pytest.raises(UnknownDocument):
        record_payment(shop.uow, shop.finance, "customer", "BETA", "10", allocations=[(second, "10")])

    prepaid = record_payment(shop.uow, shop.finance, "customer", "ACME", "60", allocations=[(second, "47")])
    assert (prepaid.allocations, prepaid.unallocated) == (((second, D("47.00")),), D("13.00"))
    final = partner_balance(shop.uow, shop.finance, "customer", "ACME")
    # billed 147.00, paid 100 + 60 = 160.00: ACME holds a credit of 13.00
    assert (final.balance, final.unallocated, final.documents) == (D("-13.00"), D("13.00"), ())


def test_amounts_round_half_up_per_ledger_row(books: Books) -> None:
    shop = books.shop
    number = sell(books, "BETA", SalesLineIn("TEA-CUP", 3, unit_price="8.335"),
                  SalesLineIn("RETRO-CLOCK", "1.5", unit_price="25.333333"))
    ship(books, number)
    # 3 x 8.335 = 25.005 -> 25.01; 1.5 x 25.333333 = 37.9999995 -> 38.00
    assert partner_balance(shop.uow, shop.finance, "customer", "BETA").billed == D("63.01")


def test_payables_follow_receipts_at_order_prices_less_returns(books: Books) -> None:
    shop = books.shop
    draft = create_purchase_order(shop.uow, shop.purchaser, "NORTHWIND", "MAIN",
                                  [PurchaseLineIn("RETRO-CLOCK", 10, "9.50"), PurchaseLineIn("LAMP", 4, "40")])
    order = submit_purchase_order(shop.uow, shop.purchaser, draft.number).number
    receive_purchase(shop.uow, shop.warehouse, order, [ReceiptLineIn("RETRO-CLOCK", 6, rejected=1, note="dented"),
                                                       ReceiptLineIn("LAMP", 4)])
    return_to_supplier(shop.uow, shop.purchaser, order, [ReturnLineIn("LAMP", 1)], reason="flickers")
    owed = partner_balance(shop.uow, shop.finance, "supplier", "NORTHWIND")
    # 6 x 9.50 + 4 x 40 - 1 x 40 = 57 + 160 - 40 = 177.00; the rejected clock is not owed
    assert (owed.billed, owed.balance) == (D("177.00"), D("177.00"))
    paid = record_payment(shop.uow, shop.manager, "supplier", "NORTHWIND", "100")
    assert paid.number.startswith("SP-") and paid.allocations == ((order, D("100.00")),)
    assert partner_balance(shop.uow, shop.finance, "supplier", "NORTHWIND").balance == D("77.00")


def test_a_statement_has_an_opening_balance_every_document_a_running_balance_and_a_closing(books: Books) -> None:
    shop = books.shop
    books.clock.set(3, 2)
    record_payment(shop.uow, shop.finance, "customer", "ACME", "50")
    books.clock.set(2, 20)
    first, second = acme_trade(books)
    books.clock.set(3, 20)
    record_payment(shop.uow, shop.finance, "customer", "ACME", "60", method="cash")
    books.clock.set(4, 2)
    record_payment(shop.uow, shop.finance, "customer", "ACME", "10")
    march = statement(shop.uow, shop.finance, "customer", "ACME", date(2026, 3, 1), date(2026, 3, 31))
    # opening: the Feb 20 shipment, 75.00; then -50, +80, -8, -60
    assert march.opening == D("75.00")
    assert [(e.kind, e.reference, e.amount, e.balance) for e in march.entries] == [
        ("payment", "bank", D("-50.00"), D("25.00")),
        ("shipment", second, D("80.00"), D("105.00")),
        ("sales_return", second, D("-8.00"), D("97.00")),
        ("payment", "cash", D("-60.00"), D("37.00"))]
    assert [e.number[:3] for e in march.entries] == ["CR-", "SH-", "SR-", "CR-"]
    assert march.closing == D("37.00")
    april = statement(shop.uow, shop.finance, "customer", "ACME", date(2026, 4, 1), date(2026, 4, 30))
    assert (april.opening, april.closing, len(april.entries)) == (D("37.00"), D("27.00"), 1)
    del first


def test_cash_flow_sums_money_in_and_out_by_category_for_the_period(books: Books) -> None:
    shop = books.shop
    acme_trade(books)
    books.clock.set(3, 15)
    record_payment(shop.uow, shop.finance, "customer", "ACME", "100")
    record_payment(shop.uow, shop.finance, "supplier", "NORTHWIND", "30")
    record_expense(shop.uow, shop.finance, "Freight", "12.50", note="SF express")
    record_expense(shop.uow, shop.finance, "rent", "800")
    record_expense(shop.uow, shop.finance, "freight", "7.50")
    income = record_income(shop.uow, shop.finance, "interest", "1.20")
    assert income.number.startswith("OI-")
    books.clock.set(4, 1)
    record_expense(shop.uow, shop.finance, "wages", "3000")
    flow = cash_flow(shop.uow, shop.finance, date(2026, 3, 1), date(2026, 3, 31))
    assert [(ln.direction, ln.category, ln.amount) for ln in flow.lines] == [
        ("in", "customer_payment", D("100.00")), ("in", "interest", D("1.20")),
        ("out", "freight", D("20.00")), ("out", "rent", D("800.00")), ("out", "supplier_payment", D("30.00"))]
    # in 101.20, out 850.00
    assert (flow.cash_in, flow.cash_out, flow.net) == (D("101.20"), D("850.00"), D("-748.80"))


def test_gross_profit_per_line_product_customer_and_salesperson(books: Books) -> None:
    shop = books.shop
    first, second = acme_trade(books)
    beta = sell(books, "BETA", SalesLineIn("RETRO-CLOCK", 2, unit_price="30"))
    ship(books, beta)
    period = (date(2026, 2, 1), date(2026, 3, 31))
    by_line = gross_profit(shop.uow, shop.finance, *period, group_by="line")
    # clocks cost 10.00, cups 3.30; the returned cup takes back 8.00 of revenue and 3.30 of cost
    assert [(r.key, r.label, r.qty, r.revenue, r.cost, r.profit) for r in by_line.rows] == [
        (f"{first}/1", "RETRO-CLOCK", D(3), D("75.00"), D("30.00"), D("45.00")),
        (f"{second}/1", "TEA-CUP", D(9), D("72.00"), D("29.70"), D("42.30")),
        (f"{beta}/1", "RETRO-CLOCK", D(2), D("60.00"), D("20.00"), D("40.00"))]
    by_product = gross_profit(shop.uow, shop.manager, *period, group_by="product")
    assert [(r.key, r.revenue, r.cost) for r in by_product.rows] == [
        ("RETRO-CLOCK", D("135.00"), D("50.00")), ("TEA-CUP", D("72.00"), D("29.70"))]
    by_customer = gross_profit(shop.uow, shop.finance, *period, group_by="customer")
    assert [(r.key, r.profit) for r in by_customer.rows] == [("ACME", D("87.30")), ("BETA", D("40.00"))]
    by_person = gross_profit(shop.uow, shop.finance, *period, group_by="salesperson")
    assert [(r.key, r.revenue, r.cost, r.profit) for r in by_person.rows] == [
        ("sales-1", D("207.00"), D("79.70"), D("127.30"))]
    assert (by_person.revenue, by_person.cost, by_person.profit) == (D("207.00"), D("79.70"), D("127.30"))
    march_only = gross_profit(shop.uow, shop.finance, date(2026, 3, 1), date(2026, 3, 31), group_by="product")
    # the Feb 20 clocks fall outside March; Beta's clocks shipped on Mar 12
    assert [(r.key, r.revenue) for r in march_only.rows] == [("RETRO-CLOCK", D("60.00")), ("TEA-CUP", D("72.00"))]


def test_who_may_see_and_record_money(books: Books) -> None:
    shop = books.shop
    acme_trade(books)
    period = (date(2026, 1, 1), date(2026, 12, 31))
    for outsider in (shop.sales, shop.warehouse, shop.purchaser):
        with pytest.raises(PermissionDenied):
            gross_profit(shop.uow, outsider, *period)
        with pytest.raises(PermissionDenied):
            partner_balance(shop.uow, outsider, "customer", "ACME")
        with pytest.raises(PermissionDenied):
            record_payment(shop.uow, outsider, "customer", "ACME", "1")
        with pytest.raises(PermissionDenied):
            record_expense(shop.uow, outsider, "freight", "1")
    assert partner_balance(shop.uow, shop.finance, "customer", "ACME").paid == D(0)


def test_bad_money_input_is_refused_with_its_code_and_nothing_is_written(books: Books) -> None:
    shop = books.shop
    period = (date(2026, 1, 1), date(2026, 12, 31))
    refusals: list[tuple[type[DomainError], object]] = [
        (InvalidPartner, lambda: record_payment(shop.uow, shop.finance, "employee", "ACME", "1")),
        (UnknownPartner, lambda: record_payment(shop.uow, shop.finance, "customer", "NOBODY", "1")),
        (InvalidState, lambda: record_payment(shop.uow, shop.finance, "customer", "ACME", "0")),
        (DomainError, lambda: record_payment(shop.uow, shop.finance, "customer", "ACME", "-5")),
        (DomainError, lambda: record_expense(shop.uow, shop.finance, " ", "5")),
        (InvalidFilter, lambda: cash_flow(shop.uow, shop.finance, date(2026, 3, 2), date(2026, 3, 1))),
        (InvalidFilter, lambda: gross_profit(shop.uow, shop.finance, *period, group_by="colour")),
    ]
    for error, call in refusals:
        with pytest.raises(error):
            call()  # type: ignore[operator]
    assert cash_flow(shop.uow, shop.finance, *period).lines == ()


def test_two_payments_at_once_never_allocate_more_than_is_open(books: Books) -> None:
    shop = books.shop
    first, _ = acme_trade(books)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def pay() -> None:
        barrier.wait()
        try:
            record_payment(shop.uow, shop.finance, "customer", "ACME", "50", allocations=[(first, "50")])
            outcomes.append("paid")
        except OverAllocation:
            outcomes.append("over_allocation")

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # 75.00 open on the first order: one 50.00 fits, the second would make 100.00
    assert sorted(outcomes) == ["over_allocation", "paid"]
    documents = partner_balance(shop.uow, shop.finance, "customer", "ACME").documents
    assert (documents[0].number, documents[0].allocated, documents[0].open) == (first, D("50.00"), D("25.00"))


def test_periods_follow_the_company_time_zone(books: Books) -> None:
    shop = books.shop
    books.clock.at = datetime(2026, 3, 31, 17, 30, tzinfo=UTC)  # April 1st, 01:30 in Shanghai
    record_expense(shop.uow, shop.finance, "rent", "800")
    march = (date(2026, 3, 1), date(2026, 3, 31))
    assert cash_flow(shop.uow, shop.finance, *march).cash_out == D("800.00")
    assert cash_flow(shop.uow, shop.finance, *march, timezone="Asia/Shanghai").cash_out == D(0)
    april = cash_flow(shop.uow, shop.finance, date(2026, 4, 1), date(2026, 4, 1), timezone="Asia/Shanghai")
    assert april.cash_out == D("800.00")


def test_other_services_read_the_open_balance_inside_their_transaction(books: Books) -> None:
    shop = books.shop
    acme_trade(books)
    record_payment(shop.uow, shop.finance, "customer", "ACME", "100")

    def work(tx: Tx) -> D:
        acme = tx.session.scalar(select(Customer.id).where(Customer.code == "ACME"))
        assert acme is not None
        return open_balance(tx, "customer", acme)

    # 147.00 billed less 100.00 paid
    assert shop.uow.read(work) == D("47.00")


def test_amounts_near_the_limit_stay_exact(books: Books) -> None:
    shop = books.shop
    receive_stock(shop.uow, shop.admin, "MAIN", [LineIn("TEA-CUP", 99_900, "3.30")])
    number = sell(books, "BETA", SalesLineIn("TEA-CUP", 100_000, unit_price="9999999.99"))
    ship(books, number)
    # 100,000 x 9,999,999.99 = 999,999,999,000.00, just under the 10^12 the books promise
    assert partner_balance(shop.uow, shop.finance, "customer", "BETA").billed == D("999999999000.00")
    profit = gross_profit(shop.uow, shop.finance, date(2026, 1, 1), date(2026, 12, 31), group_by="customer")
    # cost: 100,000 cups at 3.30 = 330,000.00
    assert [(r.key, r.revenue, r.cost, r.profit) for r in profit.rows] == [
        ("BETA", D("999999999000.00"), D("330000.00"), D("999999669000.00"))]
