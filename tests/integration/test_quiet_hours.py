"""Quiet hours under a pinned clock: at 23:30 in Shanghai a low-stock warning and an ordinary approval wait until
07:00, an approval of an urgent amount goes at once; at 07:00 the rest goes, the warnings folded into one."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.delivery import Dispatcher, Pace
from bot.engine.texts import Texts
from bot.quiet_hours import QuietHours
from core.integration.outbox import notify
from core.models import Notification
from core.people.accounts import bind_account
from core.permissions import Actor
from core.uow import UnitOfWork
from tests.factories import make_shop
from tests.integration.test_delivery import FakeChannel

SHANGHAI = ZoneInfo("Asia/Shanghai")
NIGHT = datetime(2031, 3, 4, 23, 30, tzinfo=SHANGHAI)
MORNING = datetime(2031, 3, 5, 7, 0, tzinfo=SHANGHAI)


def _approval(uow: UnitOfWork, manager: int, request_id: int, amount: str) -> None:
    payload = {"request_id": request_id, "doc_type": "purchase_order", "doc_id": request_id,
               "number": f"PO-2031-{request_id:06d}", "amount": amount, "author_id": manager, "level": 0,
               "levels": ["manager"], "role": "manager", "summary": {}}
    uow.run(lambda tx: notify(tx, "approval_requested", [manager], payload, f"approval_requested:{request_id}:0"))


def _low_stock(uow: UnitOfWork, manager: int, product_id: int, sku: str) -> None:
    payload = {"product_id": product_id, "warehouse_id": 1, "sku": sku, "name_zh": sku, "name_en": sku,
               "warehouse": "MAIN", "available": "3", "minimum": "10"}
    uow.run(lambda tx: notify(tx, "low_stock", [manager], payload, f"low_stock:{product_id}"))


def test_quiet_hours_hold_pushes_until_they_end_and_let_an_urgent_approval_through(
        uow: UnitOfWork, admin: Actor) -> None:
    shop = make_shop(uow, admin)
    bind_account(uow, admin, "manager-1", "telegram", "1001", "1001")
    manager = shop.manager.employee_id
    _approval(uow, manager, 71, "1200.00")
    _approval(uow, manager, 72, "88000.00")
    _low_stock(uow, manager, 1, "RETRO-CLOCK")
    _low_stock(uow, manager, 2, "TEA-CUP")
    now = [NIGHT.astimezone(UTC)]
    channel = FakeChannel()
    quiet = QuietHours.parse("22:00-07:00", "Asia/Shanghai", "50000")
    dispatcher = Dispatcher(uow, Texts(), {"telegram": channel}, paces={"telegram": Pace(0, 0, 1)},
                            clock=lambda: now[0], quiet=quiet)

    asyncio.run(dispatcher.drain())
    assert [text for _, text, _ in channel.delivered] == [
        "🔔 待审批：采购单 PO-2031-000072，金额 ¥88,000.00（第 1/1 级，manager）。"]
    waiting = uow.read(lambda tx: tx.session.execute(
        select(Notification.event_type, Notification.next_attempt_at, Notification.attempts)
        .where(Notification.status == "pending").order_by(Notification.id)).all())
    assert [(e, at.astimezone(SHANGHAI), n) for e, at, n in waiting] == [
        ("approval_requested", MORNING, 0), ("low_stock", MORNING, 0), ("low_stock", MORNING, 0)]

    now[0] = MORNING.astimezone(UTC).replace(minute=1)
    asyncio.run(dispatcher.drain())
    assert [text for _, text, _ in channel.delivered[1:]] == [
        "🔔 待审批：采购单 PO-2031-000071，金额 ¥1,200.00（第 1/1 级，manager）。",
        "⚠️ 库存不足（2 个商品）：\n• RETRO-CLOCK RETRO-CLOCK（MAIN）可用 3，最低 10\n"
        "• TEA-CUP TEA-CUP（MAIN）可用 3，最低 10"]
    assert uow.read(lambda tx: set(tx.session.scalars(select(Notification.status)))) == {"sent"}
