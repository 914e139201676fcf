"""Payload text: decimals as stored for notifications and audit, short for webhooks, never a float."""

from __future__ import annotations

from decimal import Decimal as D

from core.payloads import decimal_text, to_plain


def test_a_stored_quantity_keeps_its_places_and_a_short_one_drops_trailing_zeros() -> None:
    assert decimal_text(D("9.0000")) == "9.0000"
    assert decimal_text(D("9.0000"), short=True) == "9"
    assert decimal_text(D("2.5000"), short=True) == "2.5"
    assert decimal_text(D("50.0000"), short=True) == "50"
    assert decimal_text(D("-0.0000"), short=True) == "0"


def test_a_payload_becomes_json_safe_all_the_way_down() -> None:
    payload = {"sku": "RETRO-CLOCK", 7: (D("1.5"), {D("2.0")}), "lines": [{"qty": D("12.0000")}], "n": 3}
    assert to_plain(payload) == {"sku": "RETRO-CLOCK", "7": ["1.5", ["2.0"]], "lines": [{"qty": "12.0000"}], "n": 3}
    assert to_plain(payload, short=True)["lines"] == [{"qty": "12"}]
