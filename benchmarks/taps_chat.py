"""Taps per task in the chat (the same flows on Telegram, WeCom and the browser chat): a 3-line sales order typed
into the conversation engine, counting the messages the person sends and the buttons they press.

A typed line is a message; a button is a tap. The person knows the customer and the SKUs; they take the first
offer at every step and never make a mistake.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import Backend
from bot.engine.engine import Engine
from bot.engine.texts import Texts
from bot.flows import COMMANDS, default_flows
from core.db import create_db_engine
from core.models.base import Base
from core.partners.customers import NewCustomer, create_customer
from core.people.accounts import create_invite
from core.people.employees import load_actor
from core.people.setup import bootstrap
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.chat import Chat
from tests.factories import make_shop

SALES_LINES = ("RETRO-CLOCK 2", "TEA-CUP 5", "LAMP 1")


@dataclass(frozen=True)
class Counted:
    """The person's side of one task: messages typed, buttons pressed, and what each was."""

    name: str
    messages: int
    taps: int
    steps: tuple[str, ...]
    outcome: str


class CountingChat:
    """A chat that counts what the person does (binding the account is not part of the task)."""

    def __init__(self, chat: Chat) -> None:
        self.chat = chat
        self.messages = 0
        self.taps = 0
        self.steps: list[str] = []

    def send(self, text: str) -> list[str]:
        self.messages += 1
        self.steps.append(f"type {text!r}")
        return self.chat.send(text)

    def press(self, label: str) -> list[str]:
        self.taps += 1
        self.steps.append(f"tap {label}")
        return self.chat.press(self.chat.button(label))


def sales_order(chat: CountingChat, lines: Sequence[str]) -> str:
    """开单 with the customer, the warehouse, three typed lines, Done, Submit: the last reply."""
    chat.send("开单 ACME")
    chat.press("MAIN")
    for line in lines:
        chat.send(line)
    chat.press("完成")
    return chat.press("提交")[0]


def measure(directory: Path) -> list[Counted]:
    """The 3-line sales order once on a fresh shop."""
    engine = create_db_engine(f"sqlite:///{directory / 'taps_chat.db'}")
    Base.metadata.create_all(engine)
    try:
        uow = UnitOfWork(engine)
        bootstrap(uow)
        admin = load_actor(uow, "system")
        make_shop(uow, admin)
        create_customer(uow, admin, NewCustomer("ACME", "Acme Trading", salesperson="sales-1"))
        receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 30, "10"), LineIn("TEA-CUP", 100, "3.3"),
                                           LineIn("LAMP", 10, "20")])
        bot = Engine(uow, Texts(), default_flows(), COMMANDS, fallback_flow="stock")
        chat = Chat(bot, user_id="9001", chat_id="9001")
        chat.send(f"/start {create_invite(uow, admin, 'sales-1').code}")
        counting = CountingChat(chat)
        outcome = sales_order(counting, SALES_LINES)
    finally:
        engine.dispose()
    return [Counted("3-line sales order", counting.messages, counting.taps, tuple(counting.steps),
                    outcome.splitlines()[0])]


def report(tasks: Sequence[Counted]) -> str:
    lines = ["taps per task in the chat (conversation engine, SQLite):"]
    for task in tasks:
        lines.append(f"  {task.name}: {task.taps} taps + {task.messages} messages typed "
                     f"({task.outcome}) — {', '.join(task.steps)}")
    return "\n".join(lines)


def main(backends: Sequence[Backend]) -> None:
    """Print the taps (SQLite only: taps do not depend on the database)."""
    with tempfile.TemporaryDirectory(prefix="jxc-taps-chat-") as directory:
        print(report(measure(Path(directory))))
