"""打印 over the real Telegram stack (python-telegram-bot against the fake Bot API): the PDF arrives as a document
(sendDocument, application/pdf) with its caption, from the words and from a card's Print button."""

from __future__ import annotations

from sqlalchemy import Engine

from core.people.accounts import create_invite
from core.people.employees import load_actor
from core.uow import UnitOfWork
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.stack import run, start_stack
from tests.integration.test_golden_month import trade_a_golden_month
from tests.pdfs import pdf_fonts, pdf_text

MANAGER = 6101


def test_a_manager_on_telegram_gets_the_delivery_note_as_a_pdf_document(db_url: str, engine: Engine) -> None:
    golden = trade_a_golden_month(engine)
    now = UnitOfWork(engine)
    code = create_invite(now, load_actor(now, "system"), "manager-1").code

    async def scenario(fake: FakeTelegram) -> None:
        s = await start_stack(db_url, fake)
        try:
            await s.say(MANAGER, f"/start {code}")
            before = len(fake.sent(MANAGER))
            assert await s.say(MANAGER, f"打印 {golden.so1}") == [f"{golden.so1} 的 PDF（2 行），可直接打印或转发。"]
            sent = fake.sent(MANAGER)[before:]
            assert [c.method for c in sent] == ["sendDocument"]
            document = sent[0].params["document"]
            assert document["filename"] == f"{golden.so1}.pdf" and document["content"].startswith(b"%PDF-")
            text = pdf_text(document["content"])
            assert "送货单" in text and "肆佰壹拾元整" in text
            assert all(font.embedded for font in pdf_fonts(document["content"]))

            await s.say(MANAGER, "我的订单")
            await s.press(MANAGER, s.button(MANAGER, "① 详情"))
            printed = await s.press(MANAGER, s.button(MANAGER, "打印"))
            assert printed[0].endswith("的 PDF（2 行），可直接打印或转发。")
            assert fake.sent(MANAGER)[-1].method == "sendDocument"
        finally:
            await s.stop()

    run(scenario)
