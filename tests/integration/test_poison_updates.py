"""No input ends an update unfinished: buttons carrying ids no database holds, text a database refuses, and a flow
that breaks unexpectedly are each finished (the person told, nothing changed, admins alerted once per kind), and
recovery after a restart pages through every unfinished update, however many poison ones come first."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.channels import recover
from bot.engine.engine import Engine
from bot.engine.flow import Command, Context, Flow, Step, StepHandler
from bot.engine.inbound import Inbound
from bot.flows import COMMANDS, default_flows
from core.integration.outbox import employees_with_role
from core.models import InboxMessage, Notification
from core.people.accounts import create_invite, set_language
from core.permissions import Actor
from core.stock.moves import LineIn, receive_stock
from core.uow import Tx, UnitOfWork
from tests.chat import Chat
from tests.factories import make_shop
from tests.integration.test_engine import TEXTS
from tests.integration.test_recovery import Sender, age

POISONED = 505  # as many as the attack sent: more than one page of recovery


class BreakingFlow(Flow):
    """A flow with a bug: it switches the person to the other language, then fails in a way no refusal foresaw."""

    name = "breaking"

    def start(self, ctx: Context, args: str) -> Step:
        """Switch the language, then divide by zero."""
        set_language(ctx.uow, ctx.actor, "zh_CN" if ctx.lang == "en" else "en")
        return Step([ctx.say("help_hint")], {"step": str(1 // len(args.strip()))})

    def steps(self) -> Mapping[str, StepHandler]:
        return {}


def engine_with_bug(uow: UnitOfWork) -> Engine:
    flows = [*default_flows(), BreakingFlow()]
    return Engine(uow, TEXTS, flows, [*COMMANDS, Command("breaking", ("breaking", "出错"), "a bug")],
                  fallback_flow="stock")


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> UnitOfWork:
    make_shop(uow, admin)
    receive_stock(uow, admin, "MAIN", [LineIn("TEA-CUP", 40)])
    return uow


def bound(uow: UnitOfWork, admin: Actor, engine: Engine, name: str = "manager-1") -> Chat:
    chat = Chat(engine, user_id="1001", chat_id="1001")
    chat.send(f"/start {create_invite(uow, admin, name).code}")
    return chat


def unfinished(uow: UnitOfWork) -> int:
    return uow.read(lambda tx: tx.session.scalar(
        select(func.count()).select_from(InboxMessage).where(InboxMessage.status == "received")))


@pytest.mark.parametrize("payload", [f"ap:{'9' * 40}:y", "ap:2147483648:y", "ap:²:y", "ap:0:n",
                                     "cu:c" + "1" * 30, "sk:p" + "9" * 25, "sk:pabc", "sr:r99999999999",
                                     "od:p" + "9" * 30])
def test_a_button_carrying_an_id_no_database_holds_is_refused_like_any_input(
        shop: UnitOfWork, admin: Actor, payload: str) -> None:
    chat = bound(shop, admin, engine_with_bug(shop))
    replies = chat.press(payload)
    assert replies and "出了意外" not in replies[0], "a bad id is ordinary bad input, not a failure"
    assert unfinished(shop) == 0


def test_text_with_a_nul_character_finishes_its_update(shop: UnitOfWork, admin: Actor) -> None:
    chat = bound(shop, admin, engine_with_bug(shop))
    assert chat.send("库存 TEA\x00CUP")
    assert chat.send("客户 C\x00") is not None
    assert unfinished(shop) == 0


def test_a_flow_that_breaks_finishes_as_failed_changes_nothing_and_alerts_admins_once(
        shop: UnitOfWork, admin: Actor) -> None:
    engine = engine_with_bug(shop)
    chat = bound(shop, admin, engine, "manager-1")
    assert chat.send("出错") == ["抱歉，这条消息没能处理：出了意外的错误，什么都没有改变。"
                                 "请再试一次，或换个说法；管理员已收到通知。"]
    chat.send("语言")
    chat.press(chat.button("English"))
    assert chat.send("breaking") == ["Sorry, this message could not be handled: something unexpected went wrong and "
                                     "nothing was changed. Please try again or put it another way; the admins have "
                                     "been told."]
    assert chat.send("stock TEA-CUP")[0].startswith("TEA-CUP Blue tea cup\nPrice"), \
        "the switch the flow made before it broke was rolled back"
    assert unfinished(shop) == 0

    def failures(tx: Tx) -> list[Any]:
        return list(tx.session.scalars(select(InboxMessage.failure).where(InboxMessage.failure.is_not(None))))

    kinds = shop.read(failures)
    assert len(kinds) == 2 and kinds[0] == kinds[1] and kinds[0].startswith("ZeroDivisionError at ")
    alerts = shop.read(lambda tx: tx.session.scalars(
        select(Notification.payload).where(Notification.event_type == "update_failed")).all())
    admins = shop.read(lambda tx: employees_with_role(tx, "admin"))
    assert admins and len(alerts) == len(admins), "once per admin for two failures of a kind"
    assert {a["kind"] for a in alerts} == {kinds[0]}
    assert chat.send("breaking", external_id="again") and chat.send("breaking", external_id="again") == []


def test_recovery_pages_past_any_number_of_poison_updates_to_the_real_one(shop: UnitOfWork, admin: Actor) -> None:
    dead = engine_with_bug(shop)
    bound(shop, admin, dead, "sales-1")
    poison = [dead.record(Inbound("test", f"poison-{n}", "1001", "1001", text="breaking"))
              for n in range(POISONED)]
    real = dead.record(Inbound("test", "real", "1001", "1001", text="TEA-CUP"))
    assert real is not None and None not in poison
    age(shop, *[i for i in poison if i is not None], real)

    restarted = engine_with_bug(shop)
    sender = Sender(restarted)

    async def quick(inbox_id: int, chat_id: str, replies: Any) -> None:
        sender.sent.extend((inbox_id, chat_id, r.text.splitlines()[0]) for r in replies)
        await asyncio.to_thread(restarted.delivered, inbox_id)

    assert asyncio.run(recover(restarted, "test", sender.turn, quick)) == POISONED + 1
    assert unfinished(shop) == 0
    answered = dict((i, text) for i, _, text in sender.sent)
    assert "TEA-CUP 青花茶杯" in answered[real]
    assert all("出了意外" in answered[i] for i in poison if i is not None)


def test_a_refused_event_is_not_a_failure(shop: UnitOfWork, admin: Actor) -> None:
    chat = bound(shop, admin, engine_with_bug(shop))
    assert "出了意外" not in chat.send("入库 MAIN NOPE 1")[0]
    assert shop.read(lambda tx: tx.session.scalar(select(func.count()).select_from(InboxMessage).where(
        InboxMessage.failure.is_not(None)))) == 0
