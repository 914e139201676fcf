"""Counting a tracked product over the real Telegram stack: the lot asked with an inline keyboard of the lots on
hand (nearest expiry first, callback data within Telegram's 64 bytes whatever the lot code), pressed, and the
count posted per lot."""

from __future__ import annotations

import pytest

from core.catalog.products import NewProduct, create_product
from core.ledger.check import check_ledger
from core.people.accounts import create_invite
from core.people.employees import load_actor
from core.permissions import Actor
from core.stock.lots import list_lots
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.stack import run, start_stack
from tests.factories import make_shop

KEEPER = 6201


@pytest.mark.pinned_clock("2026-11-20T02:00:00+00:00")
def test_a_keeper_on_telegram_counts_a_lot_by_pressing_it(db_url: str, uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)  # the server runs on today's clock: these lots are far from expiring
    create_product(uow, admin, NewProduct("MILK", "牛奶", "Milk", purchase_price="2", tracking="lot", alert_days=7))
    receive_stock(uow, admin, "MAIN", [LineIn("MILK", 10, "2", lot="B-2026-11-25-LONG-LOT-CODE-0001",
                                              expiry="2030-01-01"),
                                       LineIn("MILK", 6, "2", lot="C", expiry="2031-01-10")])
    today = UnitOfWork(uow.engine)
    code = create_invite(today, load_actor(today, "system"), "warehouse-1").code

    async def scenario(fake: FakeTelegram) -> None:
        s = await start_stack(db_url, fake)
        try:
            await s.say(KEEPER, f"/start {code}")
            await s.say(KEEPER, "盘点")
            asked = await s.say(KEEPER, "MILK 9")
            assert asked[0].startswith("MILK：盘到的 9 是哪个批次？")
            keyboard = fake.sent(KEEPER)[-1].buttons
            assert [label for row in keyboard for label, _ in row] == [
                "B-2026-11-25-LONG-LOT-CODE-0001 · 2030-01-01", "C · 2031-01-10"]
            assert all(len(data.encode()) <= 64 for row in keyboard for _, data in row)
            pressed = await s.press(KEEPER, s.button(KEEPER, "B-2026-11-25-LONG"))
            assert pressed == ["已记录 MILK 批次 B-2026-11-25-LONG-LOT-CODE-0001：9。继续下一个。"]
            await s.say(KEEPER, "提交")
            assert (await s.say(KEEPER, "确认"))[0].startswith("盘点 SC-")
        finally:
            await s.stop()

    run(scenario)
    assert {s.lot: s.on_hand for s in list_lots(uow, admin, "MILK")} == {
        "B-2026-11-25-LONG-LOT-CODE-0001": 9, "C": 6}
    assert uow.read(check_ledger) == []
