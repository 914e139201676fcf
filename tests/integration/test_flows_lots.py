"""Stock by lot in chat: the item card of a tracked product lists its lots (expiry, on hand per warehouse, expired
and expiring marked), and 批次 / lots SKU pages through them; in both languages, a line each for a phone."""

from __future__ import annotations

import unicodedata

import pytest

from core.catalog.products import NewProduct, create_product
from core.people.employees import create_employee
from core.permissions import Actor
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.factories import Shop
from tests.integration.chat_shop import open_shop, person


def width(line: str) -> int:
    """Columns on a phone: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


pytestmark = pytest.mark.pinned_clock("2026-11-20T02:00:00+00:00")


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = open_shop(uow, admin)
    create_product(uow, admin, NewProduct("MILK", "牛奶", "Milk", purchase_price="2", sale_price="4", tracking="lot",
                                          alert_days=7))
    create_product(uow, admin, NewProduct("PHONE", "手机", "Phone", purchase_price="90", tracking="serial"))
    receive_stock(uow, admin, "MAIN", [LineIn("MILK", 4, "2", lot="A", expiry="2026-11-18"),
                                       LineIn("MILK", 10, "2", lot="B", expiry="2026-11-25"),
                                       LineIn("MILK", 6, "2", lot="C", expiry="2027-01-10")])
    receive_stock(uow, admin, "NORTH", [LineIn("MILK", 3, "2", lot="B", expiry="2026-11-25"),
                                        LineIn("PHONE", 1, "90", lot="SN1")])
    create_employee(uow, admin, "keeper-n", ["warehouse"], warehouses=["NORTH"])
    return shop


def test_the_item_card_of_a_tracked_product_lists_its_lots_in_chinese(uow: UnitOfWork, shop: Shop) -> None:
    chat = person(uow, shop.admin, "manager-1")
    card = chat.send("库存 MILK")[0]
    assert ("\n\n批次及效期（近效期在前）：\n"
                         "· A · 2026-11-18 · MAIN 4 · 已过期\n"
                         "· B · 2026-11-25 · MAIN 10 · 临期\n"
                         "· B · 2026-11-25 · NORTH 3 · 临期\n"
                         "· C · 2027-01-10 · MAIN 6\n") in card, card
    assert max(width(line) for line in card.splitlines() if line.startswith("·")) <= 36, "a line fits a 390 px phone"
    assert "批次" not in chat.send("库存 LAMP")[0], "an untracked product's card has no lots"
    assert chat.send("批次 LAMP") == ["LAMP 台灯 不按批次或序列号管理：发送「库存 LAMP」查看库存。"]
    assert chat.send("批次 PHONE") == ["PHONE 手机\n序列号：\n· SN1 · NORTH 1"]


def test_lots_page_through_in_english_and_warehouse_staff_see_their_warehouses(
    uow: UnitOfWork, shop: Shop, admin: Actor
) -> None:
    receive_stock(uow, admin, "MAIN", [LineIn("MILK", 1, "2", lot=f"L{n}", expiry=f"2027-02-{n + 10}")
                                       for n in range(8)])
    chat = person(uow, shop.admin, "manager-1", "en")
    first = chat.send("lots MILK")[0]
    assert first.startswith("MILK Milk\nLots and expiry, nearest first:\n· A · 2026-11-18 · MAIN 4 · EXPIRED\n")
    assert first.endswith('· L3 · 2027-02-13 · MAIN 1\nMore: send "lots MILK 2".')
    second = chat.press(chat.button("Next page"))[0]
    assert second == ("MILK Milk (page 2)\nLots and expiry, nearest first:\n" +
                      "".join(f"· L{n} · 2027-02-{n + 10} · MAIN 1\n" for n in range(4, 8)).rstrip())
    assert chat.send("lots MILK 2")[0] == second
    keeper = person(uow, shop.admin, "keeper-n", "en")
    assert keeper.send("lots MILK") == ["MILK Milk\nLots and expiry, nearest first:\n· B · 2026-11-25 · NORTH 3 · "
                                        "expiring"]
    assert chat.send("lots NOPE")[0].startswith("No product")
