"""Expiry warnings: pushed once per lot and crossing (its alert date, its expiry) even with two servers running the
daily job at once, to purchasers, managers and the warehouse of that stock, with write-off and quarantine buttons."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from sqlalchemy import Engine, select

from bot.delivery import render
from bot.scheduler import expiry_warnings
from core.catalog.products import NewProduct, create_product, create_warehouse
from core.ledger.check import check_ledger
from core.models import Employee, Notification
from core.permissions import Actor
from core.reporting.periods import Filters
from core.reporting.reports import run_report
from core.stock.lots import list_lots
from core.stock.moves import LineIn, receive_stock
from core.uow import Tx, UnitOfWork
from tests.factories import Shop
from tests.integration.chat_shop import TEXTS, open_shop, person

pytestmark = pytest.mark.pinned_clock("2026-11-20T02:00:00+00:00")
MORNING = datetime(2026, 11, 20, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = open_shop(uow, admin)
    create_warehouse(uow, admin, "QUARANTINE", "隔离仓 Quarantine")
    create_product(uow, admin, NewProduct("MILK", "牛奶", "Milk", purchase_price="2", tracking="lot", alert_days=5))
    receive_stock(uow, admin, "MAIN", [LineIn("MILK", 6, "2", lot="SOON", expiry="2026-11-22"),
                                       LineIn("MILK", 4, "2", lot="LATER", expiry="2026-12-31"),
                                       LineIn("MILK", 3, "2", lot="GONE", expiry="2026-11-18")])
    return shop


def warnings(tx: Tx) -> Counter[tuple[str, str, str]]:
    """(stage, lot, recipient) of every expiry note written."""
    return Counter((n.payload["stage"], n.payload["lot"], name) for n, name in tx.session.execute(
        select(Notification, Employee.name).join(Employee, Employee.id == Notification.recipient_id)
        .where(Notification.event_type == "lot_expiry")))


def test_each_lot_crossing_is_told_once_even_with_two_servers_running_the_job(
        uow: UnitOfWork, engine: Engine, shop: Shop) -> None:
    servers = [UnitOfWork(engine), UnitOfWork(engine)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        written = sum(pool.map(lambda u: expiry_warnings(u, MORNING), servers))
    people = ("purchaser-1", "manager-1", "warehouse-1")
    assert written == 6
    assert uow.read(warnings) == Counter({(stage, lot, p): 1 for stage, lot in (("alert", "SOON"), ("expired", "GONE"))
                                          for p in people})
    assert expiry_warnings(uow, MORNING.replace(hour=5)) == 0, "later the same day: nothing new"
    assert expiry_warnings(uow, datetime(2026, 11, 23, 0, 30, tzinfo=UTC)) == 3, "SOON has expired: told once"
    assert expiry_warnings(uow, datetime(2026, 11, 24, 0, 30, tzinfo=UTC)) == 0


def test_the_warning_says_what_is_at_stake_and_its_buttons_write_off_or_quarantine(uow: UnitOfWork, shop: Shop) -> None:
    expiry_warnings(uow, MORNING)
    notes = uow.read(lambda tx: {(n.payload["lot"], n.recipient_id): n.payload for n in tx.session.scalars(
        select(Notification).where(Notification.event_type == "lot_expiry"))})
    manager = uow.read(lambda tx: tx.session.scalar(select(Employee.id).where(Employee.name == "manager-1")))
    worker = uow.read(lambda tx: tx.session.scalar(select(Employee.id).where(Employee.name == "warehouse-1")))
    soon = render(TEXTS, "en", "lot_expiry", notes[("SOON", manager)])
    assert soon.text == ("⏰ Expiring: lot SOON of MILK Milk expires on 2026-11-22 (in 2 days); 6 in MAIN, "
                         "CN¥12.00 at stake.")
    assert [b.label for row in soon.buttons for b in row] == ["Write off", "To quarantine"]
    gone = render(TEXTS, "zh_CN", "lot_expiry", notes[("GONE", worker)])
    assert gone.text == "⛔ 已过期：MILK 牛奶 批次 GONE 已于 2026-11-18 过期；MAIN 有 3。", "no cost for the warehouse"

    chat = person(uow, shop.admin, "manager-1")
    write_off = next(b.data for row in gone.buttons for b in row if b.data.startswith("ex:w:"))
    assert chat.press(write_off) == ["报废批次 GONE（MAIN 3）：原因是什么？（例如：已过期、胀袋；最多 200 字）"]
    [done] = chat.send("过期两天")
    assert done.startswith("批次 GONE 已报废（过期两天），单号 AJ-2026-000001：MAIN MILK -3")
    quarantine = next(b.data for row in soon.buttons for b in row if b.data.startswith("ex:q:"))
    [moved] = chat.press(quarantine)
    assert moved.startswith("已移入隔离仓，单号 TR-2026-000001：MILK 6 入 QUARANTINE")
    assert [(s.lot, s.warehouse, s.on_hand) for s in list_lots(uow, shop.admin, "MILK")] == [
        ("SOON", "QUARANTINE", D(6)), ("LATER", "MAIN", D(4))]
    assert chat.press(write_off)[0].startswith("批次 GONE 在该仓库已没有库存。")
    assert uow.read(check_ledger) == []


def test_the_expiry_report_lists_expired_and_expiring_lots_with_the_value_at_stake(uow: UnitOfWork, shop: Shop) -> None:
    report = run_report(uow, shop.manager, "expiry", Filters(days=30))
    assert report.columns == ("warehouse", "sku", "name", "lot", "expiry", "on_hand", "value")
    assert [(r[3], str(r[4]), r[5], r[6]) for r in report.rows] == [
        ("GONE", "2026-11-18", D(3), D("6.00")), ("SOON", "2026-11-22", D(6), D("12.00"))]
    assert report.totals[-2:] == (D(9), D("18.00"))
    assert [r[3] for r in run_report(uow, shop.manager, "expiry", Filters(days=60)).rows] == ["GONE", "SOON", "LATER"]
    assert run_report(uow, shop.warehouse, "expiry", Filters(days=30)).columns[-1] == "on_hand", "no cost shown"
    chat = person(uow, shop.admin, "manager-1", "en")
    assert chat.send("expiry")[0].startswith("Expired and expiring lots.\nTap \"Run\" for the report")
    shown = chat.press(chat.button("Run"))
    assert shown[0].startswith("📊 Expired and expiring lots") and "GONE" in shown[0]
    assert chat.replies[-1].file is not None and chat.replies[-1].file.name.endswith(".xlsx")
