"""The whole role x action matrix of DOMAIN.md, every cell, written out by hand: a change to who may do what
must change this table on purpose. Services enforce these same permissions (see the per-service tests)."""

from __future__ import annotations

import pytest

from core.permissions import Actor, Permission

ROLES = ("admin", "manager", "purchaser", "sales", "warehouse", "finance")
# Y: allowed, -: denied; warehouse staff are allowed only in their own warehouses (checked below).
MATRIX = """
stock.view            Y Y Y Y Y Y
cost.view             Y Y Y - - Y
stock.receive         Y Y - - Y -
stock.issue           Y Y - - Y -
stock.adjust          Y Y - - Y -
stock.transfer        Y Y - - Y -
stock.reserve         Y Y - Y Y -
catalog.edit          Y Y Y - - -
people.admin          Y - - - - -
ledger.check          Y Y - - - Y
partner.view          Y Y Y Y - Y
supplier.edit         Y Y Y - - -
customer.edit         Y Y - Y - -
purchase.view         Y Y Y - Y Y
purchase.create       Y Y Y - - -
purchase.receive      Y Y - - Y -
purchase.return       Y Y Y - - -
purchase.over_receipt Y Y - - - -
stock.release_expired Y Y - - - -
sales.view_own        Y Y - Y - Y
sales.view_all        Y Y - - Y Y
sales.create          Y Y - Y - -
sales.ship            Y Y - - Y -
sales.return          Y Y - Y - -
stocktake.count       Y Y - - Y -
stocktake.post        Y Y - - - -
approval.rules        Y Y - - - -
replenish             Y Y Y - - -
money.view            Y Y - - - Y
money.record          Y Y - - - Y
profit.view           Y Y - - - Y
report.manage         Y Y - - - -
prices.edit           Y Y - - - -
"""
CELLS = [
    (Permission(name), role, mark == "Y")
    for name, *marks in (line.split() for line in MATRIX.strip().splitlines())
    for role, mark in zip(ROLES, marks, strict=True)
]
OWN, OTHER = 1, 2


def test_the_table_names_every_permission_once() -> None:
    named = [line.split()[0] for line in MATRIX.strip().splitlines()]
    assert sorted(named) == sorted(p.value for p in Permission)


@pytest.mark.parametrize(("permission", "role", "allowed"), CELLS, ids=[f"{r}-{p.value}" for p, r, _ in CELLS])
def test_each_role_may_do_exactly_what_the_matrix_says(permission: Permission, role: str, allowed: bool) -> None:
    actor = Actor(employee_id=7, name=f"{role}-1", roles=frozenset({role}), warehouse_ids=frozenset({OWN}))
    assert actor.can(permission, OWN) is allowed
    expected_elsewhere = allowed and role != "warehouse"
    assert actor.can(permission, OTHER) is expected_elsewhere, "warehouse staff act only in their warehouses"


def test_nobody_without_a_role_may_do_anything() -> None:
    nobody = Actor(employee_id=8, name="new-hire", roles=frozenset())
    assert [p for p in Permission if nobody.can(p) or nobody.can(p, OWN)] == []


def test_roles_add_up_for_someone_who_holds_two() -> None:
    both = Actor(employee_id=9, name="sales-and-finance", roles=frozenset({"sales", "finance"}))
    assert both.can(Permission.SALES_CREATE) and both.can(Permission.PROFIT_VIEW)
    assert not both.can(Permission.STOCK_ISSUE, OWN)
