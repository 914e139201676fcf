"""Photos and label links through the real Telegram stack: a photo (getFile on its largest size) or an image
document is read on the server, in a flow or outside one; /start item_… opens the card; in 中文 and English."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from core.catalog.links import item_links
from core.catalog.products import NewProduct, create_product
from core.models import SalesOrderLine, StocktakeLine
from core.partners.customers import NewCustomer, create_customer
from core.permissions import Actor
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.e2e.fake_telegram import document_update
from tests.e2e.telegram_chat import TelegramStack
from tests.factories import Shop
from tests.integration.chat_shop import open_shop, rows
from tests.pictures import Code, blank_photo, photo

KETTLE = Code("6908888000027", "EAN13")
MUG = Code("6907777000018", "EAN13")


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = open_shop(uow, admin)
    create_product(uow, admin, NewProduct("KETTLE", "电水壶", "Kettle", purchase_price="10", sale_price="25",
                                          floor_price="18", barcodes=("6908888000027",)))
    create_product(uow, admin, NewProduct("MUG", "马克杯", "Mug", purchase_price="4", sale_price="12",
                                          floor_price="8", barcodes=("6907777000018",)))
    create_customer(uow, admin, NewCustomer("ACME", "Acme Trading", salesperson="sales-1"))
    receive_stock(uow, admin, "MAIN", [LineIn("KETTLE", 30, "10"), LineIn("MUG", 40, "4")])
    return shop


@pytest.fixture
def tg(db_url: str, shop: Shop) -> Iterator[TelegramStack]:
    with TelegramStack(db_url) as stack:
        yield stack


def test_a_photo_outside_a_flow_opens_the_card_and_its_button_starts_the_order(
    tg: TelegramStack, uow: UnitOfWork, shop: Shop
) -> None:
    chat = tg.person(uow, shop.admin, "sales-1")
    card = chat.send_photo(photo([KETTLE]))
    assert len(card) == 1 and card[0].startswith("KETTLE 电水壶\n售价 25.00 / ")
    assert re.search(r"MAIN\s+30\b", card[0]) and "成本" not in card[0], "stock per warehouse, as a table"
    got = [c for c in tg.fake.calls if c.method == "getFile"]
    assert len(got) == 1 and not got[0].params["file_id"].startswith("thumb-"), "the largest size, not the thumbnail"
    assert chat.press(chat.button("开销售单"))[0].startswith("新销售单。请输入客户")


def test_a_photo_and_an_image_document_in_a_stocktake_count_their_codes_in_english(
    tg: TelegramStack, uow: UnitOfWork, shop: Shop
) -> None:
    chat = tg.person(uow, shop.admin, "warehouse-1", "en")
    chat.send("count MAIN")
    assert chat.send_photo(photo([KETTLE, KETTLE, MUG])) == [
        "KETTLE scanned: 2 so far. Scan again to add one, or send the actual quantity to replace it.",
        "MUG scanned: 1 so far. Scan again to add one, or send the actual quantity to replace it."]
    picture = photo([MUG, MUG, MUG])
    file_id = tg.fake.add_file(picture)
    update = document_update(chat._id(None), chat.user_id, file_id, "IMG_0001.jpg", len(picture))
    update["message"]["document"]["mime_type"] = "image/jpeg"
    assert chat._exchange(update) == [
        "MUG scanned: 4 so far. Scan again to add one, or send the actual quantity to replace it."], "added to 1"
    assert uow.read(lambda tx: sorted(ln.counted_qty for ln in tx.session.query(StocktakeLine))) == [2, 4]


@pytest.mark.parametrize(("language", "words"), [("zh_CN", "没有读到条码"), ("en", "No barcode or QR code")])
def test_a_photo_without_a_code_during_an_order_says_so_and_changes_nothing(
    tg: TelegramStack, uow: UnitOfWork, shop: Shop, language: str, words: str
) -> None:
    chat = tg.person(uow, shop.admin, "sales-1", language)
    chat.send("so ACME")
    chat.press(chat.button("MAIN"))
    assert "KETTLE" in chat.send_photo(photo([KETTLE]))[0]
    before = rows(uow, SalesOrderLine)
    answer = chat.send_photo(blank_photo())
    assert len(answer) == 1 and words in answer[0]
    assert rows(uow, SalesOrderLine) == before
    assert "MUG" in chat.send("MUG 2")[0] and "KETTLE" in chat.replies[0].text, "the order goes on"


def test_a_label_deep_link_opens_the_card_and_a_stranger_is_asked_to_bind(
    tg: TelegramStack, uow: UnitOfWork, shop: Shop
) -> None:
    links = item_links(uow, "KETTLE", bot_username="jxc_bot", public_url="https://shop.example")
    assert links.telegram == "https://t.me/jxc_bot?start=item_KETTLE"
    assert links.browser == "https://shop.example/i/KETTLE"
    chat = tg.person(uow, shop.admin, "warehouse-1", "en")
    card = chat.send(f"/start {links.payload}")
    assert card[0].startswith("KETTLE Kettle\nPrice 25.00 / ")
    assert [b.label for row in chat.replies[0].buttons for b in row] == ["Receive", "Count", "Transfer"]
    stranger = tg.chat()
    assert stranger.send(f"/start {links.payload}") == [tg.engine.texts.render("zh_CN", "bind_prompt")]
    assert stranger.send_photo(photo([KETTLE])) == [tg.engine.texts.render("zh_CN", "bind_prompt")]
    assert not [c for c in tg.fake.calls if c.method == "getFile"], "a stranger's photo is not downloaded"
