"""A month in the life of the demo company, posted day by day through the real stock services."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from decimal import ROUND_FLOOR, Decimal

from core.approvals.decisions import decide
from core.demo import names
from core.numbers import round_cost
from core.people.employees import load_actor
from core.permissions import Actor
from core.purchasing.replenishment import set_reorder_rule
from core.sales.orders import create_sales_order, submit_sales_order
from core.sales.records import SalesLineIn
from core.sales.shipments import ship_sales_order
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
from core.uow import UnitOfWork

CHINA = timezone(timedelta(hours=8))
HUB = "SH"
BRANCHES = ("BJ", "GZ")
ORDERS_PER_DAY = {"SH": (3, 5), "BJ": (2, 3), "GZ": (2, 3)}
KEEPERS = {"SH": "warehouse-chen", "BJ": "warehouse-yang", "GZ": "warehouse-yang"}
CLOSING = time(20, 0)
RULES = 12
LOSSES = ("破损报废：搬运中外箱压坏 damaged in handling", "样品领用：客户展会样品 samples for a trade show",
          "盘点盘亏：差异待查 short in the weekly count")
FOOD_LOSS = "临期报废 near expiry, written off"
GAIN = "盘点盘盈：货架后找到 found behind a shelf in the count"


class Clock:
    """A settable clock: the demo's history is posted at the moments it happens."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@dataclass(frozen=True)
class Stocked:
    """A product with a history: its box size, cost, supplier and how well it sells."""

    sku: str
    family: str
    box: int
    cost: Decimal
    supplier: str
    lead_days: int
    weight: int


@dataclass
class _Transfer:
    due: int
    number: str
    dest: str
    lines: list[tuple[str, Decimal]]


@dataclass
class _Reservation:
    due: int
    number: str
    salesperson: str
    customer: tuple[str, str]
    lines: list[tuple[str, Decimal]]


@dataclass
class _Purchase:
    due: int
    supplier: str
    lines: list[tuple[str, Decimal, Decimal]]


@dataclass
class History:
    """Opening stock, then each day: arrivals, sales, replenishment, the odd adjustment and reservation."""

    books: UnitOfWork
    clock: Clock
    rng: random.Random
    stocked: Sequence[Stocked]
    now: datetime
    days: int
    say: Callable[[str], None]
    customers: Sequence[tuple[str, str, str, str]] = ()
    documents: int = 0
    available: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    carried: dict[str, set[str]] = field(default_factory=dict)
    on_order: set[str] = field(default_factory=set)
    in_transit: set[tuple[str, str]] = field(default_factory=set)
    purchases: list[_Purchase] = field(default_factory=list)
    transfers: list[_Transfer] = field(default_factory=list)
    reservations: list[_Reservation] = field(default_factory=list)
    actors: dict[str, Actor] = field(default_factory=dict)

    def run(self) -> int:
        """Post the whole history; returns the number of documents posted."""
        self.actors = {name: load_actor(self.books, name, channel="demo") for name, *_ in names.STAFF}
        self.by_sku = {p.sku: p for p in self.stocked}
        self.suppliers = {code: name for code, name, *_ in names.SUPPLIERS}
        self._open()
        for day in range(1, self.days):
            self._start_day(day)
            self._arrivals(day)
            self._sales()
            self._replenish(day)
            if self.rng.random() < 0.3:
                self._adjust()
            if self.rng.random() < 0.35:
                self._reserve(day)
            if day % 5 == 0 or day == self.days - 1:
                self.say(f"history: day {day} of {self.days - 1}, {self.documents} documents")
        return self.documents

    # the days

    def _start_day(self, day: int) -> None:
        today = self.now.astimezone(CHINA).date()
        morning = datetime.combine(today - timedelta(days=self.days - day), time(8, 30), CHINA)
        self.clock.at = max(self.clock.at, morning)

    def _tick(self) -> bool:
        """Move the clock on a few minutes; False once the working day (or the present) is over."""
        self.clock.at += timedelta(minutes=self.rng.randint(10, 45), seconds=self.rng.randint(0, 59))
        local = self.clock.at.astimezone(CHINA)
        return local.time() < CLOSING and self.clock.at < self.now

    def _post(self, posted: Posted) -> Posted:
        self.documents += 1
        for line in posted.lines:
            if line.warehouse in ORDERS_PER_DAY:
                self.available[(line.sku, line.warehouse)] = line.available
        return posted

    def _open(self) -> None:
        purchaser = self.actors["purchaser-li"]
        for product in sorted(self.stocked, key=lambda p: -p.weight)[:RULES]:
            self._tick()
            set_reorder_rule(self.books, purchaser, product.sku, HUB, 3 * product.box, 12 * product.box,
                             supplier=product.supplier, lead_time_days=product.lead_days, pack_size=product.box)
        for warehouse in ORDERS_PER_DAY:
            share = 1.0 if warehouse == HUB else 0.7
            boxes = (4, 10) if warehouse == HUB else (1, 4)
            chosen = [p for p in self.stocked if self.rng.random() < share]
            self.carried[warehouse] = {p.sku for p in chosen}
            lines = [LineIn(p.sku, self.rng.randint(*boxes), p.cost * p.box, unit="箱") for p in chosen]
            self._tick()
            for start in range(0, len(lines), 1000):
                self._post(receive_stock(self.books, self.actors[KEEPERS[warehouse]], warehouse,
                                         lines[start:start + 1000], reason="期初库存 opening stock"))

    def _arrivals(self, day: int) -> None:
        for transfer in [t for t in self.transfers if t.due <= day]:
            if not self._tick():
                return
            keeper = self.actors[KEEPERS[transfer.dest]]
            partial = len(transfer.lines) > 2 and self.rng.random() < 0.2
            if partial:
                half = transfer.lines[: len(transfer.lines) // 2]
                self._post(receive_transfer(self.books, keeper, transfer.number,
                                            [LineIn(sku, qty) for sku, qty in half]))
                transfer.lines = transfer.lines[len(half):]
                transfer.due = day + 1
                continue
            self._post(receive_transfer(self.books, keeper, transfer.number))
            self.transfers.remove(transfer)
            self.in_transit -= {(sku, transfer.dest) for sku, _ in transfer.lines}
        for purchase in [p for p in self.purchases if p.due <= day]:
            if not self._tick():
                return
            reason = f"采购到货 {purchase.supplier} {self.suppliers[purchase.supplier]}"
            self._post(receive_stock(self.books, self.actors[KEEPERS[HUB]], HUB,
                                     [LineIn(sku, qty, cost) for sku, qty, cost in purchase.lines], reason))
            self.purchases.remove(purchase)
            self.on_order -= {sku for sku, _, _ in purchase.lines}
        for reservation in [r for r in self.reservations if r.due <= day]:
            if not self._tick():
                return
            self._post(release_stock(self.books, self.actors[reservation.salesperson], reservation.number))
            code, name = reservation.customer
            self._post(issue_stock(self.books, self.actors[KEEPERS[HUB]], HUB,
                                   [LineIn(sku, qty) for sku, qty in reservation.lines], f"销售出库 {code} {name}"))
            self.reservations.remove(reservation)

    def _sales(self) -> None:
        orders = [w for w, (low, high) in ORDERS_PER_DAY.items() for _ in range(self.rng.randint(low, high))]
        self.rng.shuffle(orders)
        for warehouse in orders:
            code, _name, channel, owner = self.rng.choice(self.customers)
            lines = self._order_lines(warehouse, channel)
            if lines and self._tick():
                self._sell(warehouse, code, channel, owner, lines)

    def _sell(self, warehouse: str, customer: str, channel: str, owner: str, lines: Sequence[LineIn]) -> None:
        """A sales order's whole life: the owner orders and submits, a manager approves when the rules ask
        (credit limit), the warehouse ships it all; reports and the dashboard read these shipments."""
        seller = self.actors[owner]
        order = create_sales_order(self.books, seller, customer, warehouse,
                                   [SalesLineIn(ln.item, ln.qty, unit=ln.unit) for ln in lines], channel=channel)
        order = submit_sales_order(self.books, seller, order.number)
        if order.approval_request_id is not None:
            decide(self.books, self.actors["manager-wang"], order.approval_request_id, True)
        order = ship_sales_order(self.books, self.actors[KEEPERS[warehouse]], order.number)
        self.documents += 2  # the reservation and the shipment
        for line in order.lines:
            key = (line.sku, warehouse)
            self.available[key] = self.available.get(key, Decimal(0)) - line.qty

    def _order_lines(self, warehouse: str, channel: str) -> list[LineIn]:
        count = {"online": (1, 2), "store": (1, 4), "wholesale": (2, 6)}[channel]
        picked = {p.sku: p for p in self._pick(self.rng.randint(*count))}
        lines = []
        for product in picked.values():
            have = self.available.get((product.sku, warehouse), Decimal(0))
            if channel == "wholesale":
                boxes = self.rng.randint(1, 3)
                if have >= boxes * product.box:
                    lines.append(LineIn(product.sku, boxes, unit="箱"))
                continue
            wanted = self.rng.randint(1, 3) if channel == "online" else self.rng.randint(
                max(1, product.box // 6), max(1, product.box // 2))
            qty = min(Decimal(wanted), have.to_integral_value(rounding=ROUND_FLOOR))
            if qty > 0:
                lines.append(LineIn(product.sku, qty))
        return lines

    def _pick(self, count: int) -> list[Stocked]:
        return self.rng.choices(self.stocked, weights=[p.weight for p in self.stocked], k=count)

    def _replenish(self, day: int) -> None:
        low = [p for p in self.stocked if p.sku not in self.on_order
               and self.available.get((p.sku, HUB), Decimal(0)) < 3 * p.box]
        for supplier in sorted({p.supplier for p in low}):
            lines = [(p.sku, Decimal(self.rng.randint(6, 12) * p.box),
                      round_cost(p.cost * self.rng.randint(95, 105) / 100)) for p in low if p.supplier == supplier]
            lead = self.by_sku[lines[0][0]].lead_days
            self.purchases.append(_Purchase(day + lead, supplier, lines[:50]))
            self.on_order |= {sku for sku, _, _ in lines[:50]}
        for branch in BRANCHES:
            self._transfer(day, branch)

    def _transfer(self, day: int, branch: str) -> None:
        lines: list[tuple[str, Decimal]] = []
        for p in self.stocked:
            if p.sku not in self.carried[branch] or (p.sku, branch) in self.in_transit:
                continue
            if self.available.get((p.sku, branch), Decimal(0)) >= p.box:
                continue
            qty = Decimal(self.rng.randint(2, 4) * p.box)
            if self.available.get((p.sku, HUB), Decimal(0)) >= qty + p.box:
                lines.append((p.sku, qty))
        if not lines or not self._tick():
            return
        lines = lines[:30]
        sent = self._post(dispatch_transfer(self.books, self.actors[KEEPERS[HUB]], HUB, branch,
                                            [LineIn(sku, qty) for sku, qty in lines],
                                            reason=f"补货调拨 {HUB}→{branch} replenishment"))
        self.transfers.append(_Transfer(day + self.rng.randint(1, 3), sent.number, branch, lines))
        self.in_transit |= {(sku, branch) for sku, _ in lines}

    def _adjust(self) -> None:
        warehouse = self.rng.choice(list(ORDERS_PER_DAY))
        candidates = [p for p in self._pick(4) if self.available.get((p.sku, warehouse), Decimal(0)) >= 3]
        if not candidates or not self._tick():
            return
        product = candidates[0]
        if self.rng.random() < 0.25:
            qty, reason = self.rng.randint(1, 2), GAIN
        else:
            qty = -self.rng.randint(1, 3)
            reason = FOOD_LOSS if product.family in ("SNK", "DRK") and self.rng.random() < 0.5 \
                else self.rng.choice(LOSSES)
        self._post(adjust_stock(self.books, self.actors["manager-wang"], warehouse,
                                [LineIn(product.sku, qty)], reason))

    def _reserve(self, day: int) -> None:
        wholesale = [c for c in self.customers if c[2] == "wholesale"]
        code, name, _channel, owner = self.rng.choice(wholesale)
        lines = []
        for product in {p.sku: p for p in self._pick(3)}.values():
            qty = Decimal(self.rng.randint(1, 2) * product.box)
            if self.available.get((product.sku, HUB), Decimal(0)) >= qty + 3 * product.box:
                lines.append((product.sku, qty))
        if not lines or not self._tick():
            return
        held = self._post(reserve_stock(self.books, self.actors[owner], HUB,
                                        [LineIn(sku, qty) for sku, qty in lines], f"客户预留 {code} {name}"))
        self.reservations.append(_Reservation(day + 2, held.number, owner, (code, name), lines))
