"""Prompts that ask for a document number show this year's prefix and, where there is one, a real open document
the reader may act on (the newest), never another warehouse's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.ledger.numbering import example_number, sample_number
from core.partners.customers import NewCustomer, create_customer
from core.permissions import Actor
from core.purchasing.orders import PurchaseLineIn, create_purchase_order, submit_purchase_order
from core.sales.orders import create_sales_order, submit_sales_order
from core.sales.records import SalesLineIn
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.factories import Shop
from tests.integration.chat_shop import open_shop, person

PINNED = "2031-03-05T02:00:00+00:00"


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    return open_shop(uow, admin)


def open_order(shop: Shop, warehouse: str) -> str:
    order = create_purchase_order(shop.uow, shop.purchaser, "ACME", warehouse, [PurchaseLineIn("LAMP", 2, "40")])
    return submit_purchase_order(shop.uow, shop.purchaser, order.number).number


def test_a_sample_number_takes_the_year_of_the_moment_given() -> None:
    assert sample_number("PO", datetime(2031, 1, 1, tzinfo=UTC), 12) == "PO-2031-000012"
    assert sample_number("SO", datetime(2026, 12, 31, tzinfo=UTC)) == "SO-2026-000001"


@pytest.mark.pinned_clock(PINNED)
def test_with_nothing_open_the_examples_are_made_up_numbers_of_this_year(uow: UnitOfWork, shop: Shop) -> None:
    worker = person(uow, shop.admin, "warehouse-1", "en")
    assert worker.send("in")[0].splitlines()[1].endswith("for example: in PO-2031-000012 RETRO-CLOCK 30")
    assert worker.send("ship") == ["No sales orders are waiting to ship."]
    assert worker.send("SO-1999-000001")[1] == "Which sales order to ship? (for example SO-2031-000001)"
    worker.send("cancel")
    assert worker.send("receivetransfer") == ["Send the transfer number, for example TR-2031-000003:"]
    assert example_number(uow, shop.purchaser, "PO", 12) == "PO-2031-000012"


@pytest.mark.pinned_clock(PINNED)
def test_the_examples_name_the_newest_open_order_of_the_readers_warehouse(uow: UnitOfWork, shop: Shop) -> None:
    older, newer = open_order(shop, "MAIN"), open_order(shop, "MAIN")
    elsewhere = open_order(shop, "NORTH")
    assert (older, newer, elsewhere) == ("PO-2031-000001", "PO-2031-000002", "PO-2031-000003")
    worker = person(uow, shop.admin, "warehouse-1")
    assert worker.send("入库")[0].splitlines()[1].endswith(f"例如：入库 {newer} RETRO-CLOCK 30")
    cards = worker.send("收货")[0]
    assert cards.startswith(f"待收货的采购单：\n① {newer} · Acme 贸易") and elsewhere not in cards, "open ones: cards"
    assert worker.send("PO-1999-000001") == [
        f"找不到单据「PO-1999-000001」，或你无权查看。\n请输入采购单号，例如 {newer}："]
    assert example_number(uow, shop.admin, "PO", 12) == elsewhere, "the admin receives in every warehouse"

    receive_stock(uow, shop.admin, "MAIN", [LineIn("TEA-CUP", 10, "3")])
    create_customer(uow, shop.admin, NewCustomer("ACME", "Acme Trading", salesperson="sales-1"))
    drafts = [create_sales_order(uow, shop.sales, "ACME", "MAIN", [SalesLineIn("TEA-CUP", 4)]).number
              for _ in range(2)]
    worker.send("取消")
    assert worker.send("发货") == ["没有待发货的销售单。"], "drafts are not shippable"
    assert worker.send("SO-1999-000001")[1] == "要发货的销售单号是？（例如 SO-2031-000001）"
    shippable = submit_sales_order(uow, shop.sales, drafts[1]).number
    assert shippable == "SO-2031-000002"
    worker.send("取消")
    assert worker.send("发货")[0].startswith("待发货的销售单，最早的在前。点「发货」，或输入单号：\n① SO-2031-000002")
    assert worker.send("SO-1999-000001")[1] == "要发货的销售单号是？（例如 SO-2031-000002）"
