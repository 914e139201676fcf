"""The dashboard benchmark runs at a tiny size on SQLite: the service and the hand-written statements agree on
every figure of the grown demo company (no timing is asserted: this only proves the benchmark works)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import dashboard
from benchmarks.common import Backend


def test_the_dashboard_benchmark_agrees_with_its_hand_written_statements_on_the_grown_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JXC_BENCH_SCALE", "0.002")

    # days=1: no day of demo trading, so only the grown month's shipments sell
    timing = dashboard.measure(Backend("sqlite", directory=tmp_path), rounds=1, days=1)

    assert (timing.products, timing.sales_lines) == (200, 200)
    board = timing.board  # measure() raises when the service and the hand SQL disagree on any figure
    assert board.sales_month is not None and board.sales_today is not None
    assert 0 < board.sales_today <= board.sales_month  # equal on the first of a month
    assert board.margin_month == 50  # sold at 3.00, cost 1.50
    assert board.low_stock > 0 and board.pending_approvals == 4  # the two it adds, the demo's first morning's two
    assert timing.service_seconds > 0 and timing.hand_seconds > 0
    assert dashboard.report(timing).startswith("dashboard sqlite: 200 products, 200 sales lines this month")
