"""A photo in chat, whatever the person is doing: a sales line, a stock lookup (the item card), a stocktake count of
several codes, and a picture without a code (nothing changes), in both languages."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from core.catalog.products import NewProduct, create_product
from core.models import Product, SalesOrder, SalesOrderLine, StockDocument, StockMove, Stocktake, StocktakeLine
from core.partners.customers import NewCustomer, create_customer
from core.permissions import Actor
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.chat import Chat
from tests.factories import Shop
from tests.integration.chat_shop import open_shop, person, rows
from tests.pictures import Code, blank_photo, photo

KETTLE = Code("6908888000027", "EAN13")
MUG = Code("6907777000018", "EAN13")
GS1_KETTLE = Code("(01)06908888000027(10)L2026A(17)271231", "DataMatrix", gs1=True)
TABLES = (SalesOrder, SalesOrderLine, StockDocument, StockMove, Stocktake, StocktakeLine)


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = open_shop(uow, admin)
    create_product(uow, admin, NewProduct("MUG", "马克杯", "Mug", purchase_price="4", sale_price="12",
                                          floor_price="8", barcodes=("6907777000018",)))
    create_product(uow, admin, NewProduct("KETTLE", "电水壶", "Kettle", purchase_price="10", sale_price="25",
                                          floor_price="18", barcodes=("6908888000027",)))
    create_customer(uow, admin, NewCustomer("ACME", "Acme Trading", salesperson="sales-1"))
    receive_stock(uow, admin, "MAIN", [LineIn("KETTLE", 30, "10"), LineIn("MUG", 40, "4")])
    receive_stock(uow, admin, "NORTH", [LineIn("KETTLE", 5, "10")])
    return shop


def test_a_photo_during_a_sales_order_enters_the_scanned_item_as_a_line(uow: UnitOfWork, shop: Shop) -> None:
    chat = person(uow, shop.admin, "sales-1")
    chat.send("开单 ACME")
    chat.press(chat.button("MAIN"))
    lines = chat.photo(photo([KETTLE]))
    assert len(lines) == 1 and "KETTLE" in lines[0] and "电水壶" in lines[0]
    both = chat.photo(photo([MUG, MUG, GS1_KETTLE], width=1600, height=1200))
    assert "MUG" in both[-1] and "马克杯" in both[-1]
    chat.press(chat.button("完成"))
    assert "已" in chat.press(chat.button("提交"))[0]
    order = uow.read(lambda tx: [(ln.qty, sku) for ln, sku in tx.session.query(SalesOrderLine, Product.sku)
                                 .join(Product, Product.id == SalesOrderLine.product_id).order_by(SalesOrderLine.id)])
    assert order == [(D(1), "KETTLE"), (D(2), "MUG"), (D(1), "KETTLE")]


def test_outside_a_flow_a_photo_opens_the_item_card_with_stock_price_and_next_steps(
    uow: UnitOfWork, shop: Shop
) -> None:
    sales = person(uow, shop.admin, "sales-1")
    card = sales.photo(photo([KETTLE]))[0]
    assert card.splitlines()[:2] == ["KETTLE 电水壶", "售价 25.00 / 个"]
    table = sales.replies[0].table
    assert table is not None and table.header == ("仓库", "可用") and table.rows == (("MAIN", "30"), ("NORTH", "5"))
    assert table.totals == ("合计", "35")
    assert "成本" not in card and "进价" not in card, "sales staff never see cost"
    labels = [b.label for row in sales.replies[0].buttons for b in row]
    assert labels == ["开销售单"]
    assert sales.press(sales.button("开销售单"))[0] == sales.send("开单")[0], "the button starts the sales order"

    worker = person(uow, shop.admin, "warehouse-1", "en")
    card = worker.photo(photo([GS1_KETTLE]))[0]
    assert card.splitlines()[:2] == ["KETTLE Kettle", "Scanned: lot L2026A expires 2027-12-31 "]
    assert worker.replies[0].table is not None and worker.replies[0].table.rows == (("MAIN", "30"),), \
        "warehouse staff see the warehouses they work in"
    assert "cost" not in card
    assert [b.label for row in worker.replies[0].buttons for b in row] == ["Receive", "Count", "Transfer"]
    manager = person(uow, shop.admin, "manager-1")
    assert "，进价 10.00" in manager.send("商品 KETTLE")[0]
    assert manager.replies[0].table is not None and manager.replies[0].table.rows[0] == ("MAIN", "30", "10.00")


def test_a_stocktake_adds_every_code_read_and_a_typed_number_replaces_the_total(uow: UnitOfWork, shop: Shop) -> None:
    chat = person(uow, shop.admin, "warehouse-1")
    chat.send("盘点 MAIN")
    counted = chat.photo(photo([KETTLE, KETTLE, KETTLE, MUG, MUG], width=1600, height=1200))
    assert counted == ["KETTLE 已扫，累计 3。再扫一次加一，或直接发送实际数量替换。",
                       "MUG 已扫，累计 2。再扫一次加一，或直接发送实际数量替换。"]
    assert chat.photo(photo([MUG])) == ["MUG 已扫，累计 3。再扫一次加一，或直接发送实际数量替换。"], "one more"
    assert chat.send("38") == ["已记录 MUG：38（重盘，已替换上次数量）。继续下一个。"], "a number replaces the total"
    unknown = chat.photo(photo([Code("4006381333931", "EAN13")]))
    assert unknown[0].startswith("找不到商品「4006381333931」"), "an unknown code is named, never read as a quantity"
    assert "提交" in " ".join(b.label for row in chat.replies[0].buttons for b in row)
    assert chat.send("5")[0].startswith("找不到商品「5」"), "nothing waits for a quantity after an unknown code"
    counts = uow.read(lambda tx: {sku: ln.counted_qty for ln, sku in tx.session.query(StocktakeLine, Product.sku)
                                  .join(Product, Product.id == StocktakeLine.product_id)
                                  if ln.counted_qty is not None})
    assert counts == {"KETTLE": D(3), "MUG": D(38)}


def test_scanning_in_english_says_the_running_count(uow: UnitOfWork, shop: Shop) -> None:
    chat = person(uow, shop.admin, "warehouse-1", "en")
    chat.send("count MAIN")
    chat.photo(photo([KETTLE]))
    assert chat.photo(photo([KETTLE])) == [
        "KETTLE scanned: 2 so far. Scan again to add one, or send the actual quantity to replace it."]


@pytest.mark.parametrize(("language", "words"), [("zh_CN", "没有读到条码"), ("en", "No barcode or QR code")])
def test_a_picture_without_a_code_says_so_and_changes_nothing(
    uow: UnitOfWork, shop: Shop, language: str, words: str
) -> None:
    chat = person(uow, shop.admin, "sales-1", language)
    chat.send("开单 ACME")
    chat.press(chat.button("MAIN"))
    chat.send("RETRO-CLOCK 2")
    before = rows(uow, *TABLES)
    answer = chat.photo(blank_photo())
    assert len(answer) == 1 and words in answer[0]
    assert chat.photo(b"not a picture") == answer
    assert rows(uow, *TABLES) == before
    lines = chat.send("TEA-CUP 1")[0]
    assert "RETRO-CLOCK" in lines and "TEA-CUP" in lines, "the order goes on where it was"


def test_an_unknown_code_outside_a_flow_is_named(uow: UnitOfWork, shop: Shop) -> None:
    chat = person(uow, shop.admin, "sales-1", "en")
    assert chat.photo(photo([Code("4006381333931", "EAN13")])) == [
        'No product "4006381333931". Check the SKU or barcode, or send "stock WORD" to search.']


def test_a_deep_link_opens_the_card_and_a_stranger_is_asked_to_bind_first(uow: UnitOfWork, shop: Shop) -> None:
    chat = person(uow, shop.admin, "sales-1")
    card = chat.send("/start item_KETTLE")[0]
    assert card.startswith("KETTLE 电水壶\n售价 25.00")
    kettle = uow.read(lambda tx: tx.session.query(Product.id).filter(Product.sku == "KETTLE").scalar())
    assert chat.send(f"/start itemid_{kettle}")[0] == card
    assert chat.send("/start item_NOPE")[0].startswith("找不到商品「NOPE」")
    stranger = Chat(chat.engine, user_id="990001", chat_id="990001")
    assert stranger.send("/start item_KETTLE")[0].startswith(chat.engine.texts.render("zh_CN", "bind_prompt")[:10])
