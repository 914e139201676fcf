"""Replenishment: low-stock warnings once per crossing, in constant statements, and suggested orders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import Engine, select

from core.catalog.products import NewProduct, create_product, products_in, warehouse_in
from core.errors import InvalidQuantity, InvalidState, OutOfStock, PermissionDenied
from core.ledger.documents import open_document, post_moves
from core.ledger.posting import MoveSpec
from core.models import Notification, utcnow
from core.partners.suppliers import NewSupplier, create_supplier
from core.people.setup import bootstrap
from core.permissions import Actor
from core.purchasing.orders import get_purchase_order, submit_purchase_order
from core.purchasing.replenishment import (
    draft_purchase_orders,
    set_reorder_rule,
    suggest_replenishment,
)
from core.stock.moves import (
    LineIn,
    adjust_stock,
    dispatch_transfer,
    issue_stock,
    receive_stock,
    release_stock,
    reserve_stock,
)
from core.uow import Tx, UnitOfWork
from tests.factories import Shop, make_shop
from tests.statements import counted


def low_stock(uow: UnitOfWork) -> list[tuple[int, str, str, str]]:
    return uow.read(lambda tx: [
        (n.recipient_id, n.payload["sku"], n.payload["warehouse"], n.payload["available"])
        for n in tx.session.scalars(
            select(Notification).where(Notification.event_type == "low_stock").order_by(Notification.id))
    ])


def stocked_shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = make_shop(uow, admin)
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 20, "10"), LineIn("TEA-CUP", 50, "3")])
    set_reorder_rule(uow, shop.purchaser, "RETRO-CLOCK", "MAIN", 10, 40)
    return shop


def test_falling_below_the_minimum_warns_purchasers_and_managers_once_per_crossing(
    uow: UnitOfWork, admin: Actor
) -> None:
    shop = stocked_shop(uow, admin)
    issue_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 10)])
    assert low_stock(uow) == []
    issue_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 1)])
    issue_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 1)])
    recipients = [shop.manager.employee_id, shop.purchaser.employee_id]
    assert sorted(low_stock(uow)) == sorted((r, "RETRO-CLOCK", "MAIN", "9.0000") for r in recipients)
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 5)])
    assert len(low_stock(uow)) == 2
    issue_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 5)])
    assert [a for _, _, _, a in low_stock(uow)] == ["9.0000", "9.0000", "8.0000", "8.0000"]


def test_a_posting_undone_afterwards_leaves_no_low_stock_warning(uow: UnitOfWork, admin: Actor) -> None:
    stocked_shop(uow, admin)

    def work(tx: Tx) -> None:
        main, clock = warehouse_in(tx, "MAIN").id, products_in(tx, ["RETRO-CLOCK"])["RETRO-CLOCK"].id
        document_id, _ = open_document(tx, admin, "issue", main, reason="counted wrong")
        post_moves(tx, admin, document_id, [MoveSpec(1, clock, main, qty=D(-15))])
        written = tx.session.scalars(select(Notification.event_type)).all()
        assert written == ["low_stock", "low_stock"]
        raise InvalidState(reason="changed_mind")

    with pytest.raises(InvalidState):
        uow.run(work)
    assert low_stock(uow) == []


def test_reserving_counts_as_taking_available_stock(uow: UnitOfWork, admin: Actor) -> None:
    shop = stocked_shop(uow, admin)
    reservation = reserve_stock(uow, shop.sales, "MAIN", [LineIn("RETRO-CLOCK", 15)])
    assert {a for _, _, _, a in low_stock(uow)} == {"5.0000"}
    release_stock(uow, shop.sales, reservation.number)
    issue_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 11)])
    assert len(low_stock(uow)) == 4


def test_other_warehouses_inactive_rules_and_refused_postings_warn_nobody(uow: UnitOfWork, admin: Actor) -> None:
    shop = stocked_shop(uow, admin)
    receive_stock(uow, admin, "NORTH", [LineIn("RETRO-CLOCK", 20)])
    issue_stock(uow, admin, "NORTH", [LineIn("RETRO-CLOCK", 15)])
    set_reorder_rule(uow, shop.purchaser, "TEA-CUP", "MAIN", 45, 60, active=False)
    issue_stock(uow, admin, "MAIN", [LineIn("TEA-CUP", 10)])
    with pytest.raises(OutOfStock):
        issue_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 15), LineIn("LAMP", 1)])
    assert low_stock(uow) == []


def test_the_warning_costs_two_statements_whatever_the_line_count_and_none_when_stock_rises(
    engine: Engine, uow: UnitOfWork, admin: Actor
) -> None:
    shop = make_shop(uow, admin)
    skus = [f"GADGET-{n:02d}" for n in range(20)]
    for sku in skus:
        create_product(uow, admin, NewProduct(sku, "小工具"))
    receive_stock(uow, admin, "MAIN", [LineIn(sku, 10) for sku in skus])
    for sku in skus:
        set_reorder_rule(uow, shop.purchaser, sku, "MAIN", 5, 20)

    def statements(post: Callable[[], object]) -> list[str]:
        with counted(engine) as seen:
            post()
        return seen

    one_line = statements(lambda: issue_stock(uow, admin, "MAIN", [LineIn(skus[0], 6)]))
    many_lines = statements(lambda: issue_stock(uow, admin, "MAIN", [LineIn(sku, 6) for sku in skus[1:]]))
    no_cross = statements(lambda: issue_stock(uow, admin, "MAIN", [LineIn(sku, 1) for sku in skus]))
    rising = statements(lambda: receive_stock(uow, admin, "MAIN", [LineIn(sku, 1) for sku in skus]))
    unruled = statements(lambda: receive_stock(uow, admin, "NORTH", [LineIn(sku, 1) for sku in skus]))
    rules_read = "SELECT reorder_rule"  # the minimums come with the locked levels; this reads whom to warn
    assert len(low_stock(uow)) == 2 * len(skus)
    assert len(one_line) == len(many_lines)
    assert len(one_line) - len(no_cross) == 2 + sum("webhook" in s for s in one_line)  # and stock.low, if emitted
    assert sum(s.lstrip().startswith(rules_read) for s in one_line) == 1
    assert sum("INSERT INTO notification" in s for s in one_line) == 1
    assert not any(s.lstrip().startswith(rules_read) or "notification" in s for s in no_cross + rising + unruled)
    assert len(rising) == len(no_cross)


def test_suggestions_cover_the_maximum_and_the_demand_over_the_lead_time(uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    create_supplier(uow, admin, NewSupplier("ACME", "Acme Clocks", lead_time_days=5))
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 100, "10"), LineIn("TEA-CUP", 100, "3")])
    issue_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 60)])
    issue_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 35)])
    set_reorder_rule(uow, shop.purchaser, "RETRO-CLOCK", "MAIN", 10, 40, supplier="ACME")
    set_reorder_rule(uow, shop.purchaser, "TEA-CUP", "MAIN", 10, 40, supplier="ACME", lead_time_days=2,
                     pack_size=12)
    reserve_stock(uow, shop.sales, "MAIN", [LineIn("TEA-CUP", 95)])

    [clock, cup] = suggest_replenishment(uow, shop.purchaser)
    # 95 issued in 30 days: 3.1667 a day; 5 days of supplier lead time on top of 40 - 5 available
    assert (clock.sku, clock.supplier_code, clock.quantity) == ("RETRO-CLOCK", "ACME", D(51))
    assert clock.reason.code == "below_minimum"
    assert (clock.reason.available, clock.reason.minimum, clock.reason.maximum) == (D(5), D(10), D(40))
    assert (clock.reason.daily_demand, clock.reason.lead_time_days, clock.reason.lead_time_from) == (
        D("3.1667"), 5, "supplier")
    # reservations are not demand: 40 - 5 = 35, rounded up to whole boxes of 12
    assert (cup.sku, cup.quantity, cup.reason.daily_demand, cup.reason.lead_time_days) == (
        "TEA-CUP", D(36), D(0), 2)
    assert suggest_replenishment(uow, shop.purchaser, "NORTH") == []
    assert suggest_replenishment(uow, shop.purchaser, rule_ids=[cup.rule_id]) == [cup]


def test_demand_counts_issues_of_the_last_30_days_only(engine: Engine, admin: Actor) -> None:
    now = [utcnow() - timedelta(days=40)]
    uow = UnitOfWork(engine, clock=lambda: now[0])
    bootstrap(uow)
    shop = make_shop(uow, admin)
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 100), LineIn("LAMP", 20)])
    issue_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 90)])
    now[0] += timedelta(days=20)
    issue_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 3)])
    now[0] += timedelta(days=20)
    adjust_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", -2)], reason="dropped")
    dispatch_transfer(uow, admin, "MAIN", "NORTH", [LineIn("LAMP", 1)])
    set_reorder_rule(uow, shop.purchaser, "RETRO-CLOCK", "MAIN", 20, 30, lead_time_days=10)
    set_reorder_rule(uow, shop.purchaser, "LAMP", "MAIN", 20, 30)
    [lamp, clock] = suggest_replenishment(uow, shop.purchaser)
    # 3 issued in 30 days: 0.1 a day, 1 over 10 days; 30 - 5 available + 1
    assert (clock.sku, clock.reason.available, clock.reason.daily_demand, clock.quantity) == (
        "RETRO-CLOCK", D(5), D("0.1"), D(26))
    assert (lamp.sku, lamp.reason.daily_demand, lamp.reason.lead_time_from, lamp.quantity) == (
        "LAMP", D(0), "default", D(11))


def test_accepted_suggestions_become_draft_orders_per_supplier_and_count_as_on_order(
    uow: UnitOfWork, admin: Actor
) -> None:
    shop = make_shop(uow, admin)
    create_supplier(uow, admin, NewSupplier("ACME", "Acme Clocks"))
    create_supplier(uow, admin, NewSupplier("LUX", "Lux Lamps"))
    set_reorder_rule(uow, shop.purchaser, "RETRO-CLOCK", "MAIN", 5, 12, supplier="ACME", lead_time_days=0)
    set_reorder_rule(uow, shop.purchaser, "TEA-CUP", "MAIN", 5, 30, supplier="ACME", lead_time_days=0)
    set_reorder_rule(uow, shop.purchaser, "LAMP", "MAIN", 1, 4, supplier="LUX", lead_time_days=0)
    suggestions = suggest_replenishment(uow, shop.purchaser)
    orders = draft_purchase_orders(uow, shop.purchaser, suggestions)
    assert [(o.supplier_code, o.status, [(ln.sku, ln.qty) for ln in o.lines]) for o in orders] == [
        ("ACME", "draft", [("RETRO-CLOCK", D(12)), ("TEA-CUP", D(30))]),
        ("LUX", "draft", [("LAMP", D(4))]),
    ]
    assert get_purchase_order(uow, shop.purchaser, orders[0].number).total == D("219.00")
    again = suggest_replenishment(uow, shop.purchaser)
    assert [(s.quantity, s.reason.code, s.reason.on_order) for s in again] == [
        (D(0), "covered_by_open_orders", D(4)), (D(0), "covered_by_open_orders", D(12)),
        (D(0), "covered_by_open_orders", D(30))]
    with pytest.raises(InvalidQuantity):
        draft_purchase_orders(uow, shop.purchaser, again)
    assert [s.reason.on_draft for s in again] == [D(4), D(12), D(30)], "drafts: on order, not yet ordered"
    submit_purchase_order(uow, shop.purchaser, orders[0].number)
    submitted = suggest_replenishment(uow, shop.purchaser)
    assert [(s.sku, s.reason.on_order, s.reason.on_draft) for s in submitted] == [
        ("LAMP", D(4), D(4)), ("RETRO-CLOCK", D(12), D(0)), ("TEA-CUP", D(30), D(0))]


def test_a_suggestion_without_supplier_cannot_become_an_order(uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    set_reorder_rule(uow, shop.purchaser, "LAMP", "MAIN", 1, 4)
    with pytest.raises(InvalidState):
        draft_purchase_orders(uow, shop.purchaser, suggest_replenishment(uow, shop.purchaser))


def test_only_purchasers_and_managers_replenish(uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    with pytest.raises(PermissionDenied):
        set_reorder_rule(uow, shop.sales, "LAMP", "MAIN", 1, 4)
    with pytest.raises(PermissionDenied):
        suggest_replenishment(uow, shop.warehouse)
    with pytest.raises(InvalidQuantity):
        set_reorder_rule(uow, shop.manager, "LAMP", "MAIN", 5, 4)
    assert suggest_replenishment(uow, shop.manager) == []
