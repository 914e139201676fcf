"""One product in one warehouse: moving average valuation and the rules that refuse a change."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from core.errors import InvalidAmount, InvalidQuantity, OutOfStock, OverRelease
from core.ledger.position import Position


def stocked(on_hand: str, value: str, reserved: str = "0", *, allow_negative: bool = False) -> Position:
    position = Position(product_id=1, warehouse_id=2, allow_negative=allow_negative)
    position.apply(D(on_hand), value=D(value))
    if D(reserved):
        position.apply(reserved=D(reserved))
    return position


def test_a_receipt_sets_the_moving_average() -> None:
    position = Position(1, 2)
    first = position.apply(D(10), unit_cost=D("9.50"))
    second = position.apply(D(24), unit_cost=D(10))
    assert (first.value, first.avg_cost) == (D("95.00"), D("9.500000"))
    # (95 + 240) / 34 = 9.8529411...
    assert (second.value, second.balance_qty, second.balance_value, second.avg_cost) == (
        D("240.00"), D(34), D("335.00"), D("9.852941"))


def test_an_issue_takes_value_at_the_average_rounded_half_up() -> None:
    position = stocked("8", "1.00")
    change = position.apply(D(-1))
    assert change.value == D("-0.13")
    assert (position.on_hand, position.value, position.avg_cost) == (D(7), D("0.87"), D("0.124286"))
    assert change.unit_cost == D("0.130000")


def test_issuing_everything_takes_all_the_value_and_leaves_no_crumbs() -> None:
    position = stocked("3", "10.00")
    # 10.00 / 3 = 3.333333 a unit: 3.33 out, then 6.67 / 2 = 3.335 rounds up to 3.34, then what is left
    values = [position.apply(D(-1)).value for _ in range(3)]
    assert values == [D("-3.33"), D("-3.34"), D("-3.33")]
    assert (position.on_hand, position.value) == (D(0), D(0))


def test_issuing_a_large_stock_entirely_takes_its_value_not_the_average_times_the_quantity() -> None:
    position = stocked("30000", "10000.00")
    # 30000 x 0.333333 would be 9999.99 and leave a ghost cent behind
    assert position.apply(D(-30000)).value == D("-10000.00")
    assert (position.on_hand, position.value) == (D(0), D(0))


def test_an_issue_beyond_what_is_available_is_refused_and_changes_nothing() -> None:
    position = stocked("5", "50.00", reserved="4")
    before = (position.on_hand, position.reserved, position.value, position.avg_cost)
    with pytest.raises(OutOfStock) as refused:
        position.apply(D(-2))
    assert refused.value.params == {"product_id": 1, "warehouse_id": 2, "available": D(1), "requested": D(2)}
    assert (position.on_hand, position.reserved, position.value, position.avg_cost) == before


def test_reserving_more_than_is_available_is_refused() -> None:
    position = stocked("5", "50.00", reserved="4")
    with pytest.raises(OutOfStock) as refused:
        position.apply(reserved=D(2))
    assert (refused.value.params["available"], refused.value.params["requested"]) == (D(1), D(2))
    assert position.reserved == D(4)


def test_shipping_reserved_stock_takes_it_from_on_hand_and_reserved() -> None:
    position = stocked("5", "50.00", reserved="4")
    change = position.apply(D(-4), D(-4))
    assert (change.balance_qty, change.balance_reserved, change.value) == (D(1), D(0), D("-40.00"))


def test_releasing_more_than_is_reserved_is_refused() -> None:
    position = stocked("5", "50.00", reserved="2")
    with pytest.raises(OverRelease) as refused:
        position.apply(reserved=D(-3))
    assert (refused.value.params["reserved"], refused.value.params["requested"]) == (D(2), D(3))
    assert position.reserved == D(2)


def test_a_position_that_allows_negative_goes_below_zero_at_the_average() -> None:
    position = stocked("2", "20.00", allow_negative=True)
    change = position.apply(D(-5))
    assert (change.value, position.on_hand, position.value, position.avg_cost) == (
        D("-50.00"), D(-3), D("-30.00"), D("10.000000"))


def test_a_gain_without_a_cost_enters_at_the_fallback_only_when_there_is_no_average() -> None:
    empty = Position(1, 2)
    assert empty.apply(D(2), fallback_cost=D("3.30")).value == D("6.60")
    averaged = stocked("1", "10.00")
    assert averaged.apply(D(1), fallback_cost=D("3.30")).value == D("10.00")


def test_a_given_value_wins_over_unit_cost_and_is_rounded_to_money_places() -> None:
    position = Position(1, 2)
    change = position.apply(D(3), value=D("10.005"), money_places=2)
    assert (change.value, change.unit_cost, position.avg_cost) == (D("10.01"), D("3.336667"), D("3.336667"))


def test_a_reservation_changes_neither_value_nor_average() -> None:
    position = stocked("3", "10.00")
    change = position.apply(reserved=D(1))
    assert (change.qty, change.value, change.avg_cost, position.available) == (D(0), D(0), D("3.333333"), D(2))


def test_balances_follow_the_sum_of_changes() -> None:
    position = Position(1, 2)
    changes = [position.apply(q, unit_cost=D("0.1")) for q in (D("0.1"), D("0.1"), D("0.1"))]
    changes.append(position.apply(D("-0.2")))
    assert position.on_hand == sum((c.qty for c in changes), D(0)) == D("0.1")
    assert position.value == sum((c.value for c in changes), D(0)) == changes[-1].balance_value
    assert position.value == D("0.01")


def test_balances_and_values_stay_below_a_trillion() -> None:
    position = stocked("999999999999", "0")
    with pytest.raises(InvalidQuantity) as too_many:
        position.apply(D(1))
    assert too_many.value.params["reason"] == "too_large"
    with pytest.raises(InvalidAmount) as too_dear:
        Position(1, 2).apply(D("999999999999"), unit_cost=D(999999))
    assert too_dear.value.params["reason"] == "too_large"
    worth = stocked("1", "999999999999.99")
    with pytest.raises(InvalidAmount):
        worth.apply(D(1), unit_cost=D("0.01"))
    assert (worth.on_hand, worth.value) == (D(1), D("999999999999.99"))
