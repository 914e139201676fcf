"""Every invariant `check_ledger` keeps is still caught by the one-pass check: each tampering is named on its row,
positions with and without ledger rows are matched with their levels in order, and the report stops at LIMIT."""

from __future__ import annotations

from sqlalchemy import Connection, select, text

from core.catalog.products import NewProduct, create_product
from core.ledger.check import LIMIT, check_ledger
from core.models import Product, StockLevel, StockMove, Warehouse
from core.permissions import Actor
from core.stock.moves import LineIn, issue_stock, receive_stock
from core.uow import Tx, UnitOfWork
from tests.factories import make_shop


def trade(uow: UnitOfWork, admin: Actor) -> None:
    """LAMP and TEA-CUP in MAIN, LAMP in NORTH: three positions, several rows each."""
    make_shop(uow, admin)
    receive_stock(uow, admin, "MAIN", [LineIn("LAMP", 3, "40"), LineIn("TEA-CUP", 10, "3.30")])
    receive_stock(uow, admin, "NORTH", [LineIn("LAMP", 5, "41")])
    receive_stock(uow, admin, "MAIN", [LineIn("LAMP", 1, "50")])
    issue_stock(uow, admin, "MAIN", [LineIn("LAMP", 2), LineIn("TEA-CUP", 4)])
    issue_stock(uow, admin, "NORTH", [LineIn("LAMP", 1)])
    assert uow.read(check_ledger) == []


def ids(tx: Tx, table: type[StockMove] | type[StockLevel], sku: str, warehouse: str = "MAIN") -> list[int]:
    return list(tx.session.scalars(
        select(table.id).join(Product, Product.id == table.product_id)
        .join(Warehouse, Warehouse.id == table.warehouse_id)
        .where(Product.sku == sku, Warehouse.code == warehouse).order_by(table.id)))


def tamper(uow: UnitOfWork, statement: str, **values: object) -> None:
    with uow.engine.begin() as connection:  # what a careless script or a bad restore would do
        connection.execute(text(statement), values)


def level_checks_off(connection: Connection) -> None:
    """Let a tampering script write what the level's CHECK constraints forbid."""
    if connection.dialect.name == "sqlite":
        connection.execute(text("PRAGMA ignore_check_constraints = ON"))
    else:
        for name in ("ck_stock_level_not_negative", "ck_stock_level_reserved_not_negative"):
            connection.execute(text(f"ALTER TABLE stock_level DROP CONSTRAINT {name}"))


def test_a_tampered_running_balance_is_named_on_its_own_row_only(uow: UnitOfWork, admin: Actor) -> None:
    """The row's average, replayed from its balances, no longer agrees either."""
    trade(uow, admin)
    second = uow.read(lambda tx: ids(tx, StockMove, "LAMP"))[1]
    tamper(uow, "UPDATE stock_move SET balance_qty = balance_qty + 10000, balance_value = balance_value + 1 "
                "WHERE id = :id", id=second)
    problems = uow.read(check_ledger)
    assert [(p.kind, p.row_id) for p in problems] == [("running_balance", second), ("cost", second)]
    assert problems[0].detail == ("ledger sums qty=4.0000 reserved=0.0000 value=170.0000, "
                                  "row says qty=5.0000 reserved=0.0000 value=170.0001")


def test_a_tampered_delta_breaks_every_later_running_balance_and_the_level(uow: UnitOfWork, admin: Actor) -> None:
    trade(uow, admin)
    rows = uow.read(lambda tx: ids(tx, StockMove, "TEA-CUP"))
    level = uow.read(lambda tx: ids(tx, StockLevel, "TEA-CUP"))[0]
    tamper(uow, "UPDATE stock_move SET reserved = 20000 WHERE id = :id", id=rows[0])
    problems = uow.read(check_ledger)
    assert [(p.kind, p.row_id) for p in problems] == [
        ("running_balance", rows[0]), ("running_balance", rows[1]), ("level_differs", level)]
    assert "ledger gives on_hand=6.0000 reserved=2.0000" in problems[-1].detail


def test_a_level_missing_for_ledger_rows_is_named_with_its_position(uow: UnitOfWork, admin: Actor) -> None:
    trade(uow, admin)
    level, product_id, warehouse_id = uow.read(lambda tx: tx.session.execute(
        select(StockLevel.id, StockLevel.product_id, StockLevel.warehouse_id)
        .where(StockLevel.id == ids(tx, StockLevel, "LAMP", "NORTH")[0])).one())
    tamper(uow, "DELETE FROM stock_level WHERE id = :id", id=level)
    problems = uow.read(check_ledger)
    assert [(p.kind, p.table, p.row_id, p.product_id, p.warehouse_id, p.detail) for p in problems] == [
        ("level_missing", "stock_level", None, product_id, warehouse_id, "ledger rows without a level")]


def test_levels_without_ledger_rows_before_between_and_after_positions_are_matched(
    uow: UnitOfWork, admin: Actor
) -> None:
    trade(uow, admin)
    create_product(uow, admin, NewProduct("ZZ-IDLE", "闲置", "Idle", purchase_price="1", sale_price="2"))
    product_ids = uow.read(lambda tx: sorted(tx.session.scalars(select(Product.id))))
    warehouse_ids = uow.read(lambda tx: sorted(tx.session.scalars(select(Warehouse.id))))
    traded = uow.read(lambda tx: {(p, w) for p, w in tx.session.execute(
        select(StockMove.product_id, StockMove.warehouse_id).distinct())})
    idle = sorted((p, w) for p in product_ids for w in warehouse_ids if (p, w) not in traded)
    assert idle[0] < min(traded) and idle[-1] > max(traded)  # before the first position and after the last
    assert any(min(traded) < key < max(traded) for key in idle)  # and between two
    for product_id, warehouse_id in idle:  # zero levels without rows are fine
        tamper(uow, "INSERT INTO stock_level (product_id, warehouse_id, on_hand, reserved, value, avg_cost, "
                    "allow_negative, updated_at) VALUES (:p, :w, 0, 0, 0, 7, false, '2026-01-01 00:00:00')",
               p=product_id, w=warehouse_id)
    assert uow.read(check_ledger) == []

    tamper(uow, "UPDATE stock_level SET on_hand = 30000, value = 30000 WHERE product_id = :p AND warehouse_id = :w",
           p=idle[0][0], w=idle[0][1])
    tamper(uow, "UPDATE stock_level SET value = 5 WHERE product_id = :p AND warehouse_id = :w",
           p=idle[-1][0], w=idle[-1][1])
    problems = uow.read(check_ledger)
    assert [(p.kind, p.product_id, p.warehouse_id) for p in problems] == [
        ("level_differs", *idle[0]), ("level_differs", *idle[-1])]
    assert problems[0].detail == ("level on_hand=3.0000 reserved=0.0000 value=3.0000 avg=0.000007, "
                                  "ledger gives on_hand=0.0000 reserved=0.0000 value=0.0000 avg=0.000007")


def test_a_level_whose_average_is_not_its_value_over_on_hand_is_named(uow: UnitOfWork, admin: Actor) -> None:
    trade(uow, admin)
    last = uow.read(lambda tx: ids(tx, StockMove, "LAMP", "NORTH"))[-1]
    level = uow.read(lambda tx: ids(tx, StockLevel, "LAMP", "NORTH"))[0]
    tamper(uow, "UPDATE stock_move SET avg_cost = 1000000 WHERE id = :id", id=last)
    tamper(uow, "UPDATE stock_level SET avg_cost = 1000000 WHERE id = :id", id=level)
    problems = uow.read(check_ledger)
    assert [(p.kind, p.row_id) for p in problems] == [("cost", last), ("average_cost", level)]
    assert problems[1].detail == "avg=1.000000 but value/on_hand=41"


def test_a_negative_level_without_allow_negative_is_named(uow: UnitOfWork, admin: Actor) -> None:
    trade(uow, admin)
    level = uow.read(lambda tx: ids(tx, StockLevel, "TEA-CUP"))[0]
    with uow.engine.begin() as connection:
        level_checks_off(connection)
        connection.execute(text("UPDATE stock_level SET reserved = -10000 WHERE id = :id"), {"id": level})
    problems = uow.read(check_ledger)
    assert [(p.kind, p.row_id) for p in problems] == [("level_differs", level), ("negative", level)]
    assert problems[1].detail == "on_hand=6.0000 reserved=-1.0000 without allow_negative"


def test_the_report_stops_at_the_limit_in_row_order(uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    for _ in range(LIMIT // 2 + 5):
        receive_stock(uow, admin, "MAIN", [LineIn("LAMP", 1, "40"), LineIn("TEA-CUP", 1, "3")])
    tamper(uow, "UPDATE stock_move SET qty = qty + 10000")  # every running balance from the first row on
    problems = uow.read(check_ledger)
    assert len(problems) == LIMIT
    assert {p.kind for p in problems} == {"running_balance"}
    row_ids = [p.row_id or 0 for p in problems]
    assert row_ids == sorted(row_ids)
