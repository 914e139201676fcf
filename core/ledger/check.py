"""`jxc check`: every ledger invariant recomputed from the ledger rows, naming what fails."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, func, or_, select

from core.ledger.lot_check import check_lots
from core.models import StockLevel, StockMove
from core.numbers import round_cost
from core.uow import Tx

LIMIT = 100


@dataclass(frozen=True)
class Problem:
    """One broken invariant, with the row it was found on."""

    kind: str
    table: str
    row_id: int | None
    product_id: int
    warehouse_id: int
    detail: str


@dataclass(frozen=True)
class RebuiltLevel:
    product_id: int
    warehouse_id: int
    on_hand: Decimal
    reserved: Decimal
    value: Decimal
    avg_cost: Decimal


def check_ledger(tx: Tx) -> list[Problem]:
    """Running balances and costs on every ledger row, levels against a rebuild, and the no-negative rule."""
    return (_running_balances(tx) + _costs_per_row(tx) + _levels_against_rebuild(tx)
            + _negative_levels(tx) + [Problem(*p) for p in check_lots(tx)])[:LIMIT]


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


def _running_balances(tx: Tx) -> list[Problem]:
    partition = (StockMove.product_id, StockMove.warehouse_id)
    running = select(
        StockMove.id, StockMove.product_id, StockMove.warehouse_id, StockMove.balance_qty,
        StockMove.balance_reserved, StockMove.balance_value,
        func.sum(StockMove.qty).over(partition_by=partition, order_by=StockMove.id).label("run_qty"),
        func.sum(StockMove.reserved).over(partition_by=partition, order_by=StockMove.id).label("run_reserved"),
        func.sum(StockMove.value).over(partition_by=partition, order_by=StockMove.id).label("run_value"),
    ).subquery()
    c = running.c
    rows = tx.session.execute(
        select(running).where(or_(c.run_qty != c.balance_qty, c.run_reserved != c.balance_reserved,
                                  c.run_value != c.balance_value)).order_by(c.id).limit(LIMIT)
    )
    return [
        Problem("running_balance", "stock_move", r.id, r.product_id, r.warehouse_id,
                f"ledger sums qty={r.run_qty} reserved={r.run_reserved} value={r.run_value}, row says "
                f"qty={r.balance_qty} reserved={r.balance_reserved} value={r.balance_value}")
        for r in rows
    ]


def _costs_per_row(tx: Tx) -> list[Problem]:
    """Replay each position's rows in order: the unit cost and the average after every row, as posting sets them."""
    rows = tx.conn.execution_options(yield_per=10_000).execute(
        select(StockMove.id, StockMove.product_id, StockMove.warehouse_id, StockMove.qty, StockMove.value,
               StockMove.unit_cost, StockMove.balance_qty, StockMove.balance_value, StockMove.avg_cost)
        .order_by(StockMove.product_id, StockMove.warehouse_id, StockMove.id))
    problems: list[Problem] = []
    key, average = (0, 0), Decimal(0)
    for r in rows:
        if (r.product_id, r.warehouse_id) != key:
            key, average = (r.product_id, r.warehouse_id), Decimal(0)
        if r.balance_qty > 0:
            average = round_cost(r.balance_value / r.balance_qty)
        elif r.qty > 0 and r.value > 0:
            average = round_cost(r.value / r.qty)
        unit = round_cost(abs(r.value) / abs(r.qty)) if r.qty != 0 else average
        if (r.avg_cost, r.unit_cost) != (average, unit):
            problems.append(Problem("cost", "stock_move", r.id, *key,
                                    f"row says avg={r.avg_cost} unit={r.unit_cost}, replay gives avg={average} "
                                    f"unit={unit}"))
            if len(problems) >= LIMIT:
                break
    return problems


def _levels_against_rebuild(tx: Tx) -> list[Problem]:
    rebuilt = rebuild_levels(tx)
    problems: list[Problem] = []
    levels = tx.session.execute(select(StockLevel)).scalars()
    seen: set[tuple[int, int]] = set()
    for level in levels:
        key = (level.product_id, level.warehouse_id)
        seen.add(key)
        expected = rebuilt.get(key) or RebuiltLevel(*key, Decimal(0), Decimal(0), Decimal(0), level.avg_cost)
        actual = (level.on_hand, level.reserved, level.value, level.avg_cost)
        wanted = (expected.on_hand, expected.reserved, expected.value, expected.avg_cost)
        if actual != wanted:
            problems.append(Problem(
                "level_differs", "stock_level", level.id, *key,
                f"level on_hand={actual[0]} reserved={actual[1]} value={actual[2]} avg={actual[3]}, "
                f"ledger gives on_hand={wanted[0]} reserved={wanted[1]} value={wanted[2]} avg={wanted[3]}"))
        elif level.on_hand > 0 and level.avg_cost != round_cost(level.value / level.on_hand):
            problems.append(Problem("average_cost", "stock_level", level.id, *key,
                                    f"avg={level.avg_cost} but value/on_hand={level.value / level.on_hand}"))
    for key in rebuilt.keys() - seen:
        problems.append(Problem("level_missing", "stock_level", None, *key, "ledger rows without a level"))
    return problems[:LIMIT]


def _negative_levels(tx: Tx) -> list[Problem]:
    rows = tx.session.execute(
        select(StockLevel).where(
            or_(StockLevel.reserved < 0,
                and_(~StockLevel.allow_negative,
                     or_(StockLevel.on_hand < 0, StockLevel.on_hand - StockLevel.reserved < 0))))
        .limit(LIMIT)
    ).scalars()
    return [
        Problem("negative", "stock_level", r.id, r.product_id, r.warehouse_id,
                f"on_hand={r.on_hand} reserved={r.reserved} without allow_negative")
        for r in rows
    ]
