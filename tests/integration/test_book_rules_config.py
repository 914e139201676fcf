"""[books] undo_minutes, stocktake_approval_value and over_receipt_percent: read from config by the composition
root and obeyed in chat; the defaults are the rules the services had before they were configurable."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal as D
from typing import Any

import pytest
from sqlalchemy import Engine as SqlEngine
from sqlalchemy import select

from bot.composition import Books, books_on, build_chat_engine
from core.config import BookRules, Config, ConfigError, book_rules, load_config
from core.models import Stocktake
from core.models.base import utcnow
from core.people.accounts import create_invite
from core.permissions import Actor
from core.purchasing.orders import PurchaseLineIn, create_purchase_order, get_purchase_order, submit_purchase_order
from core.purchasing.receipts import OVER_RECEIPT_PERCENT
from core.stock.reversal import UNDO_WINDOW
from core.stock.stocktake import DEFAULT_APPROVAL_THRESHOLD
from core.uow import UnitOfWork
from tests.chat import Chat
from tests.integration.chat_shop import books_clean, on_hand, open_shop

STRICT = {"undo_minutes": 2, "stocktake_approval_value": 50, "over_receipt_percent": "20"}
_users = itertools.count(8101)


def test_the_default_rules_are_the_ones_the_services_had() -> None:
    rules = book_rules(load_config(environ={"JXC_CONFIG": ""}))
    assert rules == BookRules()
    assert (rules.undo_window, rules.stocktake_approval_value, rules.over_receipt_percent) == (
        UNDO_WINDOW, DEFAULT_APPROVAL_THRESHOLD, OVER_RECEIPT_PERCENT)
    assert rules.undo_minutes == 10


def test_rules_come_from_the_file_or_the_environment_and_bad_values_are_refused(tmp_path: Any) -> None:
    path = tmp_path / "jxc.toml"
    path.write_text("[books]\nundo_minutes = 3\nstocktake_approval_value = 250.5\nover_receipt_percent = 0\n",
                    encoding="utf-8")
    assert book_rules(load_config(str(path), environ={})) == BookRules(timedelta(minutes=3), D("250.5"), D(0))
    environ = {"JXC_BOOKS_UNDO_MINUTES": "30", "JXC_BOOKS_STOCKTAKE_APPROVAL_VALUE": "99.90",
               "JXC_BOOKS_OVER_RECEIPT_PERCENT": "2.5"}
    assert book_rules(load_config(str(path), environ=environ)) == BookRules(
        timedelta(minutes=30), D("99.90"), D("2.5"))
    for key, bad in (("undo_minutes", 0), ("undo_minutes", 1.5), ("undo_minutes", "10"), ("undo_minutes", True),
                     ("stocktake_approval_value", -1), ("stocktake_approval_value", "lots"),
                     ("over_receipt_percent", "nan"), ("over_receipt_percent", False)):
        with pytest.raises(ConfigError, match=key):
            book_rules(Config(sections={"books": {key: bad}}))


def chat_on(books: Books, admin: Actor, name: str, language: str = "zh_CN") -> Chat:
    user = str(next(_users))
    chat = Chat(build_chat_engine(books), user_id=user, chat_id=user)
    chat.send(f"/start {create_invite(books.uow, admin, name).code}")
    if language != "zh_CN":
        chat.send(f"language {language}")
    return chat


def ordered(uow: UnitOfWork, actor: Actor, qty: int) -> str:
    order = create_purchase_order(uow, actor, "ACME", "MAIN", [PurchaseLineIn("RETRO-CLOCK", qty, "10")])
    return submit_purchase_order(uow, actor, order.number).number


def test_configured_rules_reach_the_chat_through_the_composition_root(
        engine: SqlEngine, uow: UnitOfWork, admin: Actor) -> None:
    shop = open_shop(uow, admin)
    now = [utcnow()]
    strict = books_on(Config(sections={"books": STRICT}), engine, clock=lambda: now[0])
    usual = books_on(Config(), engine, clock=lambda: now[0])
    worker = chat_on(strict, admin, "warehouse-1")
    as_usual = chat_on(usual, admin, "warehouse-1")

    # over_receipt_percent = 20: 12 of 10 ordered is taken in; by default (5 %) it waits for a manager
    first, second = ordered(uow, shop.purchaser, 10), ordered(uow, shop.purchaser, 10)
    assert as_usual.send(f"/in {second} RETRO-CLOCK 12")[0].startswith(f"超收：{second} RETRO-CLOCK 订购 10，")
    assert worker.send(f"/in {first} RETRO-CLOCK 13")[0].startswith(f"超收：{first} RETRO-CLOCK 订购 10，已收 0，"
                                                                   "本次 13，最多可收 12；")
    taken = worker.send(f"/in {first} RETRO-CLOCK 12")
    assert taken[0].startswith("已收货 GR-") and taken[0].endswith("发错了？2 分钟内发送「撤销」。"), taken
    assert get_purchase_order(uow, shop.purchaser, first).lines[0].received_qty == D(12)
    assert get_purchase_order(uow, shop.purchaser, second).lines[0].received_qty == D(0)
    assert "· 撤销：2 分钟内撤回自己刚过账的单据" in worker.send("帮助 仓库")[0]

    # undo_minutes = 2: three minutes later nothing can be undone; by default (10 minutes) it still could
    now[0] += timedelta(minutes=3)
    assert worker.send("撤销") == ["最近 2 分钟内你没有可撤销的单据。"]
    assert as_usual.send("撤销")[0].startswith("要撤销你的采购收货单 GR-")
    as_usual.send("取消")

    # stocktake_approval_value = 50: a variance of -CN¥60.00 waits for a manager (by default it would post)
    worker.send("language en")
    worker.send("count MAIN")
    worker.send("RETRO-CLOCK 6")
    assert worker.send("submit")[0].startswith("Submit stocktake ")
    submitted = worker.send("confirm")[0]
    assert submitted.endswith("it is above the approval threshold and waits for a manager (manager-1). "
                              "You will be told the outcome."), submitted
    status, value = uow.read(lambda tx: tx.session.execute(
        select(Stocktake.status, Stocktake.variance_value)).one())
    assert (status, value) == ("pending_approval", D("60.00"))
    assert value <= BookRules().stocktake_approval_value
    assert on_hand(uow, "RETRO-CLOCK") == D(12)
    assert books_clean(uow)
