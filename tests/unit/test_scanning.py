"""Codes read from phone-like photos drawn in the test, and GS1 element strings parsed into their parts."""

from __future__ import annotations

import io
from datetime import date

import pytest
from PIL import Image

from core.codes.gs1 import Gs1Data, barcode_forms, parse_gs1
from core.codes.scanning import read_codes
from tests.pictures import Code, blank_photo, jpeg, photo

GS1_LINE = "(01)04006381333931(10)LOT7(17)271231(21)SN42(11)260315"


@pytest.mark.parametrize(("code", "read_as"), [
    (Code("4006381333931", "EAN13"), ("4006381333931", "EAN13")),
    (Code("96385074", "EAN8"), ("96385074", "EAN8")),
    (Code("036000291452", "UPCA"), ("0036000291452", "EAN13")),  # zxing gives UPC-A as its EAN-13 form
    (Code("JXC-CUP-500", "Code128"), ("JXC-CUP-500", "Code128")),
    (Code("https://jxc.example/i/CUP500", "QRCode"), ("https://jxc.example/i/CUP500", "QRCode")),
    (Code("CUP500", "DataMatrix"), ("CUP500", "DataMatrix")),
])
def test_each_format_is_read_from_a_rotated_noisy_1280_px_photo(code: Code, read_as: tuple[str, str]) -> None:
    found = read_codes(photo([code], angle=5))
    assert [(c.text, c.format, c.gs1) for c in found] == [(*read_as, False)]


@pytest.mark.parametrize("symbol", ["DataMatrix", "Code128", "QRCode"])
def test_a_gs1_code_gives_gtin_lot_expiry_serial_and_production_date(symbol: str) -> None:
    found = read_codes(photo([Code(GS1_LINE, symbol, gs1=True)]))
    assert len(found) == 1 and found[0].gs1
    assert parse_gs1(found[0].text) == Gs1Data(gtin="04006381333931", lot="LOT7", expiry=date(2027, 12, 31),
                                               serial="SN42", produced=date(2026, 3, 15))


def test_several_codes_in_one_picture_are_all_read() -> None:
    codes = [Code("4006381333931", "EAN13"), Code("96385074", "EAN8"), Code("JXC-CUP-500", "Code128"),
             Code("CUP500", "DataMatrix"), Code("4006381333931", "EAN13")]
    found = read_codes(photo(codes, width=1600, height=1200))
    assert sorted(c.text for c in found) == sorted(c.content for c in codes)


def test_a_picture_without_a_code_or_no_picture_at_all_reads_nothing() -> None:
    assert read_codes(blank_photo()) == ()
    assert read_codes(b"GIF89a not really") == ()
    assert read_codes(b"") == ()


def test_pictures_over_the_caps_are_not_decoded() -> None:
    picture = photo([Code("4006381333931", "EAN13")])
    assert read_codes(picture, max_bytes=len(picture) - 1) == ()
    assert read_codes(picture, max_pixels=1280 * 960 - 1) == ()
    assert [c.text for c in read_codes(picture)] == ["4006381333931"]


def test_a_big_phone_photo_is_scaled_down_and_still_read() -> None:
    small = Image.open(io.BytesIO(photo([Code("4006381333931", "EAN13")])))
    big = small.resize((4000, 3000))
    assert [c.text for c in read_codes(jpeg(big))] == ["4006381333931"]


def test_raw_element_strings_and_plain_codes() -> None:
    raw = "0104006381333931" "17271231" "10AB-1\x1d" "21X9"
    assert parse_gs1(raw) == Gs1Data("04006381333931", lot="AB-1", expiry=date(2027, 12, 31), serial="X9")
    assert parse_gs1("4006381333931") is None  # a plain EAN-13 is a barcode, not an element string
    assert parse_gs1("(01)123") is None
    assert parse_gs1("(10)LOT7") is None  # no GTIN: nothing to find the product by


def test_a_gtin_names_the_barcodes_it_may_be_stored_as() -> None:
    assert barcode_forms("04006381333931") == ("04006381333931", "4006381333931")
    assert barcode_forms("00036000291452") == ("00036000291452", "0036000291452", "036000291452")
    assert "96385074" in barcode_forms("00000096385074")
    assert barcode_forms("12345678901234") == ("12345678901234",)
    assert barcode_forms("ABC") == ()
