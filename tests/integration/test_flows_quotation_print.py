"""Quotations and customers' languages in chat: a written quotation comes with "send as PDF", its card (报价单
QT-...) and the list carry Print, `打印 QT-...` sends the file; a customer set to English (客户 ACME 语言 en) gets
English documents (delivery note, quotation, statement) whoever prints them, unless a language is asked for, with
the warehouse's English name."""

from __future__ import annotations

import pytest

from bot.documents import PDF_MIME, Printer
from bot.documents.settings import Company, DocumentSettings
from bot.engine.engine import Engine
from bot.engine.texts import Texts
from bot.flows import COMMANDS, default_flows
from core.catalog.products import create_warehouse
from core.partners.customers import NewCustomer, create_customer, get_customer
from core.people.accounts import create_invite
from core.permissions import Actor
from core.sales.orders import create_sales_order
from core.sales.records import SalesLineIn
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.chat import Chat
from tests.factories import Shop, make_shop
from tests.pdfs import pdf_text

TEXTS = Texts()
PRINTER = Printer(DocumentSettings(company=Company("华东五金贸易有限公司")))


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = make_shop(uow, admin)
    create_warehouse(uow, admin, "EAST", "东仓", name_en="East depot")
    create_customer(uow, admin, NewCustomer("ACME", "Acme Trading", salesperson="sales-1"))
    create_customer(uow, admin, NewCustomer("LOCAL", "本地商行", salesperson="sales-1"))
    receive_stock(uow, admin, "EAST", [LineIn("RETRO-CLOCK", 30, "10"), LineIn("TEA-CUP", 100, "3.3")])
    return shop


def chat_as(uow: UnitOfWork, admin: Actor, name: str, user: str, language: str = "zh_CN") -> Chat:
    flows = default_flows(printer=PRINTER)
    chat = Chat(Engine(uow, TEXTS, flows, COMMANDS, fallback_flow="stock"), user_id=user, chat_id=user)
    chat.send(f"/start {create_invite(uow, admin, name).code}")
    if language == "en":
        chat.send("lang en")
    return chat


def sent_text(chat: Chat) -> str:
    sent = chat.replies[0].file
    assert sent is not None and sent.mime == PDF_MIME
    return pdf_text(sent.content)


def test_a_quotation_is_sent_as_pdf_printed_from_its_card_and_the_list(uow: UnitOfWork, shop: Shop) -> None:
    seller = chat_as(uow, shop.admin, "sales-1", "3001")
    seller.send("报价")
    assert seller.replies[0].buttons[0][0].link.endswith("/app/quote"), "the quotation page, one tap away"
    seller.send("报价 local")
    seller.press(seller.button("EAST"))
    seller.send("RETRO-CLOCK 4")
    seller.press(seller.button("完成"))
    made = seller.press(seller.button("提交"))[0]
    number = made.split()[1]
    assert "点「发送 PDF」得到报价单文件，转发给客户" in made
    assert seller.press(seller.button("发送 PDF")) == [f"{number} 的 PDF（1 行），可直接打印或转发。"]
    text = sent_text(seller)
    assert "报价单" in text and "本地商行 (LOCAL)" in text and "100.00" in text and "大写金额: 壹佰元整" in text
    assert "牌价" in text and "有效期至" in text

    card = seller.send(f"报价单 {number.lower()}")[0]
    assert card.startswith(f"报价单 {number}（有效）\n客户：LOCAL 本地商行\n仓库：EAST")
    assert "1. RETRO-CLOCK 复古闹钟 × 4 @ 25.00 = ¥100.00" in card and "合计：¥100.00" in card
    assert seller.button("打印") == f"pr:{number}" and seller.button("转为销售单") == f"qt:o{number}"
    seller.send("报价单 local")
    assert seller.button("打印") == f"pr:{number}" and seller.button(f"下单 {number}") == f"qt:o{number}"
    assert seller.send(f"打印 {number} 80mm")[0].startswith(number)
    assert "报价单" in sent_text(seller)
    assert seller.send("打印 QT-2026-999999") != [] and seller.replies[0].file is None
    assert chat_as(uow, shop.admin, "warehouse-1", "3002").send(f"打印 {number}")[0] != ""


def test_an_english_customers_documents_print_in_english_unless_asked(uow: UnitOfWork, shop: Shop) -> None:
    boss = chat_as(uow, shop.admin, "manager-1", "3003")
    said = boss.send("客户 ACME 语言 en")[0]
    assert said.startswith("客户 ACME Acme Trading 的单据（送货单、报价单、对账单）今后用英文打印")
    assert get_customer(uow, shop.manager, "ACME").language == "en"
    assert "单据用英文" in boss.send("客户 ACME")[0]
    order = create_sales_order(uow, shop.sales, "ACME", "EAST", [SalesLineIn("RETRO-CLOCK", 2)]).number
    boss.send(f"打印 {order}")
    english = sent_text(boss)
    assert "Delivery note" in english and "Retro clock" in english and "EAST East depot" in english
    assert "大写金额" not in english and "送货单" not in english
    boss.send(f"打印 {order} 中文")
    chinese = sent_text(boss)
    assert "送货单" in chinese and "复古闹钟" in chinese and "EAST 东仓" in chinese and "大写金额: 伍拾元整" in chinese
    boss.send("打印 对账单 ACME")
    assert "Customer statement" in sent_text(boss)

    local = create_sales_order(uow, shop.sales, "LOCAL", "EAST", [SalesLineIn("TEA-CUP", 2)]).number
    english_reader = chat_as(uow, shop.admin, "sales-1", "3004", language="en")
    english_reader.send(f"print {local}")
    assert "送货单" in sent_text(english_reader), "a Chinese customer's note goes with the goods in Chinese"
    english_reader.send(f"print {local} en")
    assert "Delivery note" in sent_text(english_reader) and "EAST East depot" in sent_text(english_reader)


def test_a_language_not_known_is_refused_and_nothing_changes(uow: UnitOfWork, shop: Shop) -> None:
    boss = chat_as(uow, shop.admin, "manager-1", "3005")
    said = boss.send("客户 ACME 语言 klingon")[0]
    assert "klingon" in said
    assert get_customer(uow, shop.manager, "ACME").language == "zh_CN"
    assert boss.send("customer ACME language English")[0].startswith("客户 ACME")
    assert get_customer(uow, shop.manager, "ACME").language == "en"
