"""The pieces of printing that need no database: capital figures, the print command's words, the settings read
from the config, ESC/POS column widths and barcodes."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest

from bot.documents.ask import PrintAsk
from bot.documents.codes import barcode_pattern
from bot.documents.escpos import width, wrap
from bot.documents.settings import FontMissing, document_settings, printer_address
from bot.flows.printing import read_ask
from core.config import Config, ConfigError
from core.documents.capital import capital_amount


@pytest.mark.parametrize(("amount", "words"), [
    ("0", "零元整"), ("1", "壹元整"), ("10", "壹拾元整"), ("101", "壹佰零壹元整"), ("1005", "壹仟零伍元整"),
    ("1050", "壹仟零伍拾元整"), ("10001", "壹万零壹元整"), ("100100", "壹拾万零壹佰元整"),
    ("1234.5", "壹仟贰佰叁拾肆元伍角整"), ("0.05", "伍分"), ("0.5", "伍角整"), ("10.05", "壹拾元零伍分"),
    ("360.00", "叁佰陆拾元整"), ("100010000", "壹亿零壹万元整"), ("-16", "负壹拾陆元整"),
    ("12345678.91", "壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元玖角壹分"), ("20000.30", "贰万元叁角整"),
    ("1000000.06", "壹佰万元零陆分"), ("0.004", "零元整"), ("0.005", "壹分"), ("999999999999.99",
                                                                       "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
])
def test_amounts_in_capital_figures(amount: str, words: str) -> None:
    assert capital_amount(D(amount)) == words


def test_an_amount_beyond_the_capital_units_is_refused() -> None:
    with pytest.raises(ValueError):
        capital_amount(D(10) ** 16)


@pytest.mark.parametrize(("typed", "ask"), [
    ("SO-2026-000001", PrintAsk("SO-2026-000001")),
    ("so-2026-000001 80MM EN", PrintAsk("so-2026-000001", layout="80mm", lang="en")),
    ("SO-2026-000001 小票", PrintAsk("SO-2026-000001", receipt=True)),
    ("对账单 ACME 2026-03", PrintAsk("customer:ACME", "2026-03")),
    ("对账单 供应商 NW 2026-03", PrintAsk("supplier:NW", "2026-03")),
    ("supplier NW", PrintAsk("supplier:NW")),
    ("customer:ACME 2026-02 中文", PrintAsk("customer:ACME", "2026-02", lang="zh_CN")),
])
def test_what_follows_print_names_the_document_and_how(typed: str, ask: PrintAsk) -> None:
    assert read_ask(typed) == ask


@pytest.mark.parametrize("typed", ["", "   ", "80mm", "en 小票"])
def test_print_without_a_document_asks_for_one(typed: str) -> None:
    assert read_ask(typed) is None


def test_the_documents_settings_come_from_company_and_documents() -> None:
    settings = document_settings(Config(sections={
        "company": {"name": "华东五金", "tax_id": "9131", "bank_account": "招商银行 6214"},
        "documents": {"layout": "80mm", "hide_columns": ["stock", "Barcode"], "printer": "192.168.1.50:9100"}}))
    assert (settings.company.name, settings.company.tax_id, settings.company.bank_account) == (
        "华东五金", "9131", "招商银行 6214")
    assert settings.layout == "80mm" and settings.hidden == {"stock", "barcode"}
    assert settings.printer == ("192.168.1.50", 9100)
    assert document_settings(Config(sections={"documents": {"hide_columns": "warehouse, stock"}})).hidden == {
        "warehouse", "stock"}


@pytest.mark.parametrize(("section", "message"), [
    ({"layout": "a5"}, "layout must be one of a4, 80mm"),
    ({"hide_columns": ["price"]}, "hide_columns may name stock, warehouse, barcode, not price"),
    ({"printer": "printer.local"}, "printer must be host:port"),
    ({"printer": "10.0.0.1:99999"}, "printer must be host:port"),
])
def test_wrong_documents_settings_are_named(section: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        document_settings(Config(sections={"documents": section}))


def test_a_configured_font_that_does_not_exist_says_what_to_do(tmp_path: Path) -> None:
    settings = document_settings(Config(sections={"documents": {"font": str(tmp_path / "none.ttf")}}))
    with pytest.raises(FontMissing, match="fonts-wqy-microhei"):
        settings.font_file()
    assert printer_address("") is None and printer_address("[::1]:9100") == ("::1", 9100)


def test_receipt_columns_count_a_chinese_character_as_two() -> None:
    assert width("送货单 SO-1") == 11
    lines = wrap("复古闹钟" * 20)
    assert [width(line) for line in lines] == [48, 48, 48, 16]
    assert wrap("") == [""]


def test_barcodes_are_ean13_for_a_valid_gtin_and_code128_otherwise() -> None:
    assert len(barcode_pattern("6901234567892")) == 95, "EAN-13: 95 modules"
    assert len(barcode_pattern("690123456789")) == 95, "the check digit added"
    assert barcode_pattern("6901234567890") != barcode_pattern("6901234567892"), "a wrong check digit: Code 128"
    assert barcode_pattern("RETRO-CLOCK").startswith("11010010000"), "Code 128 start B"
