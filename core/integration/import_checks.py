"""Every row of an import file checked: its values first (no database), then what it refers to and whether it
exists already (inside the transaction); each problem named by the row's line and column."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from core.errors import DomainError, InvalidPartner, InvalidPriceRule
from core.integration.import_columns import (
    CHANNELS,
    COLUMNS,
    REQUIRED,
    TEXT_LIMITS,
    TRACKING_WORDS,
    gtin_ok,
    is_formula,
)
from core.models import Category, Customer, Employee, Product, ProductBarcode, ReorderRule, Supplier, Warehouse
from core.models.partners import CREDIT_RATINGS
from core.numbers import parse_money, parse_quantity, parse_unit_cost
from core.partners.records import document_language
from core.permissions import Actor, Permission
from core.sales.price_lists import PriceRuleIn, checked_rule
from core.stock.lots import lot_code, parse_date
from core.uow import Tx

CHUNK = 5000
_SPACE = re.compile(r"\s")
_PHONE_LIKE = re.compile(r"[+\-]?[\d\s\-+().]*")  # "+86 21 5555-0100" is a phone number, not a formula


@dataclass(frozen=True)
class RowProblem:
    """One reason one row cannot be imported; `line` as a person sees it in Excel (the header is line 1)."""

    line: int
    column: str
    reason: str
    value: str = ""


@dataclass
class Checked:
    """Rows being validated: clean values per row and the problems found so far."""

    kind: str
    lines: list[int]
    clean: list[dict[str, Any]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    # files repeat the same prices and quantities: each (column, text) is parsed once per file
    numbers: dict[tuple[str, str], tuple[Any, str | None]] = field(default_factory=dict)

    def bad(self, index: int, column: str, reason: str, value: object = "") -> None:
        self.problems.append(RowProblem(self.lines[index], column, reason, str(value)[:40]))


# ---- values (no database) ------------------------------------------------------------------------------------------


def _text(value: object) -> str:
    if value is None:
        return ""
    return str(value).strip()


def check_values(checked: Checked, rows: Sequence[Mapping[str, object]]) -> None:
    """Each row's values checked and cleaned (no database): the clean row kept, each problem noted."""
    kind = checked.kind
    columns, required = COLUMNS[kind], REQUIRED[kind]
    keys: dict[tuple[str, ...], int] = {}
    barcodes: dict[str, int] = {}
    for index, row in enumerate(rows):
        clean: dict[str, Any] = {}
        for column in columns:
            raw = row.get(column)
            text = _text(raw)
            if column in TEXT_LIMITS:
                if not text:
                    if column in required:
                        checked.bad(index, column, "missing")
                    clean[column] = ""
                    continue
                if len(text) > TEXT_LIMITS[column]:
                    checked.bad(index, column, "too_long", text)
                elif is_formula(text) and not _PHONE_LIKE.fullmatch(text):
                    checked.bad(index, column, "formula", text)
                elif column in ("sku", "code", "barcode", "warehouse", "supplier", "customer") and _SPACE.search(text):
                    checked.bad(index, column, "bad_code", text)
                clean[column] = text.upper() if column in ("sku", "code", "warehouse", "supplier", "customer") else text
            else:
                clean[column] = _number(checked, index, column, text, required)
        _check_row(checked, index, clean)
        key = tuple(clean[c] for c in _KEYS[kind])
        if key and all(k for c, k in zip(_KEYS[kind], key, strict=True) if c != "lot") and not clean.get("serials"):
            if key in keys:
                checked.bad(index, "sku" if kind == "opening_stock" else _KEYS[kind][-1], "duplicate_in_file",
                            "/".join(k for k in key if k))
            else:
                keys[key] = index
        barcode = clean.get("barcode")
        if barcode:
            if barcode in barcodes:
                checked.bad(index, "barcode", "duplicate_in_file", barcode)
            barcodes[barcode] = index
        checked.clean.append(clean)


_KEYS = {"products": ("sku",), "customers": ("code",), "suppliers": ("code",),
         "opening_stock": ("warehouse", "sku", "lot"), "reorder_rules": ("warehouse", "sku"), "price_rules": ()}
_PRICES = ("purchase_price", "sale_price", "floor_price", "unit_cost", "value")
_DAYS = ("payment_terms_days", "lead_time_days", "shelf_life_days", "alert_days")


def _number(checked: Checked, index: int, column: str, text: str, required: tuple[str, ...]) -> Any:
    if not text:
        if column in required:
            checked.bad(index, column, "missing")
        return None
    known = checked.numbers.get((column, text))
    if known is None:
        problems = len(checked.problems)
        value = _parse_number(checked, index, column, text)
        known = (value, checked.problems[-1].reason if len(checked.problems) > problems else None)
        checked.numbers[(column, text)] = known
        return value
    if known[1] is not None:
        checked.bad(index, column, known[1], text)
    return known[0]


def _parse_number(checked: Checked, index: int, column: str, text: str) -> Any:
    try:
        if column in _PRICES:
            return parse_unit_cost(text)
        if column == "credit_limit":
            return parse_money(text)
        if column in _DAYS:
            if not text.isdigit() or int(text) > 3650:
                checked.bad(index, column, "bad_number" if not text.lstrip("-").isdigit() else "out_of_range",
                            text)
                return None
            return int(text)
        return parse_quantity(text, allow_zero=column in ("minimum", "min_qty"))
    except DomainError as error:
        reason = str(error.params.get("reason", "bad_number"))
        checked.bad(index, column, {"not_a_number": "bad_number"}.get(reason, reason), text)
        return None


def _check_row(checked: Checked, index: int, clean: dict[str, Any]) -> None:
    kind = checked.kind
    if kind == "products":
        sale, floor = clean["sale_price"], clean["floor_price"]
        if sale is not None and floor is not None and sale > 0 and floor > sale:
            checked.bad(index, "floor_price", "floor_above_sale", floor)
        if clean["barcode"] and not gtin_ok(clean["barcode"]):
            checked.bad(index, "barcode", "bad_check_digit", clean["barcode"])
        tracking = TRACKING_WORDS.get(clean["tracking"].lower())
        if tracking is None:
            checked.bad(index, "tracking", "unknown_tracking", clean["tracking"])
        clean["tracking"] = tracking or "none"
        if clean["shelf_life_days"] == 0:
            checked.bad(index, "shelf_life_days", "out_of_range", 0)
    elif kind == "opening_stock":
        _check_lot(checked, index, clean)
    elif kind == "suppliers":
        rating = clean["credit_rating"].upper()
        if rating and rating not in CREDIT_RATINGS:
            checked.bad(index, "credit_rating", "unknown_rating", rating)
        clean["credit_rating"] = rating or "B"
    elif kind == "customers":
        channel = clean["channel"].lower()
        if channel and channel not in CHANNELS:
            checked.bad(index, "channel", "unknown_channel", channel)
        clean["channel"] = channel or "wholesale"
        try:
            clean["language"] = document_language(clean["language"]) if clean["language"] else "zh_CN"
        except InvalidPartner:
            checked.bad(index, "language", "unknown_language", clean["language"])
    elif kind == "reorder_rules":
        low, high = clean["minimum"], clean["maximum"]
        if low is not None and high is not None and high < low:
            checked.bad(index, "maximum", "maximum_below_minimum", high)
    elif kind == "price_rules" and clean["value"] is not None:
        _check_price_rule(checked, index, clean)


_SERIAL_SEPARATORS = re.compile(r"[\s,，、;；]+")


def _check_lot(checked: Checked, index: int, clean: dict[str, Any]) -> None:
    """An opening stock row's lot, expiry and serials (one per unit, separated by spaces, commas or semicolons)."""
    if len(clean["expiry"]) > 10 and clean["expiry"][10] in "T " and clean["expiry"][11:].strip("0:") == "":
        clean["expiry"] = clean["expiry"][:10]  # an Excel date cell, read as midnight
    for column in ("lot", "expiry"):
        try:
            clean[column] = (lot_code(clean[column]) if column == "lot" else parse_date(clean[column], "expiry")) \
                if clean[column] else None
        except DomainError:
            checked.bad(index, column, "bad_lot" if column == "lot" else "bad_date", clean[column])
            clean[column] = None
    serials = [s for s in _SERIAL_SEPARATORS.split(clean["serials"]) if s]
    clean["serials"] = ()
    try:
        clean["serials"] = tuple(lot_code(s) for s in serials)
    except DomainError as error:
        checked.bad(index, "serials", "bad_lot", error.params.get("lot", ""))
    if clean["serials"] and clean["lot"]:
        checked.bad(index, "serials", "lot_and_serials", clean["lot"])
    if len(set(clean["serials"])) != len(clean["serials"]):
        checked.bad(index, "serials", "duplicate_in_file", next(s for s in clean["serials"]
                                                                 if clean["serials"].count(s) > 1))
    if clean["serials"] and clean["qty"] is not None and Decimal(len(clean["serials"])) != clean["qty"]:
        checked.bad(index, "serials", "serial_count", len(clean["serials"]))


_RULE_COLUMNS = {"method": "method", "percent": "value", "grade": "grade", "grade_and_customer": "customer",
                 "product_and_category": "category", "dates": "valid_to"}


def _check_price_rule(checked: Checked, index: int, clean: dict[str, Any]) -> None:
    """The rule's form as price lists check it (method, percentage, one party, one scope, dates)."""
    try:
        clean["rule"] = checked_rule(PriceRuleIn(
            clean["method"], clean["value"], clean["grade"] or None, clean["customer"] or None, clean["sku"] or None,
            clean["category"] or None, clean["min_qty"] or 0, clean["valid_from"] or None, clean["valid_to"] or None))
    except InvalidPriceRule as error:
        reason = str(error.params.get("reason"))
        column = str(error.params.get("field", _RULE_COLUMNS.get(reason, "method")))
        checked.bad(index, column, reason, clean.get(column) or "")


# ---- references (inside the transaction) ---------------------------------------------------------------------------


def _ids(tx: Tx, column: Any, key: Any, wanted: set[str]) -> dict[str, int]:
    """Ids by upper-cased code for the wanted codes (looked up in chunks)."""
    found: dict[str, int] = {}
    values = sorted(w for w in wanted if w)
    for start in range(0, len(values), CHUNK):
        part = values[start:start + CHUNK]
        found.update({str(code).upper(): ident for code, ident in tx.session.execute(
            select(key, column).where(key.in_(part)))})
    return found


def _existing(checked: Checked, tx: Tx, index_column: str, key: Any, column: Any) -> set[str]:
    """Codes of the file already taken: one scan of the code column (cheaper than thousands of IN parameters)."""
    wanted = {c[index_column] for c in checked.clean}
    return {str(code).upper() for code in tx.session.scalars(select(key))} & wanted


def _refs_products(tx: Tx, _actor: Actor, checked: Checked) -> None:
    taken = _existing(checked, tx, "sku", Product.sku, Product.id)
    categories = _ids(tx, Category.id, Category.code, {c["category"].upper() for c in checked.clean})
    barcodes = set(tx.session.scalars(select(ProductBarcode.barcode))) if any(
        c["barcode"] for c in checked.clean) else set()
    for index, clean in enumerate(checked.clean):
        if clean["sku"] in taken:
            checked.bad(index, "sku", "exists", clean["sku"])
        if clean["category"]:
            if clean["category"].upper() not in categories:
                checked.bad(index, "category", "unknown_category", clean["category"])
            else:
                clean["category_id"] = categories[clean["category"].upper()]
        if clean["barcode"] in barcodes:
            checked.bad(index, "barcode", "exists", clean["barcode"])


def _refs_suppliers(tx: Tx, _actor: Actor, checked: Checked) -> None:
    taken = _existing(checked, tx, "code", Supplier.code, Supplier.id)
    for index, clean in enumerate(checked.clean):
        if clean["code"] in taken:
            checked.bad(index, "code", "exists", clean["code"])


def _refs_customers(tx: Tx, _actor: Actor, checked: Checked) -> None:
    taken = _existing(checked, tx, "code", Customer.code, Customer.id)
    wanted = {c["salesperson"] for c in checked.clean if c["salesperson"]}
    people: dict[str, int] = {name: ident for name, ident in tx.session.execute(
        select(Employee.name, Employee.id).where(Employee.name.in_(wanted)))} if wanted else {}
    for index, clean in enumerate(checked.clean):
        if clean["code"] in taken:
            checked.bad(index, "code", "exists", clean["code"])
        if clean["salesperson"] and clean["salesperson"] not in people:
            checked.bad(index, "salesperson", "unknown_salesperson", clean["salesperson"])
        clean["salesperson_id"] = people.get(clean["salesperson"])


def _products_and_warehouses(tx: Tx, actor: Actor, checked: Checked, permission: Permission) -> None:
    products = {r.sku.upper(): r for r in _product_rows(tx, {c["sku"] for c in checked.clean})}
    warehouses = {code.upper(): ident for code, ident in tx.session.execute(
        select(Warehouse.code, Warehouse.id).where(Warehouse.active, Warehouse.kind == "normal"))}
    for index, clean in enumerate(checked.clean):
        product = products.get(clean["sku"])
        if clean["sku"] and product is None:
            checked.bad(index, "sku", "unknown_product", clean["sku"])
        elif product is not None:
            if not product.active:
                checked.bad(index, "sku", "inactive_product", clean["sku"])
            clean["product_id"], clean["purchase_price"] = product.id, product.purchase_price
            clean["tracking"] = product.tracking
        warehouse_id = warehouses.get(clean["warehouse"])
        if clean["warehouse"] and warehouse_id is None:
            checked.bad(index, "warehouse", "unknown_warehouse", clean["warehouse"])
        elif warehouse_id is not None:
            if not actor.can(permission, warehouse_id):
                checked.bad(index, "warehouse", "not_allowed", clean["warehouse"])
            clean["warehouse_id"] = warehouse_id


def _product_rows(tx: Tx, skus: set[str]) -> list[Any]:
    rows: list[Any] = []
    values = sorted(s for s in skus if s)
    for start in range(0, len(values), CHUNK):
        rows += tx.session.execute(select(Product.id, Product.sku, Product.active, Product.purchase_price,
                                          Product.tracking)
                                   .where(Product.sku.in_(values[start:start + CHUNK]))).all()
    return rows


def _refs_stock(tx: Tx, actor: Actor, checked: Checked) -> None:
    _products_and_warehouses(tx, actor, checked, Permission.STOCK_RECEIVE)
    serials: dict[tuple[str, str], int] = {}
    for index, clean in enumerate(checked.clean):
        tracking = clean.get("tracking", "none")
        if tracking == "none" and (clean["lot"] or clean["serials"]):
            checked.bad(index, "lot" if clean["lot"] else "serials", "not_tracked", clean["sku"])
        elif tracking == "lot" and clean["serials"]:
            checked.bad(index, "serials", "not_serial", clean["sku"])
        elif tracking == "serial" and clean["lot"]:  # one serial in the lot column: a lot of one
            clean["serials"], clean["lot"] = (clean["lot"],), None
            if clean["qty"] is not None and clean["qty"] != 1:
                checked.bad(index, "serials", "serial_count", 1)
        for serial in clean["serials"]:
            if (clean["sku"], serial) in serials:
                checked.bad(index, "serials", "duplicate_in_file", serial)
            serials[(clean["sku"], serial)] = index


def _refs_rules(tx: Tx, actor: Actor, checked: Checked) -> None:
    _products_and_warehouses(tx, actor, checked, Permission.REPLENISH)
    suppliers = _ids(tx, Supplier.id, Supplier.code, {c["supplier"] for c in checked.clean})
    pairs = {(c.get("product_id"), c.get("warehouse_id")) for c in checked.clean}
    product_ids = sorted({p for p, _ in pairs if p is not None})
    existing: set[tuple[int, int]] = set()
    for start in range(0, len(product_ids), CHUNK):
        existing |= {(p, w) for p, w in tx.session.execute(select(ReorderRule.product_id, ReorderRule.warehouse_id)
                     .where(ReorderRule.product_id.in_(product_ids[start:start + CHUNK])))}
    for index, clean in enumerate(checked.clean):
        if clean["supplier"]:
            if clean["supplier"] not in suppliers:
                checked.bad(index, "supplier", "unknown_supplier", clean["supplier"])
            clean["supplier_id"] = suppliers.get(clean["supplier"])
        if (clean.get("product_id"), clean.get("warehouse_id")) in existing:
            checked.bad(index, "sku", "exists", f"{clean['warehouse']}/{clean['sku']}")


def _refs_prices(tx: Tx, _actor: Actor, checked: Checked) -> None:
    customers = _ids(tx, Customer.id, Customer.code, {c["customer"] for c in checked.clean})
    categories = _ids(tx, Category.id, Category.code, {c["category"].upper() for c in checked.clean})
    products = _ids(tx, Product.id, Product.sku, {c["sku"] for c in checked.clean})
    for index, clean in enumerate(checked.clean):
        for column, found, reason in (("customer", customers, "unknown_customer"), ("sku", products,
                                      "unknown_product"), ("category", categories, "unknown_category")):
            if clean[column] and clean[column].upper() not in found:
                checked.bad(index, column, reason, clean[column])
        clean["customer_id"] = customers.get(clean["customer"])
        clean["product_id"] = products.get(clean["sku"])
        clean["category_id"] = categories.get(clean["category"].upper())


REFERENCE_CHECKS: dict[str, Callable[[Tx, Actor, Checked], None]] = {
    "products": _refs_products, "customers": _refs_customers, "suppliers": _refs_suppliers,
    "opening_stock": _refs_stock, "reorder_rules": _refs_rules, "price_rules": _refs_prices,
}
