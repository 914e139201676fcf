"""Parsing and rounding of quantities, money and unit costs: exact, half up, and never a float."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from core.errors import AmountTooLarge, InvalidAmount, InvalidQuantity
from core.numbers import (
    document_total,
    line_amount,
    parse_money,
    parse_quantity,
    parse_unit_cost,
    round_cost,
    round_money,
    round_qty,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("3", D("3.0000")), (" 2.5 ", D("2.5000")), ("1,200", D("1200.0000")), ("1，200.5", D("1200.5000")),
     ("12,345,678.25", D("12345678.2500")),
     ("0.0001", D("0.0001")), ("999999999999.9999", D("999999999999.9999")), (7, D("7.0000")),
     (D("0.1") + D("0.2"), D("0.3000"))],
)
def test_a_quantity_is_read_exactly_to_four_places(text: object, expected: D) -> None:
    parsed = parse_quantity(text)
    assert parsed == expected
    assert parsed.as_tuple().exponent == -4


@pytest.mark.parametrize(
    ("value", "reason"),
    [("0", "zero"), ("-0", "zero"), ("-1", "negative"), ("0.00001", "too_many_places"),
     ("1e-5", "too_many_places"), ("1000000000000", "too_large"), ("1e12", "too_large"), ("1e309", "too_large"),
     (10**400, "too_large"), ("NaN", "not_a_number"), ("sNaN", "not_a_number"), ("-Infinity", "not_a_number"),
     ("inf", "not_a_number"), ("abc", "not_a_number"), ("", "not_a_number"), ("   ", "not_a_number"),
     ("🍵", "not_a_number"), ("9" * 10_000, "not_a_number"), (0.1, "not_a_number"), (float("nan"), "not_a_number"),
     (True, "not_a_number"), (None, "not_a_number"), ([1], "not_a_number"), ("1.2.3", "not_a_number"),
     ("1,5", "separator"), ("1，5", "separator"), ("15,00", "separator"), ("1,5000", "separator"),
     (",500", "separator"), ("1,500,00", "separator"), ("1.500,5", "separator"), ("1500,", "separator"),
     ("1,,500", "separator"), ("12,34,567", "separator")],
)
def test_a_bad_quantity_is_refused_with_its_reason(value: object, reason: str) -> None:
    with pytest.raises(InvalidQuantity) as refused:
        parse_quantity(value)
    assert refused.value.code == "invalid_quantity"
    assert refused.value.params["reason"] == reason
    assert len(refused.value.params["value"]) <= 40


def test_signed_quantities_and_zero_only_when_asked_for() -> None:
    assert parse_quantity("-2.5", allow_negative=True) == D("-2.5")
    assert parse_quantity("0", allow_zero=True) == D(0)
    with pytest.raises(InvalidQuantity):
        parse_quantity("-1000000000000", allow_negative=True)


@pytest.mark.parametrize(
    ("text", "places", "expected"),
    [("0.125", 2, D("0.13")), ("0.135", 2, D("0.14")), ("-0.125", 2, D("-0.13")), ("2.5", 0, D("3")),
     ("1.0005", 3, D("1.001")), ("12", 2, D("12.00")), ("999999999999.994", 2, D("999999999999.99"))],
)
def test_money_rounds_half_up_not_to_even(text: str, places: int, expected: D) -> None:
    assert parse_money(text, places=places, allow_negative=True) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [("-0.01", "negative"), ("NaN", "not_a_number"), ("Infinity", "not_a_number"), ("1e12", "too_large"),
     ("x", "not_a_number"), (1.5, "not_a_number"), ("19,90", "separator"), ("1，5", "separator")],
)
def test_bad_money_is_refused(value: object, reason: str) -> None:
    with pytest.raises(InvalidAmount) as refused:
        parse_money(value)
    assert refused.value.params["reason"] == reason


def test_unit_costs_keep_six_places_rounded_half_up() -> None:
    assert parse_unit_cost("0.0000005") == D("0.000001")
    assert parse_unit_cost("0.00000049") == D("0.000000")
    assert parse_unit_cost("999999999999.999999") == D("999999999999.999999")
    assert parse_unit_cost("1,250.5") == D("1250.500000")
    refusals = [("-0.000001", "negative"), ("1e12", "too_large"), ("NaN", "not_a_number"), (0.5, "not_a_number"),
                ("12,5", "separator")]
    for bad, reason in refusals:
        with pytest.raises(InvalidAmount) as refused:
            parse_unit_cost(bad)
        assert refused.value.params["reason"] == reason


def test_rounding_helpers_round_half_up_at_their_places() -> None:
    assert round_money(D("0.005")) == D("0.01")
    assert round_money(D("-0.005")) == D("-0.01")
    assert round_money(D("0.0049999")) == D("0.00")
    assert round_money(D("1.2345"), 3) == D("1.235")
    assert round_cost(D("0.0003125")) == D("0.000313")
    assert round_cost(D(1) / D(3)) == D("0.333333")
    assert round_qty(D("0.00005")) == D("0.0001")


def test_sums_that_float_gets_wrong_are_exact() -> None:
    assert 0.1 + 0.2 != 0.3
    assert parse_quantity("0.1") + parse_quantity("0.2") == parse_quantity("0.3")
    assert sum((parse_quantity("0.1") for _ in range(10)), D(0)) == D(1)


def test_a_line_amount_or_total_at_what_the_books_hold_is_refused_with_its_own_code() -> None:
    assert line_amount(D("999999999999"), D("0.999999"), 2, "LAMP") == D("999998999999.00")
    for qty, price in ((D("999999999999.9999"), D("999999999999.999999")), (D(1), D("999999999999.995"))):
        with pytest.raises(AmountTooLarge) as refused:
            line_amount(qty, price, 2, "LAMP")
        assert (refused.value.code, refused.value.params["item"]) == ("amount_too_large", "LAMP")
    assert document_total([D("600000000000"), D("399999999999.99")]) == D("999999999999.99")
    with pytest.raises(AmountTooLarge):
        document_total([D("600000000000"), D("400000000000")])
