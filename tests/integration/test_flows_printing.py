"""打印 / print in chat over the golden month: the PDF comes back as a file, the Print button of a card does the
same, a statement prints by customer and month, refusals follow the reader's permissions, and 小票 / receipt
sends ESC/POS to a fake network printer on 127.0.0.1 that records the bytes."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine as SqlEngine

from bot.documents import PDF_MIME, Printer
from bot.documents.escpos import CUT, INIT
from bot.documents.settings import Company, DocumentSettings
from bot.engine.engine import Engine
from bot.engine.texts import Texts
from bot.flows import COMMANDS, default_flows
from core.people.accounts import create_invite
from tests.chat import Chat
from tests.fake_printer import FakePrinter, closed_port
from tests.integration.test_golden_month import GoldenMonth, trade_a_golden_month
from tests.pdfs import page_size_mm, pdf_text

TEXTS = Texts()
COMPANY = Company("华东五金贸易有限公司", phone="021-5555 1234")


@pytest.fixture
def golden(engine: SqlEngine) -> GoldenMonth:
    return trade_a_golden_month(engine)


def chat_as(golden: GoldenMonth, name: str, printer: tuple[str, int] | None = None, user: str = "7001") -> Chat:
    flows = default_flows(printer=Printer(DocumentSettings(company=COMPANY, printer=printer, printer_timeout=2)))
    chat = Chat(Engine(golden.uow, TEXTS, flows, COMMANDS, fallback_flow="stock"), user_id=user, chat_id=user)
    chat.send(f"/start {create_invite(golden.uow, golden.shop.admin, name).code}")
    return chat


def test_a_document_prints_as_a_pdf_file_from_words_and_from_a_cards_print_button(golden: GoldenMonth) -> None:
    chat = chat_as(golden, "manager-1")
    assert chat.send(f"打印 {golden.so1}") == [f"{golden.so1} 的 PDF（2 行），可直接打印或转发。"]
    sent = chat.replies[0].file
    assert sent is not None and (sent.name, sent.mime) == (f"{golden.so1}.pdf", PDF_MIME)
    text = pdf_text(sent.content)
    assert "送货单" in text and "华东五金贸易有限公司" in text and "大写金额: 肆佰壹拾元整" in text

    assert chat.send(f"print {golden.so1} 80mm en") == [f"{golden.so1} 的 PDF（2 行），可直接打印或转发。"]
    roll = chat.replies[0].file
    assert roll is not None and page_size_mm(roll.content)[0] == 80.0
    assert "Delivery note" in pdf_text(roll.content)

    chat.send("我的订单")
    assert "打印" not in str(chat.replies[0].buttons), "a list keeps to one row of details: Print is in the card"
    chat.press(chat.button("② 详情"))
    pressed = chat.button("打印")
    assert pressed.startswith("pr:SO-2026-")
    assert chat.press(pressed)[0].endswith("的 PDF（2 行），可直接打印或转发。")
    assert chat.replies[0].file is not None and chat.replies[0].file.name == f"{pressed[3:]}.pdf"

    chat.send(f"我的订单 {golden.so1}")
    assert chat.press(chat.button("打印"))[0].startswith(golden.so1)

    finance = chat_as(golden, "finance-1", user="7002")
    assert finance.send("打印 对账单 ACME 2026-03") == [
        "ACME-2026-03-01-2026-03-31 的 PDF（4 行），可直接打印或转发。"]
    statement = finance.replies[0].file
    assert statement is not None and "大写金额: 玖拾肆元整" in pdf_text(statement.content)
    assert finance.send("print supplier NORTHWIND 2026-03 en")[0].startswith("NORTHWIND-2026-03-01-2026-03-31")


def test_printing_refuses_what_the_reader_may_not_see_and_says_how(golden: GoldenMonth) -> None:
    sales = chat_as(golden, "sales-1")
    north = chat_as(golden, "north-1", user="7005")
    assert north.send(f"打印 {golden.so1}")[0].startswith(f"找不到单据「{golden.so1}」，或你无权查看。"), \
        "MAIN's order, a NORTH worker: as an unknown number"
    assert north.replies[0].file is None
    assert sales.send(f"打印 {golden.po1}")[0].startswith("你没有权限执行这个操作。\n打印单据：")
    assert sales.replies[0].file is None
    assert sales.send("打印 SO-1999-000001")[0].startswith("找不到单据「SO-1999-000001」")
    assert sales.replies[0].file is None
    assert sales.send("打印")[0].startswith("打印单据：发「打印 单号」")
    assert sales.send("打印 对账单 ACME 2026-13")[0].startswith("「2026-13」")
    assert sales.replies[0].file is None


def test_a_receipt_goes_to_the_network_printer_as_escpos(golden: GoldenMonth) -> None:
    with FakePrinter() as printer:
        worker = chat_as(golden, "warehouse-1", printer.address)
        assert worker.send(f"打印 {golden.so1} 小票") == [f"{golden.so1} 已发送到小票打印机。"]
        assert printer.done.wait(5)
    job = printer.jobs[0]
    assert job.startswith(INIT) and job.endswith(CUT)
    assert "送货单".encode("gb18030") in job and "肆佰壹拾元整".encode("gb18030") in job
    assert b"1P0" + golden.so1.encode() in job, "the number as a QR code"
    assert b"RETRO-CLOCK" in job and b"250.00" in job

    down = chat_as(golden, "warehouse-1", closed_port(), user="7003")
    assert down.send(f"打印 {golden.so1} 小票")[0].startswith("小票打印机没有响应")
    none = chat_as(golden, "warehouse-1", None, user="7004")
    assert none.send(f"print {golden.so1} receipt")[0].startswith("还没有设置小票打印机")
