"""Sales orders racing for the same product on PostgreSQL: approvals, shipments and walk-in issues at once."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal as D

from sqlalchemy import func, select

from core.approvals.decisions import decide
from core.errors import InvalidQuantity, InvalidState, OutOfStock
from core.ledger.check import check_ledger
from core.models import SalesOrder, SalesOrderLine, StockLevel, StockMove
from core.partners.customers import NewCustomer, create_customer
from core.people.employees import load_actor
from core.sales.orders import create_sales_order, get_sales_order, submit_sales_order
from core.sales.records import SalesLineIn
from core.sales.shipments import ship_sales_order
from core.stock.moves import LineIn, issue_stock, receive_stock
from core.uow import Tx, UnitOfWork
from tests.factories import make_shop

STOCK = D(40)
ORDER_QTY = D(5)


def run_together(tasks: list[Callable[[], None]]) -> None:
    random.Random(7).shuffle(tasks)
    with ThreadPoolExecutor(max_workers=8) as pool:
        for future in [pool.submit(task) for task in tasks]:
            future.result(timeout=60)


def test_concurrent_approvals_and_shipments_never_oversell(pg_uow: UnitOfWork) -> None:
    uow = pg_uow
    admin = load_actor(uow, "system")
    shop = make_shop(uow, admin)
    create_customer(uow, admin, NewCustomer("ACME", "Acme Trading", salesperson="sales-1"))
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", STOCK, "10")])
    sell = [SalesLineIn("RETRO-CLOCK", ORDER_QTY)]
    cheap = [SalesLineIn("RETRO-CLOCK", ORDER_QTY, unit_price="15")]
    drafts = [create_sales_order(uow, shop.sales, "ACME", "MAIN", sell).number for _ in range(8)]
    pending = [submit_sales_order(uow, shop.sales, create_sales_order(uow, shop.sales, "ACME", "MAIN", cheap).number)
               for _ in range(8)]
    early = [create_sales_order(uow, shop.sales, "ACME", "MAIN", sell).number for _ in range(2)]
    for number in early:
        submit_sales_order(uow, shop.sales, number)
        ship_sales_order(uow, shop.warehouse, number, [SalesLineIn("RETRO-CLOCK", 2)])
    outcomes: Counter[str] = Counter()

    def submit_and_ship(number: str, partial: bool) -> None:
        try:
            submit_sales_order(uow, shop.sales, number)
        except OutOfStock:
            outcomes["submit_refused"] += 1
            return
        ship_sales_order(uow, shop.warehouse, number, [SalesLineIn("RETRO-CLOCK", 2)])
        if not partial:
            ship_sales_order(uow, shop.warehouse, number)

    def approve_and_ship(number: str, request_id: int | None) -> None:
        assert request_id is not None
        try:
            decide(uow, shop.manager, request_id, approve=True)
        except OutOfStock:
            outcomes["approval_refused"] += 1
            return
        ship_sales_order(uow, shop.warehouse, number)

    def walk_in() -> None:
        try:
            issue_stock(uow, shop.warehouse, "MAIN", [LineIn("RETRO-CLOCK", 1)])
        except OutOfStock:
            outcomes["walk_in_refused"] += 1

    tasks: list[Callable[[], None]] = [lambda n=n, i=i: submit_and_ship(n, i % 2 == 0) for i, n in enumerate(drafts)]
    tasks += [lambda p=p: approve_and_ship(p.number, p.approval_request_id) for p in pending]
    tasks += [walk_in] * 4
    run_together(tasks)
    partly = [n for n in early + drafts if get_sales_order(uow, shop.manager, n).status == "partially_shipped"]

    def ship_one(number: str) -> None:
        try:
            ship_sales_order(uow, shop.warehouse, number, [SalesLineIn("RETRO-CLOCK", 1)])
        except (InvalidQuantity, InvalidState):
            outcomes["nothing_left_to_ship"] += 1

    run_together([lambda n=n: ship_one(n) for n in partly for _ in range(4)])
    assert len(partly) >= 2 and outcomes["nothing_left_to_ship"] == len(partly)

    def books(tx: Tx) -> tuple[D, D, D, D, D]:
        session = tx.session
        level = session.execute(select(StockLevel.on_hand, StockLevel.reserved)).one()
        lines = session.execute(select(func.sum(SalesOrderLine.shipped_qty), func.sum(SalesOrderLine.reserved_qty),
                                       func.min(SalesOrderLine.reserved_qty))).one()
        return level.on_hand, level.reserved, lines[0], lines[1], lines[2]

    on_hand, reserved, shipped, reserved_on_orders, least_reserved = uow.read(books)
    statuses = Counter(uow.read(lambda tx: list(tx.session.scalars(select(SalesOrder.status)))))
    walk_ins = 4 - outcomes["walk_in_refused"]
    approved_orders = 18 - outcomes["submit_refused"] - outcomes["approval_refused"]
    assert approved_orders * ORDER_QTY + walk_ins <= STOCK
    assert outcomes["submit_refused"] + outcomes["approval_refused"] >= 8
    assert on_hand == STOCK - shipped - walk_ins and on_hand >= reserved >= 0 and least_reserved >= 0
    assert reserved == reserved_on_orders
    assert on_hand - reserved < ORDER_QTY
    assert statuses["draft"] == outcomes["submit_refused"]
    assert statuses["pending_approval"] == outcomes["approval_refused"]
    assert statuses["shipped"] == approved_orders and reserved == 0
    for number in early + drafts:
        view = get_sales_order(uow, shop.manager, number)
        assert view.lines[0].reserved_qty + view.lines[0].shipped_qty in (D(0), ORDER_QTY)
    cogs = uow.read(lambda tx: tx.session.scalar(
        select(func.sum(StockMove.value)).where(StockMove.source_line_id.is_not(None))))
    assert cogs == -shipped * 10
    assert uow.read(check_ledger) == []
