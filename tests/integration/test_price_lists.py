"""Price lists on each database: the rule matrix (grade, customer, category, product, quantity breaks, dates, most
specific wins) as one table, editing rules, who may, and pricing in a constant number of statements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from core.catalog.products import NewProduct, create_category, create_product
from core.errors import InvalidPriceRule, PermissionDenied
from core.partners.customers import NewCustomer, create_customer
from core.permissions import Actor
from core.sales.entry import quote_sales_order
from core.sales.orders import create_sales_order, submit_sales_order
from core.sales.price_lists import PriceRuleIn, add_price_rules, list_price_rules, remove_price_rule, set_price_grade
from core.sales.records import SalesLineIn
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.factories import Shop, make_shop
from tests.statements import counted

IN_DECEMBER = datetime(2026, 12, 10, 2, tzinfo=UTC)
IN_NOVEMBER = datetime(2026, 11, 20, 2, tzinfo=UTC)
IN_JANUARY = datetime(2027, 1, 5, 2, tzinfo=UTC)


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    """The small shop, cups (MUG, BOWL) and a lamp, customers of each grade and ACME (VIP with its own rules)."""
    shop = make_shop(uow, admin)
    create_category(uow, admin, "CUPS", "杯具", "Cups")
    for new in (NewProduct("MUG", "马克杯", "Mug", category="CUPS", purchase_price="8", sale_price="20",
                           floor_price="9"),
                NewProduct("BOWL", "汤碗", "Bowl", category="CUPS", purchase_price="12", sale_price="30",
                           floor_price="10"),
                NewProduct("LAMP-X", "落地灯", "Floor lamp", purchase_price="50", sale_price="100",
                           floor_price="60")):
        create_product(uow, admin, new)
    for code, grade in (("RETAIL", None), ("VIPCO", "VIP"), ("WHOLE", "批发"), ("ACME", "VIP")):
        create_customer(uow, admin, NewCustomer(code, code.title(), salesperson="sales-1"))
        set_price_grade(uow, shop.manager, code, grade)
    receive_stock(uow, admin, "MAIN", [LineIn("MUG", 500, "8"), LineIn("BOWL", 500, "12"),
                                       LineIn("LAMP-X", 50, "50")])
    add_price_rules(uow, shop.manager, [
        PriceRuleIn("percent", "90", grade="VIP"),
        PriceRuleIn("percent", "80", grade="VIP", category="CUPS"),
        PriceRuleIn("percent", "75", grade="VIP", category="CUPS"),  # the newer of two alike wins
        PriceRuleIn("fixed", "15", grade="VIP", product="MUG"),
        PriceRuleIn("fixed", "14", grade="VIP", product="MUG", min_qty="10"),
        PriceRuleIn("fixed", "12", grade="VIP", product="MUG", min_qty="100", valid_from="2026-12-01",
                    valid_to="2026-12-31"),
        PriceRuleIn("cost_plus", "25", grade="批发"),
        PriceRuleIn("fixed", "13", customer="ACME", category="CUPS"),
        PriceRuleIn("fixed", "20", customer="ACME", product="BOWL", valid_from="2027-01-01"),
        PriceRuleIn("fixed", "95", product="LAMP-X", valid_to="2026-11-30"),
    ])
    return shop


@dataclass(frozen=True)
class Case:
    why: str
    customer: str
    sku: str
    qty: int
    when: datetime
    price: str
    source: tuple[str, str, str, str]  # kind, party, scope, from quantity


MATRIX = (
    Case("no grade, no rule: the list price", "RETAIL", "MUG", 1, IN_DECEMBER, "20", ("list", "", "", "0")),
    Case("the grade's product price", "VIPCO", "MUG", 1, IN_DECEMBER, "15.00", ("rule", "grade", "product", "0")),
    Case("a quantity break reached", "VIPCO", "MUG", 10, IN_DECEMBER, "14.00", ("rule", "grade", "product", "10")),
    Case("just under the break", "VIPCO", "MUG", 9, IN_DECEMBER, "15.00", ("rule", "grade", "product", "0")),
    Case("the highest break reached, in its dates", "VIPCO", "MUG", 100, IN_DECEMBER, "12.00",
         ("rule", "grade", "product", "100")),
    Case("the dated break has ended", "VIPCO", "MUG", 100, IN_JANUARY, "14.00", ("rule", "grade", "product", "10")),
    Case("the category beats every product; the newer alike rule wins", "VIPCO", "BOWL", 1, IN_DECEMBER, "22.50",
         ("rule", "grade", "category", "0")),
    Case("every product of the grade", "VIPCO", "LAMP-X", 1, IN_DECEMBER, "90.00", ("rule", "grade", "all", "0")),
    Case("the grade beats everyone's rule", "VIPCO", "LAMP-X", 1, IN_NOVEMBER, "90.00",
         ("rule", "grade", "all", "0")),
    Case("everyone's rule in its dates", "RETAIL", "LAMP-X", 1, IN_NOVEMBER, "95.00",
         ("rule", "everyone", "product", "0")),
    Case("everyone's rule after its dates", "RETAIL", "LAMP-X", 1, IN_DECEMBER, "100", ("list", "", "", "0")),
    Case("cost plus a margin", "WHOLE", "MUG", 1, IN_DECEMBER, "10.00", ("rule", "grade", "all", "0")),
    Case("cost plus a margin, another cost", "WHOLE", "BOWL", 3, IN_DECEMBER, "15.00",
         ("rule", "grade", "all", "0")),
    Case("the customer's category beats the grade's product", "ACME", "MUG", 1, IN_DECEMBER, "13.00",
         ("rule", "customer", "category", "0")),
    Case("the customer's rule beats the grade's break", "ACME", "MUG", 10, IN_DECEMBER, "13.00",
         ("rule", "customer", "category", "0")),
    Case("the customer's product rule not yet in force", "ACME", "BOWL", 1, IN_DECEMBER, "13.00",
         ("rule", "customer", "category", "0")),
    Case("the customer's product rule in force", "ACME", "BOWL", 1, IN_JANUARY, "20.00",
         ("rule", "customer", "product", "0")),
    Case("another grade's rules never apply", "WHOLE", "LAMP-X", 1, IN_DECEMBER, "62.50",
         ("rule", "grade", "all", "0")),
)


@pytest.mark.parametrize("case", MATRIX, ids=[c.why for c in MATRIX])
def test_the_price_rule_matrix(uow: UnitOfWork, shop: Shop, case: Case) -> None:
    at = UnitOfWork(uow.engine, clock=lambda: case.when)
    quote = quote_sales_order(at, shop.sales, "MAIN", [SalesLineIn(case.sku, case.qty)], case.customer)
    line = quote.lines[0]
    assert line.unit_price == D(case.price)
    assert line.amount == (D(case.price) * case.qty).quantize(D("0.01"))
    source = line.source
    assert (source.kind, source.party, source.scope, f"{source.min_qty.normalize():f}") == case.source


def test_an_order_is_written_at_the_customers_prices_and_the_floor_applies_after(uow: UnitOfWork,
                                                                                 shop: Shop) -> None:
    at = UnitOfWork(uow.engine, clock=lambda: IN_DECEMBER)
    draft = create_sales_order(at, shop.sales, "VIPCO", "MAIN", [SalesLineIn("MUG", 100), SalesLineIn("BOWL", 2)])
    assert [(ln.sku, ln.unit_price, ln.amount) for ln in draft.lines] == [
        ("MUG", D(12), D("1200.00")), ("BOWL", D("22.5"), D("45.00"))]
    add_price_rules(at, shop.manager, [PriceRuleIn("fixed", "5", customer="RETAIL", product="MUG")])
    below = submit_sales_order(at, shop.sales, create_sales_order(
        at, shop.sales, "RETAIL", "MAIN", [SalesLineIn("MUG", 1)]).number)
    assert below.status == "pending_approval" and below.approval_reasons == ("below_floor_price",)


def test_a_typed_price_is_kept_and_says_so_with_what_the_list_proposes(uow: UnitOfWork, shop: Shop) -> None:
    at = UnitOfWork(uow.engine, clock=lambda: IN_DECEMBER)
    line = quote_sales_order(at, shop.sales, "MAIN", [SalesLineIn("MUG", 1, "16")], "VIPCO").lines[0]
    assert (line.unit_price, line.proposed, line.source.kind) == (D(16), D(15), "given")


def test_the_last_price_paid_comes_with_its_date(uow: UnitOfWork, shop: Shop) -> None:
    at = UnitOfWork(uow.engine, clock=lambda: IN_DECEMBER)
    assert quote_sales_order(at, shop.sales, "MAIN", [SalesLineIn("MUG", 1)], "VIPCO").lines[0].last_price is None
    submit_sales_order(at, shop.sales, create_sales_order(at, shop.sales, "VIPCO", "MAIN",
                                                          [SalesLineIn("MUG", 3, "16.5")]).number)
    line = quote_sales_order(at, shop.sales, "MAIN", [SalesLineIn("MUG", 1)], "VIPCO").lines[0]
    assert (line.last_price, line.last_at) == (D("16.5"), IN_DECEMBER)
    other = quote_sales_order(at, shop.sales, "MAIN", [SalesLineIn("MUG", 1)], "ACME").lines[0]
    assert other.last_price is None


def test_pricing_runs_the_same_statements_for_one_line_or_a_hundred(uow: UnitOfWork, shop: Shop) -> None:
    at = UnitOfWork(uow.engine, clock=lambda: IN_DECEMBER)
    skus = ["MUG", "BOWL", "LAMP-X", "TEA-CUP", "LAMP"]
    with counted(uow.engine) as one:
        quote_sales_order(at, shop.sales, "MAIN", [SalesLineIn("MUG", 1)], "ACME")
    with counted(uow.engine) as hundred:
        quote_sales_order(at, shop.sales, "MAIN", [SalesLineIn(skus[n % 5], n + 1) for n in range(100)], "ACME")
    assert len(hundred) == len(one)


def test_only_admins_and_managers_edit_price_lists(uow: UnitOfWork, shop: Shop) -> None:
    for actor in (shop.sales, shop.purchaser, shop.warehouse, shop.finance):
        with pytest.raises(PermissionDenied):
            add_price_rules(uow, actor, [PriceRuleIn("fixed", "1", product="MUG")])
        with pytest.raises(PermissionDenied):
            set_price_grade(uow, actor, "RETAIL", "VIP")
        with pytest.raises(PermissionDenied):
            list_price_rules(uow, actor)


@pytest.mark.parametrize(("rule", "reason"), [
    (PriceRuleIn("cheap", "1"), "method"),
    (PriceRuleIn("percent", "0", grade="VIP"), "percent"),
    (PriceRuleIn("fixed", "1", grade="VIP", customer="ACME"), "grade_and_customer"),
    (PriceRuleIn("fixed", "1", product="MUG", category="CUPS"), "product_and_category"),
    (PriceRuleIn("fixed", "1", valid_from="2026-12-31", valid_to="2026-12-01"), "dates"),
    (PriceRuleIn("fixed", "1", valid_from="31/12/2026"), "date"),
    (PriceRuleIn("fixed", "1", customer="NOBODY"), "unknown_customer"),
    (PriceRuleIn("fixed", "1", product="NOTHING"), "unknown_product"),
    (PriceRuleIn("fixed", "1", category="NONE"), "unknown_category"),
])
def test_a_bad_rule_is_refused_by_what_is_wrong_and_nothing_is_written(uow: UnitOfWork, shop: Shop,
                                                                       rule: PriceRuleIn, reason: str) -> None:
    before = len(list_price_rules(uow, shop.manager))
    with pytest.raises(InvalidPriceRule) as refused:
        add_price_rules(uow, shop.manager, [PriceRuleIn("fixed", "7", grade="VIP", product="BOWL"), rule])
    assert refused.value.params["reason"] == reason
    assert len(list_price_rules(uow, shop.manager)) == before


def test_rules_are_listed_by_customer_grade_or_product_and_removed(uow: UnitOfWork, shop: Shop) -> None:
    acme = list_price_rules(uow, shop.manager, customer="ACME")
    assert [(r.product, r.category, r.value) for r in acme] == [("BOWL", None, D(20)), (None, "CUPS", D(13))]
    assert len(list_price_rules(uow, shop.manager, grade="VIP")) == 6
    assert [r.min_qty for r in list_price_rules(uow, shop.manager, product="MUG")] == [D(100), D(10), D(0)]
    remove_price_rule(uow, shop.manager, acme[1].id)
    at = UnitOfWork(uow.engine, clock=lambda: IN_DECEMBER)
    assert quote_sales_order(at, shop.sales, "MAIN", [SalesLineIn("MUG", 1)], "ACME").lines[0].unit_price == D(15)
    with pytest.raises(InvalidPriceRule):
        remove_price_rule(uow, shop.manager, acme[1].id)
