"""The push side under the real server: an order below the floor price reaches the manager on Telegram with
Approve / Reject buttons, one tap approves it, and the salesperson is told, all through the outbox."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy import select

from core.models import Notification, SalesOrder
from core.partners.customers import NewCustomer, create_customer
from core.people.accounts import create_invite
from core.people.employees import load_actor
from core.permissions import Actor
from core.sales.orders import create_sales_order, submit_sales_order
from core.sales.records import SalesLineIn
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.stack import run, start_stack
from tests.factories import make_shop

MANAGER, SELLER = 6001, 6002
FAST = {"scheduler": {"sweep_seconds": 1, "lease_seconds": 3, "renew_seconds": 1}}


async def until(condition: Callable[[], bool], seconds: float = 20) -> None:
    for _ in range(int(seconds * 10)):
        if condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the expected message never arrived")


def test_a_manager_approves_from_the_pushed_message_and_the_salesperson_is_told(
    db_url: str, uow: UnitOfWork, admin: Actor
) -> None:
    make_shop(uow, admin)
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 12, "9.5")])
    seller = load_actor(uow, "sales-1")
    create_customer(uow, seller, NewCustomer("ACME", "Acme 商贸"))

    async def scenario(fake: FakeTelegram) -> None:
        s = await start_stack(db_url, fake, background=True, extra=FAST)
        try:
            await s.say(MANAGER, f"/start {create_invite(uow, admin, 'manager-1').code}")
            await s.say(SELLER, f"/start {create_invite(uow, admin, 'sales-1').code}")
            draft = create_sales_order(uow, seller, "ACME", "MAIN", [SalesLineIn("RETRO-CLOCK", 5, "12")])
            submit_sales_order(uow, seller, draft.number)
            await until(lambda: any(draft.number in t for t in fake.texts(MANAGER)))
            approve = s.button(MANAGER, "✅") if _has(fake, MANAGER, "✅") else _approve_button(fake)
            await s.press(MANAGER, approve)
            await until(lambda: any(draft.number in t for t in fake.texts(SELLER)))
        finally:
            await s.stop()
        status = uow.read(lambda tx: tx.session.scalar(
            select(SalesOrder.status).where(SalesOrder.number == draft.number)))
        assert status == "approved"
        unsent = uow.read(lambda tx: list(tx.session.scalars(
            select(Notification.event_type).where(Notification.status != "sent"))))
        assert "approval_requested" not in unsent and "approved" not in unsent

    run(scenario)


def _has(fake: FakeTelegram, user: int, label: str) -> bool:
    return any(label in text for call in fake.sent(user) for row in call.buttons for text, _ in row)


def _approve_button(fake: FakeTelegram) -> str:
    for call in fake.sent(MANAGER):
        for row in call.buttons:
            for _, data in row:
                if data.startswith("ap:") and data.endswith(":y"):
                    return data
    raise AssertionError("no Approve button was pushed to the manager")
