"""Taps per task in chat (the flows every channel shares), counted on the engine as a channel drives it: a tap is a
press on a button, a message is something typed and sent. SQLite; taps do not depend on the database.

Tasks, as in the Mini App's benchmark (taps_app): a 3-line sales order, approving it from the approvals list,
receiving a 3-line purchase order with one line partly received
and a rejection with its reason (line by line, and "all as expected" then one line changed), and counting 10 items
then posting the count (submit, then confirm), typed and by scanning (a photo per unit: five, four and one unknown).
Each run checks the books came out as the dialogue said.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from benchmarks.common import Backend
from bot.engine.engine import Engine
from bot.engine.texts import Texts
from bot.flows import COMMANDS, default_flows
from core.catalog.products import NewProduct, create_product
from core.db import create_db_engine
from core.demo.company import ean13
from core.models import SalesOrder
from core.models.base import Base
from core.partners.customers import NewCustomer, create_customer
from core.partners.suppliers import NewSupplier, create_supplier
from core.people.accounts import create_invite
from core.people.employees import load_actor
from core.people.setup import bootstrap
from core.purchasing.orders import PurchaseLineIn, create_purchase_order, get_purchase_order, submit_purchase_order
from core.stock.levels import find_stock
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.chat import Chat
from tests.factories import make_shop
from tests.pictures import Code, photo

UNKNOWN = "6929999999994"  # on no product: the scan says so and counts nothing
COUNTED = [("RETRO-CLOCK", 11), ("TEA-CUP", 40), ("LAMP", 2), *((f"PART-{n:02d}", n + 1) for n in range(1, 8))]


@dataclass
class Counted:
    """A chat that counts what the person did."""

    chat: Chat
    taps: int = 0
    messages: int = 0
    steps: list[str] = field(default_factory=list)

    def send(self, text: str) -> None:
        self.messages += 1
        self.steps.append(f"type {text!r}")
        self.chat.send(text)

    def photo(self, code: str) -> None:
        self.messages += 1
        self.steps.append(f"photo {code}")
        self.chat.photo(photo([Code(code, "EAN13")]))

    def press(self, label: str) -> None:
        self.taps += 1
        self.steps.append(f"tap {label!r}")
        self.chat.press(self.chat.button(label))


@dataclass(frozen=True)
class Task:
    name: str
    taps: int
    messages: int
    steps: tuple[str, ...]


def _shop(directory: Path) -> tuple[UnitOfWork, Engine]:
    engine = create_db_engine(f"sqlite:///{directory / 'taps_chat.db'}")
    Base.metadata.create_all(engine)
    uow = UnitOfWork(engine)
    bootstrap(uow)
    admin = load_actor(uow, "system")
    make_shop(uow, admin)
    for sku, _ in COUNTED[3:]:
        create_product(uow, admin, NewProduct(sku, f"零件 {sku}", purchase_price="2", barcodes=(barcode_of(sku),)))
    receive_stock(uow, admin, "MAIN", [LineIn(sku, 10, "2") for sku, _ in COUNTED])
    create_supplier(uow, admin, NewSupplier("ACME", "Acme 贸易"))
    create_customer(uow, admin, NewCustomer("ACME", "Acme 商行", salesperson="sales-1"))
    return uow, Engine(uow, Texts(), default_flows(), COMMANDS, fallback_flow="stock")


def _order(uow: UnitOfWork) -> str:
    purchaser = load_actor(uow, "purchaser-1")
    draft = create_purchase_order(uow, purchaser, "ACME", "MAIN", [
        PurchaseLineIn("RETRO-CLOCK", 10, "9.50"), PurchaseLineIn("TEA-CUP", 24, "3.30"),
        PurchaseLineIn("LAMP", 4, "40")])
    return submit_purchase_order(uow, purchaser, draft.number).number


def _person(uow: UnitOfWork, engine: Engine, user: str, name: str = "warehouse-1") -> Counted:
    chat = Chat(engine, user_id=user, chat_id=user)
    chat.send(f"/start {create_invite(uow, load_actor(uow, 'system'), name).code}")
    return Counted(chat)


def _receive_line_by_line(c: Counted, number: str) -> None:
    c.send("收货")
    c.press(number)
    c.press("全部 10")
    c.send("20 2 外箱破损")
    c.press("全部 4")
    c.press("确认收货")


def _receive_all_then_change(c: Counted, number: str) -> None:
    c.send("收货")
    c.press(number)
    c.press("全部照单收齐")
    c.press("改一行")
    c.press("2. TEA-CUP")
    c.send("20 2 外箱破损")
    c.press("确认收货")


def _sales_order(c: Counted) -> None:
    c.send("开单 ACME")  # the first line instead of a warehouse: it ships from where most of it is (MAIN)
    for line in ("RETRO-CLOCK 2 15", "TEA-CUP 5", "LAMP 1"):  # 15 is below the floor price: it needs approval
        c.send(line)
    c.press("完成")
    c.press("提交")


def _approve(c: Counted) -> None:
    c.send("审批")
    c.press("同意")


def barcode_of(sku: str) -> str:
    """The EAN-13 printed on a part's label."""
    return ean13(f"692{int(sku[-2:]):09d}")


def _scan_ten(c: Counted) -> None:
    c.send("盘点")
    for code in [barcode_of("PART-01")] * 5 + [barcode_of("PART-02")] * 4 + [UNKNOWN]:
        c.photo(code)
    c.press("提交盘点")
    c.press("确认过账")


def _count_ten(c: Counted) -> None:
    c.send("盘点")
    for sku, qty in COUNTED:
        c.send(f"{sku} {qty}")
    c.press("提交盘点")
    c.press("确认过账")


def measure(directory: Path) -> list[Task]:
    """Each task on a fresh order (or sheet) of one shop; its taps and messages, checked against the books."""
    uow, engine = _shop(directory)
    tasks = []
    for name, employee, run in (("3-line sales order", "sales-1", _sales_order),
                                ("approve it", "manager-1", _approve)):
        person = _person(uow, engine, str(6001 + len(tasks)), employee)
        run(person)
        tasks.append(Task(name, person.taps, person.messages, tuple(person.steps)))
    orders = list_orders_of(uow)
    assert orders == ["approved"], orders
    receiving: list[tuple[str, Callable[[Counted, str], None]]] = [
        ("receive 3-line PO, one partial, line by line", _receive_line_by_line),
        ("receive 3-line PO, one partial, all as expected then change", _receive_all_then_change)]
    manager = load_actor(uow, "manager-1")
    for n, (name, run) in enumerate(receiving):
        number = _order(uow)
        person = _person(uow, engine, str(7001 + n))
        run(person, number)
        lines = [(ln.received_qty, ln.rejected_qty) for ln in get_purchase_order(uow, manager, number).lines]
        assert lines == [(10, 0), (20, 2), (4, 0)], lines
        tasks.append(Task(name, person.taps, person.messages, tuple(person.steps)))
    person = _person(uow, engine, "7101")
    _count_ten(person)
    counted = {sku: _on_hand(uow, sku) for sku, _ in COUNTED}
    assert counted == {sku: Decimal(qty) for sku, qty in COUNTED}, counted
    tasks.append(Task("count 10 items and post", person.taps, person.messages, tuple(person.steps)))
    person = _person(uow, engine, "7102")
    _scan_ten(person)
    scanned = {sku: _on_hand(uow, sku) for sku in ("PART-01", "PART-02")}
    assert scanned == {"PART-01": 5, "PART-02": 4}, scanned
    tasks.append(Task("count 10 items by scanning and post", person.taps, person.messages, tuple(person.steps)))
    uow.engine.dispose()
    return tasks


def list_orders_of(uow: UnitOfWork) -> list[str]:
    """The status of every sales order in the books."""
    return uow.read(lambda tx: list(tx.session.scalars(select(SalesOrder.status))))


def _on_hand(uow: UnitOfWork, sku: str) -> Decimal:
    """On hand of one product in MAIN, as the admin reads it."""
    admin = load_actor(uow, "system")
    return next(level.on_hand for product in find_stock(uow, admin, sku) if product.sku == sku
                for level in product.by_warehouse if level.warehouse == "MAIN")


def report(tasks: Sequence[Task]) -> str:
    lines = ["taps per task in chat (the shared flows, counted on the engine):"]
    for task in tasks:
        lines.append(f"  {task.name}: {task.taps} taps, {task.messages} messages — {', '.join(task.steps)}")
    return "\n".join(lines)


def main(backends: Sequence[Backend]) -> None:
    """Print the taps and messages (SQLite only)."""
    with tempfile.TemporaryDirectory(prefix="jxc-taps-chat-") as directory:
        print(report(measure(Path(directory))))
