"""The columns of each import kind, and which cells are safe: formula-looking text, barcodes' check digits."""

from __future__ import annotations

FORMULA_START = ("=", "+", "@", "\t", "\r")

# The columns of each kind, in file order (export writes them in this order; import reads them by name).
COLUMNS: dict[str, tuple[str, ...]] = {
    "products": ("sku", "name_zh", "name_en", "spec", "category", "base_unit", "purchase_price", "sale_price",
                 "floor_price", "tracking", "shelf_life_days", "alert_days", "barcode"),
    "customers": ("code", "name", "contact", "phone", "channel", "credit_limit", "salesperson",
                  "payment_terms_days", "note", "language"),
    "suppliers": ("code", "name", "contact", "phone", "credit_rating", "lead_time_days", "payment_terms_days",
                  "note"),
    "opening_stock": ("warehouse", "sku", "qty", "unit_cost", "lot", "expiry", "serials"),
    "reorder_rules": ("sku", "warehouse", "minimum", "maximum", "pack_size", "supplier", "lead_time_days"),
    "price_rules": ("grade", "customer", "sku", "category", "method", "value", "min_qty", "valid_from", "valid_to"),
}
KINDS = tuple(COLUMNS)
REQUIRED: dict[str, tuple[str, ...]] = {
    "products": ("sku", "name_zh"), "customers": ("code", "name"), "suppliers": ("code", "name"),
    "opening_stock": ("warehouse", "sku", "qty"), "reorder_rules": ("sku", "warehouse", "minimum", "maximum"),
    "price_rules": ("method", "value"),
}
TEXT_LIMITS = {"sku": 40, "name_zh": 200, "name_en": 200, "category": 40, "base_unit": 20, "barcode": 64,
               "code": 20, "name": 200, "contact": 100, "phone": 40, "channel": 20, "salesperson": 100,
               "note": 500, "warehouse": 20, "supplier": 20, "credit_rating": 10, "grade": 20, "customer": 20,
               "method": 20, "valid_from": 19, "valid_to": 19, "spec": 60, "language": 20, "tracking": 10, "lot": 64,
               "expiry": 19, "serials": 65_000}
TRACKING_WORDS = {"": "none", "none": "none", "无": "none", "不管理": "none", "lot": "lot", "批次": "lot",
                  "serial": "serial", "序列号": "serial"}
CHANNELS = ("store", "online", "wholesale")


def is_formula(text: str) -> bool:
    """Text a spreadsheet would run as a formula (=cmd|..., +1+1, @SUM, -2+3)."""
    if not text:
        return False
    if text[0] in FORMULA_START:
        return True
    return text[0] == "-" and len(text) > 1 and not text[1:].replace(".", "", 1).replace(",", "").isdigit()


def neutralise(value: object) -> object:
    """A cell value safe to open in a spreadsheet: formula-looking text gets a leading apostrophe."""
    if isinstance(value, str) and is_formula(value):
        return "'" + value
    return value


def gtin_ok(code: str) -> bool:
    """An EAN-8, UPC-A, EAN-13 or GTIN-14 whose check digit is right; other barcodes (not all digits) pass."""
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        return not code.isdigit()
    total = 3 * sum(map(int, code[-2::-2])) + sum(map(int, code[-3::-2]))
    return (10 - total % 10) % 10 == int(code[-1])
