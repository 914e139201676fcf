"""Pick buttons through the real python-telegram-bot stack and a fake Bot API: a name that names several products
is answered with an inline keyboard of them, and pressing one (a callback query) takes the line on."""

from __future__ import annotations

import pytest

from core.catalog.products import NewProduct, create_product
from core.partners.customers import NewCustomer, create_customer
from core.people.accounts import create_invite
from core.permissions import Actor
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.stack import run, start_stack
from tests.factories import make_shop

SALES = 5101


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> UnitOfWork:
    make_shop(uow, admin)
    create_product(uow, admin, NewProduct("BWB-500", "不锈钢保温杯500ml", "Steel thermos", sale_price="39"))
    create_product(uow, admin, NewProduct("BWB-KID", "儿童保温杯", "Kids thermos", sale_price="29"))
    create_customer(uow, admin, NewCustomer("ACME", "Acme Trading", salesperson="sales-1"))
    receive_stock(uow, admin, "MAIN", [LineIn("BWB-500", 12, "20"), LineIn("BWB-KID", 5, "15")])
    return uow


def test_two_cups_of_one_name_come_as_an_inline_keyboard_and_a_press_takes_the_line(
    db_url: str, shop: UnitOfWork, admin: Actor
) -> None:
    code = create_invite(shop, admin, "sales-1").code

    async def scenario(fake: FakeTelegram) -> None:
        s = await start_stack(db_url, fake)
        try:
            await s.say(SALES, f"/start {code}")
            await s.say(SALES, "开单 ACME")
            await s.press(SALES, s.button(SALES, "MAIN"))
            reply = (await s.say(SALES, "保温杯 2"))[0]
            assert reply.startswith("「保温杯」对应 2 个商品，请点选一个：")
            assert fake.sent(SALES)[-1].buttons == [
                [("儿童保温杯 · 可用 5 个 · 29.00", "pick:BWB-KID")],
                [("不锈钢保温杯500ml · 可用 12 个 · 39.00", "pick:BWB-500")]]
            reply = (await s.press(SALES, "pick:BWB-500"))[0]
            assert "1. BWB-500 不锈钢保温杯500ml × 2 @ 39.00 = ¥78.00" in reply
            assert [c for c in fake.calls if c.method == "answerCallbackQuery"], "the press is answered"
        finally:
            await s.stop()

    run(scenario)
