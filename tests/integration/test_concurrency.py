"""Concurrent requests: the last units go to exactly as many buyers as there are units, and nothing posts twice."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal as D
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from core.catalog.products import NewProduct, create_product, create_warehouse
from core.db import create_db_engine
from core.errors import InvalidState, OutOfStock
from core.ledger.check import check_ledger
from core.models import Product, StockDocument, StockLevel, StockMove, Warehouse
from core.people.employees import load_actor
from core.permissions import Actor
from core.stock.moves import LineIn, dispatch_transfer, issue_stock, receive_stock, receive_transfer, reserve_stock
from core.stock.moves import release_stock as release_reservation
from core.uow import Tx, UnitOfWork

RACERS = 16
WANTS = [1 + n % 3 for n in range(RACERS)]  # 1, 2, 3, 1, ...: 32 units asked for, 10 there
STRESS_WORKERS, STRESS_ISSUES = 8, 25


def stock_up(uow: UnitOfWork, admin: Actor, stock: dict[str, int]) -> None:
    create_warehouse(uow, admin, "MAIN", "主仓 Main")
    create_warehouse(uow, admin, "NORTH", "北仓 North")
    for sku, qty in stock.items():
        create_product(uow, admin, NewProduct(sku, sku))
        receive_stock(uow, admin, "MAIN", [LineIn(sku, qty, "4.20")])


def on_hand(uow: UnitOfWork, sku: str, warehouse: str = "MAIN") -> tuple[D, D, D]:
    """On hand and value by the level, and on hand by the ledger sum."""
    def work(tx: Tx) -> tuple[D, D, D]:
        key = (select(Product.id).where(Product.sku == sku).scalar_subquery(),
               select(Warehouse.id).where(Warehouse.code == warehouse).scalar_subquery())
        level = tx.session.execute(select(StockLevel.on_hand, StockLevel.value).where(
            StockLevel.product_id == key[0], StockLevel.warehouse_id == key[1])).one()
        ledger = tx.session.scalar(select(func.sum(StockMove.qty)).where(
            StockMove.product_id == key[0], StockMove.warehouse_id == key[1]))
        return level.on_hand, level.value, ledger
    return uow.read(work)


def attempt_issue(uow: UnitOfWork, actor: Actor, lines: list[LineIn], wanted: int) -> tuple[str, int, str]:
    try:
        issue_stock(uow, actor, "MAIN", lines)
    except OutOfStock as refused:
        return "out_of_stock", wanted, str(refused.params["available"])
    except Exception as error:  # every other failure is reported to the test, which fails on it
        return "error", wanted, f"{type(error).__name__}: {error}"[:500]
    return "issued", wanted, ""


def race_for_the_last_units(uow: UnitOfWork, actor: Actor, barrier: Any, wanted: int) -> list[tuple[str, int, str]]:
    """One buyer: one issue the moment every buyer is ready."""
    barrier.wait(timeout=120)
    return [attempt_issue(uow, actor, [LineIn("LAST-UNITS", wanted)], wanted)]


def issue_one_at_a_time(uow: UnitOfWork, actor: Actor, barrier: Any, worker: int) -> list[tuple[str, int, str]]:
    """A stress worker: many one-unit issues of two products, half the workers naming them in the other order."""
    lines = [LineIn("SPOON", 1), LineIn("FORK", 1)]
    barrier.wait(timeout=120)
    return [attempt_issue(uow, actor, lines[::-1] if worker % 2 else lines, 1) for _ in range(STRESS_ISSUES)]


TASKS = {"race": race_for_the_last_units, "stress": issue_one_at_a_time}


def serve(tasks: Any, results: Any, barriers: dict[str, Any]) -> None:
    """A worker process: for each task, its own engine and unit of work from the URL, then the task's work."""
    while (task := tasks.get()) is not None:
        kind, url, argument = task
        engine = create_db_engine(url, pool_size=1)
        try:
            uow = UnitOfWork(engine)
            results.put(TASKS[kind](uow, load_actor(uow, "system"), barriers[kind], argument))
        finally:
            engine.dispose()


class Workers:
    """Spawned processes, started once for this module, that run tasks released together by a barrier."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.tasks = context.Queue()
        self.results = context.Queue()
        self.barriers = {"race": context.Barrier(RACERS), "stress": context.Barrier(STRESS_WORKERS)}
        self.processes = [context.Process(target=serve, args=(self.tasks, self.results, self.barriers))
                          for _ in range(RACERS)]
        for process in self.processes:
            process.start()

    def run(self, kind: str, url: str, arguments: list[int]) -> list[tuple[str, int, str]]:
        for argument in arguments:
            self.tasks.put((kind, url, argument))
        return [outcome for _ in arguments for outcome in self.results.get(timeout=180)]

    def stop(self) -> None:
        for _ in self.processes:
            self.tasks.put(None)
        for process in self.processes:
            process.join(timeout=60)
        assert [p.exitcode for p in self.processes] == [0] * len(self.processes)


@pytest.fixture(scope="module")
def workers() -> Iterator[Workers]:
    pool = Workers()
    yield pool
    pool.stop()


def run_threads(count: int, work: Callable[[int], object]) -> list[object]:
    barrier = threading.Barrier(count)
    outcomes: list[object] = [None] * count

    def run(n: int) -> None:
        barrier.wait(timeout=60)
        try:
            outcomes[n] = work(n)
        except Exception as error:  # collected and asserted on by the test
            outcomes[n] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def assert_fair_race(uow: UnitOfWork, outcomes: list[tuple[str, int, str]], stock: int) -> None:
    issued = sum(wanted for kind, wanted, _ in outcomes if kind == "issued")
    left = stock - issued
    assert [o for o in outcomes if o[0] not in ("issued", "out_of_stock")] == []
    assert left >= 0
    assert on_hand(uow, "LAST-UNITS") == (D(left), D(left) * D("4.20"), D(left))
    refused = [wanted for kind, wanted, _ in outcomes if kind == "out_of_stock"]
    assert refused, "more was asked for than there was"
    assert all(wanted > left for wanted in refused), "a buyer was refused while enough was left for them"
    assert uow.read(check_ledger) == []


def test_sixteen_processes_racing_for_the_last_ten_units_take_at_most_ten(
    pg_uow: UnitOfWork, pg_url: str, workers: Workers
) -> None:
    stock_up(pg_uow, load_actor(pg_uow, "system"), {"LAST-UNITS": 10})
    outcomes = workers.run("race", pg_url, WANTS)
    assert_fair_race(pg_uow, outcomes, 10)


def test_eight_threads_racing_for_the_last_units_take_at_most_what_is_there(uow: UnitOfWork, admin: Actor) -> None:
    stock_up(uow, admin, {"LAST-UNITS": 10})
    outcomes = run_threads(8, lambda n: attempt_issue(uow, admin, [LineIn("LAST-UNITS", 1 + n % 3)], 1 + n % 3))
    assert_fair_race(uow, outcomes, 10)  # type: ignore[arg-type]


def test_eight_processes_issuing_one_at_a_time_empty_the_stock_exactly(
    pg_uow: UnitOfWork, pg_url: str, workers: Workers
) -> None:
    stock = STRESS_WORKERS * STRESS_ISSUES
    stock_up(pg_uow, load_actor(pg_uow, "system"), {"SPOON": stock, "FORK": stock})
    outcomes = workers.run("stress", pg_url, list(range(STRESS_WORKERS)))
    assert len(outcomes) == stock
    assert [o for o in outcomes if o[0] != "issued"] == []
    assert on_hand(pg_uow, "SPOON")[:2] == on_hand(pg_uow, "FORK")[:2] == (D(0), D(0))
    issues = pg_uow.read(lambda tx: tx.session.scalar(
        select(func.count()).select_from(StockDocument).where(StockDocument.kind == "issue")))
    assert issues == stock
    assert pg_uow.read(check_ledger) == []


def test_a_second_ledger_row_for_the_same_document_line_is_impossible(uow: UnitOfWork, admin: Actor) -> None:
    stock_up(uow, admin, {"LAST-UNITS": 10})

    def post_again(tx: Tx) -> None:
        row = tx.session.execute(select(StockMove)).scalars().one()
        columns = {c.key: getattr(row, c.key) for c in StockMove.__table__.columns if c.key != "id"}
        tx.session.execute(insert(StockMove).values(**columns))

    with pytest.raises(IntegrityError):
        uow.run(post_again)
    assert on_hand(uow, "LAST-UNITS") == (D(10), D(42), D(10))


def test_a_transfer_received_twice_at_once_is_received_once(uow: UnitOfWork, admin: Actor) -> None:
    stock_up(uow, admin, {"LAST-UNITS": 10})
    sent = dispatch_transfer(uow, admin, "MAIN", "NORTH", [LineIn("LAST-UNITS", 4)])
    outcomes = run_threads(4, lambda _: receive_transfer(uow, admin, sent.number))
    received = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(received) == 1
    assert all(isinstance(o, InvalidState) for o in outcomes if isinstance(o, Exception))
    assert on_hand(uow, "LAST-UNITS", "NORTH") == (D(4), D("16.80"), D(4))
    assert on_hand(uow, "LAST-UNITS", "TRANSIT") == (D(0), D(0), D(0))
    arrivals = uow.read(lambda tx: tx.session.scalar(
        select(func.count()).select_from(StockDocument).where(StockDocument.kind == "transfer_in")))
    assert arrivals == 1
    assert uow.read(check_ledger) == []


def test_a_reservation_released_twice_at_once_is_released_once(uow: UnitOfWork, admin: Actor) -> None:
    stock_up(uow, admin, {"LAST-UNITS": 10})
    held = reserve_stock(uow, admin, "MAIN", [LineIn("LAST-UNITS", 6)])
    outcomes = run_threads(4, lambda _: release_reservation(uow, admin, held.number))
    assert sum(not isinstance(o, Exception) for o in outcomes) == 1
    assert all(isinstance(o, InvalidState) for o in outcomes if isinstance(o, Exception))
    reserved = uow.read(lambda tx: tx.session.scalar(select(func.sum(StockLevel.reserved))))
    assert reserved == D(0)
    assert uow.read(check_ledger) == []
