"""Suppliers and customers on each database: adding, changing, finding, who sees whom, and history."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core.errors import DuplicateCode, InvalidAmount, InvalidPartner, PermissionDenied, UnknownPartner
from core.models import AuditLog
from core.partners.customers import (
    NewCustomer,
    create_customer,
    customer_history,
    find_customers,
    get_customer,
    update_customer,
)
from core.partners.suppliers import (
    NewSupplier,
    create_supplier,
    find_suppliers,
    get_supplier,
    supplier_history,
    update_supplier,
)
from core.people.employees import create_employee, load_actor
from core.permissions import Actor
from core.purchasing.orders import PurchaseLineIn, create_purchase_order, list_purchase_orders, submit_purchase_order
from core.purchasing.receipts import ReceiptLineIn, receive_purchase
from core.purchasing.returns import ReturnLineIn, return_to_supplier
from core.sales.orders import cancel_sales_order, create_sales_order, submit_sales_order
from core.sales.records import SalesLineIn
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.factories import Shop, make_shop


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    return make_shop(uow, admin)


def test_a_supplier_is_added_found_by_code_or_name_and_changed(shop: Shop) -> None:
    added = create_supplier(shop.uow, shop.purchaser, NewSupplier(
        " acme ", "Acme 贸易有限公司", contact="王经理", phone="138-0000-0000", credit_rating="a",
        lead_time_days=12, payment_terms_days="45", note="ships on Mondays"))
    assert (added.code, added.credit_rating, added.lead_time_days, added.payment_terms_days) == ("ACME", "A", 12, 45)
    create_supplier(shop.uow, shop.purchaser, NewSupplier("ACME-2", "Acme Spares"))
    assert [s.code for s in find_suppliers(shop.uow, shop.finance, "贸易")] == ["ACME"]
    assert [s.code for s in find_suppliers(shop.uow, shop.sales, "acme")] == ["ACME", "ACME-2"]
    assert [s.code for s in find_suppliers(shop.uow, shop.sales, "SPARES")] == ["ACME-2"]

    changed = update_supplier(shop.uow, shop.manager, "acme", phone="021-5555", lead_time_days=5, active=False)
    assert (changed.phone, changed.lead_time_days, changed.active, changed.contact) == ("021-5555", 5, False, "王经理")
    assert get_supplier(shop.uow, shop.purchaser, "ACME") == changed
    audit = shop.uow.read(lambda tx: tx.session.execute(
        select(AuditLog.action, AuditLog.detail).where(AuditLog.entity == "supplier").order_by(AuditLog.id)).all())
    assert [a.action for a in audit] == ["supplier.create", "supplier.create", "supplier.update"]
    assert audit[-1].detail["changes"] == {"phone": ["138-0000-0000", "021-5555"], "lead_time_days": [12, 5],
                                           "active": [True, False]}


def test_an_inactive_supplier_takes_no_new_orders(shop: Shop) -> None:
    create_supplier(shop.uow, shop.purchaser, NewSupplier("ACME", "Acme"))
    update_supplier(shop.uow, shop.purchaser, "ACME", active=False)
    with pytest.raises(UnknownPartner) as refused:
        create_purchase_order(shop.uow, shop.purchaser, "ACME", "MAIN", [PurchaseLineIn("LAMP", 1)])
    assert refused.value.params["reason"] == "inactive"
    assert list_purchase_orders(shop.uow, shop.purchaser, supplier="ACME") == []


@pytest.mark.parametrize("field, value", [
    ("code", ""), ("code", "TWO WORDS"), ("code", "X" * 21), ("name", " "), ("credit_rating", "Z"),
    ("lead_time_days", -1), ("lead_time_days", "soon"), ("payment_terms_days", 1.5), ("phone", "1" * 41),
])
def test_supplier_fields_are_checked(shop: Shop, field: str, value: object) -> None:
    values: dict[str, object] = {"code": "ACME", "name": "Acme", field: value}
    with pytest.raises(InvalidPartner) as refused:
        create_supplier(shop.uow, shop.purchaser, NewSupplier(**values))  # type: ignore[arg-type]
    assert refused.value.params["field"] == field
    assert find_suppliers(shop.uow, shop.purchaser) == []


def test_a_supplier_code_is_taken_once(shop: Shop) -> None:
    create_supplier(shop.uow, shop.purchaser, NewSupplier("ACME", "Acme"))
    with pytest.raises(DuplicateCode):
        create_supplier(shop.uow, shop.manager, NewSupplier("acme", "Another Acme"))
    with pytest.raises(UnknownPartner):
        update_supplier(shop.uow, shop.manager, "NOBODY", phone="1")


def test_who_may_edit_and_see_partners(shop: Shop) -> None:
    with pytest.raises(PermissionDenied):
        create_supplier(shop.uow, shop.sales, NewSupplier("ACME", "Acme"))
    with pytest.raises(PermissionDenied):
        create_customer(shop.uow, shop.purchaser, NewCustomer("SHOP-1", "Corner shop"))
    with pytest.raises(PermissionDenied):
        find_suppliers(shop.uow, shop.warehouse)
    with pytest.raises(PermissionDenied):
        create_supplier(shop.uow, shop.finance, NewSupplier("ACME", "Acme"))


def test_finding_is_paginated_with_the_exact_code_first(shop: Shop) -> None:
    for n in range(25):
        create_supplier(shop.uow, shop.purchaser, NewSupplier(f"S{n:02d}", f"Supplier {24 - n:02d}"))
    create_supplier(shop.uow, shop.purchaser, NewSupplier("SUP", "Exact one"))
    first = find_suppliers(shop.uow, shop.purchaser, "sup")
    second = find_suppliers(shop.uow, shop.purchaser, "sup", page=2)
    assert len(first) == 20
    assert first[0].code == "SUP"
    assert [s.code for s in first[1:] + second] == [f"S{n:02d}" for n in range(25)]
    assert find_suppliers(shop.uow, shop.purchaser, "sup", page=3) == []


def test_a_supplier_history_shows_orders_receipts_returns_and_totals(shop: Shop) -> None:
    create_supplier(shop.uow, shop.purchaser, NewSupplier("ACME", "Acme"))
    create_supplier(shop.uow, shop.purchaser, NewSupplier("OTHER", "Other"))
    first = create_purchase_order(shop.uow, shop.purchaser, "ACME", "MAIN", [PurchaseLineIn("LAMP", 4, "40")])
    submit_purchase_order(shop.uow, shop.purchaser, first.number)
    received = receive_purchase(shop.uow, shop.warehouse, first.number, [ReceiptLineIn("LAMP", 4)])
    returned = return_to_supplier(shop.uow, shop.purchaser, first.number, [ReturnLineIn("LAMP", 1)], reason="bent")
    draft = create_purchase_order(shop.uow, shop.purchaser, "ACME", "MAIN", [PurchaseLineIn("TEA-CUP", 10)])
    create_purchase_order(shop.uow, shop.purchaser, "OTHER", "MAIN", [PurchaseLineIn("TEA-CUP", 10)])

    history = supplier_history(shop.uow, shop.purchaser, "ACME")
    assert [(o.number, o.status, o.total) for o in history.orders] == [
        (draft.number, "draft", D("33.00")), (first.number, "received", D("160.00"))]
    assert [(r.number, r.kind, r.order_number, r.value) for r in history.receipts] == [
        (returned.return_number, "purchase_return", first.number, D("-40.00")),
        (received.receipt_number, "po_receipt", first.number, D("160.00"))]
    assert (history.ordered_total, history.received_total, history.returned_total) == (
        D("160.00"), D("160.00"), D("40.00"))
    with pytest.raises(PermissionDenied):
        supplier_history(shop.uow, shop.sales, "ACME")


def test_sales_staff_own_the_customers_they_add_and_see_only_those(shop: Shop) -> None:
    create_employee(shop.uow, shop.admin, "sales-2", ["sales"])
    other = load_actor(shop.uow, "sales-2")
    mine = create_customer(shop.uow, shop.sales, NewCustomer(
        "shop-1", "街角小店 Corner shop", contact="李", channel="Store", credit_limit="5000"))
    assert (mine.code, mine.salesperson, mine.channel, mine.credit_limit) == ("SHOP-1", "sales-1", "store", D(5000))
    create_customer(shop.uow, other, NewCustomer("SHOP-2", "Second corner shop"))
    assert [c.code for c in find_customers(shop.uow, shop.sales, "corner")] == ["SHOP-1"]
    assert [c.code for c in find_customers(shop.uow, other, "")] == ["SHOP-2"]
    assert [c.code for c in find_customers(shop.uow, shop.manager, "corner")] == ["SHOP-1", "SHOP-2"]
    assert [c.salesperson for c in find_customers(shop.uow, shop.finance)] == ["sales-1", "sales-2"]
    with pytest.raises(UnknownPartner):
        get_customer(shop.uow, shop.sales, "SHOP-2")
    with pytest.raises(UnknownPartner):
        update_customer(shop.uow, shop.sales, "SHOP-2", phone="1")
    assert find_customers(shop.uow, shop.purchaser) == []

    raised = update_customer(shop.uow, shop.sales, "SHOP-1", credit_limit="8000.50", note="pays late")
    assert (raised.credit_limit, raised.note) == (D("8000.50"), "pays late")


def test_only_those_who_see_all_sales_assign_customers_to_another_salesperson(shop: Shop) -> None:
    create_employee(shop.uow, shop.admin, "sales-2", ["sales"])
    with pytest.raises(PermissionDenied):
        create_customer(shop.uow, shop.sales, NewCustomer("SHOP-1", "Corner shop", salesperson="sales-2"))
    unowned = create_customer(shop.uow, shop.manager, NewCustomer("SHOP-1", "Corner shop"))
    assert unowned.salesperson is None
    with pytest.raises(UnknownPartner):
        get_customer(shop.uow, shop.sales, "SHOP-1")
    moved = update_customer(shop.uow, shop.manager, "SHOP-1", salesperson="sales-2")
    assert moved.salesperson == "sales-2"
    assert get_customer(shop.uow, load_actor(shop.uow, "sales-2"), "SHOP-1").name == "Corner shop"
    with pytest.raises(InvalidAmount):
        create_customer(shop.uow, shop.manager, NewCustomer("SHOP-9", "Shop", credit_limit="lots"))


def test_a_customer_history_lists_their_sales_orders_newest_first(shop: Shop) -> None:
    receive_stock(shop.uow, shop.admin, "MAIN", [LineIn("LAMP", 10, "45")])
    create_customer(shop.uow, shop.sales, NewCustomer("SHOP-1", "Corner shop", credit_limit="10000"))
    create_customer(shop.uow, shop.sales, NewCustomer("SHOP-2", "Other shop", credit_limit="10000"))
    sold = create_sales_order(shop.uow, shop.sales, "SHOP-1", "MAIN", [SalesLineIn("LAMP", 2, "99")],
                              channel="store")
    submit_sales_order(shop.uow, shop.sales, sold.number)
    dropped = create_sales_order(shop.uow, shop.sales, "SHOP-1", "MAIN", [SalesLineIn("LAMP", 1, "99")])
    cancel_sales_order(shop.uow, shop.sales, dropped.number)
    create_sales_order(shop.uow, shop.sales, "SHOP-2", "MAIN", [SalesLineIn("LAMP", 1, "99")])

    history = customer_history(shop.uow, shop.sales, "SHOP-1")
    assert [(o.number, o.status, o.channel, o.total) for o in history.orders] == [
        (dropped.number, "cancelled", "chat", D("99.00")), (sold.number, "approved", "store", D("198.00"))]
    assert history.order_total == D("198.00")
    assert customer_history(shop.uow, shop.manager, "SHOP-1") == history
    create_employee(shop.uow, shop.admin, "sales-2", ["sales"])
    with pytest.raises(UnknownPartner):
        customer_history(shop.uow, load_actor(shop.uow, "sales-2"), "SHOP-1")
