"""Bulk import of products, partners, opening stock, reorder rules and price rules: the whole file validated, then
written set-based in one transaction, or nothing written and every bad row named by its line."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from core.errors import InvalidState
from core.integration.import_checks import REFERENCE_CHECKS, Checked, RowProblem, check_values
from core.integration.import_columns import COLUMNS
from core.integration.import_writes import WRITERS
from core.people.audit import record
from core.permissions import Actor, Permission
from core.uow import Tx, UnitOfWork

MAX_ROWS = 1_000_000
MAX_PROBLEMS = 1000


@dataclass(frozen=True)
class ImportResult:
    """What an import did: rows written, stock documents posted, or (nothing written) every bad row."""

    kind: str
    rows: int
    written: int
    problems: tuple[RowProblem, ...] = ()
    documents: tuple[str, ...] = ()
    more_problems: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def import_rows(
    uow: UnitOfWork, actor: Actor, kind: str, rows: Sequence[Mapping[str, object]], *,
    first_line: int = 2, progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Validate every row, then write them all set-based in one transaction, or nothing when any row is bad.

    A row's line is its "_line" value, else its position counted from `first_line` (the line after the header)."""
    if kind not in COLUMNS:
        raise InvalidState(kind=kind[:40], reason="unknown_import_kind")
    actor.require({"products": Permission.CATALOG_EDIT, "customers": Permission.CUSTOMER_EDIT,
                   "suppliers": Permission.SUPPLIER_EDIT, "opening_stock": Permission.STOCK_RECEIVE,
                   "reorder_rules": Permission.REPLENISH, "price_rules": Permission.PRICES_EDIT}[kind])
    if len(rows) > MAX_ROWS:
        raise InvalidState(kind=kind, reason="too_many_rows", maximum=MAX_ROWS)
    lines = [int(str(r.get("_line") or (first_line + i))) for i, r in enumerate(rows)]
    checked = Checked(kind, lines)
    check_values(checked, rows)

    def work(tx: Tx) -> ImportResult:
        problems_before = len(checked.problems)
        REFERENCE_CHECKS[kind](tx, actor, checked)
        problems = sorted(checked.problems, key=lambda p: (p.line, COLUMNS[kind].index(p.column)
                                                           if p.column in COLUMNS[kind] else 99))
        del checked.problems[problems_before:]
        if problems:
            shown = tuple(problems[:MAX_PROBLEMS])
            return ImportResult(kind, len(rows), 0, shown, more_problems=len(problems) - len(shown))
        documents = WRITERS[kind](tx, actor, checked, progress)
        record(tx, actor, f"import.{kind}", kind, None, rows=len(rows), documents=list(documents))
        return ImportResult(kind, len(rows), len(rows), documents=tuple(documents))

    return uow.run(work)
