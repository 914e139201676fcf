"""The sales-order-life and replenishment benchmarks run at a tiny size on SQLite and get the books right
(no timing is asserted: these only prove the benchmarks work)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import replenishment, sales_order_life
from benchmarks.common import Backend


def test_a_sales_order_life_benchmark_ships_every_order_both_ways_and_the_books_balance(tmp_path: Path) -> None:
    life = sales_order_life.measure(Backend("sqlite", directory=tmp_path), rounds=2, lives=2)

    assert life.orders_shipped == 2 * (1 + 2 * 2)  # a warm-up life and 2 rounds of 2 lives, each way
    assert life.books_balance
    assert life.services_per_second > 0 and life.hand_per_second > 0


def test_the_replenishment_benchmark_agrees_with_its_hand_written_query_on_every_suggestion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JXC_BENCH_SCALE", "0.002")

    timing = replenishment.measure(Backend("sqlite", directory=tmp_path), rounds=1)

    assert (timing.products, timing.rules) == (200, 1000)
    assert 0 < timing.suggestions < timing.rules  # measure() raises when the two disagree on any rule
