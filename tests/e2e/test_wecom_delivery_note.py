"""A delivery note photographed in WeCom (real crypto, the fake's media API): read on the server, proposed against
the order, received by replying with the numbered choices."""

from __future__ import annotations

import itertools
import re

from sqlalchemy import select

from core.models import Product, StockMove
from core.people.accounts import bind_account
from core.permissions import Actor
from core.uow import UnitOfWork
from tests.e2e.fake_wecom import encrypt, image_xml
from tests.e2e.test_wecom import Stack, run
from tests.factories import make_shop
from tests.note_shop import ROWS, note_shop
from tests.notes import note

WORKER = "li.warehouse"
_msg_ids = itertools.count(8_200_000_000_000_000_001)


def choice(texts: list[str], label: str) -> str:
    """The number WeCom shows for a choice: "回复 N 选择「label」"."""
    for text in reversed(texts):
        found = re.search(r"回复 (\d+) 选择「" + re.escape(label), text)
        if found:
            return found.group(1)
    raise AssertionError(f"no choice {label!r} in {texts}")


def test_a_note_photographed_in_wecom_is_received_by_numbered_choices(
        db_url: str, uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    order = note_shop(uow, admin, shop.purchaser, 3).order
    bind_account(uow, admin, "warehouse-1", "wecom", WORKER, WORKER)
    picture = note([w for w, _ in ROWS[:3]])

    async def scenario(s: Stack) -> None:
        await s.say(WORKER, f"收货 {order}")
        before = len(s.fake.texts(WORKER))
        assert await s.post(encrypt(image_xml(WORKER, s.fake.add_media(picture), next(_msg_ids)))) == 200
        await s.parts.in_flight.wait(60)
        card = s.fake.texts(WORKER)[before:]
        assert "纸上 3 行" in card[0] and "→ CUP500 " in card[0] and "→ LUNCHBOX " in card[0], card
        texts = await s.say(WORKER, choice(card, "✓ 认出的全部接受"))
        done = await s.say(WORKER, choice(texts, "📥 入库已确认的 3 行"))
        assert any(t.startswith("已收货 GR-") for t in done), done

    run(db_url, scenario)
    stocked = uow.read(lambda tx: dict(tx.session.execute(
        select(Product.sku, StockMove.qty).join(Product, Product.id == StockMove.product_id)).all()))
    assert stocked == {"CUP500": 12, "LUNCHBOX": 36, "CHOPSTICK": 40}


def test_a_photo_without_a_code_from_someone_who_neither_receives_nor_sells_is_not_read(
        db_url: str, uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    note_shop(uow, admin, shop.purchaser, 3)
    bind_account(uow, admin, "finance-1", "wecom", "zhao.finance", "zhao.finance")
    picture = note([w for w, _ in ROWS[:3]])

    async def scenario(s: Stack) -> None:
        assert await s.post(encrypt(image_xml("zhao.finance", s.fake.add_media(picture), next(_msg_ids)))) == 200
        await s.parts.in_flight.wait(60)
        assert s.fake.texts("zhao.finance")[-1].startswith("这张图片里没有读到条码或二维码。")
        reader = s.parts.engine.reader
        assert reader is not None and reader._worker is None, "no OCR worker was started for the picture"

    run(db_url, scenario)
