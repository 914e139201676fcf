"""The rules of pushing without a database: quiet hours across midnight, what is urgent, one warning per product."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.engine.texts import Texts
from bot.push_topics import fold_low_stock, topic_of
from bot.quiet_hours import QuietHours, QuietHoursError

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(hour: int, minute: int = 0, day: int = 4) -> datetime:
    return datetime(2031, 3, day, hour, minute, tzinfo=SHANGHAI)


def test_quiet_hours_across_midnight_end_at_the_next_morning_and_outside_them_nothing_waits() -> None:
    quiet = QuietHours.parse("22:00-07:00", "Asia/Shanghai")
    assert quiet is not None
    assert quiet.until(at(23, 30)) == at(7, 0, day=5)
    assert quiet.until(at(3, 15, day=5).astimezone(UTC)) == at(7, 0, day=5)
    assert quiet.until(at(7, 0)) is None and quiet.until(at(21, 59)) is None
    assert quiet.until(at(22, 0)) == at(7, 0, day=5)
    lunch = QuietHours.parse("12:00-13:30", "Asia/Shanghai")
    assert lunch is not None and lunch.until(at(12, 45)) == at(13, 30) and lunch.until(at(14, 0)) is None


def test_only_approvals_of_the_urgent_amount_and_silent_edits_go_through() -> None:
    quiet = QuietHours.parse("22:00-07:00", "Asia/Shanghai", "50000")
    assert quiet is not None
    assert quiet.lets_through("approval_requested", {"amount": "50000.00"})
    assert quiet.lets_through("approval_escalated", {"amount": "72000"})
    assert not quiet.lets_through("approval_requested", {"amount": "49999.99"})
    assert not quiet.lets_through("low_stock", {"amount": "90000"})
    assert quiet.lets_through("approval_decided", {})
    none_urgent = QuietHours.parse("22:00-07:00", "Asia/Shanghai")
    assert none_urgent is not None and not none_urgent.lets_through("approval_requested", {"amount": "1e9"})


@pytest.mark.parametrize("span", ["22-07", "25:00-07:00", "07:00-07:00", "late"])
def test_a_quiet_hours_setting_that_cannot_work_is_refused_with_its_key(span: str) -> None:
    with pytest.raises(QuietHoursError, match="quiet_hours"):
        QuietHours.parse(span, "Asia/Shanghai")
    assert QuietHours.parse("", "Asia/Shanghai") is None


def test_warnings_fold_into_one_list_each_product_and_warehouse_once_with_the_latest_figures() -> None:
    first = {"product_id": 1, "warehouse_id": 1, "sku": "TEA-CUP", "available": "9"}
    later = {"product_id": 1, "warehouse_id": 1, "sku": "TEA-CUP", "available": "4"}
    other = {"product_id": 2, "warehouse_id": 1, "sku": "LAMP", "available": "1"}
    elsewhere = {"product_id": 1, "warehouse_id": 2, "sku": "TEA-CUP", "available": "7"}
    folded = fold_low_stock([first, other, later, elsewhere])
    assert [(p["sku"], p["warehouse_id"], p["available"]) for p in folded["products"]] == [
        ("LAMP", 1, "1"), ("TEA-CUP", 1, "4"), ("TEA-CUP", 2, "7")]
    assert fold_low_stock([folded, {**other, "available": "0"}])["products"][0]["available"] == "0"
    assert topic_of("low_stock", first) == "low_stock"
    assert topic_of("approval_decided", {"request_id": 9}) == "approval:9"
    assert topic_of("approved", {"request_id": 9}) == ""


def test_a_folded_warning_and_a_decided_card_read_well_in_both_languages() -> None:
    texts = Texts(timezone="Asia/Shanghai")
    folded = fold_low_stock([
        {"product_id": 1, "warehouse_id": 1, "sku": "TEA-CUP", "name_zh": "青花茶杯", "name_en": "Blue tea cup",
         "warehouse": "MAIN", "available": "4", "minimum": "10"},
        {"product_id": 2, "warehouse_id": 1, "sku": "LAMP", "name_zh": "台灯", "name_en": "Desk lamp",
         "warehouse": "MAIN", "available": "1", "minimum": "3"}])
    assert texts.render("en", "notify_low_stock", p=folded) == (
        "⚠️ Low stock (2 products):\n• LAMP Desk lamp in MAIN: 1 available, minimum 3\n"
        "• TEA-CUP Blue tea cup in MAIN: 4 available, minimum 10")
    assert texts.render("zh_CN", "notify_low_stock", p=folded) == (
        "⚠️ 库存不足（2 个商品）：\n• LAMP 台灯（MAIN）可用 1，最低 3\n• TEA-CUP 青花茶杯（MAIN）可用 4，最低 10")
    decided = {"doc_type": "sales_order", "number": "SO-2031-000004", "amount": "250", "decided_by": "li",
               "decision": "reject", "decided_at": "2031-03-04T02:05:00+00:00", "level": 0, "levels": ["manager"]}
    assert texts.render("en", "notify_approval_decided", p=decided).startswith(
        "❌ Rejected: ") and "by li at 2031-03-04 10:05 (level 1 of 1)" in texts.render(
        "en", "notify_approval_decided", p=decided)
    assert "li 已于 2031-03-04 10:05 驳回（第 1/1 级），无需再处理。" in texts.render(
        "zh_CN", "notify_approval_decided", p=decided)
