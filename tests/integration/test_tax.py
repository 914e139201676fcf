"""VAT on sales on each database: a product's own rate, else its category's, else the books' default; prices with
tax (含税价) or without; tax per line and per document in exact decimals, worked by hand."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from core.catalog.products import NewProduct, create_category, create_product
from core.config import BookRules
from core.errors import InvalidAmount, PermissionDenied, UnknownProduct
from core.partners.customers import NewCustomer, create_customer
from core.permissions import Actor
from core.sales.orders import create_sales_order, get_sales_order
from core.sales.quotations import create_quotation
from core.sales.records import SalesLineIn
from core.sales.tax import set_vat_rate
from core.uow import UnitOfWork
from tests.factories import Shop, make_shop


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = make_shop(uow, admin)
    create_category(uow, admin, "FOOD", "食品", "Food")
    create_product(uow, admin, NewProduct("RICE", "大米", "Rice", category="FOOD", sale_price="54.50"))
    create_product(uow, admin, NewProduct("BOOK", "图书", "Book", category="FOOD", sale_price="30"))
    create_customer(uow, admin, NewCustomer("ACME", "Acme", salesperson="sales-1"))
    set_vat_rate(uow, shop.manager, "FOOD", "9")
    set_vat_rate(uow, shop.manager, "BOOK", "0")
    set_vat_rate(uow, shop.manager, "lamp", "13%")
    return shop


LINES = [SalesLineIn("LAMP", 3), SalesLineIn("RICE", 7), SalesLineIn("BOOK", 2), SalesLineIn("TEA-CUP", 5)]
# LAMP 3 x 99 = 297.00 at 13 %, RICE 7 x 54.50 = 381.50 at 9 % (its category), BOOK 2 x 30 = 60.00 at 0 % (its own,
# over its category's), TEA-CUP 5 x 8 = 40.00 at the default.
CASES = [
    ("with tax, default 0", True, "0", [("13", "34.17"), ("9", "31.50"), ("0", "0.00"), ("0", "0.00")], "778.50",
     "65.67"),  # 297 x 13/113 = 34.168..., 381.50 x 9/109 = 31.4999...
    ("with tax, default 6", True, "6", [("13", "34.17"), ("9", "31.50"), ("0", "0.00"), ("6", "2.26")], "778.50",
     "67.93"),  # 40 x 6/106 = 2.2641...
    ("without tax, default 6", False, "6", [("13", "38.61"), ("9", "34.34"), ("0", "0.00"), ("6", "2.40")],
     "853.85", "75.35"),  # 778.50 + 75.35; 297 x 0.13 = 38.61, 381.50 x 0.09 = 34.335 -> 34.34, 40 x 0.06 = 2.40
]


@pytest.mark.parametrize(("why", "inclusive", "default", "lines", "total", "tax"), CASES, ids=[c[0] for c in CASES])
def test_tax_per_line_and_per_document(uow: UnitOfWork, shop: Shop, why: str, inclusive: bool, default: str,
                                       lines: list[tuple[str, str]], total: str, tax: str) -> None:
    books = UnitOfWork(uow.engine, rules=BookRules(prices_include_tax=inclusive, default_vat_rate=D(default)))
    order = create_sales_order(books, shop.sales, "ACME", "MAIN", LINES)
    assert [(f"{ln.tax_rate:f}", f"{ln.tax_amount:f}") for ln in order.lines] == lines
    assert [ln.amount for ln in order.lines] == [D("297.00"), D("381.50"), D("60.00"), D("40.00")]
    assert (order.total, order.tax_total) == (D(total), D(tax))
    assert get_sales_order(books, shop.sales, order.number).tax_total == D(tax)
    quoted = create_quotation(books, shop.sales, "ACME", "MAIN", LINES)
    assert (quoted.total, quoted.tax_total) == (D(total), D(tax))
    assert [f"{ln.tax_amount:f}" for ln in quoted.lines] == [t for _, t in lines]


def test_only_catalogue_editors_set_rates_and_a_bad_rate_is_refused(uow: UnitOfWork, shop: Shop) -> None:
    with pytest.raises(PermissionDenied):
        set_vat_rate(uow, shop.sales, "LAMP", "6")
    for bad in ("101", "-1", "abc", "13.12345"):
        with pytest.raises(InvalidAmount):
            set_vat_rate(uow, shop.manager, "LAMP", bad)
    with pytest.raises(UnknownProduct):
        set_vat_rate(uow, shop.manager, "NOTHING", "6")
    assert set_vat_rate(uow, shop.purchaser, "LAMP", "") is None
    order = create_sales_order(uow, shop.sales, "ACME", "MAIN", [SalesLineIn("LAMP", 1)])
    assert (order.lines[0].tax_rate, order.tax_total) == (D(0), D(0))
