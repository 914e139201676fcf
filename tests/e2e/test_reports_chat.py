"""Issue 6's done-when: a manager asks for the golden month's sales (March 2026, passed explicitly: the server's
clock is today's) over Telegram (fake Bot API) and in the browser chat (Chromium), sees the chart with Chinese
product names and gets the Excel file, and the figures are the hand-checked ones."""

from __future__ import annotations

import io
from decimal import Decimal as D
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import Engine

from bot.reporting import CHART_HEIGHT_PX, CHART_WIDTH_PX
from core.people.accounts import create_invite, create_login_link
from core.people.employees import load_actor
from core.uow import UnitOfWork
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.stack import run, start_stack
from tests.e2e.test_web_chat_browser import browser, chromium, phone, say, serving
from tests.integration.test_golden_month import trade_a_golden_month

MANAGER = 6001
NAMES = ["台灯", "复古闹钟", "青花茶杯"]


def png_size(content: bytes) -> tuple[int, int]:
    assert content[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(io.BytesIO(content)) as image:
        image.verify()
    with Image.open(io.BytesIO(content)) as image:
        return image.size


def sheet(content: bytes) -> list[tuple[Any, ...]]:
    book = load_workbook(io.BytesIO(content))
    return [tuple(row) for row in book.active.iter_rows(values_only=True)]  # type: ignore[union-attr]


def assert_golden_sales(table: list[tuple[Any, ...]]) -> None:
    """The March sales by product: 198 + 370 + 144 = 712.00 over 35 pieces, Chinese names present."""
    assert table[0] == ("商品", "商品名称", "数量", "销售额")
    assert [r[1] for r in table[1:-1]] == NAMES
    assert [D(str(r[3])) for r in table[1:-1]] == [D(198), D(370), D(144)]
    assert table[-1][0] == "合计" and (D(str(table[-1][2])), D(str(table[-1][3]))) == (D(35), D("712.00"))


def test_a_manager_on_telegram_gets_the_golden_month_sales_as_text_photo_and_excel(db_url: str,
                                                                                   engine: Engine) -> None:
    trade_a_golden_month(engine)
    now = UnitOfWork(engine)  # the golden month's clock stands in March; invites are made today
    code = create_invite(now, load_actor(now, "system"), "manager-1").code

    async def scenario(fake: FakeTelegram) -> None:
        s = await start_stack(db_url, fake)
        try:
            await s.say(MANAGER, f"/start {code}")
            assert await s.say(MANAGER, "报表") == ["要看哪个报表？点按钮，或输入例如「销售 2026-11」。"]
            await s.press(MANAGER, s.button(MANAGER, "销售汇总"))
            options = await s.say(MANAGER, "2026-03")
            assert options[0].startswith("销售汇总（2026-03），按商品汇总。")
            before = len(fake.sent(MANAGER))
            texts = await s.press(MANAGER, s.button(MANAGER, "生成"))
            sent = fake.sent(MANAGER)[before:]
            assert [c.method for c in sent] == ["sendPhoto", "sendPhoto", "sendDocument"], "too wide: a picture"
            assert "销售额合计：712.00" in texts[0] and sent[0].params["photo"]["filename"] == "table.png"
            assert png_size(sent[0].params["photo"]["content"])[0] > 500, "the table, drawn in large type"
            photo = sent[1].params["photo"]
            assert sent[1].text == "📈 销售汇总（2026-03）" and photo["filename"] == "report-sales-2026-03.png"
            assert png_size(photo["content"]) == (CHART_WIDTH_PX, CHART_HEIGHT_PX)
            document = sent[2].params["document"]
            assert document["filename"] == "report-sales-2026-03.xlsx"
            assert_golden_sales(sheet(document["content"]))
            assert sent[2].text == "完整表格（3 行）：report-sales-2026-03.xlsx"

            board = await s.say(MANAGER, "看板")
            assert board[0].startswith("📊 ") and "待审批 0 件" in board[0]
            assert fake.sent(MANAGER)[-1].method == "sendPhoto"
        finally:
            await s.stop()

    run(scenario)


def test_a_manager_in_the_browser_sees_the_chart_and_downloads_the_excel_file(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    chromium()
    trade_a_golden_month(engine)
    now = UnitOfWork(engine)
    token = create_login_link(now, load_actor(now, "system"), "manager-1").code
    with serving(db_url) as url, browser() as launched:
        page = phone(launched, url, token)
        say(page, "销售报表 2026-03")
        page.locator(".msg.theirs .attachment a[download]").last.wait_for()
        summary = page.locator(".msg.theirs", has_text="📊 销售汇总（2026-03）").last.inner_text()
        assert "销售额合计：712.00" in summary and all(name in summary for name in NAMES)

        chart = page.locator(".msg.theirs .attachment img").last
        chart.wait_for()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=chart.element_handle())
        assert chart.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [CHART_WIDTH_PX, CHART_HEIGHT_PX]
        assert chart.get_attribute("alt") == "report-sales-2026-03.png"

        link = page.locator(".msg.theirs .attachment a[download]").last
        assert "report-sales-2026-03.xlsx" in link.inner_text()
        with page.expect_download() as waiting:
            link.click()
        download = waiting.value
        assert download.suggested_filename == "report-sales-2026-03.xlsx"
        saved = tmp_path / "sales.xlsx"
        download.save_as(str(saved))
        assert_golden_sales(sheet(saved.read_bytes()))
        page.screenshot(path=str(tmp_path / "report-phone.png"))
