"""Entering a sales order line for a lot-tracked product in chat: the lots on hand offered as buttons (nearest
expiry first, expiry shown, expired ones not offered) with "auto (FEFO)"; the lot chosen is reserved, and an order
that picked a lot near its expiry says 临期 / near expiry."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from core.catalog.products import NewProduct, create_product
from core.people.employees import load_actor
from core.permissions import Actor
from core.sales.orders import get_sales_order
from core.stock.lots import list_lots
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.factories import Shop
from tests.integration.test_flows_sales import chat_of, ledger_clean, number_in
from tests.integration.test_flows_sales import shop as shop  # the fixture
from tests.integration.test_flows_sales_entry import labels, new_order

pytestmark = pytest.mark.pinned_clock("2026-11-20T02:00:00+00:00")


@pytest.fixture
def milk(uow: UnitOfWork, admin: Actor, shop: Shop) -> Shop:
    create_product(uow, admin, NewProduct("MILK", "牛奶", "Milk", purchase_price="2", sale_price="4",
                                          tracking="lot", shelf_life_days=30, alert_days=5))
    receive_stock(uow, admin, "MAIN", [LineIn("MILK", 4, "2", lot="OLD", expiry="2026-11-18"),
                                       LineIn("MILK", 6, "2", lot="SOON", expiry="2026-11-23"),
                                       LineIn("MILK", 10, "2", lot="LATER", expiry="2026-12-20")])
    return shop


def reserved(uow: UnitOfWork) -> dict[str, D]:
    return {s.lot: s.reserved for s in list_lots(uow, load_actor(uow, "system"), "MILK")}


def test_the_lots_on_hand_are_offered_as_buttons_and_the_one_chosen_is_reserved(uow: UnitOfWork, milk: Shop) -> None:
    chat = chat_of(uow, milk.admin, "sales-1", "1001")
    new_order(chat, "zh_CN")
    replies = chat.send("MILK 3")
    assert replies[-1] == "MILK 按批次管理：从哪个批次发货？（不选则自动先到期先出，已过期的批次不提供）"
    assert labels(chat)[-3:] == ["SOON · 到期 2026-11-23 · 可用 6 · 临期", "LATER · 到期 2026-12-20 · 可用 10",
                                 "自动（先到期先出）"], "nearest expiry first, the expired lot OLD not offered"
    reply = chat.press(chat.button("LATER"))[0]
    assert reply.startswith("第 1 行 MILK 从批次 LATER 发货。") and "= ¥12.00 · 批次 LATER\n" in reply
    chat.send("TEA-CUP 2")
    assert not any("到期" in label for label in labels(chat)), "an untracked line: no lot buttons"
    chat.press(chat.button("完成"))
    submitted = chat.press(chat.button("提交"))[0]
    order = get_sales_order(uow, milk.manager, number_in(submitted))
    assert [(ln.sku, ln.lot) for ln in order.lines] == [("MILK", "LATER"), ("TEA-CUP", None)]
    assert reserved(uow) == {"OLD": D(0), "SOON": D(0), "LATER": D(3)}
    assert order.near_expiry == ()
    assert ledger_clean(uow)


def test_auto_picks_first_expiry_first_and_the_order_card_says_near_expiry_in_english(
        uow: UnitOfWork, milk: Shop) -> None:
    chat = chat_of(uow, milk.admin, "sales-1", "1001", "en")
    new_order(chat, "en")
    chat.send("MILK 8")
    assert labels(chat)[-1] == "Auto (first expiry first)"
    assert chat.press(chat.button("Auto"))[0].startswith("Line 1 MILK ships first expiry first.")
    chat.press(chat.button("Done"))
    number = number_in(chat.press(chat.button("Submit"))[0])
    assert reserved(uow) == {"OLD": D(0), "SOON": D(6), "LATER": D(2)}
    chat.send("orders")
    card = chat.send(number)[0]
    assert "⚠ Near expiry: MILK lot SOON expires 2026-11-23\n" in card
    assert ledger_clean(uow)


def test_a_lot_button_of_an_earlier_line_only_shows_the_lines_again(uow: UnitOfWork, milk: Shop) -> None:
    chat = chat_of(uow, milk.admin, "sales-1", "1001")
    new_order(chat, "zh_CN")
    chat.send("MILK 1")
    soon = chat.button("SOON")
    chat.send("MILK 2")
    reply = chat.press(soon)[0]
    assert "批次" not in reply.split("合计")[0], "no lot set from a stale button"
