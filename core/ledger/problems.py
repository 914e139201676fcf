"""What `jxc check` reports, shared by every set of checks it runs (core.ledger.check.CHECKS)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.uow import Tx

LIMIT = 100  # problems reported at most, by each set of checks and in all


@dataclass(frozen=True)
class Problem:
    """One broken invariant, with the row it was found on."""

    kind: str
    table: str
    row_id: int | None
    product_id: int
    warehouse_id: int
    detail: str


Check = Callable[[Tx], list[Problem]]  # one set of checks: its problems, at most LIMIT
