"""Counting tracked products in chat: the lot asked only for them, offered as buttons nearest expiry first, read
from a GS1 label; serials listed or scanned; a lot found that was unknown is recorded with its expiry."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from core.catalog.products import NewProduct, create_product
from core.models import Lot
from core.people.employees import load_actor
from core.permissions import Actor
from core.stock.lots import list_lots
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.factories import Shop, doc_no
from tests.integration.chat_shop import books_clean, open_shop, person
from tests.pictures import Code, photo

pytestmark = pytest.mark.pinned_clock("2026-11-20T02:00:00+00:00")
MILK_GS1 = Code("(01)06908888000027(17)270301(10)E9", "DataMatrix", gs1=True)
MILK_EAN = Code("6908888000027", "EAN13")


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = open_shop(uow, admin)
    create_product(uow, admin, NewProduct("MILK", "牛奶", "Milk", purchase_price="2", sale_price="4", tracking="lot",
                                          shelf_life_days=30, alert_days=7, barcodes=("6908888000027",)))
    create_product(uow, admin, NewProduct("PHONE", "手机", "Phone", purchase_price="90", tracking="serial"))
    receive_stock(uow, admin, "MAIN", [LineIn("MILK", 10, "2", lot="C", expiry="2026-12-10"),
                                       LineIn("MILK", 10, "2", lot="B", expiry="2026-11-25"),
                                       LineIn("MILK", 4, "2", lot="A", expiry="2026-11-18"),
                                       LineIn("LAMP", 4, "45")])
    receive_stock(uow, admin, "MAIN", [LineIn("PHONE", 1, "90", lot=s) for s in ("SN1", "SN2", "SN3")])
    return shop


def lots(uow: UnitOfWork, sku: str) -> dict[str, D]:
    return {s.lot: s.on_hand for s in list_lots(uow, load_actor(uow, "system"), sku, "MAIN")}


def test_a_lot_is_chosen_from_buttons_nearest_expiry_first_and_a_new_one_typed_in_english(
    uow: UnitOfWork, shop: Shop
) -> None:
    chat = person(uow, shop.admin, "warehouse-1", "en")
    assert chat.send("count MAIN")[0].startswith(f"Stocktake {doc_no('SC', 1)} started (MAIN, 3 products")
    assert chat.send("LAMP 4") == ["Counted LAMP: 4. Next one."], "an untracked product is not asked a lot"
    assert chat.send("MILK 8") == [
        'MILK: which lot did you count 8 of? Choose it below, scan its label, or type the lot (a new one with its '
        'expiry, for example "L2301 2026-12-31"):']
    assert [chat.button(label) for label in ("A · 2026-11-18 · expired", "B · 2026-11-25 · expiring",
                                             "C · 2026-12-10")]
    assert chat.press(chat.button("B · 2026-11-25")) == ["Counted MILK lot B: 8. Next one."]
    chat.send("MILK 3")
    assert chat.send("N1 2027-02-01") == ["Counted MILK lot N1: 3. Next one."]
    chat.send("MILK 1")
    assert chat.send("N1 2027-03-01")[0] == "Lot N1 already expires on 2027-02-01, not 2027-03-01. Nothing was changed."
    assert chat.send("LAMP 5") == ["Counted LAMP: 5 (recount, replaces the earlier count). Next one."], \
        "asked for a lot, the next count typed instead is counted"
    variances = chat.send("variances")[0]
    assert "· MILK Milk lot B (exp. 2026-11-25): book 10, counted 8, variance -2" in variances
    assert "· MILK Milk lot N1 (exp. 2027-02-01): book 0, counted 3, variance +3" in variances
    confirm = chat.send("submit")[0]
    assert "\n3 lines counted (a line per lot of a tracked product); 3 differ from the books.\n" \
           "5 lines not counted: they stay as the books say, unchanged." in confirm, confirm
    assert chat.send("confirm") == [f"Stocktake {doc_no('SC', 1)} posted as {doc_no('ST', 1)}."]
    assert lots(uow, "MILK") == {"A": D(4), "B": D(8), "N1": D(3), "C": D(10)}
    assert uow.read(lambda tx: tx.session.scalar(select(Lot.expiry).where(Lot.code == "N1"))) == date(2027, 2, 1)
    assert books_clean(uow)


def test_a_gs1_label_scanned_counts_its_lot_and_serials_are_listed_in_chinese(uow: UnitOfWork, shop: Shop) -> None:
    chat = person(uow, shop.admin, "warehouse-1")
    chat.send("盘点")
    assert chat.photo(photo([MILK_GS1])) == [
        "MILK 批次 E9 已扫，累计 1。再扫一次加一，或直接发送实际数量替换。"]
    assert chat.send("5") == ["已记录 MILK 批次 E9：5（重盘，已替换上次数量）。继续下一个。"]
    assert chat.send("PHONE 3") == ["PHONE：请发送或扫描盘到的序列号，共 3 个。账上有而未列出的算作盘亏："]
    assert chat.send("SN1 SN3") == [
        "PHONE：请发送或扫描盘到的序列号，共 3 个（已有 2 个：SN1、SN3）。账上有而未列出的算作盘亏："]
    assert chat.send("SN9") == ["已记录 PHONE：3（SN1、SN3、SN9）。继续下一个。"]
    variances = chat.send("差异")[0]
    assert "· PHONE 手机 批次 SN2：账 1，盘 0，差 -1" in variances
    assert "· MILK 牛奶 批次 E9（效期 2027-03-01）：账 0，盘 5，差 +5" in variances
    chat.send("提交")
    chat.send("确认")
    assert lots(uow, "PHONE") == {"SN1": D(1), "SN3": D(1), "SN9": D(1)}
    assert lots(uow, "MILK")["E9"] == D(5)
    assert books_clean(uow)


def test_a_plain_barcode_scanned_asks_its_lot_once_and_goes_on_counting_it(uow: UnitOfWork, shop: Shop) -> None:
    chat = person(uow, shop.admin, "warehouse-1", "en")
    chat.send("count MAIN")
    assert chat.photo(photo([MILK_EAN]))[0].startswith("MILK: which lot did you count 1 of?")
    assert chat.press(chat.button("C · 2026-12-10")) == [
        "MILK lot C scanned: 1 so far. Scan again to add one, or send the actual quantity to replace it."]
    assert chat.photo(photo([MILK_EAN])) == [
        "MILK lot C scanned: 2 so far. Scan again to add one, or send the actual quantity to replace it."]
    assert chat.send("10") == ["Counted MILK lot C: 10 (recount, replaces the earlier count). Next one."]
