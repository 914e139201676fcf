"""Posting a document's moves: the same handful of statements whatever the number of lines."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy import Table, bindparam, insert, literal, or_, select, true, tuple_, update

from core.errors import DomainError, LotRefused
from core.ledger.lot_book import LotBook
from core.ledger.position import Change, Position
from core.models import Product, ReorderRule, StockLevel, StockMove, Warehouse
from core.numbers import ZERO, round_money
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
_TRACKING = select(Product.__table__.c.tracking).where(Product.__table__.c.id == LEVELS.c.product_id).scalar_subquery()
# Built once: every posting runs them, and building a statement costs more than running it.
# The single-column INs let SQLite search the (product, warehouse) key; a row-value IN alone scans every level.
_LOCK_LEVELS = (
    select(LEVELS.c.id, LEVELS.c.product_id, LEVELS.c.warehouse_id, LEVELS.c.on_hand, LEVELS.c.reserved,
           LEVELS.c.value, LEVELS.c.avg_cost, LEVELS.c.allow_negative, _MINIMUM.label("minimum"),
           _TRACKING.label("tracking"))
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
    lot_id: int | None = None  # the lot or serial of a tracked product; None: first-expired-first-out / "no lot"
    expired_first: bool = False  # corrections (adjustments, counts): expired lots go first instead of never


@dataclass(frozen=True)
class PostedMove:
    """A posted line as the caller reports it."""

    spec: MoveSpec
    change: Change


class Posting:
    """Positions locked for one document: apply lines in order, then write levels and ledger rows once each.

    Lines of a tracked product fall on lots (`core/ledger/lot_book.py`): one ledger row per line and lot."""

    def __init__(self, tx: Tx, keys: set[tuple[int, int]], lots: Iterable[int | None] = ()) -> None:
        self.tx = tx
        self.positions, self.minimums, tracking = _lock_positions(tx, keys)
        self.initial = {key: replace(p) for key, p in self.positions.items()}
        self.available_before = {key: p.available for key, p in self.positions.items()}
        self.posted: list[PostedMove] = []
        self.crossed: dict[Key, tuple[Decimal, Decimal]] = {}
        tracked = {key for key in keys if tracking.get(key[0], "none") != "none"}
        named = {lot for lot in lots if lot is not None}
        self.lots = None if not tracked and not named else LotBook(
            tx, tracked, {p for p, kind in tracking.items() if kind == "serial"}, named,
            {key: self.positions[key].allow_negative for key in tracked})
        self.tracked = {p for p, _ in tracked}

    def apply(self, spec: MoveSpec) -> Change:
        """Apply one line to its position, raising a domain error (naming the line) when a rule forbids it."""
        parts = self.apply_parts(spec)
        if len(parts) == 1:
            return parts[0].change
        last = parts[-1].change
        return replace(last, qty=sum((m.change.qty for m in parts), ZERO),
                       reserved=sum((m.change.reserved for m in parts), ZERO),
                       value=sum((m.change.value for m in parts), ZERO),
                       unit_cost=parts[0].change.unit_cost)

    def apply_parts(self, spec: MoveSpec) -> list[PostedMove]:
        """Apply one line, split over the lots it falls on for a tracked product: the ledger rows it makes."""
        try:
            return [self._apply_one(part) for part in self._split(spec)]
        except DomainError as error:
            error.params.setdefault("item", spec.label)
            error.params.setdefault("line_no", spec.line_no)
            raise

    def _split(self, spec: MoveSpec) -> list[MoveSpec]:
        if self.lots is None or spec.product_id not in self.tracked:
            if spec.lot_id is not None:
                raise LotRefused(reason="not_tracked")
            return [spec]
        parts = self.lots.split(spec.product_id, spec.warehouse_id, spec.lot_id, spec.qty, spec.reserved,
                                expired_first=spec.expired_first)
        if len(parts) == 1:
            return [replace(spec, lot_id=parts[0].lot_id)]
        whole = spec.value
        if whole is None and spec.qty < 0:  # an issue over several lots takes the value the whole line would
            position = self.positions[(spec.product_id, spec.warehouse_id)]
            whole = -position.value if -spec.qty == position.on_hand else -round_money(
                -spec.qty * position.avg_cost, self.tx.money_places)
        moving = [n for n, part in enumerate(parts) if part.qty != 0]
        specs, value_left = [], whole
        for n, part in enumerate(parts):
            value = None
            if whole is not None and value_left is not None and n in moving:
                value = value_left if n == moving[-1] else _share(whole, part.qty, spec.qty, self.tx)
                value_left -= value
            specs.append(replace(spec, lot_id=part.lot_id, qty=part.qty, reserved=part.reserved, value=value))
        return specs

    def _apply_one(self, spec: MoveSpec) -> PostedMove:
        position = self.positions[(spec.product_id, spec.warehouse_id)]
        change = position.apply(
            spec.qty, spec.reserved, unit_cost=spec.unit_cost, value=spec.value,
            fallback_cost=spec.fallback_cost, money_places=self.tx.money_places,
        )
        posted = PostedMove(spec, change)
        self.posted.append(posted)
        return posted

    def write(self, actor: Actor, document_id: int) -> list[PostedMove]:
        """Write the changed levels and the ledger rows; `crossed` then holds the positions whose available stock
        fell below their active reorder minimum: (available before, after) by (product, warehouse)."""
        if self.lots is not None:
            self.lots.write()
            self.posted, positions = self._merged()
        else:
            positions = self.positions
        _write_levels(self.tx, positions.values())
        _write_moves(self.tx, actor, document_id, self.posted)
        self.crossed = {key: (self.available_before[key], p.available) for key, p in self.positions.items()
                        if key in self.minimums and p.available < self.minimums[key] <= self.available_before[key]}
        return self.posted


    def _merged(self) -> tuple[list[PostedMove], dict[Key, Position]]:
        """One row per line, warehouse and lot (the ledger's unique key): lines whose lot shares touched one lot
        twice are merged where the lot first appears, and the balances replayed in the order written."""
        groups: dict[tuple[int, int, int | None], list[PostedMove]] = {}
        for move in self.posted:
            groups.setdefault((move.spec.line_no, move.spec.warehouse_id, move.spec.lot_id), []).append(move)
        if len(groups) == len(self.posted):
            return self.posted, self.positions
        replay = {key: replace(p, allow_negative=True) for key, p in self.initial.items()}
        merged: list[PostedMove] = []
        for moves in groups.values():
            qty = sum((m.change.qty for m in moves), ZERO)
            reserved = sum((m.change.reserved for m in moves), ZERO)
            value = sum((m.change.value for m in moves), ZERO)
            spec = replace(moves[0].spec, qty=qty, reserved=reserved, value=value)
            position = replay[(spec.product_id, spec.warehouse_id)]
            merged.append(PostedMove(spec, position.apply(qty, reserved, value=value,
                                                          money_places=self.tx.money_places)))
        for key, position in replay.items():
            position.allow_negative = self.positions[key].allow_negative
        return merged, replay


def _share(value: Decimal, part: Decimal, whole: Decimal, tx: Tx) -> Decimal:
    return ZERO if whole == 0 else round_money(value * part / whole, tx.money_places)


def apply_moves(tx: Tx, specs: Sequence[MoveSpec]) -> Posting:
    """Lock the positions and apply every line in order; nothing is written until `Posting.write`."""
    posting = Posting(tx, {(s.product_id, s.warehouse_id) for s in specs}, (s.lot_id for s in specs))
    for spec in specs:
        posting.apply(spec)
    return posting


Locked = tuple[dict[Key, Position], dict[Key, Decimal], dict[int, str]]


def _lock_positions(tx: Tx, keys: set[Key]) -> Locked:
    """The positions locked, the active reorder minimum of those that have one, and each product's tracking."""
    positions, minimums, tracking = _select_for_update(tx, keys)
    missing = keys - positions.keys()
    if missing:
        _create_levels(tx, missing)
        positions, minimums, tracking = _select_for_update(tx, keys)
    return positions, minimums, tracking


def _select_for_update(tx: Tx, keys: set[Key]) -> Locked:
    positions: dict[Key, Position] = {}
    minimums: dict[Key, Decimal] = {}
    tracking: dict[int, str] = {}
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
        tracking[row.product_id] = row.tracking
    return positions, minimums, tracking


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
            "source_line_id": m.spec.source_line_id, "lot_id": m.spec.lot_id, "employee_id": actor.employee_id,
            "channel": actor.channel, "created_at": tx.now,
        }
        for m in posted
    ]
    tx.conn.execute(_WRITE_MOVES, rows)
