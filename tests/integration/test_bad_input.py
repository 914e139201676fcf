"""Bad input is refused with a domain error naming what is wrong, and nothing at all is written."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select, update

from core.errors import DomainError
from core.models import AuditLog, DocumentSequence, Product, StockDocument, StockLevel, StockMove
from core.permissions import Actor
from core.stock.moves import (
    LineIn,
    adjust_stock,
    dispatch_transfer,
    issue_stock,
    receive_stock,
    release_stock,
    reserve_stock,
)
from core.uow import Tx, UnitOfWork
from tests.factories import Shop, make_shop

TABLES = (StockMove, StockDocument, AuditLog, StockLevel, DocumentSequence)
BAD_QUANTITIES = [
    ("0", "zero"), (0, "zero"), ("-1", "negative"), (-3, "negative"), ("NaN", "not_a_number"),
    (D("NaN"), "not_a_number"), ("Infinity", "not_a_number"), ("-inf", "not_a_number"), ("1e309", "too_large"),
    ("1000000000000", "too_large"), (10**12, "too_large"), ("0.00001", "too_many_places"),
    ("1.23456", "too_many_places"), ("abc", "not_a_number"), ("", "not_a_number"), ("🧸", "not_a_number"),
    ("7" * 10_000, "not_a_number"), (0.1, "not_a_number"), (float("inf"), "not_a_number"), (True, "not_a_number"),
    (None, "not_a_number"),
]
BAD_COSTS = [
    ("-0.01", "negative"), ("NaN", "not_a_number"), ("Infinity", "not_a_number"), ("1e309", "too_large"),
    ("1000000000000", "too_large"), ("ten", "not_a_number"), ("", "not_a_number"), ("💰", "not_a_number"),
    ("1" * 10_000, "not_a_number"), (9.5, "not_a_number"),
]


def counts(tx: Tx) -> tuple[object, ...]:
    """Rows in every table a posting writes, and the document numbers handed out so far."""
    rows = tuple(tx.session.scalar(select(func.count()).select_from(table)) for table in TABLES)
    numbers = tx.session.scalar(select(func.coalesce(func.sum(DocumentSequence.last_number), 0)))
    levels = tuple(tx.session.execute(
        select(StockLevel.id, StockLevel.on_hand, StockLevel.reserved, StockLevel.value).order_by(StockLevel.id)))
    return (*rows, numbers, levels)


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    """The small shop with some stock and one open reservation, so that every table already has rows."""
    shop = make_shop(uow, admin)
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 10, "9.50"), LineIn("TEA-CUP", 5)])
    reserve_stock(uow, admin, "MAIN", [LineIn("TEA-CUP", 2)])
    return shop


def refused(uow: UnitOfWork, attempt: Callable[[], object]) -> DomainError:
    before = uow.read(counts)
    with pytest.raises(DomainError) as error:
        attempt()
    assert uow.read(counts) == before, "a refused request wrote something"
    return error.value


def every_use_of(uow: UnitOfWork, admin: Actor, qty: object) -> list[Callable[[], object]]:
    """Each stock service asked for `qty` of the retro clock (adjustments may be negative, so not for those)."""
    attempts: list[Callable[[], object]] = [
        lambda: receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", qty, "10")]),
        lambda: issue_stock(uow, admin, "MAIN", [LineIn("TEA-CUP", 1), LineIn("RETRO-CLOCK", qty)]),
        lambda: reserve_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", qty)]),
        lambda: dispatch_transfer(uow, admin, "MAIN", "NORTH", [LineIn("RETRO-CLOCK", qty)]),
    ]
    signed_ok = isinstance(qty, int | str) and not isinstance(qty, bool) and str(qty).startswith("-")
    if not signed_ok:
        attempts.append(lambda: adjust_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", qty)], reason="count"))
    return attempts


def receipt_of(uow: UnitOfWork, admin: Actor, line: LineIn, warehouse: str = "MAIN") -> Callable[[], object]:
    return lambda: receive_stock(uow, admin, warehouse, [line])


def test_a_bad_quantity_is_refused_everywhere_and_writes_nothing(uow: UnitOfWork, shop: Shop) -> None:
    for qty, reason in BAD_QUANTITIES:
        for attempt in every_use_of(uow, shop.admin, qty):
            error = refused(uow, attempt)
            assert (error.code, error.params["reason"]) == ("invalid_quantity", reason), repr(qty)[:40]


def test_a_bad_unit_cost_is_refused_and_writes_nothing(uow: UnitOfWork, shop: Shop) -> None:
    for cost, reason in BAD_COSTS:
        error = refused(uow, receipt_of(uow, shop.admin, LineIn("LAMP", 1, cost)))
        assert (error.code, error.params["reason"]) == ("invalid_amount", reason), repr(cost)[:40]


def test_unknown_things_are_refused_by_name_and_write_nothing(uow: UnitOfWork, shop: Shop) -> None:
    admin = shop.admin
    cases: list[tuple[Callable[[], object], str, dict[str, object]]] = [
        (lambda: receive_stock(uow, admin, "MAIN", [LineIn("LAMP", 1), LineIn("NO-SUCH-THING", 1)]),
         "unknown_product", {"item": "NO-SUCH-THING"}),
        (lambda: issue_stock(uow, admin, "MAIN", [LineIn("0000000000000", 1)]), "unknown_product",
         {"item": "0000000000000"}),
        (lambda: receive_stock(uow, admin, "ATLANTIS", [LineIn("LAMP", 1)]), "unknown_warehouse",
         {"warehouse": "ATLANTIS"}),
        (lambda: receive_stock(uow, admin, "TRANSIT", [LineIn("LAMP", 1)]), "unknown_warehouse",
         {"warehouse": "TRANSIT"}),
        (lambda: dispatch_transfer(uow, admin, "MAIN", "ATLANTIS", [LineIn("LAMP", 1)]), "unknown_warehouse",
         {"warehouse": "ATLANTIS"}),
        (lambda: receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 1, unit="crate")]), "invalid_quantity",
         {"reason": "unknown_unit", "value": "crate"}),
        (lambda: receive_stock(uow, admin, "MAIN", [LineIn("LAMP", 1, unit="箱")]), "invalid_quantity",
         {"reason": "unknown_unit"}),
        (lambda: receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", "99999999999", unit="箱")]),
         "invalid_quantity", {"reason": "too_large"}),
        (lambda: receive_stock(uow, admin, "MAIN", [LineIn("  ", 1)]), "invalid_quantity", {"reason": "no_item"}),
        (lambda: receive_stock(uow, admin, "MAIN", [LineIn("X" * 10_000, 1)]), "invalid_quantity",
         {"reason": "no_item"}),
        (lambda: receive_stock(uow, admin, "MAIN", []), "empty_document", {}),
        (lambda: adjust_stock(uow, admin, "MAIN", [LineIn("LAMP", 1)], reason="  "), "reason_required", {}),
        (lambda: issue_stock(uow, admin, "MAIN", [LineIn("TEA-CUP", 1), LineIn("RETRO-CLOCK", 11)]),
         "out_of_stock", {"item": "RETRO-CLOCK", "line_no": 2, "available": D(10), "requested": D(11)}),
        (lambda: issue_stock(uow, admin, "MAIN", [LineIn("TEA-CUP", 4)]), "out_of_stock", {"available": D(3)}),
        (lambda: release_stock(uow, admin, "RS-1999-000001"), "unknown_document", {}),
        (lambda: dispatch_transfer(uow, admin, "MAIN", "main", [LineIn("LAMP", 1)]), "invalid_state",
         {"reason": "same_warehouse"}),
        (lambda: receive_stock(uow, shop.warehouse, "NORTH", [LineIn("LAMP", 1)]), "permission_denied", {}),
        (lambda: issue_stock(uow, shop.sales, "MAIN", [LineIn("LAMP", 1)]), "permission_denied", {}),
    ]
    for attempt, code, params in cases:
        error = refused(uow, attempt)
        assert error.code == code
        assert {k: error.params.get(k) for k in params} == params


def test_an_inactive_product_is_refused_and_nothing_is_written(uow: UnitOfWork, shop: Shop) -> None:
    uow.run(lambda tx: tx.session.execute(update(Product).where(Product.sku == "LAMP").values(active=False)))
    for attempt in (lambda: receive_stock(uow, shop.admin, "MAIN", [LineIn("LAMP", 1)]),
                    lambda: issue_stock(uow, shop.admin, "MAIN", [LineIn("TEA-CUP", 1), LineIn("lamp", 1)])):
        error = refused(uow, attempt)
        assert (error.code, error.params["sku"]) == ("inactive_product", "LAMP")


def test_a_value_or_balance_of_a_trillion_or_more_is_refused_and_writes_nothing(uow: UnitOfWork, shop: Shop) -> None:
    # 999999999999 x 999999 is near 10^18; one unit at 999999999999.999999 rounds to exactly 10^12
    for line in (LineIn("LAMP", "999999999999", "999999"), LineIn("LAMP", "1", "999999999999.999999")):
        error = refused(uow, receipt_of(uow, shop.admin, line))
        assert (error.code, error.params["reason"], error.params["item"]) == ("invalid_amount", "too_large", "LAMP")
    receive_stock(uow, shop.admin, "MAIN", [LineIn("LAMP", "999999999999", "0")])
    error = refused(uow, receipt_of(uow, shop.admin, LineIn("LAMP", "1", "0")))
    assert (error.code, error.params["reason"]) == ("invalid_quantity", "too_large")
    receive_stock(uow, shop.admin, "NORTH", [LineIn("LAMP", "1", "600000000000")])
    error = refused(uow, receipt_of(uow, shop.admin, LineIn("LAMP", "1", "400000000000"), "NORTH"))
    assert (error.code, error.params["reason"]) == ("invalid_amount", "too_large")
