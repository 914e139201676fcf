"""Quotations on each database: priced at the customer's price list like an order, valid until a day, turned into
a sales order at the quoted prices while valid (even when the price list has changed since), expired ones refused,
open ones listed per customer, and only their salespeople (or those who see all sales) see them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from core.errors import InvalidQuotation, InvalidState, PermissionDenied
from core.partners.customers import NewCustomer, create_customer
from core.people.employees import create_employee, load_actor
from core.permissions import Actor
from core.sales.price_lists import PriceRuleIn, add_price_rules, set_price_grade
from core.sales.quotations import cancel_quotation, create_quotation, get_quotation, list_quotations, order_quotation
from core.sales.records import SalesLineIn
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.factories import Shop, make_shop
from tests.statements import counted

DAY_ONE = datetime(2026, 12, 10, 2, tzinfo=UTC)
LATER = datetime(2026, 12, 20, 2, tzinfo=UTC)
TOO_LATE = datetime(2026, 12, 21, 2, tzinfo=UTC)


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = make_shop(uow, admin)
    create_employee(uow, admin, "sales-2", ["sales"])
    create_customer(uow, admin, NewCustomer("VIPCO", "Vip Co", salesperson="sales-1"))
    create_customer(uow, admin, NewCustomer("OTHER", "Other Co", salesperson="sales-2"))
    set_price_grade(uow, shop.manager, "VIPCO", "VIP")
    add_price_rules(uow, shop.manager, [PriceRuleIn("fixed", "21", grade="VIP", product="RETRO-CLOCK", min_qty=5)])
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 50, "10"), LineIn("TEA-CUP", 100, "3.3")])
    return shop


def at(uow: UnitOfWork, when: datetime) -> UnitOfWork:
    return UnitOfWork(uow.engine, clock=lambda: when)


def test_a_quotation_becomes_an_order_at_its_prices_while_valid(uow: UnitOfWork, shop: Shop) -> None:
    quoted = create_quotation(at(uow, DAY_ONE), shop.sales, "vipco", "MAIN",
                              [SalesLineIn("RETRO-CLOCK", 6), SalesLineIn("TEA-CUP", 10, "7.5")], "2026-12-20",
                              note="春节备货")
    assert (quoted.number[:3], quoted.status, quoted.valid_until, quoted.valid) == ("QT-", "open", date(2026, 12, 20),
                                                                                   True)
    assert [(ln.sku, ln.qty, ln.unit_price, ln.amount) for ln in quoted.lines] == [
        ("RETRO-CLOCK", D(6), D(21), D("126.00")), ("TEA-CUP", D(10), D("7.5"), D("75.00"))]
    assert quoted.total == D("201.00")
    add_price_rules(uow, shop.manager, [PriceRuleIn("fixed", "30", customer="VIPCO", product="RETRO-CLOCK")])
    order = order_quotation(at(uow, LATER), shop.sales, quoted.number.lower())
    assert (order.status, order.total) == ("approved", D("201.00")), "the quoted prices are kept"
    assert [(ln.sku, ln.unit_price) for ln in order.lines] == [("RETRO-CLOCK", D(21)), ("TEA-CUP", D("7.5"))]
    after = get_quotation(uow, shop.sales, quoted.number)
    assert (after.status, after.order_number, after.valid) == ("ordered", order.number, False)
    with pytest.raises(InvalidState):
        order_quotation(at(uow, LATER), shop.sales, quoted.number)


def test_an_expired_quotation_is_refused_and_nothing_is_written(uow: UnitOfWork, shop: Shop) -> None:
    quoted = create_quotation(at(uow, DAY_ONE), shop.sales, "VIPCO", "MAIN", [SalesLineIn("TEA-CUP", 1)],
                              "2026-12-20")
    with pytest.raises(InvalidState) as refused:
        order_quotation(at(uow, TOO_LATE), shop.sales, quoted.number)
    assert refused.value.params["reason"] == "quotation_expired"
    assert get_quotation(uow, shop.sales, quoted.number).status == "open"
    assert list_quotations(at(uow, TOO_LATE), shop.sales, "VIPCO") == []


@pytest.mark.parametrize("until", ["2026-12-09", "2028-01-01", "next week"])
def test_a_quotation_valid_until_a_day_past_or_too_far_or_no_day_is_refused(uow: UnitOfWork, shop: Shop,
                                                                            until: str) -> None:
    with pytest.raises(InvalidQuotation) as refused:
        create_quotation(at(uow, DAY_ONE), shop.sales, "VIPCO", "MAIN", [SalesLineIn("TEA-CUP", 1)], until)
    assert refused.value.params["reason"] == "valid_until"


def test_a_customers_open_quotations_are_listed_and_a_cancelled_one_is_not(uow: UnitOfWork, shop: Shop) -> None:
    day = at(uow, DAY_ONE)
    first = create_quotation(day, shop.sales, "VIPCO", "MAIN", [SalesLineIn("TEA-CUP", 1)])
    second = create_quotation(day, shop.sales, "VIPCO", "MAIN", [SalesLineIn("LAMP", 1)])
    create_quotation(day, load_actor(uow, "sales-2"), "OTHER", "MAIN", [SalesLineIn("LAMP", 2)])
    assert first.valid_until == date(2026, 12, 24), "two weeks by default"
    assert [q.number for q in list_quotations(day, shop.sales, "VIPCO")] == [second.number, first.number]
    assert cancel_quotation(day, shop.sales, first.number).status == "cancelled"
    assert [q.number for q in list_quotations(day, shop.sales)] == [second.number]
    assert len(list_quotations(day, shop.manager)) == 2
    with pytest.raises(PermissionDenied):
        get_quotation(uow, load_actor(uow, "sales-2"), second.number)
    with pytest.raises(PermissionDenied):
        order_quotation(day, load_actor(uow, "sales-2"), second.number)
    with pytest.raises(PermissionDenied):
        create_quotation(day, shop.warehouse, "VIPCO", "MAIN", [SalesLineIn("LAMP", 1)])


def test_a_hundred_line_quotation_is_written_and_ordered_in_as_many_statements_as_a_two_line_one(
        uow: UnitOfWork, shop: Shop) -> None:
    day = at(uow, DAY_ONE)
    skus = ["RETRO-CLOCK", "TEA-CUP", "LAMP"]
    receive_stock(uow, shop.admin, "MAIN", [LineIn("LAMP", 500, "45"), LineIn("TEA-CUP", 500, "3.3")])
    counts = []
    for size in (2, 100):
        lines = [SalesLineIn(skus[n % 3], 1) for n in range(size)]
        with counted(uow.engine) as written:
            quoted = create_quotation(day, shop.manager, "VIPCO", "MAIN", lines)
        with counted(uow.engine) as ordered:
            order_quotation(day, shop.manager, quoted.number)
        counts.append((len(written), len(ordered)))
    assert counts[0] == counts[1]
