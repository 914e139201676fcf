"""`jxc check`: every ledger invariant recomputed from the ledger rows, naming what fails.

The ledger is read once, in one ordered pass streamed in batches (by position, then id, along the ledger's own
index): each row's running balances and costs are replayed and each position's totals compared with its cached
level as the position ends, so time grows linearly with the ledger and memory stays that of one batch. Further
sets of checks (per lot, say) are `Check`s of a module of their own (reporting `core.ledger.problems.Problem`s, so
that it need not import this one) appended to `CHECKS`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Row, and_, func, or_, select, type_coerce
from sqlalchemy.orm import InstrumentedAttribute

from core.ledger.lot_check import check_lots
from core.ledger.problems import LIMIT, Check, Problem
from core.models import StockLevel, StockMove
from core.numbers import COST_PLACES, QTY_PLACES
from core.uow import Tx

BATCH = 20_000
SQLITE_CACHE_KIB = 256 * 1024
AMOUNT_PLACES = QTY_PLACES  # quantities and money are both stored in 10^-4 units
_COST_FACTOR: int = 10 ** COST_PLACES


@dataclass(frozen=True)
class RebuiltLevel:
    product_id: int
    warehouse_id: int
    on_hand: Decimal
    reserved: Decimal
    value: Decimal
    avg_cost: Decimal


def check_ledger(tx: Tx) -> list[Problem]:
    """Running balances and costs on every ledger row, levels against the ledger, and the no-negative rule."""
    problems: list[Problem] = []
    for check in CHECKS:
        problems += check(tx)
        if len(problems) >= LIMIT:
            break
    return problems[:LIMIT]


def rebuild_levels(tx: Tx) -> dict[tuple[int, int], RebuiltLevel]:
    """Levels computed from the ledger alone: sums of the deltas, and the average cost after the last row."""
    last = (
        select(StockMove.product_id, StockMove.warehouse_id, func.max(StockMove.id).label("last_id"))
        .group_by(StockMove.product_id, StockMove.warehouse_id)
        .subquery()
    )
    sums = (
        select(StockMove.product_id, StockMove.warehouse_id, func.sum(StockMove.qty).label("on_hand"),
               func.sum(StockMove.reserved).label("reserved"), func.sum(StockMove.value).label("value"))
        .group_by(StockMove.product_id, StockMove.warehouse_id)
        .subquery()
    )
    rows = tx.session.execute(
        select(sums, StockMove.avg_cost)
        .join(last, and_(last.c.product_id == sums.c.product_id, last.c.warehouse_id == sums.c.warehouse_id))
        .join(StockMove, StockMove.id == last.c.last_id)
    )
    return {
        (r.product_id, r.warehouse_id): RebuiltLevel(
            r.product_id, r.warehouse_id, r.on_hand, r.reserved, r.value, r.avg_cost)
        for r in rows
    }


def _amount(units: int) -> Decimal:
    return Decimal(units).scaleb(-AMOUNT_PLACES)


def _cost(units: int) -> Decimal:
    return Decimal(units).scaleb(-COST_PLACES)


def _cost_units(amount: int, qty: int) -> int:
    """round_cost(amount / qty) in 10^-6 units from two 10^-4 unit counts, half up (away from zero), in integers.
    Posting divides Decimals to 28 digits first; for 64-bit operands that never moves a result across a half."""
    numerator, denominator = abs(amount) * _COST_FACTOR, abs(qty)
    units = (2 * numerator + denominator) // (2 * denominator)
    return units if (amount < 0) == (qty < 0) else -units


def _raw(column: ColumnElement[Decimal] | InstrumentedAttribute[Decimal]) -> ColumnElement[int]:
    """A scaled-decimal column read as its stored integer: the pass does integer sums, no Decimal per cell."""
    return type_coerce(column, BigInteger)


@dataclass
class _Found:
    """The problems of the one pass, kept by kind in the order the old separate checks reported them."""

    running: list[Problem]
    costs: list[Problem]
    levels: list[Problem]
    missing: list[Problem]

    def full(self) -> bool:
        return min(len(self.running), len(self.costs), len(self.levels) + len(self.missing)) >= LIMIT

    def add(self, into: list[Problem], problem: Problem) -> None:
        if len(into) < LIMIT:
            into.append(problem)

    def all(self) -> list[Problem]:
        running = sorted(self.running, key=lambda p: p.row_id or 0)
        return running + self.costs + (self.levels + self.missing)[:LIMIT]


def _ledger_rows_and_levels(tx: Tx) -> list[Problem]:
    """Replay each position's rows in order (running sums, the unit cost and the average after every row, as
    posting sets them), then its totals and last average against its level; levels are read in the same order."""
    with _page_cache(tx):
        return _one_pass(tx)


def _one_pass(tx: Tx) -> list[Problem]:
    found = _Found([], [], [], [])
    levels = _levels(tx)
    level = next(levels, None)
    key: tuple[int, int] | None = None
    run_qty = run_reserved = run_value = average = last_average = 0
    for batch in _moves(tx):
        for (row_id, product_id, warehouse_id, qty, reserved, value, unit_cost, balance_qty, balance_reserved,
             balance_value, avg_cost) in batch:
            if (product_id, warehouse_id) != key:
                if key is not None:
                    level = _position_ends(found, key, (run_qty, run_reserved, run_value, last_average),
                                           level, levels)
                key = (product_id, warehouse_id)
                run_qty = run_reserved = run_value = average = 0
            run_qty += qty
            run_reserved += reserved
            run_value += value
            if (run_qty, run_reserved, run_value) != (balance_qty, balance_reserved, balance_value):
                found.add(found.running, Problem(
                    "running_balance", "stock_move", row_id, product_id, warehouse_id,
                    f"ledger sums qty={_amount(run_qty)} reserved={_amount(run_reserved)} "
                    f"value={_amount(run_value)}, row says qty={_amount(balance_qty)} "
                    f"reserved={_amount(balance_reserved)} value={_amount(balance_value)}"))
            if balance_qty > 0:
                average = _cost_units(balance_value, balance_qty)
            elif qty > 0 and value > 0:
                average = _cost_units(value, qty)
            unit = _cost_units(abs(value), abs(qty)) if qty != 0 else average
            if avg_cost != average or unit_cost != unit:
                found.add(found.costs, Problem(
                    "cost", "stock_move", row_id, product_id, warehouse_id,
                    f"row says avg={_cost(avg_cost)} unit={_cost(unit_cost)}, replay gives avg={_cost(average)} "
                    f"unit={_cost(unit)}"))
            last_average = avg_cost
        if found.full():
            return found.all()
    if key is not None:
        level = _position_ends(found, key, (run_qty, run_reserved, run_value, last_average), level, levels)
    while level is not None:
        _level_against(found, level, None)
        level = next(levels, None)
    return found.all()


_LevelRow = Row[int, int, int, int, int, int, int, bool]


def _position_ends(found: _Found, key: tuple[int, int], totals: tuple[int, int, int, int],
                   level: _LevelRow | None, levels: Iterator[_LevelRow]) -> _LevelRow | None:
    """Levels of positions before `key` have no ledger rows; `key`'s level is compared with its totals, or missing.
    Returns the first level after `key`."""
    while level is not None and (level[1], level[2]) < key:
        _level_against(found, level, None)
        level = next(levels, None)
    if level is not None and (level[1], level[2]) == key:
        _level_against(found, level, totals)
        return next(levels, None)
    found.add(found.missing, Problem("level_missing", "stock_level", None, *key, "ledger rows without a level"))
    return level


def _level_against(found: _Found, level: _LevelRow, totals: tuple[int, int, int, int] | None) -> None:
    """One level against what the ledger gives (nothing for a level without rows: zero at its own average)."""
    level_id, product_id, warehouse_id, on_hand, reserved, value, avg_cost, _ = level
    actual = (on_hand, reserved, value, avg_cost)
    wanted = totals if totals is not None else (0, 0, 0, avg_cost)
    if actual != wanted:
        found.add(found.levels, Problem(
            "level_differs", "stock_level", level_id, product_id, warehouse_id,
            f"level on_hand={_amount(on_hand)} reserved={_amount(reserved)} value={_amount(value)} "
            f"avg={_cost(avg_cost)}, ledger gives on_hand={_amount(wanted[0])} reserved={_amount(wanted[1])} "
            f"value={_amount(wanted[2])} avg={_cost(wanted[3])}"))
    elif on_hand > 0 and avg_cost != _cost_units(value, on_hand):
        found.add(found.levels, Problem(
            "average_cost", "stock_level", level_id, product_id, warehouse_id,
            f"avg={_cost(avg_cost)} but value/on_hand={_amount(value) / _amount(on_hand)}"))


@contextmanager
def _page_cache(tx: Tx) -> Iterator[None]:
    """On SQLite, a page cache of SQLITE_CACHE_KIB for the pass (read by position, a ledger's pages come out of the
    order they were written in, each many times), the connection's own size back afterwards."""
    if tx.dialect != "sqlite":
        yield
        return
    before = int(tx.conn.exec_driver_sql("PRAGMA cache_size").scalar_one())
    tx.conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        tx.conn.exec_driver_sql(f"PRAGMA cache_size = {before}")


def _moves(tx: Tx) -> Iterator[Sequence[tuple[int, int, int, int, int, int, int, int, int, int, int]]]:
    """Every ledger row as stored integers, by position then id, in batches of BATCH rows: the driver's own tuples
    from its cursor (a server-side one on PostgreSQL), a row object per ledger row costing more than the rest of
    the pass. The statement has no parameters."""
    m = StockMove
    statement = (
        select(m.id, m.product_id, m.warehouse_id, _raw(m.qty), _raw(m.reserved), _raw(m.value),
               _raw(m.unit_cost), _raw(m.balance_qty), _raw(m.balance_reserved), _raw(m.balance_value),
               _raw(m.avg_cost))
        .order_by(m.product_id, m.warehouse_id, m.id))
    driver: Any = tx.conn.connection.driver_connection
    cursor = driver.cursor(name="jxc_check_moves") if tx.dialect == "postgresql" else driver.cursor()
    try:
        cursor.execute(str(statement.compile(dialect=tx.conn.dialect)))
        while batch := cursor.fetchmany(BATCH):
            yield batch
    finally:
        cursor.close()


def _levels(tx: Tx) -> Iterator[_LevelRow]:
    """Every level as stored integers, by position: the order of the ledger pass."""
    s = StockLevel
    result = tx.conn.execution_options(yield_per=BATCH).execute(
        select(s.id, s.product_id, s.warehouse_id, _raw(s.on_hand), _raw(s.reserved), _raw(s.value),
               _raw(s.avg_cost), s.allow_negative)
        .order_by(s.product_id, s.warehouse_id))
    yield from result


def _negative_levels(tx: Tx) -> list[Problem]:
    rows = tx.session.execute(
        select(StockLevel).where(
            or_(StockLevel.reserved < 0,
                and_(~StockLevel.allow_negative,
                     or_(StockLevel.on_hand < 0, StockLevel.on_hand - StockLevel.reserved < 0))))
        .order_by(StockLevel.id).limit(LIMIT)
    ).scalars()
    return [
        Problem("negative", "stock_level", r.id, r.product_id, r.warehouse_id,
                f"on_hand={r.on_hand} reserved={r.reserved} without allow_negative")
        for r in rows
    ]


CHECKS: tuple[Check, ...] = (_ledger_rows_and_levels, _negative_levels, check_lots)
