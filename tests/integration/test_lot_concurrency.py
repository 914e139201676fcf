"""Lots racing on PostgreSQL: shipments for the last units of the earliest lot, and one serial received twice."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal as D

from sqlalchemy import select

from core.catalog.products import NewProduct, create_product
from core.errors import LotRefused, OutOfStock
from core.ledger.check import check_ledger
from core.models import Lot, LotLevel
from core.partners.customers import NewCustomer, create_customer
from core.people.employees import load_actor
from core.permissions import Actor
from core.sales.orders import create_sales_order, submit_sales_order
from core.sales.records import SalesLineIn
from core.sales.shipments import ship_sales_order
from core.stock.moves import LineIn, issue_stock, receive_stock
from core.uow import Tx, UnitOfWork
from tests.factories import Shop, make_shop

ROUNDS = 4


def together(tasks: list[Callable[[], None]]) -> None:
    """Start every task at the same moment."""
    start = threading.Barrier(len(tasks))

    def run(task: Callable[[], None]) -> None:
        start.wait()
        task()

    with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
        for future in [pool.submit(run, task) for task in tasks]:
            future.result(timeout=60)


def lots_of(tx: Tx, sku_prefix: str) -> dict[str, D]:
    return {r.code: r.on_hand for r in tx.session.execute(
        select(Lot.code, LotLevel.on_hand).join(LotLevel, LotLevel.lot_id == Lot.id)
        .where(Lot.code.like(f"{sku_prefix}%")))}


def test_shipments_racing_for_the_earliest_lot_take_the_next_lot_or_are_refused(pg_uow: UnitOfWork) -> None:
    uow = pg_uow
    admin = load_actor(uow, "system")
    shop = make_shop(uow, admin)
    create_customer(uow, admin, NewCustomer("ACME", "Acme Trading", salesperson="sales-1"))
    for n in range(ROUNDS):
        sku = f"MILK-{n}"
        create_product(uow, admin, NewProduct(sku, "牛奶", "Milk", purchase_price="2", tracking="lot"))
        receive_stock(uow, admin, "MAIN", [LineIn(sku, 5, lot=f"R{n}-EARLY", expiry="2030-01-01"),
                                           LineIn(sku, 5, lot=f"R{n}-NEXT", expiry="2030-02-01"),
                                           LineIn(sku, 5, lot=f"R{n}-OLD", expiry="2020-01-01")])
        order = create_sales_order(uow, shop.sales, "ACME", "MAIN", [SalesLineIn(sku, 5)]).number
        assert shipping_round(uow, shop, sku, order) == Counter({"shipped": 2, "refused": 1})
        assert uow.read(lambda tx, n=n: lots_of(tx, f"R{n}-")) == {
            f"R{n}-EARLY": D(0), f"R{n}-NEXT": D(0), f"R{n}-OLD": D(5)}, "the expired lot is never picked"
    assert uow.read(check_ledger) == []


def shipping_round(uow: UnitOfWork, shop: Shop, sku: str, order: str) -> Counter[str]:
    """Two walk-in issues and one sales order, each for 5, at once."""
    outcomes: Counter[str] = Counter()

    def walk_in() -> None:
        try:
            issue_stock(uow, shop.warehouse, "MAIN", [LineIn(sku, 5)])
            outcomes["shipped"] += 1
        except OutOfStock:
            outcomes["refused"] += 1

    def by_order() -> None:
        try:
            submit_sales_order(uow, shop.sales, order)
        except OutOfStock:
            outcomes["refused"] += 1
            return
        ship_sales_order(uow, shop.warehouse, order)
        outcomes["shipped"] += 1

    together([walk_in, walk_in, by_order])
    return outcomes


def test_two_receipts_of_the_same_serial_at_once_one_wins(pg_uow: UnitOfWork) -> None:
    uow = pg_uow
    admin = load_actor(uow, "system")
    make_shop(uow, admin)
    create_product(uow, admin, NewProduct("PHONE", "手机", "Phone", purchase_price="900", tracking="serial"))
    for n in range(ROUNDS):
        assert serial_round(uow, admin, f"IMEI-{n}") == Counter({"received": 1, "refused": 1})
        assert sum(uow.read(lambda tx, n=n: lots_of(tx, f"IMEI-{n}")).values()) == D(1)
    assert uow.read(check_ledger) == []


def serial_round(uow: UnitOfWork, admin: Actor, serial: str) -> Counter[str]:
    """The same serial received into MAIN and NORTH at once."""
    outcomes: Counter[str] = Counter()

    def receive(warehouse: str) -> None:
        try:
            receive_stock(uow, admin, warehouse, [LineIn("PHONE", 1, lot=serial)])
            outcomes["received"] += 1
        except LotRefused as refused:
            assert refused.params["reason"] == "serial_twice"
            outcomes["refused"] += 1

    together([lambda: receive("MAIN"), lambda: receive("NORTH")])
    return outcomes
