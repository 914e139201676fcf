"""A quotation over the real Telegram stack (python-telegram-bot against the fake Bot API): a salesperson writes
one, taps "send as PDF" and gets the 报价单 as a document to forward to the customer, then opens its card and
makes it an order with one tap."""

from __future__ import annotations

from core.partners.customers import NewCustomer, create_customer
from core.people.accounts import create_invite
from core.permissions import Actor
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.stack import run, start_stack
from tests.factories import make_shop
from tests.pdfs import pdf_fonts, pdf_text

SELLER = 6201


def test_a_salesperson_sends_a_quotation_pdf_from_the_phone_and_orders_it(db_url: str, uow: UnitOfWork,
                                                                         admin: Actor) -> None:
    make_shop(uow, admin)
    create_customer(uow, admin, NewCustomer("ACME", "Acme Trading", salesperson="sales-1", language="en"))
    receive_stock(uow, admin, "MAIN", [LineIn("TEA-CUP", 50, "3.3")])
    code = create_invite(uow, admin, "sales-1").code

    async def scenario(fake: FakeTelegram) -> None:
        s = await start_stack(db_url, fake)
        try:
            await s.say(SELLER, f"/start {code}")
            await s.say(SELLER, "报价 acme")
            await s.press(SELLER, s.button(SELLER, "MAIN"))
            await s.say(SELLER, "TEA-CUP 12")
            await s.press(SELLER, s.button(SELLER, "完成"))
            made = (await s.press(SELLER, s.button(SELLER, "提交")))[0]
            number = made.split()[1]
            assert made.startswith(f"报价单 {number} 已生成：ACME Acme Trading，合计 ¥96.00")
            before = len(fake.sent(SELLER))
            said = await s.press(SELLER, s.button(SELLER, "发送 PDF"))
            assert said == [f"{number} 的 PDF（1 行），可直接打印或转发。"]
            sent = fake.sent(SELLER)[before:]
            assert sent[-1].method == "sendDocument"
            document = sent[-1].params["document"]
            assert document["filename"] == f"{number}.pdf" and document["content"].startswith(b"%PDF-")
            text = pdf_text(document["content"])
            assert "Quotation" in text and "Blue tea cup" in text and "96.00" in text, "in the customer's English"
            assert all(font.embedded for font in pdf_fonts(document["content"]))

            card = (await s.say(SELLER, f"报价单 {number}"))[0]
            assert card.startswith(f"报价单 {number}（有效）")
            ordered = (await s.press(SELLER, s.button(SELLER, "转为销售单")))[0]
            assert ordered.startswith("销售单 SO-") and "合计 ¥96.00" in ordered
        finally:
            await s.stop()

    run(scenario)
