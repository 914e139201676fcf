"""Posting a document's moves: the same handful of statements whatever the number of lines."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Table, bindparam, insert, literal, or_, select, true, tuple_, update

from core.errors import DomainError
from core.ledger.position import Change, Position
from core.models import Product, ReorderRule, StockLevel, StockMove, Warehouse
from core.numbers import ZERO
from core.permissions import Actor
from core.uow import Tx

Key = tuple[int, int]  # (product id, warehouse id)
LEVELS: Table = StockLevel.__table__  # type: ignore[assignment]
MOVES: Table = StockMove.__table__  # type: ignore[assignment]
RULES: Table = ReorderRule.__table__  # type: ignore[assignment]
# The active reorder minimum of a level's position, read with the lock: a posting knows without another statement
# whether it took available stock below a minimum (the rule key is unique, so one row at most).
_MINIMUM = select(RULES.c.minimum).where(
    RULES.c.product_id == LEVELS.c.product_id, RULES.c.warehouse_id == LEVELS.c.warehouse_id, RULES.c.active,
).scalar_subquery()
# Built once: every posting runs them, and building a statement costs more than running it.
# The single-column INs let SQLite search the (product, warehouse) key; a row-value IN alone scans every level.
_LOCK_LEVELS = (
    select(LEVELS.c.id, LEVELS.c.product_id, LEVELS.c.warehouse_id, LEVELS.c.on_hand, LEVELS.c.reserved,
           LEVELS.c.value, LEVELS.c.avg_cost, LEVELS.c.allow_negative, _MINIMUM.label("minimum"))
    .where(LEVELS.c.product_id.in_(bindparam("products", expanding=True)),
           LEVELS.c.warehouse_id.in_(bindparam("warehouses", expanding=True)),
           tuple_(LEVELS.c.product_id, LEVELS.c.warehouse_id).in_(bindparam("keys", expanding=True)))
    .order_by(LEVELS.c.product_id, LEVELS.c.warehouse_id)
    .with_for_update()
)
_WRITE_LEVELS = (
    update(LEVELS)
    .where(LEVELS.c.id == bindparam("level_id"))
    .values(on_hand=bindparam("on_hand"), reserved=bindparam("reserved"), value=bindparam("value"),
            avg_cost=bindparam("avg_cost"), updated_at=bindparam("updated_at"))
)
_WRITE_MOVES = insert(MOVES)
@dataclass(frozen=True)
class MoveSpec:
    """One line to post: signed changes of on hand and reserved, and how it is valued."""

    line_no: int
    product_id: int
    warehouse_id: int
    qty: Decimal = ZERO
    reserved: Decimal = ZERO
    unit_cost: Decimal | None = None
    value: Decimal | None = None
    fallback_cost: Decimal | None = None
    source_line_id: int | None = None
    label: str = ""


@dataclass(frozen=True)
class PostedMove:
    """A posted line as the caller reports it."""

    spec: MoveSpec
    change: Change


class Posting:
    """Positions locked for one document: apply lines in order, then write levels and ledger rows once each."""

    def __init__(self, tx: Tx, keys: set[tuple[int, int]]) -> None:
        self.tx = tx
        self.positions, self.minimums = _lock_positions(tx, keys)
        self.available_before = {key: p.available for key, p in self.positions.items()}
        self.posted: list[PostedMove] = []
        self.crossed: dict[Key, tuple[Decimal, Decimal]] = {}

    def apply(self, spec: MoveSpec) -> Change:
        """Apply one line to its position, raising a domain error (naming the line) when a rule forbids it."""
        position = self.positions[(spec.product_id, spec.warehouse_id)]
        try:
            change = position.apply(
                spec.qty, spec.reserved, unit_cost=spec.unit_cost, value=spec.value,
                fallback_cost=spec.fallback_cost, money_places=self.tx.money_places,
            )
        except DomainError as error:
            error.params.setdefault("item", spec.label)
            error.params.setdefault("line_no", spec.line_no)
            raise
        self.posted.append(PostedMove(spec, change))
        return change

    def write(self, actor: Actor, document_id: int) -> list[PostedMove]:
        """Write the changed levels and the ledger rows; `crossed` then holds the positions whose available stock
        fell below their active reorder minimum: (available before, after) by (product, warehouse)."""
        _write_levels(self.tx, self.positions.values())
        _write_moves(self.tx, actor, document_id, self.posted)
        self.crossed = {key: (self.available_before[key], p.available) for key, p in self.positions.items()
                        if key in self.minimums and p.available < self.minimums[key] <= self.available_before[key]}
        return self.posted


def apply_moves(tx: Tx, specs: Sequence[MoveSpec]) -> Posting:
    """Lock the positions and apply every line in order; nothing is written until `Posting.write`."""
    posting = Posting(tx, {(s.product_id, s.warehouse_id) for s in specs})
    for spec in specs:
        posting.apply(spec)
    return posting


def _lock_positions(tx: Tx, keys: set[Key]) -> tuple[dict[Key, Position], dict[Key, Decimal]]:
    """The positions locked, and the active reorder minimum of those that have one."""
    positions, minimums = _select_for_update(tx, keys)
    missing = keys - positions.keys()
    if missing:
        _create_levels(tx, missing)
        positions, minimums = _select_for_update(tx, keys)
    return positions, minimums


def _select_for_update(tx: Tx, keys: set[Key]) -> tuple[dict[Key, Position], dict[Key, Decimal]]:
    positions: dict[Key, Position] = {}
    minimums: dict[Key, Decimal] = {}
    rows = tx.conn.execute(_LOCK_LEVELS, {
        "products": sorted({p for p, _ in keys}), "warehouses": sorted({w for _, w in keys}), "keys": sorted(keys)})
    for row in rows:
        key = (row.product_id, row.warehouse_id)
        positions[key] = Position(
            product_id=row.product_id, warehouse_id=row.warehouse_id, on_hand=row.on_hand,
            reserved=row.reserved, value=row.value, avg_cost=row.avg_cost,
            allow_negative=row.allow_negative, level_id=row.id,
        )
        if row.minimum is not None:
            minimums[key] = row.minimum
    return positions, minimums


def _create_levels(tx: Tx, keys: set[tuple[int, int]]) -> None:
    product_ids = {p for p, _ in keys}
    warehouse_ids = {w for _, w in keys}
    product = Product.__table__.c
    warehouse = Warehouse.__table__.c
    source = (
        select(product.id, warehouse.id, or_(product.allow_negative, warehouse.allow_negative),
               literal(0), literal(0), literal(0), literal(0),
               bindparam("now", tx.now, type_=LEVELS.c.updated_at.type))
        .select_from(Product.__table__.join(Warehouse.__table__, true()))
        .where(product.id.in_(product_ids), warehouse.id.in_(warehouse_ids))
        .where(tuple_(product.id, warehouse.id).in_(sorted(keys)))
    )
    statement = tx.insert(LEVELS).from_select(
        ["product_id", "warehouse_id", "allow_negative", "on_hand", "reserved", "value", "avg_cost",
         "updated_at"],
        source,
    ).on_conflict_do_nothing(index_elements=["product_id", "warehouse_id"])
    tx.conn.execute(statement)


def _write_levels(tx: Tx, positions: Iterable[Position]) -> None:
    rows = [
        {"level_id": p.level_id, "on_hand": p.on_hand, "reserved": p.reserved, "value": p.value,
         "avg_cost": p.avg_cost, "updated_at": tx.now}
        for p in positions
    ]
    tx.conn.execute(_WRITE_LEVELS, rows)


def _write_moves(tx: Tx, actor: Actor, document_id: int, posted: Sequence[PostedMove]) -> None:
    rows = [
        {
            "document_id": document_id, "line_no": m.spec.line_no, "product_id": m.spec.product_id,
            "warehouse_id": m.spec.warehouse_id, "qty": m.change.qty, "reserved": m.change.reserved,
            "value": m.change.value, "unit_cost": m.change.unit_cost,
            "balance_qty": m.change.balance_qty, "balance_reserved": m.change.balance_reserved,
            "balance_value": m.change.balance_value, "avg_cost": m.change.avg_cost,
            "source_line_id": m.spec.source_line_id, "employee_id": actor.employee_id,
            "channel": actor.channel, "created_at": tx.now,
        }
        for m in posted
    ]
    tx.conn.execute(_WRITE_MOVES, rows)
