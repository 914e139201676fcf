"""The Mini App's receiving page in real Chromium inside a stubbed Telegram client: the worker photographs the
delivery note, every row on paper fills its line, one tap receives; the receipt records the picture."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from core.models import AuditLog, DocumentPicture
from core.people.accounts import set_language
from core.people.employees import load_actor
from core.permissions import Actor
from core.purchasing.orders import get_purchase_order
from core.uow import UnitOfWork
from tests.e2e.app_driver import CHROMIUM, chromium, open_shop, phone, serving
from tests.note_shop import EIGHT, ROWS, note_shop


@pytest.mark.parametrize(("locale", "read"), [("zh-CN", "已读送货单 DN-2026-0042：8 行已填入。"),
                                              ("en-US", "Delivery note DN-2026-0042 read: 8 rows filled in.")])
def test_a_worker_photographs_the_note_and_receives_it_in_one_more_tap(
    db_url: str, uow: UnitOfWork, admin: Actor, tmp_path: Path, locale: str, read: str
) -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("JXC_TEST_REQUIRE_BROWSER") == "1":
            pytest.fail(f"JXC_TEST_REQUIRE_BROWSER=1 but {CHROMIUM} is missing")
        pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM}")
    shop = open_shop(uow, admin).shop
    order = note_shop(uow, admin, shop.purchaser).order
    if locale == "en-US":
        set_language(uow, load_actor(uow, "warehouse-1"), "en")
    picture = tmp_path / "note.jpg"
    picture.write_bytes(EIGHT)
    with serving(db_url) as url, chromium() as launched:
        p = phone(launched, url, "warehouse-1", f"/app/receive?po={order}", locale)
        p.page.set_default_timeout(60_000)  # reading the note takes seconds on two cores
        p.page.locator('#po-lines .line[data-sku="CUP500"]').wait_for()
        p.page.set_input_files("#note-photo", str(picture))
        p.page.locator("#notice.ok").wait_for()
        assert p.page.locator("#notice").inner_text() == read
        for _, (sku, qty) in ROWS[:8]:
            assert p.page.locator(f'#po-lines .line[data-sku="{sku}"] input.got').input_value() == qty
        assert p.page.locator('#po-lines .line[data-sku="PLATE"] input.got').input_value() == ""
        p.tap("#submit", "receive")
        p.page.locator("#notice.ok").filter(has_text="GR-").wait_for()
        assert not p.errors, p.errors
    view = get_purchase_order(uow, shop.manager, order)
    assert {ln.sku: ln.received_qty for ln in view.lines} == {
        **{sku: Decimal(qty) for _, (sku, qty) in ROWS[:8]}, "PLATE": 0, "SPOON": 0}
    pictures = uow.read(lambda tx: tx.session.scalars(select(DocumentPicture.order_number)).all())
    assert pictures == [order]
    channels = uow.read(lambda tx: tx.session.scalars(select(AuditLog.channel).where(
        AuditLog.action == "purchase.receive_from_picture")).all())
    assert channels == ["telegram_app"]
