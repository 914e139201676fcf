"""`jxc check` through the real command: clean books pass, a tampered ledger or level row is named and fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select, text

from core.db import create_db_engine
from core.ledger.check import check_ledger
from core.models import Product, StockLevel, StockMove, Warehouse
from core.people.employees import load_actor
from core.permissions import Actor
from core.stock.moves import LineIn, issue_stock, receive_stock
from core.uow import Tx, UnitOfWork
from tests.factories import make_shop

ROOT = Path(__file__).resolve().parents[2]
CLEAN = "ledger OK: every running balance, level and average cost agrees with the ledger"


def jxc(cwd: Path, *args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
    """The `jxc` command in a fresh process, configured by --config or by JXC_DATABASE_URL alone."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("JXC_")}
    environ["PYTHONPATH"] = str(ROOT)
    if url is not None:
        environ["JXC_DATABASE_URL"] = url
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=cwd, env=environ, capture_output=True,
                          text=True, timeout=300, check=False)


def trade(uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    receive_stock(uow, admin, "MAIN", [LineIn("LAMP", 3, "40"), LineIn("TEA-CUP", 10, "3.30")])
    receive_stock(uow, admin, "MAIN", [LineIn("LAMP", 1, "50")])
    issue_stock(uow, admin, "MAIN", [LineIn("LAMP", 2), LineIn("TEA-CUP", 4)])


def row_of(tx: Tx, table: type[StockMove] | type[StockLevel], sku: str, nth: int = 0) -> int:
    row_id: int = tx.session.scalar(
        select(table.id).join(Product, Product.id == table.product_id)
        .join(Warehouse, Warehouse.id == table.warehouse_id)
        .where(Product.sku == sku, Warehouse.code == "MAIN").order_by(table.id).offset(nth).limit(1))
    return row_id


def test_check_names_a_tampered_ledger_row_and_level_and_exits_1(
    uow: UnitOfWork, admin: Actor, db_url: str, tmp_path: Path
) -> None:
    trade(uow, admin)
    clean = jxc(tmp_path, "check", url=db_url)
    assert (clean.returncode, clean.stdout.strip()) == (0, CLEAN), clean.stderr

    move = uow.read(lambda tx: row_of(tx, StockMove, "LAMP", 1))
    level = uow.read(lambda tx: row_of(tx, StockLevel, "TEA-CUP"))
    with uow.engine.begin() as connection:  # what a careless script or a bad restore would do
        connection.execute(text("UPDATE stock_move SET qty = qty + 20000 WHERE id = :id"), {"id": move})
        connection.execute(text("UPDATE stock_level SET on_hand = on_hand + 10000 WHERE id = :id"), {"id": level})

    tampered = jxc(tmp_path, "check", url=db_url)
    assert tampered.returncode == 1, tampered.stderr
    lines = tampered.stdout.splitlines()
    assert f"FAIL running_balance: stock_move row {move} " in tampered.stdout
    assert any(f"FAIL level_differs: stock_level row {level} " in ln and "on_hand=7.0000" in ln and
               "ledger gives on_hand=6.0000" in ln for ln in lines)
    assert "FAIL level_differs: stock_level row" in tampered.stdout.replace(f"row {level} ", "")  # the LAMP level
    assert lines[-1].endswith("problem(s) found")
    assert {p.row_id for p in uow.read(check_ledger)} >= {move, level}


def test_init_twice_then_trade_then_check_on_a_sqlite_file_made_by_jxc_init(tmp_path: Path) -> None:
    database = tmp_path / "books.db"
    config = tmp_path / "books.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{database}"\n', encoding="utf-8")
    for _ in range(2):
        init = jxc(tmp_path, "--config", str(config), "init")
        assert init.returncode == 0, init.stderr
        assert "books.db is at revision" in init.stdout

    engine = create_db_engine(f"sqlite:///{database}")
    try:
        uow = UnitOfWork(engine)
        admin = load_actor(uow, "system")
        trade(uow, admin)
        counts = uow.read(lambda tx: tx.session.execute(text(
            "SELECT (SELECT count(*) FROM employee WHERE name = 'system'),"
            " (SELECT count(*) FROM warehouse WHERE kind = 'transit')")).one())
        assert tuple(counts) == (1, 1)
    finally:
        engine.dispose()
    check = jxc(tmp_path, "--config", str(config), "check")
    assert (check.returncode, check.stdout.strip()) == (0, CLEAN), check.stderr


def test_check_names_a_tampered_average_or_unit_cost_on_a_row_before_the_last(uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    receive_stock(uow, admin, "MAIN", [LineIn("LAMP", 4, "40")])
    receive_stock(uow, admin, "MAIN", [LineIn("LAMP", 4, "50")])
    issue_stock(uow, admin, "MAIN", [LineIn("LAMP", 2)])
    assert uow.read(check_ledger) == []
    first, second = uow.read(lambda tx: list(tx.session.scalars(select(StockMove.id).order_by(StockMove.id)))[:2])
    uow.run(lambda tx: tx.session.execute(text("UPDATE stock_move SET avg_cost = 41000000 WHERE id = :id"),
                                          {"id": first}))
    uow.run(lambda tx: tx.session.execute(text("UPDATE stock_move SET unit_cost = 1 WHERE id = :id"),
                                          {"id": second}))
    problems = uow.read(check_ledger)
    assert [(p.kind, p.row_id) for p in problems] == [("cost", first), ("cost", second)]
    assert "replay gives avg=40.000000" in problems[0].detail
