"""Product and shelf labels: the PDF's codes read back by the scanner jxc uses (zxing-cpp), the QR code opening the
item's card, sheets of 24 on A4 and single 50 x 30 mm pages, and 标签 / labels in chat."""

from __future__ import annotations

import io
from datetime import date

import pypdfium2
import pytest

from bot.documents import PDF_MIME, Printer
from bot.documents.settings import DocumentSettings
from bot.engine.texts import Texts
from core.catalog.products import NewProduct, create_product
from core.codes.gs1 import Gs1Data, parse_gs1
from core.codes.scanning import read_codes
from core.documents.labels import lot_labels, product_labels
from core.errors import InvalidQuantity, LotRefused, UnknownProduct
from core.permissions import Actor
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.factories import Shop, make_shop
from tests.integration.chat_shop import person
from tests.pdfs import page_size_mm, pdf_pages, pdf_text

TEXTS = Texts()
PRINTER = Printer(DocumentSettings(bot_username="jxc_shop_bot", public_url="https://jxc.example.com"))


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    return make_shop(uow, admin)


def codes_on(content: bytes, page: int = 0) -> set[tuple[str, str]]:
    image = pypdfium2.PdfDocument(content)[page].render(scale=4).to_pil()
    out = io.BytesIO()
    image.save(out, "PNG")
    return {(code.text, code.format) for code in read_codes(out.getvalue())}


def test_a_label_carries_name_price_barcode_and_a_qr_code_to_the_item_card(shop: Shop) -> None:
    labels = product_labels(shop.uow, shop.sales, ["RETRO-CLOCK", "TEA-CUP"])
    single = PRINTER.labels(labels, TEXTS, "zh_CN", "50x30")
    assert pdf_pages(single) == 2 and page_size_mm(single) == (50.0, 30.0)
    text = pdf_text(single)
    assert "复古闹钟" in text and "售价 ¥25.00" in text and "RETRO-CLOCK" in text and "¥8.00" in text
    assert codes_on(single, 0) == {("6901234567890", "Code128"),
                                   ("https://t.me/jxc_shop_bot?start=item_RETRO-CLOCK", "QRCode")}
    assert codes_on(single, 1) == {("TEA-CUP", "Code128"), ("https://t.me/jxc_shop_bot?start=item_TEA-CUP", "QRCode")}

    sheet = PRINTER.labels(product_labels(shop.uow, shop.sales, ["LAMP"], copies=25), TEXTS, "en", "a4", shelf=True)
    assert pdf_pages(sheet) == 2 and page_size_mm(sheet) == (210.0, 297.0), "24 to a sheet"
    assert "Desk lamp" in pdf_text(sheet) and "Price CN¥99.00" in pdf_text(sheet)
    browser = Printer().labels(product_labels(shop.uow, shop.sales, ["LAMP"]), TEXTS, "zh_CN", "50x30")
    assert ("http://127.0.0.1:8080/i/LAMP", "QRCode") in codes_on(browser), "no bot name: the browser link"


def test_labels_refuse_unknown_items_and_silly_copies(shop: Shop) -> None:
    with pytest.raises(UnknownProduct):
        product_labels(shop.uow, shop.sales, ["NO-SUCH-THING"])
    with pytest.raises(InvalidQuantity):
        product_labels(shop.uow, shop.sales, ["LAMP"], copies=0)


def test_labels_in_chat(shop: Shop) -> None:
    chat = person(shop.uow, shop.admin, "warehouse-1")
    assert chat.send("标签 RETRO-CLOCK x3") == ["3 张标签的 PDF（A4，每页 24 张），扫码可打开商品卡片。"]
    sent = chat.replies[0].file
    assert sent is not None and (sent.name, sent.mime) == ("labels-RETRO-CLOCK.pdf", PDF_MIME)
    assert pdf_text(sent.content).count("复古闹钟") == 3
    assert chat.send("labels TEA-CUP LAMP 50x30 shelf")[0].startswith("2 张标签的 PDF（单张 50×30 mm）")
    assert chat.send("标签")[0].startswith("打印标签：发「标签 SKU…」")
    assert chat.send("标签 NO-SUCH-THING")[0].startswith("找不到")
    assert chat.replies[0].file is None


@pytest.mark.pinned_clock("2026-11-20T02:00:00+00:00")
def test_lot_labels_carry_a_gs1_128_of_gtin_expiry_and_lot_that_the_scanner_reads_back(shop: Shop) -> None:
    create_product(shop.uow, shop.admin, NewProduct("MILK", "纯牛奶 250ml", "Milk 250ml", purchase_price="2",
                                                    sale_price="4", tracking="lot", barcodes=("4006381333931",)))
    create_product(shop.uow, shop.admin, NewProduct("JAM", "果酱", "Jam", purchase_price="2", sale_price="4",
                                                    tracking="lot"))
    receive_stock(shop.uow, shop.admin, "MAIN", [LineIn("MILK", 4, "1.00", lot="L2411A", expiry="2027-03-31"),
                                                 LineIn("MILK", 6, "1.00", lot="L2410Z", expiry="2027-01-15"),
                                                 LineIn("JAM", 2, "1.00", lot="J7", expiry="2027-05-01")])
    labels = lot_labels(shop.uow, shop.warehouse, "MILK")
    assert [(label.lot, label.gs1) for label in labels] == [
        ("L2410Z", "(01)04006381333931(17)270115(10)L2410Z"), ("L2411A", "(01)04006381333931(17)270331(10)L2411A")
    ], "every lot on hand, nearest expiry first"
    single = PRINTER.lot_labels(labels, TEXTS, "zh_CN", "50x30")
    assert pdf_pages(single) == 2 and page_size_mm(single) == (50.0, 30.0)
    assert "批号 L2410Z" in pdf_text(single) and "有效期至 2027-01-15" in pdf_text(single)
    for page, (lot, expiry) in enumerate((("L2410Z", date(2027, 1, 15)), ("L2411A", date(2027, 3, 31)))):
        scanned = [parse_gs1(text) for text, kind in codes_on(single, page) if kind == "Code128"]
        assert scanned == [Gs1Data(gtin="04006381333931", lot=lot, expiry=expiry)], "read back as received"
    jam = lot_labels(shop.uow, shop.warehouse, "JAM", ["j7"])
    assert jam[0].gs1 == "" and ("J7", "Code128") in codes_on(PRINTER.lot_labels(jam, TEXTS, "en", "50x30")), (
        "no GTIN: the lot as Code 128")
    with pytest.raises(LotRefused):
        lot_labels(shop.uow, shop.warehouse, "MILK", ["NOPE"])
    with pytest.raises(LotRefused):
        lot_labels(shop.uow, shop.warehouse, "LAMP")
    chat = person(shop.uow, shop.admin, "warehouse-1")
    assert chat.send("标签 批次 MILK x2") == ["4 张标签的 PDF（A4，每页 24 张），扫码可打开商品卡片。"]
    sent = chat.replies[0].file
    assert sent is not None and sent.name == "lots-MILK.pdf" and pdf_text(sent.content).count("批号 L2411A") == 2
    english = person(shop.uow, shop.admin, "manager-1", "en")
    assert english.send("labels lot MILK L2411A 50x30")[0].startswith("1 label")
    assert "Lot L2411A" in pdf_text(english.replies[0].file.content)  # type: ignore[union-attr]
    assert english.send("labels lot MILK NOPE")[0].startswith("There is no lot NOPE of this product. Nothing was")
