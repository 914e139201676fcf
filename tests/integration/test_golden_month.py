"""A golden month of trade (March 2026) on each database, every figure worked out by hand beforehand.

Purchases with a partial receipt and a rejection, sales shipped in parts, a customer return, a return to the
supplier, a transfer with damage and a shortfall, a stocktake, payments, expenses. The comments carry the
arithmetic; the moving average follows the ledger's rule: value / on hand rounded to 6 places, an issue takes
round(qty x average, 2), issuing the whole quantity takes the whole value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal as D

from sqlalchemy import Engine

from core.ledger.check import check_ledger
from core.money.payments import record_expense, record_income, record_payment
from core.money.statements import cash_flow, gross_profit, partner_balance, statement
from core.partners.customers import NewCustomer, create_customer
from core.partners.suppliers import NewSupplier, create_supplier
from core.people.employees import create_employee, load_actor
from core.people.setup import bootstrap
from core.purchasing.orders import PurchaseLineIn, create_purchase_order, submit_purchase_order
from core.purchasing.receipts import ReceiptLineIn, receive_purchase
from core.purchasing.returns import ReturnLineIn, return_to_supplier
from core.sales.orders import create_sales_order, submit_sales_order
from core.sales.records import SalesLineIn
from core.sales.returns import return_from_customer
from core.sales.shipments import ship_sales_order
from core.stock.levels import find_stock, stock_summary
from core.stock.moves import LineIn, dispatch_transfer
from core.stock.stocktake import count_item, start_stocktake, submit_stocktake
from core.stock.transfers import TransferReceiptIn, receive_transfer_with_discrepancies
from core.uow import UnitOfWork
from tests.factories import Shop, make_shop


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at

    def day(self, day: int) -> None:
        self.at = datetime(2026, 3, day, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class GoldenMonth:
    uow: UnitOfWork
    shop: Shop
    po1: str
    po2: str
    so1: str
    so2: str


def trade_a_golden_month(engine: Engine) -> GoldenMonth:
    """March 2026's trade on a fresh database (reused by the reports tests)."""
    clock = Clock()
    uow = UnitOfWork(engine, clock=clock)
    bootstrap(uow)
    admin = load_actor(uow, "system")
    shop = make_shop(uow, admin)
    create_employee(uow, admin, "north-1", ["warehouse"], warehouses=["NORTH"])
    north = load_actor(uow, "north-1")
    create_customer(uow, admin, NewCustomer("ACME", "Acme Trading", salesperson="sales-1"))
    create_customer(uow, admin, NewCustomer("BETA", "Beta Stores", salesperson="sales-1"))
    create_supplier(uow, admin, NewSupplier("NORTHWIND", "Northwind Traders"))

    # Mar 2: PO-1 for 20 clocks at 9.00 and 50 cups at 3.00
    clock.day(2)
    po1 = create_purchase_order(uow, shop.purchaser, "NORTHWIND", "MAIN", [
        PurchaseLineIn("RETRO-CLOCK", 20, "9.00"), PurchaseLineIn("TEA-CUP", 50, "3.00")]).number
    submit_purchase_order(uow, shop.purchaser, po1)
    # Mar 3: 12 clocks (1 more rejected, not stocked, not owed) and 50 cups: 108.00 + 150.00 = 258.00 owed
    clock.day(3)
    receive_purchase(uow, shop.warehouse, po1, [ReceiptLineIn("RETRO-CLOCK", 12, rejected=1, note="cracked"),
                                                ReceiptLineIn("TEA-CUP", 50)])
    # Mar 6: 7 more clocks: 63.00 -> clocks 19 worth 171.00 (average 9.000000)
    clock.day(6)
    receive_purchase(uow, shop.warehouse, po1, [ReceiptLineIn("RETRO-CLOCK", 7)])
    # Mar 8: PO-2, 10 clocks at 10.50 (105.00) and 2 lamps at 44 (88.00), received in full
    #   clocks 29 worth 276.00, average 276 / 29 = 9.51724137... -> 9.517241
    clock.day(8)
    po2 = create_purchase_order(uow, shop.purchaser, "NORTHWIND", "MAIN", [
        PurchaseLineIn("RETRO-CLOCK", 10, "10.50"), PurchaseLineIn("LAMP", 2, "44")]).number
    submit_purchase_order(uow, shop.purchaser, po2)
    receive_purchase(uow, shop.warehouse, po2, [ReceiptLineIn("RETRO-CLOCK", 10), ReceiptLineIn("LAMP", 2)])

    # Mar 10: SO-1 to ACME, 10 clocks at 25 and 20 cups at 8; 8 clocks and the cups ship
    #   8 clocks: 8 x 9.517241 = 76.137928 -> 76.14; clocks 21 worth 199.86, average 9.517143
    #   20 cups: 60.00; cups 30 worth 90.00
    #   revenue 8 x 25 + 20 x 8 = 200 + 160 = 360.00; cost 76.14 + 60.00 = 136.14
    clock.day(10)
    so1 = create_sales_order(uow, shop.sales, "ACME", "MAIN", [SalesLineIn("RETRO-CLOCK", 10),
                                                               SalesLineIn("TEA-CUP", 20)]).number
    submit_sales_order(uow, shop.sales, so1)
    ship_sales_order(uow, shop.warehouse, so1, [SalesLineIn("RETRO-CLOCK", 8), SalesLineIn("TEA-CUP", 20)])
    # Mar 12: SO-2 to BETA, 2 lamps at 99 and 5 clocks at 24, shipped in full
    #   lamps: the whole 88.00; 5 clocks: 5 x 9.517143 = 47.585715 -> 47.59; clocks 16 worth 152.27 (9.516875)
    #   revenue 198 + 120 = 318.00; cost 88.00 + 47.59 = 135.59
    clock.day(12)
    so2 = create_sales_order(uow, shop.sales, "BETA", "MAIN", [SalesLineIn("LAMP", 2),
                                                               SalesLineIn("RETRO-CLOCK", 5, unit_price="24")]).number
    submit_sales_order(uow, shop.sales, so2)
    ship_sales_order(uow, shop.warehouse, so2)
    # Mar 14: ACME sends 2 cups back at the 3.00 they left with: revenue -16.00, cost -6.00; cups 32 worth 96.00
    clock.day(14)
    return_from_customer(uow, shop.sales, so1, [SalesLineIn("TEA-CUP", 2)], reason="chipped")
    # Mar 15: 2 cups back to NORTHWIND at PO-1's 3.00: owed -6.00; cups 30 worth 90.00
    clock.day(15)
    return_to_supplier(uow, shop.purchaser, po1, [ReturnLineIn("TEA-CUP", 2)], reason="wrong glaze")

    # Mar 16: MAIN sends NORTH 6 clocks (6 x 9.516875 = 57.10125 -> 57.10; MAIN 10 clocks worth 95.17, 9.517)
    #   and 10 cups (30.00; MAIN 20 cups worth 60.00)
    clock.day(16)
    transfer = dispatch_transfer(uow, shop.warehouse, "MAIN", "NORTH", [LineIn("RETRO-CLOCK", 6),
                                                                         LineIn("TEA-CUP", 10)]).number
    # Mar 17: NORTH gets 5 clocks (57.10 x 5/6 = 47.5833 -> 47.58; 9.52 written off, one dropped)
    #   and 9 cups (27.00; one short, 3.00 written off): 12.52 written off, transit empty
    clock.day(17)
    receipt = receive_transfer_with_discrepancies(uow, north, transfer, [
        TransferReceiptIn("RETRO-CLOCK", 5, damaged=1, note="dropped"), TransferReceiptIn("TEA-CUP", 9)])
    assert [(ln.sku, ln.damaged, ln.short) for ln in receipt.lines] == [
        ("RETRO-CLOCK", D(1), D(0)), ("TEA-CUP", D(0), D(1))]

    # Mar 20: stocktake in MAIN: 11 clocks on a book of 10 (+1 at 9.517 = 9.52), 19 cups on 20 (-3.00)
    #   12.52 of variance is under 1000: posted at once; clocks 11 worth 104.69 (9.517273), cups 19 worth 57.00
    clock.day(20)
    sheet = start_stocktake(uow, shop.warehouse, "MAIN").number
    count_item(uow, shop.warehouse, sheet, "RETRO-CLOCK", 11)
    count_item(uow, shop.warehouse, sheet, "TEA-CUP", 19)
    assert submit_stocktake(uow, shop.warehouse, sheet).status == "posted"
    # Mar 22: the last 2 clocks of SO-1: 2 x 9.517273 = 19.034546 -> 19.03; clocks 9 worth 85.66
    #   revenue 50.00, cost 19.03
    clock.day(22)
    ship_sales_order(uow, shop.warehouse, so1)

    # Payments: ACME 300 (oldest first: all to SO-1), BETA 318 to SO-2, NORTHWIND 400 (PO-1 first)
    clock.day(25)
    record_payment(uow, shop.finance, "customer", "ACME", "300")
    clock.day(26)
    record_payment(uow, shop.finance, "customer", "BETA", "318", allocations=[(so2, "318")])
    clock.day(27)
    paid = record_payment(uow, shop.finance, "supplier", "NORTHWIND", "400")
    # PO-1 owes 258 + 63 - 6 = 315.00, PO-2 105 + 88 = 193.00: 315.00 settles PO-1, 85.00 goes to PO-2
    assert paid.allocations == ((po1, D("315.00")), (po2, D("85.00")))
    clock.day(28)
    record_expense(uow, shop.finance, "freight", "35")
    record_expense(uow, shop.finance, "rent", "2000")
    record_income(uow, shop.finance, "interest", "2.50")
    return GoldenMonth(uow, shop, po1, po2, so1, so2)


def test_a_month_of_trade_gives_the_figures_worked_out_by_hand(engine: Engine) -> None:
    golden = trade_a_golden_month(engine)
    uow, shop, po2, so1 = golden.uow, golden.shop, golden.po2, golden.so1

    # Stock: MAIN 9 clocks 85.66 + 19 cups 57.00 = 142.66; NORTH 5 clocks 47.58 + 9 cups 27.00 = 74.58
    #   Check by flows: purchases 514.00 - purchase return 6.00 - cost of goods sold 284.76
    #   - transfer write-off 12.52 + stocktake 6.52 = 217.24 = 142.66 + 74.58
    summary = {s.code: (s.on_hand, s.value) for s in stock_summary(uow, shop.manager)}
    assert summary == {"MAIN": (D(28), D("142.66")), "NORTH": (D(14), D("74.58")), "TRANSIT": (D(0), D("0.00"))}
    clocks = {w.warehouse: (w.on_hand, w.value) for w in find_stock(uow, shop.manager, "RETRO-CLOCK")[0].by_warehouse}
    assert clocks == {"MAIN": (D(9), D("85.66")), "NORTH": (D(5), D("47.58"))}

    # Gross profit: revenue 360 + 318 - 16 + 50 = 712.00; cost 136.14 + 135.59 - 6.00 + 19.03 = 284.76
    month = (date(2026, 3, 1), date(2026, 3, 31))
    by_product = gross_profit(uow, shop.finance, *month, group_by="product")
    # clocks 200 + 120 + 50 = 370.00 against 76.14 + 47.59 + 19.03 = 142.76; cups 160 - 16 = 144.00 against 54.00
    assert [(r.key, r.qty, r.revenue, r.cost, r.profit) for r in by_product.rows] == [
        ("LAMP", D(2), D("198.00"), D("88.00"), D("110.00")),
        ("RETRO-CLOCK", D(15), D("370.00"), D("142.76"), D("227.24")),
        ("TEA-CUP", D(18), D("144.00"), D("54.00"), D("90.00"))]
    assert (by_product.revenue, by_product.cost, by_product.profit) == (D("712.00"), D("284.76"), D("427.24"))
    by_customer = gross_profit(uow, shop.finance, *month, group_by="customer")
    # ACME 394.00 - 149.17 = 244.83; BETA 318.00 - 135.59 = 182.41
    assert [(r.key, r.revenue, r.cost, r.profit) for r in by_customer.rows] == [
        ("ACME", D("394.00"), D("149.17"), D("244.83")), ("BETA", D("318.00"), D("135.59"), D("182.41"))]

    # Balances: ACME billed 394.00, paid 300.00 -> 94.00; BETA 0; NORTHWIND 508.00 - 400.00 = 108.00
    acme = partner_balance(uow, shop.finance, "customer", "ACME")
    assert (acme.billed, acme.paid, acme.balance) == (D("394.00"), D("300.00"), D("94.00"))
    assert [(d.number, d.open) for d in acme.documents] == [(so1, D("94.00"))]
    assert partner_balance(uow, shop.finance, "customer", "BETA").balance == D("0.00")
    northwind = partner_balance(uow, shop.finance, "supplier", "NORTHWIND")
    assert (northwind.billed, northwind.balance) == (D("508.00"), D("108.00"))
    assert [(d.number, d.open) for d in northwind.documents] == [(po2, D("108.00"))]

    acme_march = statement(uow, shop.finance, "customer", "ACME", *month)
    assert [(e.kind, e.amount, e.balance) for e in acme_march.entries] == [
        ("shipment", D("360.00"), D("360.00")), ("sales_return", D("-16.00"), D("344.00")),
        ("shipment", D("50.00"), D("394.00")), ("payment", D("-300.00"), D("94.00"))]
    supplier_march = statement(uow, shop.finance, "supplier", "NORTHWIND", *month)
    assert [(e.kind, e.amount, e.balance) for e in supplier_march.entries] == [
        ("po_receipt", D("258.00"), D("258.00")), ("po_receipt", D("63.00"), D("321.00")),
        ("po_receipt", D("193.00"), D("514.00")), ("purchase_return", D("-6.00"), D("508.00")),
        ("payment", D("-400.00"), D("108.00"))]
    assert (supplier_march.opening, supplier_march.closing) == (D(0), D("108.00"))

    # Cash: in 300 + 318 + 2.50 = 620.50; out 400 + 35 + 2000 = 2435.00
    flow = cash_flow(uow, shop.finance, *month)
    assert [(ln.direction, ln.category, ln.amount) for ln in flow.lines] == [
        ("in", "customer_payment", D("618.00")), ("in", "interest", D("2.50")),
        ("out", "freight", D("35.00")), ("out", "rent", D("2000.00")), ("out", "supplier_payment", D("400.00"))]
    assert (flow.cash_in, flow.cash_out, flow.net) == (D("620.50"), D("2435.00"), D("-1814.50"))
    assert uow.read(check_ledger) == []
