"""Any sequence of stock operations, allowed or refused, leaves books that agree with an independent model; a
lot-tracked product among them keeps every invariant per lot (through stocktakes counted per lot too), and its
expired lot is never picked automatically."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal as D

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import func, select

from core.catalog.products import NewProduct, create_product
from core.errors import DomainError, InvalidAmount, InvalidQuantity, InvalidState, OutOfStock, PermissionDenied
from core.ledger.check import check_ledger, rebuild_levels
from core.models import (
    AuditLog,
    DocumentSequence,
    Lot,
    LotLevel,
    Product,
    StockDocument,
    StockLevel,
    StockMove,
    Warehouse,
)
from core.numbers import round_money
from core.permissions import Actor
from core.stock.moves import (
    LineIn,
    Posted,
    adjust_stock,
    dispatch_transfer,
    issue_stock,
    receive_stock,
    receive_transfer,
    release_stock,
    reserve_stock,
)
from core.stock.stocktake import cancel_stocktake, count_item, start_stocktake, submit_stocktake
from core.uow import Tx, UnitOfWork
from tests.factories import Shop, make_shop

EXAMPLES, STEPS = 15, 20
WAREHOUSES = ("MAIN", "NORTH")
PURCHASE_PRICE = D("2.5")
quantities = st.one_of(
    st.integers(1, 12).map(D), st.integers(1, 200_000).map(lambda n: D(n).scaleb(-4)),
    st.integers(1, 10**10).map(lambda n: D(n).scaleb(-4)),
)
costs = st.one_of(st.sampled_from([D(0), D("0.1"), D("9.99")]), st.integers(0, 10**9).map(lambda n: D(n).scaleb(-6)))
warehouses = st.sampled_from(WAREHOUSES)
kinds = st.sampled_from(("plain", "negative", "lot"))
LOT_CODES = {"L1": "2030-03-01", "L2": "2030-01-01", "L3": "2031-01-01"}  # never expired; "OLD" expired long ago
lot_codes = st.sampled_from(sorted(LOT_CODES))


@dataclass
class Open:
    """A transfer or reservation the model still expects something of."""

    number: str
    kind: str
    warehouse: str
    left: D


@dataclass
class Snapshot:
    """What the database says after a step."""

    levels: dict[tuple[int, int], tuple[D, D, D, D]]
    allow_negative: dict[tuple[int, int], bool]
    ledger_sums: dict[tuple[int, int], tuple[D, D, D]]
    rebuilt: dict[tuple[int, int], tuple[D, D, D, D]]
    problems: list[object]


def snapshot(tx: Tx) -> Snapshot:
    levels = tx.session.execute(select(StockLevel)).scalars().all()
    ledger_sums = {
        (r.product_id, r.warehouse_id): (r.qty, r.reserved, r.value)
        for r in tx.session.execute(
            select(StockMove.product_id, StockMove.warehouse_id, func.sum(StockMove.qty).label("qty"),
                   func.sum(StockMove.reserved).label("reserved"), func.sum(StockMove.value).label("value"))
            .group_by(StockMove.product_id, StockMove.warehouse_id))
    }
    return Snapshot(
        levels={(lv.product_id, lv.warehouse_id): (lv.on_hand, lv.reserved, lv.value, lv.avg_cost) for lv in levels},
        allow_negative={(lv.product_id, lv.warehouse_id): lv.allow_negative for lv in levels},
        ledger_sums=ledger_sums,
        rebuilt={k: (r.on_hand, r.reserved, r.value, r.avg_cost) for k, r in rebuild_levels(tx).items()},
        problems=list(check_ledger(tx)),
    )


def lot_levels(tx: Tx, product_id: int) -> dict[tuple[str, int], tuple[D, D]]:
    """On hand and reserved of a product's lots, by lot code and warehouse."""
    return {(r.code, r.warehouse_id): (r.on_hand, r.reserved) for r in tx.session.execute(
        select(Lot.code, LotLevel.warehouse_id, LotLevel.on_hand, LotLevel.reserved)
        .join(LotLevel, LotLevel.lot_id == Lot.id).where(Lot.product_id == product_id))}


def written(tx: Tx) -> tuple[object, ...]:
    """Rows in every table a posting writes, the numbers handed out, and every level."""
    counts = [tx.session.scalar(select(func.count()).select_from(t)) for t in (StockMove, StockDocument, AuditLog)]
    numbers = tx.session.scalar(select(func.coalesce(func.sum(DocumentSequence.last_number), 0)))
    levels = tx.session.execute(select(StockLevel.id, StockLevel.on_hand, StockLevel.reserved, StockLevel.value,
                                       StockLevel.avg_cost).order_by(StockLevel.id)).all()
    return (*counts, numbers, tuple(tuple(row) for row in levels))


def ids_of(tx: Tx, skus: dict[str, str]) -> tuple[dict[str, int], dict[str, int]]:
    products = dict(tx.session.execute(select(Product.sku, Product.id).where(Product.sku.in_(skus.values()))).all())
    warehouses = dict(tx.session.execute(select(Warehouse.code, Warehouse.id)).all())
    return {kind: products[sku] for kind, sku in skus.items()}, warehouses


def run_books_machine(uow: UnitOfWork, shop: Shop, examples: int, steps: int) -> None:
    admin: Actor = shop.admin
    serial = itertools.count(1)

    class Books(RuleBasedStateMachine):
        """The model: on hand and reserved per product kind and warehouse, and the total value per product."""

        def __init__(self) -> None:
            super().__init__()
            n = next(serial)
            self.skus = {"plain": f"PLAIN-{n}", "negative": f"OWED-{n}", "lot": f"LOT-{n}"}
            for kind, sku in self.skus.items():
                create_product(uow, admin, NewProduct(sku, sku, purchase_price=PURCHASE_PRICE,
                                                      allow_negative=kind == "negative",
                                                      tracking="lot" if kind == "lot" else "none"))
            self.on_hand: dict[tuple[str, str], D] = {}
            self.reserved: dict[tuple[str, str], D] = {}
            self.value = {"plain": D(0), "negative": D(0), "lot": D(0)}
            receive_stock(uow, admin, "MAIN", [LineIn(self.skus["lot"], 3, "1", lot="OLD", expiry="2020-01-01")])
            self.on_hand[("lot", "MAIN")] = D(3)
            self.value["lot"] = D("3.00")
            self.expired = {"MAIN": D(3)}  # the expired lot per warehouse: only a correction takes it
            self.transfers: list[Open] = []
            self.reservations: list[Open] = []
            self.product_ids, self.warehouse_ids = uow.read(lambda tx: ids_of(tx, self.skus))
            self.last = uow.read(snapshot)

        def available(self, kind: str, warehouse: str) -> D:
            key = (kind, warehouse)
            return self.on_hand.get(key, D(0)) - self.reserved.get(key, D(0))

        def pickable(self, kind: str, warehouse: str) -> D:
            """What first-expired-first-out may take: all that is available, but never the expired lot."""
            return self.available(kind, warehouse) - (self.expired.get(warehouse, D(0)) if kind == "lot" else D(0))

        def move(self, kind: str, warehouse: str, qty: D = D(0), reserved: D = D(0)) -> None:
            key = (kind, warehouse)
            self.on_hand[key] = self.on_hand.get(key, D(0)) + qty
            self.reserved[key] = self.reserved.get(key, D(0)) + reserved

        def level(self, kind: str, warehouse: str) -> tuple[D, D, D, D]:
            key = (self.product_ids[kind], self.warehouse_ids[warehouse])
            return self.last.levels.get(key, (D(0), D(0), D(0), D(0)))

        def refused(self, expected: type[DomainError], attempt: Callable[[], object]) -> None:
            before = uow.read(written)
            try:
                attempt()
            except expected:
                assert uow.read(written) == before, "a refused operation wrote something"
                return
            raise AssertionError(f"{expected.__name__} expected")

        def posted_value(self, posted: Posted, line: int = 0, warehouse: str | None = None) -> D:
            """The value of a posted line: all its rows (one per lot) in the warehouse of its first row."""
            first = posted.lines[line]
            rows = [ln for ln in posted.lines if ln.line_no == first.line_no
                    and ln.warehouse == (warehouse or first.warehouse)]
            assert all(ln.value is not None for ln in rows)
            return sum((ln.value for ln in rows if ln.value is not None), D(0))

        @rule(kind=kinds, warehouse=warehouses, qty=quantities, cost=costs, lot=lot_codes)
        def receive(self, kind: str, warehouse: str, qty: D, cost: D, lot: str) -> None:
            named = {"lot": lot, "expiry": LOT_CODES[lot]} if kind == "lot" else {}
            posted = receive_stock(uow, admin, warehouse, [LineIn(self.skus[kind], qty, cost, **named)])
            assert self.posted_value(posted) == round_money(qty * cost)
            self.move(kind, warehouse, qty)
            self.value[kind] += round_money(qty * cost)

        def all_or(self, qty: D, whole: bool, kind: str, warehouse: str, *, pick: bool = False) -> D:
            """Everything available (`pick`: that first-expired-first-out may take) when asked for the whole (and
            there is some), else `qty`."""
            available = self.pickable(kind, warehouse) if pick else self.available(kind, warehouse)
            return available if whole and available > 0 else qty

        @rule(kind=kinds, warehouse=warehouses, qty=quantities, whole=st.booleans())
        def issue(self, kind: str, warehouse: str, qty: D, whole: bool) -> None:
            qty = self.all_or(qty, whole, kind, warehouse, pick=True)
            if kind != "negative" and qty > self.pickable(kind, warehouse):
                self.refused(OutOfStock, lambda: issue_stock(uow, admin, warehouse, [LineIn(self.skus[kind], qty)]))
                return
            on_hand, _, value, avg = self.level(kind, warehouse)
            posted = issue_stock(uow, admin, warehouse, [LineIn(self.skus[kind], qty)])
            expected = -value if qty == on_hand else -round_money(qty * avg)
            assert self.posted_value(posted) == expected, "an issue takes value at the moving average"
            self.move(kind, warehouse, -qty)
            self.value[kind] += expected

        @rule(kind=kinds, warehouse=warehouses, qty=quantities, gain=st.booleans(), whole=st.booleans())
        def adjust(self, kind: str, warehouse: str, qty: D, gain: bool, whole: bool) -> None:
            qty = qty if gain else self.all_or(qty, whole, kind, warehouse)
            signed = qty if gain else -qty
            line = [LineIn(self.skus[kind], signed)]
            if not gain and kind != "negative" and qty > self.available(kind, warehouse):
                self.refused(OutOfStock, lambda: adjust_stock(uow, admin, warehouse, line, reason="count"))
                return
            if kind == "lot" and not gain:  # a correction takes the expired lot first
                old = self.expired.get(warehouse, D(0))
                self.expired[warehouse] = old - min(qty, old)
            on_hand, _, value, avg = self.level(kind, warehouse)
            posted = adjust_stock(uow, admin, warehouse, line, reason="count")
            if gain:
                expected = round_money(qty * (avg if avg > 0 else PURCHASE_PRICE))
            else:
                expected = -value if qty == on_hand else -round_money(qty * avg)
            assert self.posted_value(posted) == expected
            self.move(kind, warehouse, signed)
            self.value[kind] += expected

        @rule(kind=kinds, source=warehouses, qty=quantities, whole=st.booleans())
        def dispatch(self, kind: str, source: str, qty: D, whole: bool) -> None:
            qty = self.all_or(qty, whole, kind, source, pick=True)
            dest = "NORTH" if source == "MAIN" else "MAIN"
            line = [LineIn(self.skus[kind], qty)]
            if kind != "negative" and qty > self.pickable(kind, source):
                self.refused(OutOfStock, lambda: dispatch_transfer(uow, admin, source, dest, line))
                return
            posted = dispatch_transfer(uow, admin, source, dest, line)
            assert self.posted_value(posted, 0) == -self.posted_value(posted, 0, "TRANSIT")
            self.move(kind, source, -qty)
            self.move(kind, "TRANSIT", qty)
            self.transfers.append(Open(posted.number, kind, dest, qty))

        @precondition(lambda self: self.transfers)
        @rule(pick=st.integers(0, 1000), part=st.one_of(st.none(), st.integers(1, 120)))
        def receive_transfer(self, pick: int, part: int | None) -> None:
            transfer = self.transfers[pick % len(self.transfers)]
            sku = self.skus[transfer.kind]
            qty = None if part is None else (transfer.left * part / 100).quantize(D("0.0001"))
            if transfer.left == 0:
                self.refused(InvalidState, lambda: receive_transfer(uow, admin, transfer.number))
                return
            if qty is not None and (qty > transfer.left or qty == 0):
                expected: type[DomainError] = InvalidQuantity
                self.refused(expected, lambda: receive_transfer(uow, admin, transfer.number, [LineIn(sku, qty)]))
                return
            taken = transfer.left if qty is None else qty
            posted = receive_transfer(uow, admin, transfer.number, None if qty is None else [LineIn(sku, qty)])
            assert posted.status == ("received" if taken == transfer.left else "partially_received")
            self.move(transfer.kind, "TRANSIT", -taken)
            self.move(transfer.kind, transfer.warehouse, taken)
            transfer.left -= taken

        @rule(kind=kinds, warehouse=warehouses, qty=quantities)
        def reserve(self, kind: str, warehouse: str, qty: D) -> None:
            line = [LineIn(self.skus[kind], qty)]
            if kind != "negative" and qty > self.pickable(kind, warehouse):
                self.refused(OutOfStock, lambda: reserve_stock(uow, admin, warehouse, line))
                return
            posted = reserve_stock(uow, admin, warehouse, line)
            assert self.posted_value(posted) == 0
            self.move(kind, warehouse, reserved=qty)
            self.reservations.append(Open(posted.number, kind, warehouse, qty))

        @precondition(lambda self: self.reservations)
        @rule(pick=st.integers(0, 1000), part=st.one_of(st.none(), st.integers(1, 120)))
        def release(self, pick: int, part: int | None) -> None:
            held = self.reservations[pick % len(self.reservations)]
            sku = self.skus[held.kind]
            qty = None if part is None else (held.left * part / 100).quantize(D("0.0001"))
            if held.left == 0:
                self.refused(InvalidState, lambda: release_stock(uow, admin, held.number))
                return
            if qty is not None and (qty > held.left or qty == 0):
                expected: type[DomainError] = InvalidQuantity
                self.refused(expected, lambda: release_stock(uow, admin, held.number, [LineIn(sku, qty)]))
                return
            taken = held.left if qty is None else qty
            release_stock(uow, admin, held.number, None if qty is None else [LineIn(sku, qty)])
            self.move(held.kind, held.warehouse, reserved=-taken)
            held.left -= taken

        @rule(warehouse=warehouses, qty=st.one_of(st.just(D(0)), quantities), lose_old=st.booleans())
        def count_per_lot(self, warehouse: str, qty: D, lose_old: bool) -> None:
            """A stocktake counts the lot product per lot: a lot found that was unknown (gains at the average, or
            the purchase price), and the expired lot counted as gone or left uncounted (unchanged)."""
            sheet = start_stocktake(uow, admin, warehouse).number
            found = f"FOUND-{next(serial)}"
            count_item(uow, admin, sheet, self.skus["lot"], qty, lot=found, expiry="2032-01-01")
            old = self.expired.get(warehouse, D(0))
            if lose_old and old > 0:
                count_item(uow, admin, sheet, self.skus["lot"], 0, lot="OLD")
            _, _, _, avg = self.level("lot", warehouse)
            before = uow.read(written)
            try:
                outcome = submit_stocktake(uow, admin, sheet, threshold=10**12)
            except (InvalidAmount, InvalidQuantity):  # beyond what the books hold: refused, nothing posted
                assert uow.read(written)[:2] == before[:2]
                cancel_stocktake(uow, admin, sheet, reason="too large")
                return
            gain = round_money(qty * (avg if avg > 0 else PURCHASE_PRICE))
            posted = uow.read(lambda tx: tx.session.scalar(
                select(func.coalesce(func.sum(StockMove.value), 0)).join(StockDocument)
                .where(StockDocument.number == outcome.document_number)))
            if not (lose_old and old > 0):
                assert D(posted) == gain, "a lot found enters at the average cost"
            self.move("lot", warehouse, qty - (old if lose_old else D(0)))
            self.expired[warehouse] = D(0) if lose_old else old
            self.value["lot"] += D(posted)

        @rule(kind=kinds, qty=quantities)
        def warehouse_worker_outside_their_warehouse(self, kind: str, qty: D) -> None:
            line = [LineIn(self.skus[kind], qty)]
            self.refused(PermissionDenied, lambda: receive_stock(uow, shop.warehouse, "NORTH", line))

        @invariant()
        def the_books_agree_with_the_ledger_and_the_model(self) -> None:
            now = uow.read(snapshot)
            self.last = now
            assert now.problems == []
            assert now.levels == now.rebuilt
            assert {k: v[:3] for k, v in now.levels.items()} == now.ledger_sums
            for key, (on_hand, reserved, _, _) in now.levels.items():
                assert reserved >= 0
                assert now.allow_negative[key] or (on_hand >= 0 and on_hand - reserved >= 0), key
            for kind, product_id in self.product_ids.items():
                for warehouse, warehouse_id in self.warehouse_ids.items():
                    if (product_id, warehouse_id) in now.allow_negative:
                        assert now.allow_negative[(product_id, warehouse_id)] == (kind == "negative")
                    on_hand, reserved, value, _ = self.level(kind, warehouse)
                    expected = (self.on_hand.get((kind, warehouse), D(0)), self.reserved.get((kind, warehouse), D(0)))
                    assert (on_hand, reserved) == expected, (kind, warehouse)
                    if kind == "plain" and on_hand == 0:
                        assert value == 0, f"a ghost value of {value} stays in {warehouse}"
                total = sum((v[2] for (p, _), v in now.levels.items() if p == product_id), D(0))
                assert total == self.value[kind], f"{kind}: books say {total}, model {self.value[kind]}"
            lots = uow.read(lambda tx: lot_levels(tx, self.product_ids["lot"]))
            for (code, warehouse_id), (on_hand, reserved) in lots.items():
                assert on_hand >= 0 and reserved >= 0 and on_hand - reserved >= 0, (code, warehouse_id)
            for warehouse, warehouse_id in self.warehouse_ids.items():
                per_lot = sum((q for (_, w), (q, _) in lots.items() if w == warehouse_id), D(0))
                assert per_lot == self.on_hand.get(("lot", warehouse), D(0)), warehouse
                old = lots.get(("OLD", warehouse_id), (D(0), D(0)))
                assert old == (self.expired.get(warehouse, D(0)), D(0)), "the expired lot was picked"

    run_state_machine_as_test(Books, settings=settings(
        max_examples=examples, stateful_step_count=steps, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    ))


def test_any_sequence_of_stock_operations_keeps_the_books_right(uow: UnitOfWork, admin: Actor) -> None:
    run_books_machine(uow, make_shop(uow, admin), examples=EXAMPLES, steps=STEPS)
