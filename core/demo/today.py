"""The demo company's first morning: work waiting for every person, made through the real services.

Purchase orders to receive in SH and BJ (one partly received already), a transfer on its way to BJ, sales orders
to ship, and approvals waiting for the manager (a large purchase order under the demo's approval rule, a sale below
the floor price); the caller then closes the notices these wrote, as it does for the made-up past.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from core.approvals.decisions import decide
from core.approvals.requests import set_rule
from core.demo.history import HUB, History, Stocked
from core.models import Product
from core.purchasing.orders import PurchaseLineIn, create_purchase_order, submit_purchase_order
from core.purchasing.receipts import ReceiptLineIn, receive_purchase
from core.sales.orders import create_sales_order, submit_sales_order
from core.sales.records import SalesLineIn
from core.stock.moves import LineIn, dispatch_transfer
from core.uow import UnitOfWork

PO_APPROVAL_FROM = Decimal(20000)  # purchase orders from this amount need the manager
BRANCH = "BJ"
SELLERS = ("sales-zhang", "sales-liu")


@dataclass(frozen=True)
class FirstDay:
    """The numbers of what waits: to receive (the partly received one among them), in transit, to ship, to approve."""

    to_receive: tuple[str, ...]
    partly_received: str
    in_transit: str
    to_ship: tuple[str, ...]
    to_approve: tuple[str, ...]


def first_day(uow: UnitOfWork, history: History) -> FirstDay:
    """Leave the first morning's work in the books, each piece by the person whose job it is."""
    staff = history.actors
    set_rule(uow, staff["admin-zhao"], "purchase_order", PO_APPROVAL_FROM, ["manager"])
    by_supplier: dict[str, list[Stocked]] = {}
    for product in sorted(history.stocked, key=lambda p: -p.weight):
        by_supplier.setdefault(product.supplier, []).append(product)
    suppliers = sorted(by_supplier, key=lambda s: -len(by_supplier[s]))
    buyer = staff["purchaser-li"]

    def order(supplier: str, warehouse: str, products: Sequence[Stocked], boxes: int) -> str:
        lines = [PurchaseLineIn(p.sku, boxes * p.box, p.cost) for p in products]
        made = create_purchase_order(uow, buyer, supplier, warehouse, lines, note="demo: 今天到货 arriving today")
        return submit_purchase_order(uow, buyer, made.number).number

    def pick(n: int) -> str:
        return suppliers[n % len(suppliers)]

    hub = order(pick(0), HUB, by_supplier[pick(0)][:3], 4)
    partly = order(pick(1), HUB, by_supplier[pick(1)][:3], 4)
    first, *rest = by_supplier[pick(1)][:2]
    received = [ReceiptLineIn(first.sku, 2 * first.box), *(ReceiptLineIn(p.sku, 4 * p.box) for p in rest)]
    receive_purchase(uow, staff["warehouse-chen"], partly, received)
    branch = order(pick(2), BRANCH, by_supplier[pick(2)][:2], 2)
    big = _large_order(uow, history, by_supplier[pick(0)], pick(0))
    transfer = _transfer(uow, history)
    to_ship, below_floor = _sales(uow, history)
    return FirstDay((hub, partly, branch), partly, transfer, to_ship, tuple(n for n in (big, below_floor) if n))


def _large_order(uow: UnitOfWork, history: History, products: Sequence[Stocked], supplier: str) -> str:
    """A purchase order over PO_APPROVAL_FROM, submitted: it waits for the manager."""
    per_box = sum((p.cost * p.box for p in products[:4]), Decimal(0))
    boxes = int(PO_APPROVAL_FROM * Decimal("1.2") / per_box) + 1
    buyer = history.actors["purchaser-li"]
    lines = [PurchaseLineIn(p.sku, boxes * p.box, p.cost) for p in products[:4]]
    made = create_purchase_order(uow, buyer, supplier, HUB, lines, note="demo: 备货 stocking up for the holidays")
    return submit_purchase_order(uow, buyer, made.number).number


def _transfer(uow: UnitOfWork, history: History) -> str:
    """Goods sent from the hub to the branch this morning, not yet received there ("" in a demo too small)."""
    lines = [LineIn(p.sku, 2 * p.box) for p in _in_stock(history, HUB, 4)[:2]]
    if not lines:
        return ""
    sent = dispatch_transfer(uow, history.actors["warehouse-chen"], HUB, BRANCH, lines,
                             reason=f"补货调拨 {HUB}→{BRANCH} replenishment")
    return sent.number


def _sales(uow: UnitOfWork, history: History) -> tuple[tuple[str, ...], str]:
    """One approved order per salesperson (stock reserved, waiting to ship), and one below the floor price (none
    in a demo too small to have stock for them)."""
    products = _in_stock(history, HUB, 4)  # 2 boxes (12 or more) are left after the transfer; orders take 7 at most
    if not products:
        return (), ""
    customers = {seller: [c for c in history.customers if c[3] == seller] for seller in SELLERS}
    shipped: list[str] = []
    for n, name in enumerate(SELLERS):
        actor = history.actors[name]
        lines = [SalesLineIn(p.sku, 2) for p in dict.fromkeys(products[(2 * n + k) % len(products)] for k in (0, 1))]
        made = create_sales_order(uow, actor, customers[name][0][0], HUB, lines, channel=customers[name][0][2])
        submitted = submit_sales_order(uow, actor, made.number)
        if submitted.approval_request_id is not None:  # over the customer's credit: the manager lets it through
            decide(uow, history.actors["manager-wang"], submitted.approval_request_id, True)
        shipped.append(submitted.number)
    cheap = products[4 % len(products)]
    floor = Decimal(uow.read(lambda tx: tx.session.scalar(
        select(Product.floor_price).where(Product.sku == cheap.sku))) or 0)
    seller = history.actors[SELLERS[0]]
    customer = customers[SELLERS[0]][-1]
    made = create_sales_order(uow, seller, customer[0], HUB, [SalesLineIn(cheap.sku, 3, floor * Decimal("0.9"))],
                              channel=customer[2])
    return tuple(shipped), submit_sales_order(uow, seller, made.number).number


def _in_stock(history: History, warehouse: str, boxes: int) -> list[Stocked]:
    """Products with at least `boxes` boxes available in `warehouse`, the best sellers first."""
    return [p for p in sorted(history.stocked, key=lambda p: -p.weight)
            if history.available.get((p.sku, warehouse), Decimal(0)) >= boxes * p.box]
