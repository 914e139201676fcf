"""Delivering the outbox: each note reaches every bound chat once, in the reader's language, through 429s, 5xx and
timeouts; hopeless ones are dead-lettered with one alert; people without a chat get theirs when they next write."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.composition import build_dispatcher
from bot.delivery import (
    Dispatcher,
    Pace,
    PermanentError,
    RetryLater,
    TransientError,
    claim,
    pending_for_employee,
)
from bot.engine.engine import Engine
from bot.engine.replies import Reply
from bot.engine.texts import Texts
from bot.flows import COMMANDS, default_flows
from core.approvals.requests import set_rule
from core.integration.outbox import notify
from core.integration.queue import NOTIFICATION_QUEUE
from core.models import Notification
from core.partners.suppliers import NewSupplier, create_supplier
from core.people.accounts import bind_account, create_invite, set_language
from core.permissions import Actor
from core.purchasing.orders import PurchaseLineIn, create_purchase_order, submit_purchase_order
from core.uow import UnitOfWork
from tests.chat import Chat
from tests.factories import Shop, make_shop

START = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)  # after the notes are written
TEXTS = Texts()
UNPACED = Pace(0, 0, 1)
mark_sent = NOTIFICATION_QUEUE.mark_sent


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class FakeChannel:
    """Records what it was given; `script[chat]` lists the failures each chat answers with before it works."""

    script: dict[str, list[str]] = field(default_factory=dict)
    delivered: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)

    async def send(self, chat_id: str, replies: list[Reply]) -> None:
        self.calls[chat_id] += 1
        failures = self.script.get(chat_id) or []
        if failures:
            failure = failures.pop(0)
            if failure == "429":
                raise RetryLater(0.05)
            if failure == "500":
                raise TransientError("500 Internal Server Error")
            if failure == "hang":
                await asyncio.sleep(30)
            if failure == "403":
                raise PermanentError("Forbidden: bot was blocked by the user")
        for reply in replies:
            self.delivered.append((chat_id, reply.text, tuple(b.data for row in reply.buttons for b in row)))


def _shop_with_chats(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = make_shop(uow, admin)
    bind_account(uow, admin, "manager-1", "telegram", "1001", "1001")
    bind_account(uow, admin, "purchaser-1", "telegram", "1002", "1002")
    bind_account(uow, admin, "system", "telegram", "1000", "1000")
    set_language(uow, shop.purchaser, "en")
    return shop


def _request_note(uow: UnitOfWork, recipients: list[int], request_id: int = 7, number: str = "PO-2026-000007") -> int:
    payload = {"request_id": request_id, "doc_type": "purchase_order", "doc_id": 3, "number": number,
               "amount": "12500.00", "author_id": recipients[0], "level": 0, "levels": ["manager"],
               "role": "manager", "summary": {}}
    return uow.run(lambda tx: notify(tx, "approval_requested", recipients, payload, f"approval_requested:{request_id}"))


def _rows(uow: UnitOfWork) -> list[tuple[int, str, int]]:
    return uow.read(lambda tx: [tuple(r) for r in tx.session.execute(
        select(Notification.recipient_id, Notification.status, Notification.attempts).order_by(Notification.id))])


def _dispatcher(uow: UnitOfWork, channel: FakeChannel, clock: Clock, **options: object) -> Dispatcher:
    return Dispatcher(uow, TEXTS, {"telegram": channel}, paces={"telegram": UNPACED}, clock=clock,
                      send_timeout=0.2, mark_every=0.005, **options)  # type: ignore[arg-type]


async def _until_done(dispatcher: Dispatcher, clock: Clock, rounds: int = 30) -> None:
    for _ in range(rounds):
        await dispatcher.drain()
        clock.now += timedelta(hours=2)  # past any backoff
    assert await dispatcher.drain() == 0


def test_an_approval_request_reaches_each_approver_once_in_their_language_with_approve_and_reject(
        uow: UnitOfWork, admin: Actor) -> None:
    shop = _shop_with_chats(uow, admin)
    _request_note(uow, [shop.manager.employee_id, shop.purchaser.employee_id])
    channel, clock = FakeChannel(), Clock()
    asyncio.run(_dispatcher(uow, channel, clock).drain())
    by_chat = {chat: (text, data) for chat, text, data in channel.delivered}
    assert len(channel.delivered) == 2
    assert "待审批" in by_chat["1001"][0] and "PO-2026-000007" in by_chat["1001"][0]
    assert "Approval needed" in by_chat["1002"][0] and "12,500.00" in by_chat["1002"][0]
    assert by_chat["1001"][1] == ("ap:7:y", "ap:7:n")
    assert [status for _, status, _ in _rows(uow)] == ["sent", "sent"]


def test_through_429_500_and_timeouts_every_note_is_delivered_exactly_once(uow: UnitOfWork, admin: Actor) -> None:
    shop = _shop_with_chats(uow, admin)
    for n in range(1, 7):
        _request_note(uow, [shop.manager.employee_id, shop.purchaser.employee_id], n, f"PO-2026-00000{n}")
    channel = FakeChannel({"1001": ["429", "500", "hang", "500"], "1002": ["hang", "429", "429", "500", "hang"]})
    clock = Clock()
    dispatcher = _dispatcher(uow, channel, clock)
    asyncio.run(_until_done(dispatcher, clock))
    delivered = Counter((chat, data) for chat, _, data in channel.delivered)
    assert len(delivered) == 12 and set(delivered.values()) == {1}
    assert {status for _, status, _ in _rows(uow)} == {"sent"}
    assert dispatcher.stats.retried == 9 and dispatcher.stats.dead == 0


def test_a_429_holds_the_note_back_for_retry_after_and_500_backs_off_exponentially(
        uow: UnitOfWork, admin: Actor) -> None:
    shop = _shop_with_chats(uow, admin)
    _request_note(uow, [shop.manager.employee_id])
    channel, clock = FakeChannel({"1001": ["429", "500", "500", "500"]}), Clock()
    dispatcher = _dispatcher(uow, channel, clock)
    waits = []
    for _ in range(4):
        asyncio.run(dispatcher.run_once())
        due = uow.read(lambda tx: tx.session.scalar(select(Notification.next_attempt_at)))
        waits.append((due - clock.now).total_seconds())
        assert asyncio.run(dispatcher.run_once()) == 0  # not due before then
        clock.now = due
    assert waits[0] == 0.05
    assert 2 <= waits[1] <= 4 and 4 <= waits[2] <= 8 and 8 <= waits[3] <= 16  # attempts 2, 3, 4: doubling, jitter
    asyncio.run(dispatcher.run_once())
    assert len(channel.delivered) == 1


def test_after_eight_failed_attempts_a_note_is_dead_and_the_admins_are_alerted_once(
        uow: UnitOfWork, admin: Actor) -> None:
    shop = _shop_with_chats(uow, admin)
    _request_note(uow, [shop.manager.employee_id])
    channel, clock = FakeChannel({"1001": ["500"] * 50}), Clock()
    dispatcher = _dispatcher(uow, channel, clock)
    asyncio.run(_until_done(dispatcher, clock))
    assert channel.calls["1001"] == 8
    rows = _rows(uow)
    assert rows[0] == (shop.manager.employee_id, "dead", 8)
    alerts = [(chat, text) for chat, text, _ in channel.delivered]
    assert len(alerts) == 1 and alerts[0][0] == "1000" and "8" in alerts[0][1] and "approval_requested" in alerts[0][1]


def test_a_refusal_for_good_is_dead_at_once(uow: UnitOfWork, admin: Actor) -> None:
    shop = _shop_with_chats(uow, admin)
    _request_note(uow, [shop.purchaser.employee_id])
    channel, clock = FakeChannel({"1002": ["403"]}), Clock()
    asyncio.run(_until_done(_dispatcher(uow, channel, clock), clock, rounds=3))
    assert channel.calls["1002"] == 1
    assert _rows(uow)[0] == (shop.purchaser.employee_id, "dead", 1)
    assert [chat for chat, _, _ in channel.delivered] == ["1000"]


def test_someone_without_a_chat_gets_the_note_when_they_next_write_and_only_then(
        uow: UnitOfWork, admin: Actor) -> None:
    shop = _shop_with_chats(uow, admin)
    _request_note(uow, [shop.sales.employee_id])
    channel, clock = FakeChannel(), Clock()
    asyncio.run(_until_done(_dispatcher(uow, channel, clock), clock, rounds=2))
    assert channel.delivered == [] and _rows(uow) == [(shop.sales.employee_id, "pending", 0)]
    shown = uow.run(lambda tx: pending_for_employee(tx, shop.sales.employee_id, TEXTS))
    assert len(shown) == 1 and "PO-2026-000007" in shown[0].text
    assert [b.data for b in shown[0].buttons[0]] == ["ap:7:y", "ap:7:n"]
    assert uow.run(lambda tx: pending_for_employee(tx, shop.sales.employee_id, TEXTS)) == []
    assert _rows(uow) == [(shop.sales.employee_id, "sent", 0)]


def test_a_claim_whose_lease_ran_out_is_taken_again_and_the_late_mark_is_refused(
        uow: UnitOfWork, admin: Actor) -> None:
    shop = _shop_with_chats(uow, admin)
    _request_note(uow, [shop.manager.employee_id])
    lease = timedelta(seconds=60)
    [first] = claim(uow, ["telegram"], "dead-process", START, lease=lease)
    assert claim(uow, ["telegram"], "other", START + timedelta(seconds=59), lease=lease) == []
    [again] = claim(uow, ["telegram"], "other", START + timedelta(seconds=61), lease=lease)
    assert (again.id, again.attempts, again.chats) == (first.id, 2, (("telegram", "1001"),))
    assert mark_sent(uow, "dead-process", [first.id], START) == 0
    assert mark_sent(uow, "other", [first.id], START) == 1
    assert _rows(uow) == [(shop.manager.employee_id, "sent", 2)]


def test_a_note_is_given_back_untried_when_the_lease_would_run_out_while_waiting_for_its_turn(
        uow: UnitOfWork, admin: Actor) -> None:
    shop = _shop_with_chats(uow, admin)
    _request_note(uow, [shop.manager.employee_id])
    channel, clock = FakeChannel(), Clock()

    class SlowPace(Pace):
        async def wait(self, chat_id: str) -> None:
            clock.now += timedelta(seconds=50)  # waiting for the chat's turn took most of the lease

    dispatcher = Dispatcher(uow, TEXTS, {"telegram": channel}, paces={"telegram": SlowPace()}, clock=clock,
                            lease=timedelta(seconds=60), send_timeout=15)
    asyncio.run(dispatcher.run_once())
    assert channel.delivered == [] and dispatcher.stats.released == 1
    assert _rows(uow) == [(shop.manager.employee_id, "pending", 0)]


def test_two_dispatchers_share_a_burst_without_sending_anything_twice(uow: UnitOfWork, admin: Actor) -> None:
    shop = _shop_with_chats(uow, admin)
    for n in range(1, 41):
        _request_note(uow, [shop.manager.employee_id, shop.purchaser.employee_id, admin.employee_id], n, f"PO-{n}")
    channel, clock = FakeChannel(), Clock()

    async def both() -> None:
        one = _dispatcher(uow, channel, clock, batch=7)
        two = _dispatcher(uow, channel, clock, batch=5)
        await asyncio.gather(one.drain(), two.drain())

    asyncio.run(both())
    delivered = Counter((chat, data) for chat, _, data in channel.delivered)
    assert len(delivered) == 120 and set(delivered.values()) == {1}


def test_pace_keeps_a_chat_to_its_rate() -> None:
    async def burst() -> float:
        pace = Pace(overall_per_second=1000, chat_rate=5, chat_period=0.25)
        loop = asyncio.get_running_loop()
        started = loop.time()
        for _ in range(15):
            await pace.wait("1001")
        return loop.time() - started

    elapsed = asyncio.run(burst())
    assert 0.4 <= elapsed < 1.5  # 5 at once, then 20 a second


def test_in_the_browser_chat_a_waiting_note_comes_with_the_next_reply_once_and_its_button_works(
        uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    create_supplier(uow, admin, NewSupplier("ACME", "Acme 贸易"))
    set_rule(uow, admin, "purchase_order", "1000", ["manager"])
    engine = Engine(uow, TEXTS, default_flows(), COMMANDS, fallback_flow="stock", notices=pending_for_employee)
    boss = Chat(engine, user_id="w-boss", chat_id="w-boss", channel="web")
    boss.send(f"/start {create_invite(uow, admin, 'manager-1').code}")
    order = create_purchase_order(uow, shop.purchaser, "ACME", "MAIN", [PurchaseLineIn("LAMP", "40")])
    outcome = submit_purchase_order(uow, shop.purchaser, order.number)
    assert outcome.status == "pending_approval"
    asyncio.run(_dispatcher(uow, FakeChannel(), Clock()).drain())  # a Telegram dispatcher cannot reach the browser
    said = boss.send("帮助")
    assert any("待审批" in text and order.number in text for text in said)
    data = [b.data for r in boss.replies for row in r.buttons for b in row if b.data.startswith("ap:")]
    assert boss.press(data[0]) == [f"已同意 {order.number}。单据已审批生效。"]
    assert not any("待审批" in text for text in boss.send("帮助"))


def test_the_server_dispatcher_paces_telegram_per_second_and_wecom_per_member_minute(uow: UnitOfWork) -> None:
    class Named:
        def __init__(self, name: str) -> None:
            self.name = name

        async def send(self, chat_id: str, replies: list[Reply]) -> None:
            pass

    dispatcher = build_dispatcher(uow, TEXTS, [Named("web"), Named("telegram"), Named("wecom")])
    assert sorted(dispatcher.senders) == ["telegram", "wecom"]
    telegram, wecom = dispatcher.paces["telegram"], dispatcher.paces["wecom"]
    assert (telegram.overall_per_second, telegram.chat_rate, telegram.chat_period) == (30, 1, 1)
    assert (wecom.overall_per_second, wecom.chat_rate, wecom.chat_period) == (0, 30, 60)
