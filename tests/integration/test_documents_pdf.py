"""Every printable document of the golden month (tests/integration/test_golden_month.py) as PDF, on A4 and on an
80 mm roll, in Chinese and English: the text read back holds the lines, totals and 大写金额, the CJK font is
embedded, a page is not blank; and what each role may print (no cost for sales, warehouse staff their warehouses)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from bot.documents import Printer
from bot.documents.settings import Company, DocumentSettings
from bot.engine.texts import Texts
from core.documents.kinds import printable
from core.documents.model import PrintedDocument
from core.errors import PermissionDenied, UnknownDocument
from core.people.employees import load_actor
from core.permissions import Actor
from core.stock.stocktake import start_stocktake
from tests.integration.test_golden_month import GoldenMonth, trade_a_golden_month
from tests.pdfs import ink, page_size_mm, pdf_fonts, pdf_pages, pdf_text
from tests.statements import counted

TEXTS = Texts()
MARCH = (date(2026, 3, 1), date(2026, 3, 31))
COMPANY = Company("华东五金贸易有限公司", "91310000MA1FL0XX1X", "上海市浦东新区张江路 88 号", "021-5555 1234",
                  "招商银行上海分行 6214 8888 0000 1234")
PRINTER = Printer(DocumentSettings(company=COMPANY))
# Each document: the figures its text must hold (lines, totals), and its amount in capital figures.
EXPECTED = {
    "SO-2026-000001": (("RETRO-CLOCK", "25.00", "250.00", "TEA-CUP", "160.00", "410.00"), "肆佰壹拾元整"),
    "SO-2026-000002": (("LAMP", "99.00", "198.00", "24.00", "120.00", "318.00"), "叁佰壹拾捌元整"),
    "SH-2026-000001": (("RETRO-CLOCK", "8", "200.00", "TEA-CUP", "20", "160.00", "360.00", "SO-2026-000001"),
                       "叁佰陆拾元整"),
    "PO-2026-000001": (("RETRO-CLOCK", "9.00", "180.00", "TEA-CUP", "3.00", "150.00", "330.00", "Northwind"),
                       "叁佰叁拾元整"),
    "GR-2026-000001": (("RETRO-CLOCK", "12", "108.00", "TEA-CUP", "50", "150.00", "258.00", "PO-2026-000001"),
                       "贰佰伍拾捌元整"),
    "SC-2026-000001": (("RETRO-CLOCK", "TEA-CUP", "11", "19"), ""),
    "customer:ACME": (("SH-2026-000001", "360.00", "-16.00", "-300.00", "94.00", "Acme Trading"), "玖拾肆元整"),
    "supplier:NORTHWIND": (("GR-2026-000001", "258.00", "193.00", "-6.00", "-400.00", "108.00"), "壹佰零捌元整"),
}
TITLES = {"SO": ("送货单", "Delivery note"), "SH": ("出库单", "Dispatch note"), "PO": ("采购订单", "Purchase order"),
          "GR": ("采购入库单", "Goods received note"), "SC": ("盘点表", "Stocktake sheet"),
          "customer:ACME": ("客户对账单", "Customer statement"),
          "supplier:NORTHWIND": ("供应商对账单", "Supplier statement")}


@pytest.fixture
def golden(engine: Engine) -> GoldenMonth:
    return trade_a_golden_month(engine)


def read(golden: GoldenMonth, actor: Actor, number: str) -> PrintedDocument:
    return printable(golden.uow, actor, number, period=MARCH)


def title(number: str, lang: str) -> str:
    zh, en = TITLES.get(number, TITLES.get(number[:2], ("", "")))
    return zh if lang == "zh_CN" else en


def test_every_document_of_the_month_prints_its_lines_totals_and_capital_figures(golden: GoldenMonth) -> None:
    for number, (figures, capitals) in EXPECTED.items():
        doc = read(golden, golden.shop.manager, number)
        for lang in ("zh_CN", "en"):
            content = PRINTER.pdf(doc, TEXTS, lang, "a4")
            text = pdf_text(content)
            assert title(number, lang) in text, (number, lang)
            if number.startswith("SO"):
                assert ("复古闹钟" if lang == "zh_CN" else "Retro clock") in text, "the item in the reader's words"
            for figure in figures:
                assert figure in text, (number, lang, figure, text)
            if capitals and lang == "zh_CN":
                assert f"大写金额: {capitals}" in text, (number, text)
            else:
                assert "大写金额" not in text and "元整" not in text, (number, lang)
            assert COMPANY.name in text and COMPANY.tax_id in text and COMPANY.bank_account in text
            assert ("第 1 页 / 共 1 页" if lang == "zh_CN" else "Page 1 of 1") in text
            fonts = pdf_fonts(content)
            assert fonts and all(font.embedded for font in fonts), (number, fonts)
            assert 0.005 < ink(content) < 0.5, (number, lang, "a page with ink on it, not blank or black")
            assert page_size_mm(content) == (210.0, 297.0)


def test_every_document_fits_an_80mm_roll_as_long_as_its_content(golden: GoldenMonth) -> None:
    for number, (figures, capitals) in EXPECTED.items():
        doc = read(golden, golden.shop.manager, number)
        content = PRINTER.pdf(doc, TEXTS, "zh_CN", "80mm")
        text = pdf_text(content)
        assert title(number, "zh_CN") in text
        assert all(figure in text for figure in figures), (number, text)
        assert not capitals or f"大写金额: {capitals}" in text
        width, height = page_size_mm(content)
        assert width == 80.0 and 100 < height < 400, (number, height)
        assert pdf_pages(content) == 1 and all(font.embedded for font in pdf_fonts(content))
        assert ink(content) > 0.005
    english = pdf_text(PRINTER.pdf(read(golden, golden.shop.manager, "SO-2026-000001"), TEXTS, "en", "80mm"))
    assert "Delivery note" in english and "Retro clock" in english and "Total" in english


def test_a_salespersons_delivery_note_has_prices_and_never_a_cost(golden: GoldenMonth) -> None:
    shop = golden.shop
    text = pdf_text(PRINTER.pdf(read(golden, shop.sales, golden.so1), TEXTS, "zh_CN", "a4"))
    assert "25.00" in text and "410.00" in text
    # cost of goods sold on SO-1: 76.14 + 60.00 and 19.03 at averages of 9.517241 and 9.517273
    for cost in ("76.14", "136.14", "19.03", "9.517", "成本", "毛利"):
        assert cost not in text
    with pytest.raises(PermissionDenied):
        read(golden, shop.sales, golden.po1)
    with pytest.raises(PermissionDenied):
        read(golden, shop.sales, "GR-2026-000001")
    with pytest.raises(PermissionDenied):
        read(golden, shop.sales, "customer:ACME")


def test_warehouse_staff_print_only_their_warehouses_documents(golden: GoldenMonth) -> None:
    shop, uow = golden.shop, golden.uow
    north = load_actor(uow, "north-1")
    for number in (golden.so1, "SH-2026-000001"):  # a sales order (or its shipment) one may not see: unknown
        with pytest.raises(UnknownDocument):
            read(golden, north, number)
    for number in (golden.po1, "GR-2026-000001", "SC-2026-000001"):
        with pytest.raises(PermissionDenied):
            read(golden, north, number)
    sheet = start_stocktake(uow, north, "NORTH").number
    text = pdf_text(PRINTER.pdf(read(golden, north, sheet), TEXTS, "zh_CN", "a4"))
    assert "盘点表" in text and "RETRO-CLOCK" in text and "TEA-CUP" in text and "北仓 North" in text
    with pytest.raises(PermissionDenied):
        read(golden, shop.warehouse, sheet)
    # MAIN's worker prints MAIN's purchase order without its prices (warehouse staff do not see cost)
    text = pdf_text(PRINTER.pdf(read(golden, shop.warehouse, golden.po1), TEXTS, "zh_CN", "a4"))
    assert "RETRO-CLOCK" in text and "单价" not in text and "330.00" not in text and "大写金额" not in text


def test_hidden_columns_are_not_printed(golden: GoldenMonth) -> None:
    doc = read(golden, golden.shop.manager, golden.so1)
    full = pdf_text(PRINTER.pdf(doc, TEXTS, "zh_CN", "a4"))
    assert "条码" in full and "库存" in full
    plain = Printer(DocumentSettings(company=COMPANY, hidden=frozenset({"barcode", "stock", "warehouse"})))
    text = pdf_text(plain.pdf(doc, TEXTS, "zh_CN", "a4"))
    assert "条码" not in text and "库存" not in text and "仓库:" in text and "410.00" in text


def test_unknown_numbers_are_refused_and_reading_takes_two_statements(golden: GoldenMonth, engine: Engine) -> None:
    for number in ("SO-1999-000001", "XX-2026-000001", "SO", "", "customer:NOBODY"):
        with pytest.raises(Exception) as refused:
            read(golden, golden.shop.manager, number)
        assert refused.type.__name__ in ("UnknownDocument", "UnknownPartner"), number
    with pytest.raises(UnknownDocument):
        read(golden, golden.shop.manager, "IS-2026-000001")
    with counted(engine) as statements:
        read(golden, golden.shop.manager, golden.so1)
    assert len(statements) == 2, statements
