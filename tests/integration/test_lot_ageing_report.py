"""Slow-moving and ageing by lot on each database: lots held that did not go out in N days, with their age since
received, days to expiry, last time out and value at stake, oldest first; in chat with its .xlsx, and by REST."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import Engine

from core.catalog.products import NewProduct, create_product
from core.errors import InvalidFilter
from core.permissions import Actor
from core.reporting.periods import Filters
from core.reporting.reports import run_report
from core.stock.moves import LineIn, issue_stock, receive_stock
from core.uow import UnitOfWork
from tests.factories import Shop
from tests.integration.chat_shop import open_shop, person

pytestmark = pytest.mark.pinned_clock("2026-11-20T02:00:00+00:00")
NOW = datetime.fromisoformat("2026-11-20T02:00:00+00:00")


def at(engine: Engine, moment: datetime) -> UnitOfWork:
    return UnitOfWork(engine, clock=lambda: moment)


@pytest.fixture
def shop(engine: Engine, uow: UnitOfWork, admin: Actor) -> Shop:
    shop = open_shop(uow, admin)
    create_product(uow, admin, NewProduct("MILK", "牛奶", "Milk", purchase_price="2", tracking="lot"))
    old = at(engine, NOW - timedelta(days=120))
    receive_stock(old, admin, "MAIN", [LineIn("MILK", 10, "2", lot="OLD", expiry="2026-12-31"),
                                       LineIn("MILK", 5, "2", lot="SOLD", expiry="2027-03-01")])
    receive_stock(at(engine, NOW - timedelta(days=100)), admin, "NORTH", [LineIn("MILK", 4, "2", lot="OLD")])
    issue_stock(at(engine, NOW - timedelta(days=10)), admin, "MAIN", [LineIn("MILK", 1, lot="SOLD")])
    issue_stock(at(engine, NOW - timedelta(days=95)), admin, "MAIN", [LineIn("MILK", 2, lot="OLD")])
    receive_stock(at(engine, NOW - timedelta(days=5)), admin, "MAIN", [LineIn("MILK", 7, "2", lot="NEW")])
    return shop


def test_lots_not_gone_out_in_n_days_are_listed_oldest_first_with_age_expiry_and_value(
    uow: UnitOfWork, shop: Shop
) -> None:
    report = run_report(uow, shop.manager, "lot-ageing", Filters(days=30))
    assert report.columns == ("warehouse", "sku", "name", "lot", "received", "age_days", "expiry", "days_left",
                              "last_out", "on_hand", "value")
    assert report.rows == (
        ("MAIN", "MILK", "牛奶", "OLD", date(2026, 7, 23), 120, date(2026, 12, 31), 41, date(2026, 8, 17), D(8),
         D("16.00")),
        ("NORTH", "MILK", "牛奶", "OLD", date(2026, 7, 23), 120, date(2026, 12, 31), 41, None, D(4), D("8.00")))
    assert report.totals[-2:] == (D(12), D("24.00"))
    assert [r[3] for r in run_report(uow, shop.manager, "lot-ageing", Filters(days=3)).rows] == [
        "OLD", "OLD", "SOLD", "NEW"]
    assert run_report(uow, shop.warehouse, "lot-ageing", Filters(days=30)).columns[-1] == "on_hand", "no cost"
    with pytest.raises(InvalidFilter):
        run_report(uow, shop.manager, "lot-ageing", Filters(days=0))


def test_the_lot_ageing_report_in_chat_comes_with_its_file(uow: UnitOfWork, shop: Shop) -> None:
    chat = person(uow, shop.admin, "manager-1", "en")
    shown = chat.send("report lot-ageing")
    assert shown[0].startswith("📊 Slow-moving and ageing lots") and "OLD" in shown[0]
    assert chat.replies[-1].file is not None and chat.replies[-1].file.name.endswith(".xlsx")
