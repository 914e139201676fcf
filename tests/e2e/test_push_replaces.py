"""Pushes people want, through the real server and the fake Telegram Bot API: the low-stock warnings of a sweep are
one message per person and a newer one edits it in place; a decided approval's card is edited for every approver
and no fresh card goes out for it; a transfer received before the dispatcher gets to it sends no "please receive"."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy import select

from core.approvals.requests import set_rule
from core.models import Notification, SentMessage
from core.partners.customers import NewCustomer, create_customer
from core.people.accounts import bind_account
from core.people.employees import create_employee, load_actor
from core.permissions import Actor
from core.purchasing.replenishment import set_reorder_rule
from core.sales.orders import create_sales_order, submit_sales_order
from core.sales.records import SalesLineIn
from core.stock.moves import LineIn, dispatch_transfer, issue_stock, receive_stock, receive_transfer
from core.uow import UnitOfWork
from tests.e2e.fake_telegram import Call, FakeTelegram
from tests.e2e.stack import run, start_stack
from tests.factories import make_shop

MANAGER, SECOND, SELLER = 6201, 6202, 6203
FAST = {"scheduler": {"sweep_seconds": 1, "lease_seconds": 3, "renew_seconds": 1}}


async def until(condition: Callable[[], bool], what: str, seconds: float = 20) -> None:
    for _ in range(int(seconds * 10)):
        if condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what} never happened")


def low_stock_messages(fake: FakeTelegram, user: int) -> list[Call]:
    return [c for c in fake.sent(user) if c.method == "sendMessage" and "库存不足" in c.text]


def edits(fake: FakeTelegram, user: int) -> list[Call]:
    return [c for c in fake.sent(user) if c.method == "editMessageText"]


def test_the_warnings_of_a_sweep_are_one_message_and_a_newer_one_edits_it(
        db_url: str, uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 60, "9.5"), LineIn("TEA-CUP", 60, "3"),
                                       LineIn("LAMP", 60, "40")])
    for sku in ("RETRO-CLOCK", "TEA-CUP", "LAMP"):
        set_reorder_rule(uow, shop.purchaser, sku, "MAIN", "50", "100")
    bind_account(uow, admin, "manager-1", "telegram", str(MANAGER), str(MANAGER))
    # two issues take two products below their minimum before the first sweep: two warnings, one message
    issue_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 15)])
    issue_stock(uow, admin, "MAIN", [LineIn("TEA-CUP", 15), LineIn("RETRO-CLOCK", 20)])

    async def scenario(fake: FakeTelegram) -> None:
        s = await start_stack(db_url, fake, background=True, extra=FAST)
        try:
            await until(lambda: low_stock_messages(fake, MANAGER), "the low-stock message")
            await asyncio.sleep(2.5)  # more sweeps: nothing else goes out
            [first] = low_stock_messages(fake, MANAGER)
            assert first.text == ("⚠️ 库存不足（2 个商品）：\n"
                                  "• RETRO-CLOCK 复古闹钟（MAIN）可用 45，最低 50\n"
                                  "• TEA-CUP 青花茶杯（MAIN）可用 45，最低 50")
            assert first.buttons == [[("📦 库存预警", "ls:list")]]

            issue_stock(uow, admin, "MAIN", [LineIn("LAMP", 30)])
            await until(lambda: edits(fake, MANAGER), "the edit of the warning")
            await asyncio.sleep(1.5)
            [edit] = edits(fake, MANAGER)
            assert str(edit.params["message_id"]) == str(first.message_id)
            assert edit.text == "⚠️ 库存不足（1 个商品）：\n• LAMP 台灯（MAIN）可用 30，最低 50"
            assert len(low_stock_messages(fake, MANAGER)) == 1, "the newer warning replaced the older"
        finally:
            await s.stop()
        kept = uow.read(lambda tx: tx.session.execute(select(SentMessage.topic, SentMessage.message_id)).all())
        assert [tuple(k) for k in kept] == [("low_stock", str(first.message_id))]

    run(scenario)


def test_a_decided_approval_edits_both_approvers_cards_and_sends_no_new_card(
        db_url: str, uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    create_employee(uow, admin, "manager-2", ["manager"], language="en")
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 30, "9.5")])
    seller = load_actor(uow, "sales-1")
    create_customer(uow, seller, NewCustomer("ACME", "Acme 商贸"))
    set_rule(uow, admin, "sales_order", "100", ["manager"])
    for name, user in (("manager-1", MANAGER), ("manager-2", SECOND), ("sales-1", SELLER)):
        bind_account(uow, admin, name, "telegram", str(user), str(user))

    async def scenario(fake: FakeTelegram) -> None:
        s = await start_stack(db_url, fake, background=True, extra=FAST)
        try:
            draft = create_sales_order(uow, seller, "ACME", "MAIN", [SalesLineIn("RETRO-CLOCK", 10, "25")])
            submit_sales_order(uow, seller, draft.number)
            cards = {}
            for user in (MANAGER, SECOND):
                await until(lambda u=user: any(draft.number in t for t in fake.texts(u)), f"the card to {user}")
                [cards[user]] = [c for c in fake.sent(user) if draft.number in c.text]
            approve = next(d for row in cards[MANAGER].buttons for _, d in row if d.endswith(":y"))
            await s.press(MANAGER, approve)
            for user in (MANAGER, SECOND):
                await until(lambda u=user: edits(fake, u), f"the edit of {user}'s card")
            await asyncio.sleep(2.5)  # more sweeps: no fresh card, no second edit
            for user, words in ((MANAGER, "manager-1 已于"), (SECOND, "by manager-1 at")):
                [edit] = edits(fake, user)
                assert str(edit.params["message_id"]) == str(cards[user].message_id)
                assert draft.number in edit.text and words in edit.text
                assert not edit.params.get("reply_markup"), "the decided card has no buttons left"
                fresh = [c for c in fake.sent(user) if c.method == "sendMessage" and c.buttons
                         and any(d.startswith("ap:") for row in c.buttons for _, d in row)]
                assert fresh == [cards[user]], "no new approval card"
            assert any(draft.number in t and "批准" in t for t in fake.texts(SELLER))
        finally:
            await s.stop()
        waiting = uow.read(lambda tx: tx.session.scalars(
            select(Notification.event_type).where(Notification.status != "sent")).all())
        assert list(waiting) == []

    run(scenario)


def test_a_transfer_received_before_the_dispatcher_gets_to_it_sends_no_please_receive(
        db_url: str, uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 30, "9.5")])
    bind_account(uow, admin, "manager-1", "telegram", str(MANAGER), str(MANAGER))
    done = dispatch_transfer(uow, admin, "MAIN", "NORTH", [LineIn("RETRO-CLOCK", 5)])
    receive_transfer(uow, admin, done.number)
    waiting = dispatch_transfer(uow, admin, "MAIN", "NORTH", [LineIn("RETRO-CLOCK", 3)])

    async def scenario(fake: FakeTelegram) -> None:
        s = await start_stack(db_url, fake, background=True, extra=FAST)
        try:
            await until(lambda: any(waiting.number in t for t in fake.texts(MANAGER)), "the open transfer's notice")
            await asyncio.sleep(2)
        finally:
            await s.stop()
        assert [t for t in fake.texts(MANAGER) if "调拨" in t] == [
            f"🚚 调拨单 {waiting.number} 从 MAIN 发往 NORTH（1 行）已发出，请收货。"]
        dropped = uow.read(lambda tx: tx.session.execute(
            select(Notification.status, Notification.last_error).where(
                Notification.event_type == "transfer_awaiting_receipt")).all())
        assert sorted(tuple(d) for d in dropped) == [
            ("sent", ""), ("sent", "settled: its subject was done before it was sent")]

    run(scenario)
