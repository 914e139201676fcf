"""A recall over the real Telegram stack: `追溯 L7` answers in one message carrying the trace as an .xlsx."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from core.people.accounts import create_invite
from core.people.employees import load_actor
from core.permissions import Actor
from core.uow import UnitOfWork
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.stack import run, start_stack
from tests.integration.test_lot_trace import recall_scenario

MANAGER = 6101


@pytest.mark.pinned_clock("2026-11-20T02:00:00+00:00")
def test_a_manager_on_telegram_traces_a_lot_in_one_message_with_its_spreadsheet(
        db_url: str, uow: UnitOfWork, admin: Actor) -> None:
    recall_scenario(uow, admin)
    today = UnitOfWork(uow.engine)  # the books' clock is pinned; the server's and the invite's is today's
    code = create_invite(today, load_actor(today, "system"), "manager-1").code

    async def scenario(fake: FakeTelegram) -> None:
        s = await start_stack(db_url, fake)
        try:
            await s.say(MANAGER, f"/start {code}")
            before = len(fake.sent(MANAGER))
            texts = await s.say(MANAGER, "追溯 L7")
            sent = fake.sent(MANAGER)[before:]
            assert [c.method for c in sent] == ["sendDocument"], "one message: the words with the file"
            assert texts[0].startswith("批次 L7 追溯 · MILK 牛奶") and "· SHOP-B B 便利店：3" in texts[0]
            document = sent[0].params["document"]
            assert document["filename"] == "trace-MILK-L7.xlsx"
            moves = list(load_workbook(io.BytesIO(document["content"]))["moves"].iter_rows(values_only=True))
            assert [r[5] for r in moves[1:]] == [10, -6, -3, 1]
        finally:
            await s.stop()

    run(scenario)
