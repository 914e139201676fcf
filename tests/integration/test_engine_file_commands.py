"""A command word as the caption of a file: the flow it starts takes the file at once instead of asking for it."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from bot.engine.engine import Engine
from bot.engine.inbound import Fetched, Inbound, PendingFile
from bot.engine.texts import Texts
from bot.flows import COMMANDS, default_flows
from core.models import Customer, InboundFile, InboxMessage, Product
from core.people.accounts import create_invite
from core.people.employees import create_employee
from core.permissions import Actor
from core.uow import UnitOfWork
from tests.chat import Chat
from tests.factories import make_shop


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def boss_chat(uow: UnitOfWork, admin: Actor, language: str) -> Chat:
    make_shop(uow, admin)
    create_employee(uow, admin, "boss", ["admin"], language=language)
    chat = Chat(Engine(uow, Texts(), default_flows(), COMMANDS, fallback_flow="stock"), user_id="77", chat_id="77")
    chat.send(f"/start {create_invite(uow, admin, 'boss').code}")
    return chat


def send_file(chat: Chat, name: str, content: bytes | None, caption: str | None) -> list[str]:
    inbound = Inbound("test", f"file-{name}", chat.chat_id, chat.user_id, text=caption, file_name=name,
                      file_content=content)
    inbox_id = chat.engine.record(inbound)
    assert inbox_id is not None
    return [r.text for r in chat.engine.process(inbox_id)]


def count(uow: UnitOfWork, column: object) -> int:
    return uow.read(lambda tx: tx.session.scalar(select(func.count(column))))  # type: ignore[arg-type]


def test_a_customers_file_captioned_import_customers_is_imported_at_once(uow: UnitOfWork, admin: Actor) -> None:
    chat = boss_chat(uow, admin, "en")
    content = csv_bytes([["code", "name", "salesperson"], ["C-1", "一号店", "sales-1"]])
    assert send_file(chat, "c.csv", content, "import customers") == ["Imported 1 customers."]
    assert count(uow, Customer.id) == 1
    assert chat.send("RETRO-CLOCK")[0].startswith("RETRO-CLOCK"), "the import is over: a word looks up stock"


def test_a_products_file_captioned_in_chinese_with_bad_rows_is_refused_and_the_flow_waits_for_a_better_one(
        uow: UnitOfWork, admin: Actor) -> None:
    chat = boss_chat(uow, admin, "zh_CN")
    products = count(uow, Product.id)
    bad = csv_bytes([["SKU", "名称", "进价", "售价"], ["RETRO-CLOCK", "已有", "1", "2"]])
    refused = send_file(chat, "p1.csv", bad, "导入 products")
    assert refused[0].startswith("未导入：1 行中有 1 处问题。") and "第 2 行：sku exists" in refused[0]
    good = csv_bytes([["SKU", "名称", "进价", "售价"], ["WALL-CLOCK", "挂钟", "30", "68"]])
    assert send_file(chat, "p2.csv", good, None) == ["已导入 1 条 products。"]
    assert count(uow, Product.id) == products + 1


def test_a_file_too_large_for_the_channel_with_the_command_is_refused_by_name(uow: UnitOfWork, admin: Actor) -> None:
    chat = boss_chat(uow, admin, "en")
    replies = send_file(chat, "huge.xlsx", None, "import products")
    assert replies[0].startswith('The file "huge.xlsx" is too large') and "Send the products file" in replies[1]


def test_a_files_bytes_wait_in_inbound_file_not_in_the_inbox_row_and_go_once_it_is_processed(
        uow: UnitOfWork, admin: Actor) -> None:
    chat = boss_chat(uow, admin, "en")
    content = csv_bytes([["code", "name", "salesperson"], ["C-9", "九号店", "sales-1"]])
    inbox_id = chat.engine.record(Inbound("test", "kept-file", chat.chat_id, chat.user_id, text="import customers",
                                          file_name="c.csv", file_content=content))
    assert inbox_id is not None
    assert uow.read(lambda tx: tx.session.get(InboundFile, inbox_id).content) == content  # type: ignore[union-attr]
    payload = uow.read(lambda tx: tx.session.get(InboxMessage, inbox_id).payload)  # type: ignore[union-attr]
    assert "file_content_b64" not in payload and content.decode() not in str(payload)
    assert [r.text for r in chat.engine.process(inbox_id)] == ["Imported 1 customers."]
    assert count(uow, InboundFile.inbox_id) == 0, "dropped with the processing"
    assert [r.text for r in chat.engine.process(inbox_id)] == ["Imported 1 customers."], "stored replies"
    assert count(uow, Customer.id) == 1

    uow.run(lambda tx: tx.session.add(InboundFile(inbox_id=inbox_id, content=b"left over", stored_at=tx.now)))
    waiting = chat.engine.record(Inbound("test", "waiting-file", chat.chat_id, chat.user_id, file_name="w.csv",
                                         file_content=b"sku\n"))
    assert chat.engine.purge_files() == 1, "the sweep drops the bytes of finished updates only"
    assert uow.read(lambda tx: list(tx.session.scalars(select(InboundFile.inbox_id)))) == [waiting]


def test_an_update_whose_file_was_never_fetched_is_answered_and_the_flow_waits(uow: UnitOfWork, admin: Actor) -> None:
    chat = boss_chat(uow, admin, "zh_CN")
    chat.send("导入 customers")
    inbox_id = chat.engine.record(Inbound("test", "ref-file", chat.chat_id, chat.user_id, file_name="c.csv",
                                          file_ref="remote-1", file_size=10))
    assert inbox_id is not None
    assert chat.engine.pending_file(inbox_id) == PendingFile(inbox_id, chat.user_id, "remote-1", 10, False)
    assert [r.text for r in chat.engine.process(inbox_id, Fetched(failed=True))] == [
        "文件「c.csv」没能从聊天软件下载，什么都没有改变。请重新发送一次。"]
    assert chat.engine.pending_file(inbox_id) is None, "finished"
    content = csv_bytes([["code", "name", "salesperson"], ["C-1", "一号店", "sales-1"]])
    assert send_file(chat, "again.csv", content, None) == ["已导入 1 条 customers。"], "still waiting for the file"
