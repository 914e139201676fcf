"""Exact decimals on both databases: sums float gets wrong, values near 10^12, and rounding half up."""

from __future__ import annotations

from decimal import Decimal as D

from sqlalchemy import func, select

from core.catalog.products import NewProduct, create_product, create_warehouse
from core.ledger.check import check_ledger
from core.models import Product, StockLevel, StockMove
from core.permissions import Actor
from core.stock.moves import LineIn, issue_stock, receive_stock
from core.uow import Tx, UnitOfWork

# Worked out by hand; every backend must give exactly these rows (sku, on hand, value, average cost),
# the ledger sums of quantity and value per product, and the values posted on each line.
EXPECTED_LEVELS = (
    # 0.1 + 0.2 units at 0.1: 0.01 + 0.02; then all 0.3 issued, leaving nothing, not 5.5e-17
    ("ADDED", D("0.0000"), D("0.00"), D("0.100000")),
    # 999999.9999 x 999999.999999 = 999999999899.0000000001 -> 999999999899.00, average
    # 999999.999998999... -> 999999.999999; 0.0001 out takes 99.9999999999 -> 100.00
    ("BIG", D("999999.9998"), D("999999999799.00"), D("999999.999999")),
    # 0.01 for 16 units, then 16 more at 0: 0.01 / 32 = 0.0003125 -> 0.000313 (half even would give 0.000312)
    ("CRUMB", D("32.0000"), D("0.01"), D("0.000313")),
    # 1.00 for 8 units: one out at 0.125 -> 0.13 (half even: 0.12); 0.87 / 7 = 0.1242857 -> 0.124286
    ("EIGHTH", D("7.0000"), D("0.87"), D("0.124286")),
    # one unit at 0.025 is worth 0.03 (half even: 0.02)
    ("PENNY", D("1.0000"), D("0.03"), D("0.030000")),
    # three receipts of 0.1 at 0.1: 0.3 units worth 0.03, where float says 0.30000000000000004
    ("TENTHS", D("0.3000"), D("0.03"), D("0.100000")),
)
EXPECTED_POSTED = (
    ("ADDED", (D("0.01"), D("0.02"), D("-0.03"))),
    ("BIG", (D("999999999899.00"), D("-100.00"))),
    ("CRUMB", (D("0.01"), D("0.00"))),
    ("EIGHTH", (D("1.00"), D("-0.13"))),
    ("PENNY", (D("0.03"),)),
    ("TENTHS", (D("0.01"), D("0.01"), D("0.01"))),
)


def post_the_awkward_numbers(uow: UnitOfWork, admin: Actor) -> tuple[tuple[str, tuple[D, ...]], ...]:
    create_warehouse(uow, admin, "MAIN", "主仓 Main")
    for sku in ("ADDED", "BIG", "CRUMB", "EIGHTH", "PENNY", "TENTHS"):
        create_product(uow, admin, NewProduct(sku, sku))
    posted: dict[str, list[D]] = {}

    def post(service: object, item: str, qty: str, cost: str | None = None) -> None:
        if service is receive_stock:
            result = receive_stock(uow, admin, "MAIN", [LineIn(item, qty, cost)])
        else:
            result = issue_stock(uow, admin, "MAIN", [LineIn(item, qty)])
        value = result.lines[0].value
        assert value is not None
        posted.setdefault(item, []).append(value)

    post(receive_stock, "ADDED", "0.1", "0.1")
    post(receive_stock, "ADDED", "0.2", "0.1")
    post(issue_stock, "ADDED", "0.3")
    post(receive_stock, "BIG", "999999.9999", "999999.999999")
    post(issue_stock, "BIG", "0.0001")
    post(receive_stock, "CRUMB", "16", "0.000625")
    post(receive_stock, "CRUMB", "16", "0")
    post(receive_stock, "EIGHTH", "8", "0.125")
    post(issue_stock, "EIGHTH", "1")
    post(receive_stock, "PENNY", "1", "0.025")
    for _ in range(3):
        post(receive_stock, "TENTHS", "0.1", "0.1")
    return tuple((sku, tuple(values)) for sku, values in sorted(posted.items()))


def levels_and_sums(tx: Tx) -> tuple[tuple[tuple[str, D, D, D], ...], tuple[tuple[str, D, D], ...]]:
    levels = tx.session.execute(
        select(Product.sku, StockLevel.on_hand, StockLevel.value, StockLevel.avg_cost)
        .join(Product, Product.id == StockLevel.product_id).order_by(Product.sku)
    ).all()
    sums = tx.session.execute(
        select(Product.sku, func.sum(StockMove.qty), func.sum(StockMove.value))
        .join(Product, Product.id == StockMove.product_id).group_by(Product.sku).order_by(Product.sku)
    ).all()
    return tuple(tuple(row) for row in levels), tuple(tuple(row) for row in sums)


def test_awkward_numbers_give_the_hand_computed_results_on_every_database(uow: UnitOfWork, admin: Actor) -> None:
    posted = post_the_awkward_numbers(uow, admin)
    levels, sums = uow.read(levels_and_sums)
    assert posted == EXPECTED_POSTED
    assert levels == EXPECTED_LEVELS
    assert sums == tuple((sku, on_hand, value) for sku, on_hand, value, _ in EXPECTED_LEVELS)
    assert [str(on_hand) for _, on_hand, _, _ in levels] == ["0.0000", "999999.9998", "32.0000", "7.0000", "1.0000",
                                                            "0.3000"]
    assert uow.read(check_ledger) == []


def test_a_value_near_a_trillion_survives_the_round_trip_to_the_last_cent(uow: UnitOfWork, admin: Actor) -> None:
    create_warehouse(uow, admin, "MAIN", "主仓 Main")
    create_product(uow, admin, NewProduct("GOLD-BAR", "金条"))
    receive_stock(uow, admin, "MAIN", [LineIn("GOLD-BAR", "999999.9999", "999999.99")])
    receive_stock(uow, admin, "MAIN", [LineIn("GOLD-BAR", "0.0001", "0.01")])
    # (10^6 - 10^-4) x (10^6 - 10^-2) = 10^12 - 10^4 - 10^2 + 10^-6 -> 999999989900.00, plus 0.00 for the crumb
    level = uow.read(lambda tx: tx.session.execute(select(StockLevel.on_hand, StockLevel.value)).one())
    assert tuple(level) == (D("1000000.0000"), D("999999989900.00"))
    assert uow.read(check_ledger) == []
