"""A delivery note photographed in the browser chat (real Chromium, the page's camera control): read on the
server, its rows proposed against the order with a button row each, received in two taps, in 中文 and English."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from core.models import PictureFile, Product, StockMove
from core.people.accounts import create_login_link
from core.permissions import Actor
from core.uow import UnitOfWork
from tests.e2e.test_web_chat_browser import browser, chromium, phone, press, say, serving
from tests.e2e.test_web_chat_scanning import upload
from tests.factories import make_shop
from tests.note_shop import EIGHT, ROWS, note_shop

WORDS = {"zh_CN": ("收货", "received", "实收", "认出的全部接受", "入库已确认的 8 行", "已收货 GR-"),
         "en": ("receive", "8 rows on paper", "received", "Accept all matched", "Receive the 8 accepted",
                "Received GR-")}


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_in_the_browser_chat_a_photographed_note_is_received_in_two_taps(
    db_url: str, uow: UnitOfWork, admin: Actor, tmp_path: Path, language: str
) -> None:
    chromium()
    shop = make_shop(uow, admin)
    order = note_shop(uow, admin, shop.purchaser).order
    token = create_login_link(uow, admin, "warehouse-1").code
    command, _, got, accept_all, post, done = WORDS[language]
    shot = tmp_path / "note.jpg"
    shot.write_bytes(EIGHT)
    with serving(db_url) as url, browser() as launched:
        page = phone(launched, url, token)
        page.set_default_timeout(60_000)  # reading the note takes seconds on two cores
        if language == "en":
            say(page, "language en")
        say(page, f"{command} {order}")
        card = upload(page, shot).inner_text()  # type: ignore[attr-defined]
        for n, (_, (sku, qty)) in enumerate(ROWS[:8], 1):
            line = card.split(f"\n{n}. ")[1].split("\n")[0]
            assert f"→ {sku} " in line and f"{got} {qty}" in line and "⚠" not in line, line
        press(page, accept_all)
        assert press(page, post).inner_text().startswith(done)
    stocked = uow.read(lambda tx: dict(tx.session.execute(
        select(Product.sku, StockMove.qty).join(Product, Product.id == StockMove.product_id)).all()))
    assert stocked == {sku: Decimal(qty) for _, (sku, qty) in ROWS[:8]}
    assert uow.read(lambda tx: tx.session.scalars(select(PictureFile.content)).all()) == [EIGHT], "the photo kept"
