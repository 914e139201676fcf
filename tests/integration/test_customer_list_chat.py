"""A photo of a customer's list of what they want: during 开单 its rows become the order's lines (checked as typed
lines are, pack units converted), rows of no product are named and left out, the same photo twice adds nothing; sent
outside an order, it starts one for the customer the salesperson names."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.models import PartnerItemAlias, SalesOrder
from core.partners.customers import NewCustomer, create_customer
from core.permissions import Actor
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.chat import Chat
from tests.integration.chat_shop import open_shop, person, rows
from tests.note_shop import note_shop
from tests.notes import Written, note, scribble

WANTED = note([Written("保温杯500ml", "12", "个"), Written("不锈钢饭盒", "2", "箱"), Written("竹筷子", "40", "双"),
               Written("火星土豆", "3", "斤")], supplier="华东超市", number="YH-0007")


def shop_with_goods(uow: UnitOfWork, admin: Actor) -> None:
    shop = open_shop(uow, admin)
    note_shop(uow, admin, shop.purchaser, lines=3)
    create_customer(uow, admin, NewCustomer("HDCS", "华东超市", salesperson="sales-1"))
    receive_stock(uow, admin, "MAIN", [LineIn("CUP500", 50, "5"), LineIn("LUNCHBOX", 48, "5"),
                                       LineIn("CHOPSTICK", 100, "5")])


def lines_of(reply: str) -> list[str]:
    return [line.split(" @ ")[0] for line in reply.splitlines() if line[:1].isdigit() and ". " in line]


@pytest.fixture
def seller(uow: UnitOfWork, admin: Actor) -> Chat:
    shop_with_goods(uow, admin)
    return person(uow, admin, "sales-1")


def test_a_photo_of_the_list_during_an_order_enters_its_rows(uow: UnitOfWork, seller: Chat) -> None:
    seller.send("开单 HDCS")
    seller.press(seller.button("MAIN"))
    screen, which = seller.note(WANTED)
    assert screen.startswith("从图片录入 2 行。没有录入（请核对后手动输入）：火星土豆。"), "no product"
    assert lines_of(screen) == ["1. LUNCHBOX 不锈钢饭盒 × 24", "2. CHOPSTICK 竹筷子 × 40"], "two boxes of twelve"
    assert which == "「保温杯500ml」× 12 是哪一个？", "a row naming two cups asks which"
    assert [b.label for row in seller.replies[1].buttons for b in row] == ["CUP1L", "CUP500", "跳过这行"]
    picked = seller.press(seller.button("CUP500"))[0]
    assert lines_of(picked)[2] == "3. CUP500 不锈钢保温杯 500ml × 12"
    learned = uow.read(lambda tx: tx.session.execute(select(PartnerItemAlias.partner_kind, PartnerItemAlias.alias))
                       .all())
    assert [tuple(r) for r in learned] == [("customer", "保温杯500ml")], "learned for this customer's next list"
    assert seller.note(WANTED)[0].startswith("这张单子已经录入过，没有再加。")
    assert len(lines_of(seller.replies[0].text)) == 3
    assert seller.note(scribble())[0].startswith("这张图片里没有读到条码"), "no table: a photo of no code"
    assert rows(uow, SalesOrder) == (0,), "nothing is written before the order is submitted"
    assert len(lines_of(seller.press("so:done")[0])) == 3, "the photo of no table changed nothing"
    seller.press(seller.button("提交"))
    assert rows(uow, SalesOrder) == (1,), "the three lines are one order once submitted"
    seller.send("开单 HDCS")
    seller.press(seller.button("MAIN"))
    assert seller.note(WANTED)[0].startswith("从图片录入 3 行。"), "the customer's words are read as learned"


def test_a_list_sent_outside_an_order_starts_one_for_the_customer_named(uow: UnitOfWork, admin: Actor) -> None:
    shop_with_goods(uow, admin)
    english = person(uow, admin, "sales-1", "en")
    assert english.note(WANTED) == [
        "A list of goods. Type part of the customer's name or code to start a sales order with it:"]
    english.send("HDCS")
    screen, which = english.press(english.button("MAIN"))[-2:]
    assert screen.startswith("Entered 2 line(s) from the picture. Not entered (check and type them): 火星土豆.")
    assert lines_of(screen)[0] == "1. LUNCHBOX Steel lunch box × 24"
    assert which == 'Which product is "保温杯500ml" × 12?'
    assert "Which" not in english.press(english.button("Skip this row"))[-1], "skipped: no more questions"


def test_a_manager_who_both_receives_and_sells_has_each_paper_read_for_whose_it_is(
        uow: UnitOfWork, admin: Actor) -> None:
    shop_with_goods(uow, admin)
    boss = person(uow, admin, "manager-1")
    assert boss.note(WANTED) == ["收到一张要货单。请输入客户名称或编码的一部分，开一张销售单录入它："], (
        "华东超市 is a customer: their list, not a delivery note")
    boss.send("取消")
    delivery = note([Written("保温杯500ml", "12", "个")])  # printed by 华美日用品有限公司, the supplier
    assert boss.note(delivery)[0].startswith("这张送货单属于哪张待收货的采购单？")
    unknown = note([Written("保温杯500ml", "12", "个")], supplier="某某公司")
    boss.send("取消")
    assert boss.note(unknown)[0].startswith("这张送货单属于哪张待收货的采购单？"), "naming neither: receiving first"
