"""The quotation (报价单) as PDF, on A4 and an 80 mm roll, in Chinese and English: valid-until day, customer, each
line at its price with the price's source (the VIP price list, a price typed), VAT per line and the totals, 大写金额
in Chinese; the CJK font embedded and the page not blank; read in two statements whatever its line count, and only
by those who may see the quotation."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.documents import Printer
from bot.documents.settings import Company, DocumentSettings
from bot.engine.texts import Texts
from core.config import BookRules
from core.documents.kinds import printable
from core.errors import PermissionDenied
from core.partners.customers import NewCustomer, create_customer
from core.people.employees import create_employee, load_actor
from core.permissions import Actor
from core.sales.price_lists import PriceRuleIn, add_price_rules, set_price_grade
from core.sales.quotations import create_quotation
from core.sales.records import SalesLineIn
from core.sales.tax import set_vat_rate
from core.uow import UnitOfWork
from tests.factories import Shop, make_shop
from tests.pdfs import ink, page_size_mm, pdf_fonts, pdf_pages, pdf_text
from tests.statements import counted

TEXTS = Texts()
DAY_ONE = datetime(2026, 12, 10, 2, tzinfo=UTC)
LATER = datetime(2026, 12, 21, 2, tzinfo=UTC)
COMPANY = Company("华东五金贸易有限公司", "91310000MA1FL0XX1X", "上海市浦东新区张江路 88 号", "021-5555 1234")
PRINTER = Printer(DocumentSettings(company=COMPANY))


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = make_shop(uow, admin)
    create_employee(uow, admin, "sales-2", ["sales"])
    create_customer(uow, admin, NewCustomer("VIPCO", "唯品商贸", contact="王经理", phone="138 0000 1111",
                                            salesperson="sales-1"))
    set_price_grade(uow, shop.manager, "VIPCO", "VIP")
    add_price_rules(uow, shop.manager, [PriceRuleIn("fixed", "21", grade="VIP", product="RETRO-CLOCK", min_qty=5)])
    set_vat_rate(uow, admin, "TEA-CUP", "13")
    return shop


def at(uow: UnitOfWork, when: datetime, **rules: object) -> UnitOfWork:
    return UnitOfWork(uow.engine, clock=lambda: when, rules=replace(BookRules(), **rules))


def quote(uow: UnitOfWork, shop: Shop, **rules: object) -> str:
    return create_quotation(at(uow, DAY_ONE, **rules), shop.sales, "VIPCO", "MAIN",
                            [SalesLineIn("RETRO-CLOCK", 6), SalesLineIn("TEA-CUP", 10, "7.5")], "2026-12-20",
                            note="春节备货").number


def test_a_quotation_prints_its_lines_price_sources_tax_totals_and_capital_figures(uow: UnitOfWork,
                                                                                 shop: Shop) -> None:
    number = quote(uow, shop)
    doc = printable(at(uow, DAY_ONE), shop.sales, number)
    assert (doc.kind, doc.status, doc.amount, doc.party and doc.party.code) == ("quotation", "open",
                                                                                 201, "VIPCO")
    content = PRINTER.pdf(doc, TEXTS, "zh_CN", "a4")
    text = pdf_text(content)
    for said in ("报价单", number, "有效期至: 2026-12-20", "唯品商贸 (VIPCO)", "王经理", "138 0000 1111",
                 "复古闹钟", "RETRO-CLOCK", "21.00", "126.00", "VIP 价，5 件起", "青花茶杯", "7.50", "75.00",
                 "手填价", "13%", "8.63", "合计: ¥201.00", "其中税额: ¥8.63", "大写金额: 贰佰零壹元整", "春节备货",
                 "客户确认（盖章）", "状态: 有效", "第 1 页 / 共 1 页", COMPANY.tax_id):
        assert said in text, (said, text)
    assert all(font.embedded for font in pdf_fonts(content)) and pdf_fonts(content)
    assert 0.005 < ink(content) < 0.5 and page_size_mm(content) == (210.0, 297.0)
    english = pdf_text(PRINTER.pdf(doc, TEXTS, "en", "a4"))
    for said in ("Quotation", "Valid until: 2026-12-20", "Retro clock", "VIP price,", "from 5", "price typed",
                 "Total: CN¥201.00", "of which VAT: CN¥8.63", "Status: open"):
        assert said in english, (said, english.replace("\n", " | "))
    assert "大写金额" not in english and "元整" not in english


def test_a_quotation_fits_an_80mm_roll_and_a_receipt_printer(uow: UnitOfWork, shop: Shop) -> None:
    doc = printable(uow, shop.sales, quote(uow, shop))
    content = PRINTER.pdf(doc, TEXTS, "zh_CN", "80mm")
    text = pdf_text(content)
    assert all(said in text for said in ("报价单", "有效期至: 2026-12-20", "126.00", "75.00", "VIP 价",
                                         "大写金额: 贰佰零壹元整")), text
    width, height = page_size_mm(content)
    assert width == 80.0 and 100 < height < 400 and pdf_pages(content) == 1 and ink(content) > 0.005
    receipt = PRINTER.receipt(doc, TEXTS, "zh_CN")  # the same on a network receipt printer (ESC/POS)
    assert "报价单".encode("gb18030") in receipt and "VIP 价".encode("gb18030") in receipt


def test_prices_without_tax_print_the_net_amount_the_tax_and_the_total(uow: UnitOfWork, shop: Shop) -> None:
    number = quote(uow, shop, prices_include_tax=False)
    doc = printable(at(uow, DAY_ONE, prices_include_tax=False), shop.manager, number)
    text = pdf_text(PRINTER.pdf(doc, TEXTS, "zh_CN", "a4"))
    # 126.00 + 75.00 net, VAT 13 % of 75.00 = 9.75, total 210.75
    assert "不含税金额: ¥201.00" in text and "税额: ¥9.75" in text and "合计: ¥210.75" in text
    assert "大写金额: 贰佰壹拾元柒角伍分" in text


def test_an_expired_quotation_prints_as_expired(uow: UnitOfWork, shop: Shop) -> None:
    doc = printable(at(uow, LATER), shop.sales, quote(uow, shop))
    assert doc.status == "expired"
    assert "状态: 已过期" in pdf_text(PRINTER.pdf(doc, TEXTS, "zh_CN", "a4"))


def test_only_who_may_see_a_quotation_prints_it_and_reading_takes_constant_statements(
        uow: UnitOfWork, shop: Shop, admin: Actor) -> None:
    number = quote(uow, shop)
    with pytest.raises(PermissionDenied):
        printable(uow, load_actor(uow, "sales-2"), number)
    create_employee(uow, admin, "north-1", ["warehouse"], warehouses=["NORTH"])
    with pytest.raises(PermissionDenied):
        printable(uow, load_actor(uow, "north-1"), number)
    with counted(uow.engine) as few:
        printable(uow, shop.manager, number)
    many = create_quotation(at(uow, DAY_ONE), shop.sales, "VIPCO", "MAIN",
                            [SalesLineIn(sku, 1 + n) for n in range(10) for sku in ("RETRO-CLOCK", "TEA-CUP", "LAMP")],
                            "2026-12-20").number
    with counted(uow.engine) as more:
        doc = printable(uow, shop.manager, many)
    assert len(doc.lines) == 30 and len(more) == len(few), (few, more)
