"""Each benchmark runs at a tiny size on each database, writes books that pass the check, and counts statements.

No timing is asserted: the machines are noisy; `make bench` reports the figures."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.schema import CreateTable

from benchmarks import history_independence, posting_efficiency, statements_per_document
from benchmarks.common import Backend, add_products, database
from benchmarks.history_independence import fill_history
from core.ledger.check import check_ledger
from core.models import StockMove
from core.stock.moves import LineIn, receive_stock


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "postgresql":
        return Backend("postgresql", pg_url=request.getfixturevalue("pg_url"))
    return Backend("sqlite", directory=tmp_path)


def test_posting_efficiency_measures_every_way_and_counts_their_statements(backend: Backend) -> None:
    result = posting_efficiency.measure(backend, rounds=2, pairs=2)
    assert min(result.services_per_second, result.text_per_second, result.dbapi_per_second) > 0
    assert result.ratio > 0 and result.dbapi_ratio > 0
    assert result.services_statements >= 5
    assert result.hand_statements >= 6
    assert posting_efficiency.report(result).startswith(f"posting efficiency {backend.name}: services ")


def test_hand_written_sql_writes_books_that_pass_the_check(backend: Backend) -> None:
    with database(backend, "hand") as db:
        skus = add_products(db, "TEA-CUP", 3)
        receive_stock(db.uow, db.admin, "MAIN", [LineIn(s, 7, "1.10") for s in skus])
        for via in ("text", "dbapi"):
            hand = posting_efficiency.HandPoster(db, skus, via=via)
            try:
                posting_efficiency._hand_round(hand, 3)
            finally:
                hand.close()
        assert db.uow.read(check_ledger) == []


def test_a_long_document_runs_as_many_statements_as_a_short_one(backend: Backend) -> None:
    counts = statements_per_document.measure(backend, small=2, large=30)
    assert counts.small["receipt"] >= 5
    assert counts.small == counts.large
    assert statements_per_document.report(counts).endswith("(same)")


def test_history_is_filled_consistently_and_posting_on_top_of_it_keeps_the_books(backend: Backend) -> None:
    with database(backend, "history") as db:
        add_products(db, "HIST", 12)
        fill_history(db, 7)
        history_independence._post_pairs(db, ["HIST-000001", "HIST-000002", "HIST-000003"], 2)
        assert db.uow.read(check_ledger) == []
        ledger = inspect(db.engine)
        assert len(ledger.get_foreign_keys("stock_move")) == len(StockMove.__table__.foreign_key_constraints)
        with warnings.catch_warnings():  # SQLite reflects no expression index: the line key is one
            warnings.filterwarnings("ignore", message=".*ux_stock_move_line_lot.*")
            indexes = {i["name"] for i in ledger.get_indexes("stock_move")}
        assert {i.name for i in StockMove.__table__.indexes if i.name != "ux_stock_move_line_lot"} <= indexes
        with db.engine.connect() as connection:
            line_key = connection.execute(text(
                "SELECT name FROM sqlite_master WHERE name = 'ux_stock_move_line_lot'" if backend.name == "sqlite"
                else "SELECT indexname FROM pg_indexes WHERE indexname = 'ux_stock_move_line_lot' "
                "AND schemaname = current_schema()")).all()
        assert len(line_key) == 1, "the unique key of a line (per lot) was built again"
        ddl = str(CreateTable(StockMove.__table__).compile(db.engine))
        assert ddl.count("FOREIGN KEY") == 5, "the shared metadata must be left alone"


def test_history_independence_compares_an_empty_and_a_filled_ledger(backend: Backend) -> None:
    result = history_independence.measure(backend, products=10, moves_per_product=5, rounds=2, pairs=1)
    assert result.ledger_rows == 50
    assert result.empty_ms > 0 and result.full_ms > 0
    assert "ratio" in history_independence.report(result)
