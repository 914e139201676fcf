"""Taps and messages per task in the chat, counted on the same shop as the Mini App benchmark (taps_app): the
conversation engine with every flow, driven as a person on a phone would, pressing buttons by their labels.

A tap is a button pressed; a message is a line typed and sent, or a photo sent. Tasks: a 3-line sales order,
receiving a 3-line purchase order with one line partly received and a rejection, counting 10 items by scanning
(one photo per item read: five mugs, four pens and one unknown code), and approving an order from its card.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.common import Backend
from bot.engine.engine import Engine
from bot.engine.texts import Texts
from bot.flows import COMMANDS, default_flows
from core.db import create_db_engine
from core.models.base import Base
from core.people.employees import load_actor
from core.people.setup import bootstrap
from core.sales.orders import create_sales_order, submit_sales_order
from core.sales.records import SalesLineIn
from core.uow import UnitOfWork
from tests.chat import Chat
from tests.e2e.app_driver import SCANNED, TELEGRAM_IDS, UNKNOWN_CODE, open_shop
from tests.pictures import Code, photo

Step = tuple[str, str]  # ("type", text), ("tap", part of a button's label) or ("photo", barcode)


@dataclass
class Driver:
    """A chat driven step by step, counting what the person did and keeping what they read."""

    chat: Chat
    taps: int = 0
    messages: int = 0
    transcript: list[str] = field(default_factory=list)

    def run(self, steps: Sequence[Step]) -> None:
        for kind, value in steps:
            if kind == "tap":
                self.taps += 1
                data = self.chat.button(value)
                self.transcript.append(f"[{value}]")
                self.chat.press(data)
            elif kind == "photo":
                self.messages += 1
                self.transcript.append(f"(photo {value})")
                self.chat.photo(photo([Code(value, "EAN13")]))
            else:
                self.messages += 1
                self.transcript.append(f"> {value}")
                self.chat.send(value)
            self.transcript.extend("  " + r.text.replace("\n", "\n  ") for r in self.chat.replies)


@dataclass(frozen=True)
class Task:
    name: str
    taps: int
    messages: int
    transcript: tuple[str, ...]

    @property
    def actions(self) -> int:
        return self.taps + self.messages


def sales_order() -> list[Step]:
    return [("type", "销售单 C-BLUE"), ("tap", "MAIN"), ("type", "RETRO-CLOCK 2"), ("type", "TEA-CUP 5"),
            ("type", "LAMP 1"), ("tap", "完成"), ("tap", "提交")]


def receiving(number: str) -> list[Step]:
    return [("type", f"收货 {number}"), ("tap", "全部"), ("tap", "没有拒收"), ("type", "20"), ("type", "2"),
            ("type", "外箱破损"), ("tap", "全部"), ("tap", "没有拒收"), ("tap", "确认")]


def counting() -> list[Step]:
    mug, pen = (p.barcodes[0] for p in SCANNED)
    return [("type", "盘点"), ("tap", "MAIN"), *[("photo", mug)] * 5, *[("photo", pen)] * 4,
            ("photo", UNKNOWN_CODE), ("type", "提交")]


def measure(directory: Path) -> list[Task]:
    """Each task once on a fresh shop: its taps, its messages and the dialogue."""
    engine = create_db_engine(f"sqlite:///{directory / 'taps_chat.db'}")
    Base.metadata.create_all(engine)
    uow = UnitOfWork(engine)
    bootstrap(uow)
    shop = open_shop(uow, load_actor(uow, "system"))
    chat_engine = Engine(uow, Texts(), default_flows(), COMMANDS, fallback_flow="stock")

    def person(name: str) -> Driver:
        user = str(TELEGRAM_IDS[name])
        return Driver(Chat(chat_engine, user_id=user, chat_id=user, channel="telegram"))

    pending = create_sales_order(uow, shop.shop.sales, "C-BLUE", "MAIN", [SalesLineIn("LAMP", 3, "60")])
    submit_sales_order(uow, shop.shop.sales, pending.number)
    tasks = []
    try:
        for name, employee, steps in (
            ("3-line sales order", "sales-1", sales_order()),
            ("receive 3-line PO, one partial", "warehouse-1", receiving(shop.po_number)),
            ("count 10 items by scanning", "warehouse-1", counting()),
            ("approve an order", "manager-1", [("type", "审批"), ("tap", "同意")]),
        ):
            driver = person(employee)
            driver.run(steps)
            tasks.append(Task(name, driver.taps, driver.messages, tuple(driver.transcript)))
    finally:
        engine.dispose()
    return tasks


def report(tasks: Sequence[Task], transcripts: bool = False) -> str:
    lines = ["taps and messages per task in the chat (conversation engine, every flow):"]
    for task in tasks:
        lines.append(f"  {task.name}: {task.actions} actions ({task.taps} taps, {task.messages} messages)")
        if transcripts:
            lines.extend("      " + line for line in task.transcript)
    return "\n".join(lines)


def main(backends: Sequence[Backend]) -> None:
    """Print the taps (SQLite only: taps do not depend on the database)."""
    with tempfile.TemporaryDirectory(prefix="jxc-taps-chat-") as directory:
        print(report(measure(Path(directory))))
