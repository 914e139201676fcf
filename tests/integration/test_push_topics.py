"""One message per person per topic, at the dispatcher: a newer low-stock warning replaces the message first sent
within the window and goes anew after it; a decided approval with no card kept for the chat sends nothing."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.delivery import Dispatcher, Pace
from bot.engine.replies import Reply
from bot.engine.texts import Texts
from core.integration.outbox import notify
from core.people.accounts import bind_account
from core.permissions import Actor
from core.uow import UnitOfWork
from tests.factories import make_shop

START = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)


@dataclass
class Replacing:
    """Records sends and replacements; every new message gets the next id."""

    calls: list[tuple[str, str | None, str]] = field(default_factory=list)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def send(self, chat_id: str, replies: list[Reply]) -> None:
        self.calls.extend(("send", None, r.text) for r in replies)

    async def replace(self, chat_id: str, reply: Reply, message_id: str | None, *,
                      or_send: bool = True) -> str | None:
        if message_id:
            self.calls.append(("edit", message_id, reply.text))
            return message_id
        if not or_send:
            return None
        shown = f"m{next(self.ids)}"
        self.calls.append(("new", shown, reply.text))
        return shown


def _warn(uow: UnitOfWork, manager: int, n: int, sku: str) -> None:
    payload = {"product_id": n, "warehouse_id": 1, "sku": sku, "name_zh": sku, "name_en": sku, "warehouse": "MAIN",
               "available": "1", "minimum": "5"}
    uow.run(lambda tx: notify(tx, "low_stock", [manager], payload, f"low_stock:test:{n}"))


def test_a_newer_warning_edits_the_recent_message_and_goes_anew_once_that_is_out_of_the_window(
        uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    bind_account(uow, admin, "manager-1", "telegram", "1001", "1001")
    manager = shop.manager.employee_id
    channel, now = Replacing(), [START]
    dispatcher = Dispatcher(uow, Texts(), {"telegram": channel}, paces={"telegram": Pace(0, 0, 1)},
                            clock=lambda: now[0], replace_within=timedelta(hours=6))

    def sweep_at(hours: float) -> list[tuple[str, str | None]]:
        now[0] = START + timedelta(hours=hours)
        before = len(channel.calls)
        asyncio.run(dispatcher.drain())
        return [(kind, message) for kind, message, _ in channel.calls[before:]]

    _warn(uow, manager, 1, "RETRO-CLOCK")
    assert sweep_at(0) == [("new", "m1")]
    _warn(uow, manager, 2, "TEA-CUP")
    assert sweep_at(5) == [("edit", "m1")]
    _warn(uow, manager, 3, "LAMP")
    assert sweep_at(6.5) == [("new", "m2")], "six hours after m1 was first sent it is out of sight: a new message"
    _warn(uow, manager, 4, "MUG")
    assert sweep_at(7) == [("edit", "m2")]
    assert "MUG" in channel.calls[-1][2] and "LAMP" not in channel.calls[-1][2]

    decided = {"request_id": 99, "doc_type": "purchase_order", "doc_id": 1, "number": "PO-2031-000099",
               "amount": "10", "level": 0, "levels": ["manager"], "decided_by": "system", "decided_by_id": 1,
               "decided_on": "cli", "decision": "approve", "decided_at": START.isoformat()}
    uow.run(lambda tx: notify(tx, "approval_decided", [manager], decided, "approval_decided:99:0"))
    assert sweep_at(8) == [], "no card was sent for it here: nothing to update, nothing new"
