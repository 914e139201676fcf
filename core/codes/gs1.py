"""GS1 element strings (GS1-128, GS1 DataMatrix, GS1 QR): GTIN, lot, expiry, serial and production date (biip)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from biip import ParseError
from biip.gs1_messages import GS1Message

GTIN_DIGITS = re.compile(r"^\d{8}$|^\d{12,14}$")
_HRI = re.compile(r"^\(\d{2,4}\)")
_RAW_GTIN = re.compile(r"^01\d{14}")


@dataclass(frozen=True)
class Gs1Data:
    """What a GS1 code says of an item: its GTIN-14 and, when given, lot (10), expiry (17), serial (21) and
    production date (11)."""

    gtin: str
    lot: str | None = None
    expiry: date | None = None
    serial: str | None = None
    produced: date | None = None


def parse_gs1(text: str) -> Gs1Data | None:
    """The GS1 data of a scanned or typed element string, "(01)…(10)…" or raw "01…" (GS-separated); None
    when the text is not a GS1 element string carrying a GTIN (a plain EAN-13 is a barcode, not this)."""
    value = text.strip()
    try:
        if _HRI.match(value):
            message = GS1Message.parse_hri(value)
        elif _RAW_GTIN.match(value):
            message = GS1Message.parse(value)
        else:
            return None
    except ParseError:
        return None
    found: dict[str, str] = {}
    dates: dict[str, date | None] = {}
    for element in message.element_strings:
        found.setdefault(element.ai.ai, element.value)
        dates.setdefault(element.ai.ai, element.date)
    gtin = found.get("01")
    if gtin is None:
        return None
    return Gs1Data(gtin=gtin, lot=found.get("10"), expiry=dates.get("17"), serial=found.get("21"),
                   produced=dates.get("11"))


def barcode_forms(gtin: str) -> tuple[str, ...]:
    """The ways a product's barcode may be stored for one GTIN: the GTIN-14 and, for its leading zeros, the
    EAN-13, UPC-A (12) and EAN-8 it carries ("04006381333931" is the EAN-13 "4006381333931")."""
    digits = gtin.strip()
    if not GTIN_DIGITS.match(digits):
        return ()
    padded = digits.zfill(14)
    forms = [padded]
    for length in (13, 12, 8):
        if padded[: 14 - length].strip("0") == "":
            forms.append(padded[14 - length:])
    return tuple(dict.fromkeys(forms))
