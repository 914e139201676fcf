"""Recovery takes only what a dead process left: two engines (two processes) on one database, one still handling
its update and renewing its lease however long that takes; the other's recovery sends nothing of it, and a truly
abandoned update (its lease ran out) is sent once even when both recover at the same moment."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from datetime import timedelta

import pytest
from sqlalchemy import Engine as SqlEngine
from sqlalchemy import select, update

from bot.channels import recover
from bot.engine.engine import Engine
from bot.engine.inbound import Inbound
from bot.engine.replies import Reply
from bot.flows import COMMANDS, default_flows
from core.db import create_db_engine
from core.models import InboxMessage
from core.people.accounts import create_invite
from core.permissions import Actor
from core.stock.moves import LineIn, receive_stock
from core.uow import Tx, UnitOfWork
from tests.chat import Chat
from tests.factories import make_shop
from tests.integration.test_engine import TEXTS

LEASE = timedelta(minutes=2)


@pytest.fixture
def process_on(db_url: str) -> Iterator[Callable[[], Engine]]:
    """The chat engine of one server process: its own connection pool on the shared database."""
    pools: list[SqlEngine] = []

    def start() -> Engine:
        pools.append(create_db_engine(db_url, pool_size=4))
        return Engine(UnitOfWork(pools[-1]), TEXTS, default_flows(), COMMANDS, fallback_flow="stock",
                      lease=LEASE)

    yield start
    for pool in pools:
        pool.dispose()


class Sender:
    """What a channel sends: (inbox id, chat, first line of each reply); confirms them delivered as channels do."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sent: list[tuple[int, str, str]] = []

    @contextlib.asynccontextmanager
    async def turn(self, chat_id: str) -> AsyncIterator[None]:
        yield

    async def deliver(self, inbox_id: int, chat_id: str, replies: Sequence[Reply]) -> None:
        await asyncio.sleep(0.05)  # sending takes a moment: long enough for the other process to try too
        self.sent.extend((inbox_id, chat_id, r.text.splitlines()[0]) for r in replies)
        await asyncio.to_thread(self.engine.delivered, inbox_id)


def shop_with_seller(uow: UnitOfWork, admin: Actor, engine: Engine) -> Chat:
    make_shop(uow, admin)
    receive_stock(uow, admin, "MAIN", [LineIn("TEA-CUP", 40)])
    chat = Chat(engine, user_id="1001", chat_id="1001")
    chat.send(f"/start {create_invite(uow, admin, 'sales-1').code}")
    return chat


def age(uow: UnitOfWork, *inbox_ids: int) -> None:
    """These rows were left by a process that died ten minutes ago: it stopped renewing their leases then."""
    back = timedelta(minutes=10)
    def work(tx: Tx) -> None:
        rows = update(InboxMessage).where(InboxMessage.id.in_(inbox_ids))
        tx.session.execute(rows.values(received_at=tx.now - back, lease_until=tx.now - back + LEASE))
        tx.session.execute(rows.where(InboxMessage.processed_at.is_not(None)).values(processed_at=tx.now - back))

    uow.run(work)


def leased(uow: UnitOfWork, *inbox_ids: int) -> list[bool]:
    """Whether each row's lease is still running."""
    return uow.read(lambda tx: [bool(until and until > tx.now) for until in tx.session.scalars(
        select(InboxMessage.lease_until).where(InboxMessage.id.in_(inbox_ids)).order_by(InboxMessage.id))])


def status(uow: UnitOfWork, inbox_id: int) -> str:
    return uow.read(lambda tx: tx.session.scalar(select(InboxMessage.status).where(InboxMessage.id == inbox_id)))


def test_recovery_leaves_alone_what_a_live_process_is_handling_however_long_it_takes(
        engine: SqlEngine, uow: UnitOfWork, admin: Actor, process_on: Callable[[], Engine]) -> None:
    live, starting = process_on(), process_on()
    shop_with_seller(uow, admin, live)
    recorded = live.record(Inbound("test", "live-1", "1001", "1001", text="TEA-CUP"))
    processed = live.record(Inbound("test", "live-2", "1001", "1001", text="TEA-CUP"))
    assert recorded is not None and processed is not None
    live.process(processed)  # the live process handled it and is sending it right now, slowly
    age(uow, recorded, processed)  # ten minutes later, longer than any fixed grace ...
    live.renew()  # ... but the live process renews its leases
    assert leased(uow, recorded, processed) == [True, True]

    sender = Sender(starting)
    assert asyncio.run(recover(starting, "test", sender.turn, sender.deliver)) == 0
    assert sender.sent == []
    assert (status(uow, recorded), status(uow, processed)) == ("received", "processed")
    assert "TEA-CUP 青花茶杯" in live.process(recorded)[0].text  # the live process goes on as if nothing happened
    live.delivered(recorded, processed)
    age(uow, recorded, processed)
    live.renew()
    assert leased(uow, recorded, processed) == [False, False], "what is answered is no longer held"


def test_an_abandoned_update_is_answered_once_when_two_processes_recover_at_once(
        engine: SqlEngine, uow: UnitOfWork, admin: Actor, process_on: Callable[[], Engine]) -> None:
    first, second = process_on(), process_on()
    shop_with_seller(uow, admin, first)
    dead = process_on()
    recorded = dead.record(Inbound("test", "dead-1", "1001", "1001", text="TEA-CUP"))
    unsent = dead.record(Inbound("test", "dead-2", "1001", "1001", text="RETRO-CLOCK"))
    assert recorded is not None and unsent is not None
    dead.process(unsent)
    age(uow, recorded, unsent)

    one, two = Sender(first), Sender(second)

    async def both() -> list[int]:
        return list(await asyncio.gather(recover(first, "test", one.turn, one.deliver),
                                         recover(second, "test", two.turn, two.deliver)))

    assert sum(asyncio.run(both())) == 2
    sent = sorted(one.sent + two.sent)
    assert [(i, chat) for i, chat, _ in sent] == [(recorded, "1001"), (unsent, "1001")]
    assert "TEA-CUP 青花茶杯" in sent[0][2] and "RETRO-CLOCK" in sent[1][2]
    assert (status(uow, recorded), status(uow, unsent)) == ("replied", "replied")
    assert asyncio.run(recover(first, "test", one.turn, one.deliver)) == 0, "nothing is sent a third time"


def test_a_claimed_reply_whose_sender_died_is_taken_again_only_when_its_lease_runs_out(
        engine: SqlEngine, uow: UnitOfWork, admin: Actor, process_on: Callable[[], Engine]) -> None:
    first, second = process_on(), process_on()
    shop_with_seller(uow, admin, first)
    unsent = first.record(Inbound("test", "dead-3", "1001", "1001", text="TEA-CUP"))
    assert unsent is not None
    first.process(unsent)
    age(uow, unsent)
    assert [u.inbox_id for u in first.claim_undelivered("test")] == [unsent]  # ... then that process dies
    assert second.claim_undelivered("test") == []
    age(uow, unsent)
    assert [u.inbox_id for u in second.claim_undelivered("test")] == [unsent]


def test_a_reply_that_could_not_be_sent_is_released_and_taken_by_the_sweep_when_its_lease_runs_out(
        engine: SqlEngine, uow: UnitOfWork, admin: Actor, process_on: Callable[[], Engine]) -> None:
    live, other = process_on(), process_on()
    shop_with_seller(uow, admin, live)
    unsent = live.record(Inbound("test", "unsent-1", "1001", "1001", text="TEA-CUP"))
    assert unsent is not None
    live.process(unsent)
    live.release(unsent)  # the messenger refused the send: this process stops holding it
    age(uow, unsent)
    live.renew()
    assert leased(uow, unsent) == [False]
    sender = Sender(other)
    assert asyncio.run(recover(other, "test", sender.turn, sender.deliver)) == 1
    assert sender.sent[0][0] == unsent and status(uow, unsent) == "replied"
