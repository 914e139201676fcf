"""Polling loses nothing: an update is confirmed to Telegram (the next getUpdates' offset) only once it is recorded.
A database that is away is waited for; a process that stops before it could record an update leaves it with
Telegram, and the next process gets it and answers it once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bot.engine.inbound import Inbound
from core.models import InboxMessage
from core.people.accounts import bind_account
from core.permissions import Actor
from core.uow import UnitOfWork
from tests.e2e.fake_telegram import FakeTelegram, message_update
from tests.e2e.stack import Stack, start_stack
from tests.factories import make_shop

USER = 734_001


def failing(stack: Stack, times: int) -> list[str]:
    """The engine's record fails `times` times as if the database were away; the ids it was refused, in order."""
    real: Callable[[Inbound], int | None] = stack.engine.record
    refused: list[str] = []

    def record(inbound: Inbound) -> int | None:
        if len(refused) < times:
            refused.append(inbound.external_id)
            raise OperationalError("INSERT INTO inbox_message", {}, ConnectionRefusedError("database away"))
        return real(inbound)

    stack.engine.record = record  # type: ignore[method-assign]
    return refused


async def wait_until(condition: Callable[[], Any], timeout: float = 15) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


def inbox(uow: UnitOfWork) -> int:
    return uow.read(lambda tx: int(tx.session.scalar(select(func.count()).select_from(InboxMessage)) or 0))


def test_a_polled_update_is_recorded_once_the_database_is_back_and_answered_once(
        db_url: str, uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    bind_account(uow, admin, "warehouse-1", "telegram", str(USER), str(USER))

    async def scenario() -> None:
        fake = await FakeTelegram().start()
        stack = await start_stack(db_url, fake, mode="polling", webhook_secret="")
        try:
            refused = failing(stack, 2)
            await fake.push_update(message_update(8_800_001, USER, "RETRO-CLOCK"))
            answer = await fake.wait_sent(1, USER)
            await stack.settle()
            assert refused == ["8800001", "8800001"], "tried again while the database was away"
            assert len(answer) == 1 and answer[0].text.startswith("RETRO-CLOCK")
        finally:
            await stack.stop()
            await fake.stop()

    asyncio.run(scenario())
    assert inbox(uow) == 1


def test_a_process_that_stops_before_it_could_record_an_update_leaves_it_to_the_next_one(
        db_url: str, uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    bind_account(uow, admin, "warehouse-1", "telegram", str(USER), str(USER))

    async def scenario() -> None:
        fake = await FakeTelegram().start()
        try:
            first = await start_stack(db_url, fake, mode="polling", webhook_secret="")
            refused = failing(first, 1_000)
            await fake.push_update(message_update(8_800_011, USER, "RETRO-CLOCK"))
            await wait_until(lambda: len(refused) >= 2)
            await first.stop()
            assert fake.sent(USER) == [] and inbox(uow) == 0
            second = await start_stack(db_url, fake, mode="polling", webhook_secret="")
            try:
                answer = await fake.wait_sent(1, USER)
                await second.settle()
                await asyncio.sleep(0.3)
                assert len(fake.sent(USER)) == 1 and answer[0].text.startswith("RETRO-CLOCK")
            finally:
                await second.stop()
        finally:
            await fake.stop()

    asyncio.run(scenario())
    assert inbox(uow) == 1
