"""The grammar of an entered line, without a database: what a typed line means, and what it refuses."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from core.catalog.lines import (
    BadForm,
    EnteredLine,
    TypedLine,
    bounded,
    entered,
    entered_typed,
    item_code,
    looks_numeric,
    split_line,
    split_lines,
)
from core.errors import EmptyDocument, InvalidAmount, InvalidQuantity


@pytest.mark.parametrize(("text", "line"), [
    ("RETRO-CLOCK 2", TypedLine("RETRO-CLOCK", "2")),
    ("RETRO-CLOCK 3 15", TypedLine("RETRO-CLOCK", "3", None, "15")),
    ("retro-clock 1 箱", TypedLine("retro-clock", "1", "箱")),
    ("retro-clock 1 箱 240", TypedLine("retro-clock", "1", "箱", "240")),
    ("retro-clock 1 240 箱", TypedLine("retro-clock", "1", "箱", "240")),
    ("  TEA-CUP   3  ", TypedLine("TEA-CUP", "3")),
    ("just some words here", TypedLine("just", "some", "words", "here")),
])
def test_a_typed_line_is_a_code_a_quantity_and_an_optional_unit_and_price(text: str, line: TypedLine) -> None:
    assert split_line(text) == line


@pytest.mark.parametrize("text", ["", "RETRO-CLOCK", "😀", "A 1 2 3", "A 1 box 2 3", "X" * 65 + " 1"])
def test_what_is_not_a_line_is_refused_as_bad_form(text: str) -> None:
    with pytest.raises(BadForm):
        split_line(text)


def test_without_prices_a_number_after_the_quantity_is_bad_form_and_a_word_is_the_unit() -> None:
    assert split_line("LAMP 2 box", prices=False) == TypedLine("LAMP", "2", "box")
    with pytest.raises(BadForm):
        split_line("LAMP 2 40", prices=False)
    with pytest.raises(BadForm):
        split_line("LAMP 2 box 40", prices=False)


def test_a_unit_longer_than_twenty_characters_is_cut() -> None:
    assert split_line("LAMP 2 " + "u" * 30).unit == "u" * 20


def test_several_lines_of_text_are_one_line_each_and_blank_lines_are_skipped() -> None:
    assert split_lines("RETRO-CLOCK 2 箱 120\n\nTEA-CUP 10\n", prices=True) == [
        TypedLine("RETRO-CLOCK", "2", "箱", "120"), TypedLine("TEA-CUP", "10")]


def test_no_lines_or_more_than_the_limit_is_bad_form() -> None:
    with pytest.raises(BadForm):
        split_lines("  \n ", prices=True)
    with pytest.raises(BadForm):
        split_lines("\n".join(["LAMP 1"] * 3), prices=True, limit=2)
    assert len(split_lines("\n".join(["LAMP 1"] * 2), prices=True, limit=2)) == 2


@pytest.mark.parametrize(("token", "numeric"), [
    ("12", True), ("2.5", True), ("-1", True), ("1,200", True), ("1e3", True), ("盒", False), ("x5", False),
    ("-", False), ("", False),
])
def test_a_word_looks_numeric_when_it_is_digits_with_separators(token: str, numeric: bool) -> None:
    assert looks_numeric(token) is numeric


def test_an_entered_line_has_exact_decimals_and_a_trimmed_code_and_unit() -> None:
    assert entered("  RETRO-CLOCK ", "2", " 箱 ", "240.5") == EnteredLine("RETRO-CLOCK", D("2"), "箱", D("240.5"))
    assert entered("LAMP", 1, "", None) == EnteredLine("LAMP", D(1))
    assert entered_typed(TypedLine("LAMP", "3", None, "40")) == EnteredLine("LAMP", D(3), None, D(40))


@pytest.mark.parametrize(("item", "qty", "price", "code", "reason"), [
    ("  ", 1, None, "invalid_quantity", "no_item"),
    ("X" * 10_000, 1, None, "invalid_quantity", "no_item"),
    ("LAMP", "abc", None, "invalid_quantity", "not_a_number"),
    ("LAMP", "0", None, "invalid_quantity", "zero"),
    ("LAMP", "-3", None, "invalid_quantity", "negative"),
    ("LAMP", "1.00001", None, "invalid_quantity", "too_many_places"),
    ("LAMP", "2", "-1", "invalid_amount", "negative"),
    ("LAMP", "2", "cheap", "invalid_amount", "not_a_number"),
])
def test_a_bad_line_is_refused_with_the_code_and_reason_the_templates_know(
    item: str, qty: object, price: object, code: str, reason: str
) -> None:
    with pytest.raises((InvalidQuantity, InvalidAmount)) as refused:
        entered(item, qty, None, price)
    assert (refused.value.code, refused.value.params["reason"]) == (code, reason)


def test_signed_lines_take_negative_quantities_and_counts_take_zero() -> None:
    assert entered("LAMP", "-3", signed=True).qty == D(-3)
    assert entered("LAMP", "0", allow_zero=True).qty == D(0)


def test_a_document_has_at_least_one_line_and_at_most_its_limit() -> None:
    with pytest.raises(EmptyDocument):
        bounded([], 3)
    with pytest.raises(EmptyDocument):
        bounded(None, 3)
    assert bounded(None, 3, allow_empty=True) == ()
    with pytest.raises(InvalidQuantity) as refused:
        bounded([1, 2, 3, 4], 3)
    assert refused.value.params == {"value": "4", "reason": "too_many_lines"}
    assert item_code(" TEA-CUP ") == "TEA-CUP"
