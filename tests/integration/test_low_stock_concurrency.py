"""Eight processes take stock across the minimum at once: the crossing is warned about exactly once."""

from __future__ import annotations

import multiprocessing
from decimal import Decimal as D
from typing import Any

from sqlalchemy import Engine, select

from core.db import create_db_engine
from core.ledger.check import check_ledger
from core.models import Notification, StockLevel, Warehouse
from core.people.employees import load_actor
from core.purchasing.replenishment import set_reorder_rule
from core.stock.moves import LineIn, issue_stock, receive_stock, reserve_stock
from core.uow import UnitOfWork
from tests.factories import make_shop

WORKERS = 8
TIMEOUT = 60


def take_one_twice(url: str, barrier: Any, reserve: bool) -> None:
    """Issue (or reserve) one clock as soon as everyone is ready; again after the stock is topped up."""
    engine = create_db_engine(url, pool_size=1)
    uow = UnitOfWork(engine)
    actor = load_actor(uow, "system")
    take = reserve_stock if reserve else issue_stock
    try:
        for _ in range(2):
            barrier.wait(TIMEOUT)
            take(uow, actor, "MAIN", [LineIn("RETRO-CLOCK", 1)])
            barrier.wait(TIMEOUT)
    finally:
        engine.dispose()


def test_concurrent_takers_across_the_minimum_warn_once_per_crossing(pg_engine: Engine, pg_uow: UnitOfWork) -> None:
    admin = load_actor(pg_uow, "system")
    shop = make_shop(pg_uow, admin)
    receive_stock(pg_uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 13, "10")])
    set_reorder_rule(pg_uow, shop.purchaser, "RETRO-CLOCK", "MAIN", 10, 40)
    pg_engine.dispose()
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(WORKERS + 1)
    url = pg_engine.url.render_as_string(hide_password=False)
    workers = [context.Process(target=take_one_twice, args=(url, barrier, n % 2 == 1)) for n in range(WORKERS)]
    for worker in workers:
        worker.start()
    try:
        barrier.wait(TIMEOUT)
        barrier.wait(TIMEOUT)
        receive_stock(pg_uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 8, "10")])
        barrier.wait(TIMEOUT)
        barrier.wait(TIMEOUT)
    finally:
        for worker in workers:
            worker.join(TIMEOUT)
    assert [w.exitcode for w in workers] == [0] * WORKERS

    warned = pg_uow.read(lambda tx: [
        (n.recipient_id, n.payload["document_id"], n.payload["available"])
        for n in tx.session.scalars(select(Notification).where(Notification.event_type == "low_stock"))
    ])
    recipients = {shop.manager.employee_id, shop.purchaser.employee_id}
    documents = {document for _, document, _ in warned}
    assert len(warned) == 2 * len(recipients) and len(documents) == 2
    assert {r for r, _, _ in warned} == recipients
    assert {a for _, _, a in warned} == {"9.0000"}
    main = pg_uow.read(lambda tx: tx.session.execute(
        select(StockLevel.on_hand, StockLevel.reserved).join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .where(Warehouse.code == "MAIN")).one())
    assert main.on_hand - main.reserved == D(5)
    assert pg_uow.read(check_ledger) == []
