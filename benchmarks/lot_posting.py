"""Posting lot-tracked products: a 3-line receipt naming lots and a 3-line first-expired-first-out issue against
untracked ones in the same run (goal: at least 0.8), the statements of 5 and 500 tracked lines, and FEFO
allocation over a product with 1,000 lots on hand against a product with one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from benchmarks.common import Backend, Database, add_products, database, interleaved, median, timed
from core.stock.lots import set_tracking
from core.stock.moves import LineIn, issue_stock, receive_stock

LINES = 3
PAIRS = 20
LOTS = 1000


@dataclass(frozen=True)
class LotPosting:
    """Documents per second tracked and untracked, their ratio, statement counts, and FEFO latencies."""

    backend: str
    tracked_per_second: float
    untracked_per_second: float
    ratio: float
    statements: dict[str, tuple[int, int]]  # kind -> (5 lines, 500 lines)
    fefo_many_ms: float
    fefo_one_ms: float


def measure(backend: Backend, rounds: int = 11) -> LotPosting:
    """Rotate tracked and untracked rounds of receipt + issue pairs; count statements; time FEFO picks."""
    with database(backend, "lots") as db:
        plain = add_products(db, "PLAIN", LINES)
        tracked = _tracked(db, "LOT", LINES)
        tracked_rate, untracked_rate = interleaved(
            rounds,
            lambda: 2 * PAIRS / timed(lambda: _round(db, tracked, lots=True)),
            lambda: 2 * PAIRS / timed(lambda: _round(db, plain, lots=False)),
        )
        statements = {kind: (_count(db, f"S{kind[:1]}", 5, kind), _count(db, f"L{kind[:1]}", 500, kind))
                      for kind in ("receipt", "issue")}
        many, one = _fefo(db)
    return LotPosting(backend.name, median(tracked_rate), median(untracked_rate),
                      median([t / u for t, u in zip(tracked_rate, untracked_rate, strict=True)]), statements,
                      many, one)


def _tracked(db: Database, prefix: str, count: int) -> list[str]:
    skus = add_products(db, prefix, count)
    for sku in skus:
        set_tracking(db.uow, db.admin, sku, "lot")
    return skus


def _round(db: Database, skus: Sequence[str], *, lots: bool) -> None:
    for n in range(PAIRS):
        named = {"lot": f"B{n % 4}", "expiry": f"2030-0{1 + n % 4}-01"} if lots else {}
        receive_stock(db.uow, db.admin, "MAIN", [LineIn(s, 4, "1.50", **named) for s in skus])
        issue_stock(db.uow, db.admin, "MAIN", [LineIn(s, 3) for s in skus])


def _count(db: Database, prefix: str, lines: int, kind: str) -> int:
    skus = _tracked(db, prefix + kind, lines)
    receive_stock(db.uow, db.admin, "MAIN", [LineIn(s, 10, "2", lot="A", expiry="2030-01-01") for s in skus])
    actions: dict[str, Callable[[], object]] = {
        "receipt": lambda: receive_stock(db.uow, db.admin, "MAIN",
                                         [LineIn(s, 10, "2", lot="B", expiry="2030-02-01") for s in skus]),
        "issue": lambda: issue_stock(db.uow, db.admin, "MAIN", [LineIn(s, 12) for s in skus]),
    }
    if kind == "issue":
        actions["receipt"]()
    return db.counter.during(actions[kind])


def _fefo(db: Database, picks: int = 30) -> tuple[float, float]:
    """Milliseconds of a one-unit FEFO issue over 1,000 lots and over one lot (medians)."""
    many, one = _tracked(db, "MANY", 1)[0], _tracked(db, "ONE", 1)[0]
    receive_stock(db.uow, db.admin, "MAIN", [LineIn(many, 2, "1", lot=f"M{n:04d}", expiry=f"20{30 + n % 60}-01-01")
                                             for n in range(LOTS)])
    receive_stock(db.uow, db.admin, "MAIN", [LineIn(one, 2 * LOTS, "1", lot="ONLY", expiry="2030-01-01")])
    times_many, times_one = interleaved(
        picks,
        lambda: 1000 * timed(lambda: issue_stock(db.uow, db.admin, "MAIN", [LineIn(many, 1)])),
        lambda: 1000 * timed(lambda: issue_stock(db.uow, db.admin, "MAIN", [LineIn(one, 1)])),
    )
    return median(times_many), median(times_one)


def report(result: LotPosting) -> str:
    counts = ", ".join(f"{kind} {small}/{large}" for kind, (small, large) in result.statements.items())
    return (f"lot posting {result.backend}: tracked {result.tracked_per_second:.0f} docs/s, untracked "
            f"{result.untracked_per_second:.0f} docs/s, ratio {result.ratio:.2f} (goal 0.8); statements 5/500 "
            f"tracked lines: {counts}; FEFO issue over {LOTS} lots {result.fefo_many_ms:.1f} ms, over one lot "
            f"{result.fefo_one_ms:.1f} ms")


def main(backends: Sequence[Backend]) -> None:
    for backend in backends:
        print(report(measure(backend)), flush=True)
