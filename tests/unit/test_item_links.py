"""The /start payload of an item's deep link: the SKU when it fits Telegram's rule, else the product's id."""

from __future__ import annotations

from core.catalog.links import PAYLOAD, payload_item, start_payload


def test_a_link_safe_sku_is_its_own_payload_and_reads_back() -> None:
    assert start_payload("KETTLE-2_L", 7) == "item_KETTLE-2_L"
    assert payload_item("item_KETTLE-2_L") == ("KETTLE-2_L", None)


def test_a_sku_telegram_cannot_carry_goes_by_the_product_id() -> None:
    for sku in ("保温杯", "A.100", "X" * 60, "a b"):
        payload = start_payload(sku, 42)
        assert payload == "itemid_42" and PAYLOAD.match(payload)
    assert payload_item("itemid_42") == (None, 42)


def test_payloads_that_name_no_item() -> None:
    assert payload_item("item_") == (None, None)
    assert payload_item("ABC123") == (None, None)
    assert payload_item("itemid_x") == (None, None)
