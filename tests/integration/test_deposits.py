"""Deposits (订金) on each database: a payment against an order, held until the order bills and then allocated to
it (in parts as it ships); on a cancelled order refunded or forfeited with a reason; statements and balances show
them as the payments they are, the figures worked by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from bot.delivery import render
from core.errors import InvalidState, PermissionDenied, ReasonRequired
from core.models import MoneyEntry, Notification
from core.money.deposits import order_deposits, record_deposit, settle_deposits
from core.money.statements import partner_balance, statement
from core.partners.customers import NewCustomer, create_customer
from core.partners.suppliers import NewSupplier, create_supplier
from core.permissions import Actor
from core.purchasing.orders import PurchaseLineIn, cancel_purchase_order, create_purchase_order, submit_purchase_order
from core.purchasing.receipts import ReceiptLineIn, receive_purchase
from core.sales.orders import cancel_sales_order, create_sales_order, submit_sales_order
from core.sales.records import SalesLineIn
from core.sales.shipments import ship_sales_order
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.factories import Shop, make_shop
from tests.integration.chat_shop import TEXTS, person


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = make_shop(uow, admin)
    create_customer(uow, admin, NewCustomer("ACME", "Acme", salesperson="sales-1"))
    create_supplier(uow, admin, NewSupplier("S-CLOCK", "钟表厂"))
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 50, "10")])
    return shop


def approved_order(shop: Shop, qty: int = 10) -> str:
    draft = create_sales_order(shop.uow, shop.sales, "ACME", "MAIN", [SalesLineIn("RETRO-CLOCK", qty)])
    return submit_sales_order(shop.uow, shop.sales, draft.number).number


def test_a_deposit_is_allocated_as_the_order_ships(uow: UnitOfWork, shop: Shop) -> None:
    number = approved_order(shop)  # 10 x 25 = 250.00
    held = record_deposit(uow, shop.finance, number, "100", note="订金")
    assert (held.amount, held.allocated, held.status) == (D(100), D(0), "held")
    assert partner_balance(uow, shop.finance, "customer", "ACME").balance == D(-100), "a credit until it ships"
    ship_sales_order(uow, shop.warehouse, number, [SalesLineIn("RETRO-CLOCK", 2)])  # bills 50.00
    [part] = order_deposits(uow, shop.finance, number)
    assert (part.allocated, part.status) == (D(50), "held")
    ship_sales_order(uow, shop.warehouse, number)  # bills the other 200.00
    [done] = order_deposits(uow, shop.finance, number)
    assert (done.allocated, done.status) == (D(100), "allocated")
    balance = partner_balance(uow, shop.finance, "customer", "ACME")
    assert (balance.billed, balance.paid, balance.balance) == (D(250), D(100), D(150))
    assert [(d.number, d.allocated, d.open) for d in balance.documents] == [(number, D(100), D(150))]
    today = datetime.now(UTC).date()
    lines = statement(uow, shop.finance, "customer", "ACME", today - timedelta(days=1), today + timedelta(days=1))
    assert [(e.kind, e.reference, e.amount) for e in lines.entries] == [
        ("deposit", number, D(-100)), ("shipment", number, D(50)), ("shipment", number, D(200))]


def test_a_deposit_on_a_cancelled_order_is_refunded_or_forfeited_with_a_reason(uow: UnitOfWork,
                                                                               shop: Shop) -> None:
    refunded, forfeited = approved_order(shop, 2), approved_order(shop, 3)
    record_deposit(uow, shop.finance, refunded, "30")
    record_deposit(uow, shop.finance, forfeited, "40")
    with pytest.raises(InvalidState):
        settle_deposits(uow, shop.finance, refunded, "refund", "客户取消")
    cancel_sales_order(uow, shop.sales, refunded, "客户取消")
    cancel_sales_order(uow, shop.sales, forfeited, "客户违约")
    with pytest.raises(ReasonRequired):
        settle_deposits(uow, shop.finance, refunded, "refund", " ")
    [back] = settle_deposits(uow, shop.finance, refunded, "refund", "客户取消，原路退回")
    assert (back.status, back.reason) == ("refunded", "客户取消，原路退回")
    assert partner_balance(uow, shop.finance, "customer", "ACME").paid == D(40)
    [kept] = settle_deposits(uow, shop.finance, forfeited, "forfeit", "客户违约")
    assert kept.status == "forfeited"
    balance = partner_balance(uow, shop.finance, "customer", "ACME")
    assert (balance.paid, balance.balance) == (D(0), D(0)), "nothing owed either way"
    income = uow.read(lambda tx: tx.session.execute(select(MoneyEntry.direction, MoneyEntry.category,
                                                           MoneyEntry.amount)).all())
    assert [tuple(r) for r in income] == [("in", "forfeited_deposit", D(40))]
    with pytest.raises(InvalidState):
        settle_deposits(uow, shop.finance, forfeited, "refund", "again")
    with pytest.raises(InvalidState):
        record_deposit(uow, shop.finance, refunded, "10")


def test_a_deposit_paid_to_a_supplier_is_allocated_when_the_goods_arrive(uow: UnitOfWork, shop: Shop) -> None:
    draft = create_purchase_order(uow, shop.purchaser, "S-CLOCK", "MAIN", [PurchaseLineIn("RETRO-CLOCK", 20, "9")])
    number = submit_purchase_order(uow, shop.purchaser, draft.number).number
    record_deposit(uow, shop.finance, number, "50")
    receive_purchase(uow, shop.warehouse, number, [ReceiptLineIn("RETRO-CLOCK", 20)])  # bills 180.00
    [deposit] = order_deposits(uow, shop.finance, number)
    assert (deposit.allocated, deposit.status) == (D(50), "allocated")
    balance = partner_balance(uow, shop.finance, "supplier", "S-CLOCK")
    assert (balance.billed, balance.paid, balance.balance) == (D(180), D(50), D(130))


def test_only_money_staff_record_deposits(uow: UnitOfWork, shop: Shop) -> None:
    number = approved_order(shop)
    for actor in (shop.sales, shop.warehouse, shop.purchaser):
        with pytest.raises(PermissionDenied):
            record_deposit(uow, actor, number, "10")
    with pytest.raises(InvalidState):
        record_deposit(uow, shop.finance, number, "0")


def test_an_order_ending_with_its_deposit_held_tells_finance_once_with_buttons_to_settle_it(
        uow: UnitOfWork, shop: Shop) -> None:
    held, plain = approved_order(shop, 2), approved_order(shop, 1)
    record_deposit(uow, shop.finance, held, "30")
    cancel_sales_order(uow, shop.sales, held, "客户取消")
    cancel_sales_order(uow, shop.sales, plain, "客户取消")
    draft = create_purchase_order(uow, shop.purchaser, "S-CLOCK", "MAIN", [PurchaseLineIn("RETRO-CLOCK", 5, "9")])
    bought = submit_purchase_order(uow, shop.purchaser, draft.number).number
    record_deposit(uow, shop.finance, bought, "12.5")
    cancel_purchase_order(uow, shop.purchaser, bought, "供应商缺货")
    notes = uow.read(lambda tx: [(n.event_type, n.recipient_id, n.payload["number"], n.payload["amount"])
                                 for n in tx.session.scalars(select(Notification).order_by(Notification.id))
                                 if n.event_type == "deposit_held"])
    finance = shop.finance.employee_id
    assert notes == [("deposit_held", finance, held, "30.00"), ("deposit_held", finance, bought, "12.50")], (
        "once per order, to the money staff; an order without a deposit tells nobody")
    note = render(TEXTS, "zh_CN", "deposit_held", {"number": held, "amount": "30.00", "status": "cancelled"})
    assert note.text == f"💰 {held} 已作废，订金还有 ¥30.00 没有冲抵货款：请退还或没收（都要写原因）。"
    assert [[b.data for b in row] for row in note.buttons] == [[f"dp:r:{held}", f"dp:f:{held}"]]
    english = render(TEXTS, "en", "deposit_held", {"number": bought, "amount": "12.50", "status": "cancelled"})
    assert english.text.startswith(f"💰 {bought} was cancelled with CN¥12.50 of its deposit not set against a bill")
    money = person(uow, shop.admin, "finance-1")
    assert money.press(f"dp:r:{held}") == [f"退还 {held} 的订金：请写原因，例如「客户取消」。发送「取消」不做处理。"]
    assert money.send("客户取消，原路退回")[0].startswith(f"{held} 的订金已退还：")
    [back] = order_deposits(uow, shop.finance, held)
    assert (back.status, back.reason) == ("refunded", "客户取消，原路退回")
    seller = person(uow, shop.admin, "sales-1")
    assert "退还" not in seller.press(f"dp:f:{bought}")[0], "only money staff settle deposits"
    assert order_deposits(uow, shop.finance, bought)[0].status == "held"
