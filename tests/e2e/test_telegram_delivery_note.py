"""A delivery note photographed in Telegram (the real client, the fake Bot API's getFile): read on the server,
its rows proposed against the order with a button row each, received in a few taps, in 中文 and English; a
picture over the download cap is refused by name."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.models import PictureFile, Product, PurchaseReceiptLine, StockMove
from core.permissions import Actor
from core.uow import UnitOfWork
from tests.e2e.fake_telegram import photo_update
from tests.e2e.telegram_chat import TelegramStack
from tests.factories import Shop
from tests.integration.chat_shop import open_shop, rows
from tests.note_shop import EIGHT, ROWS, note_shop

WORDS = {"zh_CN": ("收货", "纸上 8 行", "实收", "认出的全部接受", "入库已确认的 8 行", "已收货 GR-"),
         "en": ("receive", "8 rows on paper", "received", "Accept all matched", "Receive the 8 accepted",
                "Received GR-")}


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    return open_shop(uow, admin)


@pytest.fixture
def tg(db_url: str, shop: Shop) -> Iterator[TelegramStack]:
    with TelegramStack(db_url) as stack:
        yield stack


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_a_photographed_note_is_proposed_and_received_in_a_few_taps(
    tg: TelegramStack, uow: UnitOfWork, shop: Shop, admin: Actor, language: str
) -> None:
    command, rows_on_paper, got, accept_all, post, done = WORDS[language]
    order = note_shop(uow, admin, shop.purchaser).order
    chat = tg.person(uow, admin, "warehouse-1", language)
    chat.send(f"{command} {order}")
    card = chat.send_photo(EIGHT)
    assert len(card) == 1 and rows_on_paper in card[0]
    for n, (_, (sku, qty)) in enumerate(ROWS[:8], 1):
        line = card[0].split(f"\n{n}. ")[1].split("\n")[0]
        assert f"→ {sku} " in line and f"{got} {qty}" in line and "⚠" not in line, line
    labels = [b.label for b in chat.replies[0].buttons[0]]
    assert labels[:2] == ["1 ✓", "1 改数量" if language == "zh_CN" else "1 qty"] and len(chat.replies[0].buttons) == 10
    assert rows(uow, StockMove, PurchaseReceiptLine) == (0, 0)
    chat.press(chat.button(accept_all))
    assert chat.press(chat.button(post))[0].startswith(done)
    stocked = uow.read(lambda tx: dict(tx.session.execute(
        select(Product.sku, StockMove.qty).join(Product, Product.id == StockMove.product_id)).all()))
    assert stocked == {sku: Decimal(qty) for _, (sku, qty) in ROWS[:8]}
    assert uow.read(lambda tx: tx.session.scalars(select(PictureFile.content)).all()) == [EIGHT], "the photo kept"


def test_a_picture_over_the_download_cap_is_refused_by_name(
    tg: TelegramStack, uow: UnitOfWork, shop: Shop, admin: Actor
) -> None:
    order = note_shop(uow, admin, shop.purchaser, lines=3).order
    chat = tg.person(uow, admin, "warehouse-1")
    chat.send(f"收货 {order}")
    file_id = tg.fake.add_file(EIGHT)
    answer = chat._exchange(photo_update(chat._id(None), chat.user_id, file_id, 30 * 1024 * 1024))
    assert answer[0].startswith("这张图片太大了") and "没有任何改动" in answer[0]
    assert answer[1:] == [] or answer[1].startswith("第 1/3 行 CUP500"), "the line waiting is asked again"
    assert rows(uow, StockMove, PurchaseReceiptLine) == (0, 0)
