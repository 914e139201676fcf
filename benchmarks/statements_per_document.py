"""Statements per document: a 500-line document runs as many SQL statements as a 5-line one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from benchmarks.common import Backend, Database, add_products, database
from core.stock.moves import LineIn, dispatch_transfer, issue_stock, receive_stock, receive_transfer

KINDS = ("first receipt", "receipt", "issue", "transfer out", "transfer in")


@dataclass(frozen=True)
class Counts:
    """Statements per kind of document, for the small and the large document."""

    backend: str
    small_lines: int
    large_lines: int
    small: dict[str, int]
    large: dict[str, int]

    @property
    def constant(self) -> bool:
        return self.small == self.large


def measure(backend: Backend, small: int = 5, large: int = 500) -> Counts:
    """Post each kind of document with `small` and with `large` lines, counting the statements of each."""
    with database(backend, "statements") as db:
        return Counts(backend.name, small, large, _count(db, add_products(db, "FEW", small)),
                      _count(db, add_products(db, "MANY", large)))


def _count(db: Database, skus: Sequence[str]) -> dict[str, int]:
    uow, admin = db.uow, db.admin
    transfers: list[str] = []
    steps: dict[str, Callable[[], object]] = {
        "first receipt": lambda: receive_stock(uow, admin, "MAIN", [LineIn(s, 10, "2.50") for s in skus]),
        "receipt": lambda: receive_stock(uow, admin, "MAIN", [LineIn(s, 10, "3.10") for s in skus]),
        "issue": lambda: issue_stock(uow, admin, "MAIN", [LineIn(s, 3) for s in skus]),
        "transfer out": lambda: transfers.append(
            dispatch_transfer(uow, admin, "MAIN", "NORTH", [LineIn(s, 4) for s in skus]).number),
        "transfer in": lambda: receive_transfer(uow, admin, transfers[-1]),
    }
    return {kind: db.counter.during(steps[kind]) for kind in KINDS}


def report(counts: Counts) -> str:
    pairs = ", ".join(f"{kind} {counts.small[kind]}/{counts.large[kind]}" for kind in KINDS)
    verdict = "same" if counts.constant else "DIFFERENT"
    return (f"statements per document {counts.backend} ({counts.small_lines} lines/{counts.large_lines} lines): "
            f"{pairs} ({verdict})")


def main(backends: Sequence[Backend]) -> None:
    results = []
    for backend in backends:
        results.append(measure(backend))
        print(report(results[-1]), flush=True)
    print("statements per document, 500-line receipt against 5-line receipt: "
          + ", ".join(f"{r.backend} {r.large['receipt']} vs {r.small['receipt']}" for r in results))
