"""A WeCom image message through our real server: the callback (real crypto) carries a MediaId, the channel
downloads it from the fake's media API and reads the codes; a stocktake counts them, outside a flow the card."""

from __future__ import annotations

import itertools
import re

from core.catalog.products import NewProduct, create_product
from core.models import InboxMessage, StocktakeLine
from core.people.accounts import bind_account
from core.permissions import Actor
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.e2e.fake_wecom import encrypt, image_xml
from tests.e2e.test_wecom import Stack, count, run
from tests.factories import make_shop
from tests.pictures import Code, blank_photo, photo

WORKER = "chen.warehouse"
KETTLE = Code("6908888000027", "EAN13")
_msg_ids = itertools.count(8_100_000_000_000_000_001)


def test_an_image_is_read_in_a_stocktake_and_outside_a_flow(db_url: str, uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    create_product(uow, admin, NewProduct("KETTLE", "电水壶", "Kettle", purchase_price="10", sale_price="25",
                                          barcodes=("6908888000027",)))
    receive_stock(uow, admin, "MAIN", [LineIn("KETTLE", 30, "10")])
    bind_account(uow, admin, "warehouse-1", "wecom", WORKER, WORKER)

    async def image(s: Stack, picture: bytes) -> list[str]:
        before = len(s.fake.texts(WORKER))
        media_id = s.fake.add_media(picture)
        assert await s.post(encrypt(image_xml(WORKER, media_id, next(_msg_ids)))) == 200
        await s.parts.in_flight.wait(20)
        return s.fake.texts(WORKER)[before:]

    async def scenario(s: Stack) -> None:
        card = await image(s, photo([KETTLE]))
        assert card[0].startswith("KETTLE 电水壶\n售价 25.00 / ") and re.search(r"MAIN\s+30\b", card[0])
        assert "回复 1 选择「收货」" in card[0], "the card's next steps are numbered choices on WeCom"
        await s.say(WORKER, "盘点 MAIN")
        assert (await image(s, photo([KETTLE, KETTLE])))[0].startswith("KETTLE 已扫，累计 2。")
        inbox = count(uow, InboxMessage)
        answer = await image(s, blank_photo())
        assert len(answer) == 1 and "没有读到条码" in answer[0]
        assert count(uow, InboxMessage) == inbox + 1
        got = [c for c in s.fake.calls if c.path == "media/get"]
        assert len(got) == 3 and all(c.token.startswith("TOKEN-") for c in got)

    run(db_url, scenario)
    counted = uow.read(lambda tx: [ln.counted_qty for ln in tx.session.query(StocktakeLine)
                                   if ln.counted_qty is not None])
    assert counted == [2]


def test_an_image_whose_download_fails_once_is_read_once_and_one_that_never_downloads_is_answered(
        db_url: str, uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    create_product(uow, admin, NewProduct("KETTLE", "电水壶", "Kettle", purchase_price="10", sale_price="25",
                                          barcodes=("6908888000027",)))
    bind_account(uow, admin, "warehouse-1", "wecom", WORKER, WORKER)

    async def image(s: Stack, failures: int) -> list[str]:
        before = len(s.fake.texts(WORKER))
        s.fake.media_failures = failures
        xml = encrypt(image_xml(WORKER, s.fake.add_media(photo([KETTLE])), next(_msg_ids)))
        assert await s.post(xml) == 200, "recorded at once, whatever the download does"
        await s.parts.in_flight.wait(20)
        assert await s.post(xml) == 200, "WeCom's retry of the callback"
        await s.parts.in_flight.wait(20)
        return s.fake.texts(WORKER)[before:]

    async def scenario(s: Stack) -> None:
        card = await image(s, 1)
        assert len(card) == 1 and card[0].startswith("KETTLE 电水壶\n")
        assert len([c for c in s.fake.calls if c.path == "media/get"]) == 2, "one failure, one download, no more"
        assert await image(s, 1_000) == ["照片没能从聊天软件下载，什么都没有改变。请重新发送一次。"]
        assert len([c for c in s.fake.calls if c.path == "media/get"]) == 2 + 3, "three tries, then the answer"

    inbox = count(uow, InboxMessage)
    run(db_url, scenario, download_backoff=0.05)
    assert count(uow, InboxMessage) == inbox + 2
    assert uow.read(lambda tx: {m.status for m in tx.session.query(InboxMessage)}) == {"replied"}
