"""Files sent over Telegram whose download fails, through the real stack and the fake Bot API, by webhook and by
polling: the update is recorded with the file's file_id only, the download is retried with backoff, a download that
fails once is imported once, one that always fails is answered in the person's language and changes nothing; no
bytes stay in the inbox (neither in the row nor in inbound_file), and a redelivery downloads nothing."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.engine.inbound import Inbound
from core.models import InboundFile, InboxMessage, Product
from core.people.accounts import create_invite
from core.permissions import Actor
from core.uow import UnitOfWork
from tests.e2e.fake_telegram import FakeTelegram, document_update, message_update
from tests.e2e.stack import expire_leases, start_stack
from tests.e2e.telegram_chat import TelegramStack
from tests.factories import Shop
from tests.integration.chat_shop import open_shop
from tests.pictures import Code, photo

ZH, EN = "zh_CN", "en"
ATTEMPTS = 3
FAST: dict[str, Any] = {"download_attempts": ATTEMPTS, "download_backoff": 0.05}
FILE_CALLS = ("getFile", "getFile:502", "download", "download:502")
_update_ids = itertools.count(5_100_000, 3)


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    return open_shop(uow, admin)


@pytest.fixture
def tg(db_url: str, shop: Shop) -> Iterator[TelegramStack]:
    with TelegramStack(db_url, **FAST) as stack:
        yield stack


def catalogue(sku: str) -> bytes:
    return f"SKU,名称,英文名,进价,售价,最低价\n{sku},新商品,New item,1,2,1\n".encode()


def count(uow: UnitOfWork, column: object) -> int:
    return uow.read(lambda tx: tx.session.scalar(select(func.count(column))))  # type: ignore[arg-type]


def file_calls(fake: FakeTelegram) -> list[str]:
    return [c.method for c in fake.calls if c.method in FILE_CALLS]


def no_bytes_kept(uow: UnitOfWork) -> None:
    """Every update finished, none holding a file's bytes in its row or in inbound_file."""
    rows = uow.read(lambda tx: tx.session.execute(select(InboxMessage.status, InboxMessage.payload)).all())
    assert {status for status, _ in rows} == {"replied"}
    assert not [p for _, p in rows if "file_content_b64" in p or len(str(p)) > 2_000]
    assert count(uow, InboundFile.inbox_id) == 0


@pytest.mark.parametrize("lang", [ZH, EN])
def test_a_file_whose_download_fails_once_is_imported_once_and_its_redelivery_downloads_nothing(
    tg: TelegramStack, uow: UnitOfWork, shop: Shop, lang: str
) -> None:
    boss = tg.person(uow, shop.admin, "system", lang)
    boss.send("导入 products" if lang == ZH else "import products")
    products = count(uow, Product.id)
    content = catalogue("LATE-ONE")
    update = document_update(next(_update_ids), boss.user_id, tg.fake.add_file(content), "late.csv", len(content))
    tg.fake.fail_files(1)
    sent = len(boss.transcript())
    assert tg.post(update) == 200, "recorded at once: Telegram is not asked to send it again"
    assert [c.text for c in boss.transcript()[sent:]] == [
        "已导入 1 条 products。" if lang == ZH else "Imported 1 products."]
    assert file_calls(tg.fake) == ["getFile:502", "getFile", "download"], "tried again after the failure"
    assert count(uow, Product.id) == products + 1
    assert tg.post(update) == 200 and len(boss.transcript()) == sent + 1, "a redelivery is a duplicate"
    assert file_calls(tg.fake) == ["getFile:502", "getFile", "download"], "and it is not downloaded again"
    assert count(uow, Product.id) == products + 1
    no_bytes_kept(uow)


@pytest.mark.parametrize("lang", [ZH, EN])
def test_a_file_that_never_downloads_is_answered_in_the_persons_language_and_changes_nothing(
    tg: TelegramStack, uow: UnitOfWork, shop: Shop, lang: str
) -> None:
    zh = lang == ZH
    boss = tg.person(uow, shop.admin, "system", lang)
    boss.send("导入 products" if zh else "import products")
    products = count(uow, Product.id)
    tg.fake.fail_files(1_000)
    assert boss.send_file("lost.csv", catalogue("LOST-ONE")) == [
        "文件「lost.csv」没能从聊天软件下载，什么都没有改变。请重新发送一次。" if zh else
        'The file "lost.csv" could not be downloaded from the chat app, so nothing was changed. '
        "Please send it again."]
    assert file_calls(tg.fake) == ["getFile:502"] * ATTEMPTS, "tried a bounded number of times"
    assert count(uow, Product.id) == products
    no_bytes_kept(uow)
    tg.fake.fail_files(0)
    assert boss.send_file("again.csv", catalogue("AGAIN-ONE")) == [
        "已导入 1 条 products。" if zh else "Imported 1 products."], "the flow still waited for the file"
    assert count(uow, Product.id) == products + 1


def test_a_photo_that_never_downloads_is_answered_and_the_stocktake_waits_as_it_was(
    tg: TelegramStack, uow: UnitOfWork, shop: Shop
) -> None:
    worker = tg.person(uow, shop.admin, "warehouse-1", EN)
    tg.fake.fail_files(1_000)
    assert worker.send_photo(photo([Code("6908888000027", "EAN13")])) == [
        "The photo could not be downloaded from the chat app, so nothing was changed. Please send it again."]
    assert file_calls(tg.fake) == ["getFile:502"] * ATTEMPTS
    no_bytes_kept(uow)


def test_a_file_a_dead_process_recorded_is_downloaded_and_imported_by_the_sweep(
    tg: TelegramStack, uow: UnitOfWork, shop: Shop
) -> None:
    boss = tg.person(uow, shop.admin, "system", EN)
    boss.send("import products")
    products = count(uow, Product.id)
    content = catalogue("SWEPT-ONE")
    file_id = tg.fake.add_file(content)
    recorded = tg.engine.record(Inbound("telegram", "5099999", str(boss.chat_id), str(boss.user_id),
                                        file_name="swept.csv", file_ref=file_id, file_size=len(content)))
    assert recorded is not None
    tg.engine.release(recorded)  # the process that recorded it died before downloading
    expire_leases(uow)
    tg.fake.fail_files(1)
    sent = len(boss.transcript())
    assert tg.run(_sweep(tg)) == 1
    assert [c.text for c in boss.transcript()[sent:]] == ["Imported 1 products."]
    assert file_calls(tg.fake) == ["getFile:502", "getFile", "download"]
    assert count(uow, Product.id) == products + 1
    tg.run(tg.stack.settle())
    no_bytes_kept(uow)


async def _sweep(tg: TelegramStack) -> int:
    telegram = next(c for c in tg.stack.parts.channels if c.name == "telegram")
    answered = await telegram.sweep()
    await tg.stack.settle()
    return answered


@pytest.mark.parametrize("always", [False, True], ids=["fails-once", "always-fails"])
def test_polling_keeps_an_update_whose_file_download_fails(
    db_url: str, uow: UnitOfWork, shop: Shop, always: bool
) -> None:
    async def scenario() -> None:
        fake = await FakeTelegram().start()
        stack = await start_stack(db_url, fake, mode="polling", webhook_secret="", **FAST)
        try:
            user = 733_001
            await fake.push_update(message_update(next(_update_ids), user,
                                                  f"/start {create_invite(uow, shop.admin, 'system').code}"))
            await fake.wait_sent(1, user)
            await fake.push_update(message_update(next(_update_ids), user, "language en"))
            await fake.push_update(message_update(next(_update_ids), user, "import products"))
            await fake.wait_sent(3, user)
            content = catalogue("POLLED-ONE")
            fake.fail_files(1_000 if always else 1)
            await fake.push_update(document_update(next(_update_ids), user, fake.add_file(content), "polled.csv",
                                                   len(content)))
            answer = (await fake.wait_sent(4, user))[-1].text
            await asyncio.sleep(0.3)  # nothing more comes
            await stack.settle()
            assert len(fake.sent(user)) == 4
            if always:
                assert answer.startswith('The file "polled.csv" could not be downloaded')
                assert file_calls(fake) == ["getFile:502"] * ATTEMPTS
            else:
                assert answer == "Imported 1 products."
                assert file_calls(fake) == ["getFile:502", "getFile", "download"]
        finally:
            await stack.stop()
            await fake.stop()

    products = count(uow, Product.id)
    asyncio.run(scenario())
    assert count(uow, Product.id) == products + (0 if always else 1)
    no_bytes_kept(uow)
