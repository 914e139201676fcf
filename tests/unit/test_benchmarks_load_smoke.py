"""The load benchmark runs at a tiny size (a few clients for 2 s) against real `jxc serve` processes: every kind of
request is answered with no error, alone and in the crowd, and the books pass the check afterwards. No timing is
asserted: the machines are noisy; `python -m benchmarks load` reports the figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import load
from benchmarks.common import Backend


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "postgresql":
        return Backend("postgresql", pg_url=request.getfixturevalue("pg_url"))
    return Backend("sqlite", directory=tmp_path)


def test_a_few_clients_of_every_kind_get_every_answer_and_the_books_balance(backend: Backend) -> None:
    result = load.measure(backend, clients=len(load.KINDS), seconds=2)

    assert result.processes == (1 if backend.name == "sqlite" else 2)
    assert result.errors == 0, {k: s.first_error for k, s in {**result.alone, **result.crowd}.items() if s.errors}
    assert result.server_errors == (), result.server_errors[:5]
    assert result.ledger_problems == 0
    for stats in (*result.alone.values(), *result.crowd.values()):
        assert stats.times, f"{stats.kind}: no request was answered"
        assert 0 < stats.p50 <= stats.p99 <= stats.max
        assert stats.per_second > 0 and stats.tail >= 1
    report = load.report(result)
    assert report.startswith(f"load {backend.name}: 5 clients for 2 s against ")
    assert all(kind in report for kind in load.KINDS)
