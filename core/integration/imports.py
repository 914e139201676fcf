"""Bulk import of products, partners, opening stock and reorder rules: the whole file validated, then written
set-based in one transaction, or nothing written and every bad row named by its line."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, text

from core.errors import DomainError, InvalidState
from core.ledger.documents import open_document, post_moves
from core.ledger.posting import MoveSpec
from core.models import (
    Category,
    Customer,
    Employee,
    Product,
    ProductBarcode,
    ReorderRule,
    Supplier,
    Warehouse,
)
from core.models.partners import CREDIT_RATINGS
from core.numbers import parse_money, parse_quantity, parse_unit_cost
from core.people.audit import record
from core.permissions import Actor, Permission
from core.uow import Tx, UnitOfWork

CHUNK = 5000
DOCUMENT_LINES = 5000  # opening stock: one receipt per warehouse, split past this many lines (like stock.MAX_LINES)
MAX_ROWS = 1_000_000
MAX_PROBLEMS = 1000
FORMULA_START = ("=", "+", "@", "\t", "\r")

# The columns of each kind, in file order (export writes them in this order; import reads them by name).
COLUMNS: dict[str, tuple[str, ...]] = {
    "products": ("sku", "name_zh", "name_en", "category", "base_unit", "purchase_price", "sale_price",
                 "floor_price", "barcode"),
    "customers": ("code", "name", "contact", "phone", "channel", "credit_limit", "salesperson",
                  "payment_terms_days", "note"),
    "suppliers": ("code", "name", "contact", "phone", "credit_rating", "lead_time_days", "payment_terms_days",
                  "note"),
    "opening_stock": ("warehouse", "sku", "qty", "unit_cost"),
    "reorder_rules": ("sku", "warehouse", "minimum", "maximum", "pack_size", "supplier", "lead_time_days"),
}
KINDS = tuple(COLUMNS)
REQUIRED: dict[str, tuple[str, ...]] = {
    "products": ("sku", "name_zh"), "customers": ("code", "name"), "suppliers": ("code", "name"),
    "opening_stock": ("warehouse", "sku", "qty"), "reorder_rules": ("sku", "warehouse", "minimum", "maximum"),
}
TEXT_LIMITS = {"sku": 40, "name_zh": 200, "name_en": 200, "category": 40, "base_unit": 20, "barcode": 64,
               "code": 20, "name": 200, "contact": 100, "phone": 40, "channel": 20, "salesperson": 100,
               "note": 500, "warehouse": 20, "supplier": 20, "credit_rating": 10}
CHANNELS = ("store", "online", "wholesale")
_SPACE = re.compile(r"\s")
_PHONE_LIKE = re.compile(r"[+\-]?[\d\s\-+().]*")  # "+86 21 5555-0100" is a phone number, not a formula


@dataclass(frozen=True)
class RowProblem:
    """One reason one row cannot be imported; `line` as a person sees it in Excel (the header is line 1)."""

    line: int
    column: str
    reason: str
    value: str = ""


@dataclass(frozen=True)
class ImportResult:
    """What an import did: rows written, stock documents posted, or (nothing written) every bad row."""

    kind: str
    rows: int
    written: int
    problems: tuple[RowProblem, ...] = ()
    documents: tuple[str, ...] = ()
    more_problems: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Checked:
    """Rows being validated: clean values per row and the problems found so far."""

    kind: str
    lines: list[int]
    clean: list[dict[str, Any]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    def bad(self, index: int, column: str, reason: str, value: object = "") -> None:
        self.problems.append(RowProblem(self.lines[index], column, reason, str(value)[:40]))


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


def import_rows(
    uow: UnitOfWork, actor: Actor, kind: str, rows: Sequence[Mapping[str, object]], *,
    first_line: int = 2, progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Validate every row, then write them all set-based in one transaction, or nothing when any row is bad.

    A row's line is its "_line" value, else its position counted from `first_line` (the line after the header)."""
    if kind not in COLUMNS:
        raise InvalidState(kind=kind[:40], reason="unknown_import_kind")
    actor.require({"products": Permission.CATALOG_EDIT, "customers": Permission.CUSTOMER_EDIT,
                   "suppliers": Permission.SUPPLIER_EDIT, "opening_stock": Permission.STOCK_RECEIVE,
                   "reorder_rules": Permission.REPLENISH}[kind])
    if len(rows) > MAX_ROWS:
        raise InvalidState(kind=kind, reason="too_many_rows", maximum=MAX_ROWS)
    lines = [int(str(r.get("_line") or (first_line + i))) for i, r in enumerate(rows)]
    checked = _Checked(kind, lines)
    _check_values(checked, rows)

    def work(tx: Tx) -> ImportResult:
        problems_before = len(checked.problems)
        _CHECK_REFERENCES[kind](tx, actor, checked)
        problems = sorted(checked.problems, key=lambda p: (p.line, COLUMNS[kind].index(p.column)
                                                           if p.column in COLUMNS[kind] else 99))
        del checked.problems[problems_before:]
        if problems:
            shown = tuple(problems[:MAX_PROBLEMS])
            return ImportResult(kind, len(rows), 0, shown, more_problems=len(problems) - len(shown))
        documents = _WRITE[kind](tx, actor, checked, progress)
        record(tx, actor, f"import.{kind}", kind, None, rows=len(rows), documents=list(documents))
        return ImportResult(kind, len(rows), len(rows), documents=tuple(documents))

    return uow.run(work)


# ---- values (no database) ------------------------------------------------------------------------------------------


def _text(value: object) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _check_values(checked: _Checked, rows: Sequence[Mapping[str, object]]) -> None:
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
                elif column in ("sku", "code", "barcode", "warehouse", "supplier") and _SPACE.search(text):
                    checked.bad(index, column, "bad_code", text)
                clean[column] = text.upper() if column in ("sku", "code", "warehouse", "supplier") else text
            else:
                clean[column] = _number(checked, index, column, text, required)
        _check_row(checked, index, clean)
        key = tuple(clean[c] for c in _KEYS[kind])
        if all(key):
            if key in keys:
                checked.bad(index, _KEYS[kind][-1], "duplicate_in_file", "/".join(key))
            else:
                keys[key] = index
        barcode = clean.get("barcode")
        if barcode:
            if barcode in barcodes:
                checked.bad(index, "barcode", "duplicate_in_file", barcode)
            barcodes[barcode] = index
        checked.clean.append(clean)


_KEYS = {"products": ("sku",), "customers": ("code",), "suppliers": ("code",),
         "opening_stock": ("warehouse", "sku"), "reorder_rules": ("warehouse", "sku")}
_PRICES = ("purchase_price", "sale_price", "floor_price", "unit_cost")
_DAYS = ("payment_terms_days", "lead_time_days")


_NUMBERS: dict[tuple[str, str], tuple[Any, str | None]] = {}


def _number(checked: _Checked, index: int, column: str, text: str, required: tuple[str, ...]) -> Any:
    if not text:
        if column in required:
            checked.bad(index, column, "missing")
        return None
    known = _NUMBERS.get((column, text))  # files repeat the same prices and quantities: parse each text once
    if known is None:
        problems = len(checked.problems)
        value = _parse_number(checked, index, column, text)
        known = (value, checked.problems[-1].reason if len(checked.problems) > problems else None)
        if len(_NUMBERS) < 100_000:
            _NUMBERS[(column, text)] = known
        return value
    if known[1] is not None:
        checked.bad(index, column, known[1], text)
    return known[0]


def _parse_number(checked: _Checked, index: int, column: str, text: str) -> Any:
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
        return parse_quantity(text, allow_zero=column == "minimum")
    except DomainError as error:
        reason = str(error.params.get("reason", "bad_number"))
        checked.bad(index, column, {"not_a_number": "bad_number"}.get(reason, reason), text)
        return None


def _check_row(checked: _Checked, index: int, clean: dict[str, Any]) -> None:
    kind = checked.kind
    if kind == "products":
        sale, floor = clean["sale_price"], clean["floor_price"]
        if sale is not None and floor is not None and sale > 0 and floor > sale:
            checked.bad(index, "floor_price", "floor_above_sale", floor)
        if clean["barcode"] and not gtin_ok(clean["barcode"]):
            checked.bad(index, "barcode", "bad_check_digit", clean["barcode"])
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
    elif kind == "reorder_rules":
        low, high = clean["minimum"], clean["maximum"]
        if low is not None and high is not None and high < low:
            checked.bad(index, "maximum", "maximum_below_minimum", high)


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


def _existing(checked: _Checked, tx: Tx, index_column: str, key: Any, column: Any) -> set[str]:
    """Codes of the file already taken: one scan of the code column (cheaper than thousands of IN parameters)."""
    wanted = {c[index_column] for c in checked.clean}
    return {str(code).upper() for code in tx.session.scalars(select(key))} & wanted


def _refs_products(tx: Tx, _actor: Actor, checked: _Checked) -> None:
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


def _refs_suppliers(tx: Tx, _actor: Actor, checked: _Checked) -> None:
    taken = _existing(checked, tx, "code", Supplier.code, Supplier.id)
    for index, clean in enumerate(checked.clean):
        if clean["code"] in taken:
            checked.bad(index, "code", "exists", clean["code"])


def _refs_customers(tx: Tx, _actor: Actor, checked: _Checked) -> None:
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


def _products_and_warehouses(tx: Tx, actor: Actor, checked: _Checked, permission: Permission) -> None:
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
        rows += tx.session.execute(select(Product.id, Product.sku, Product.active, Product.purchase_price)
                                   .where(Product.sku.in_(values[start:start + CHUNK]))).all()
    return rows


def _refs_stock(tx: Tx, actor: Actor, checked: _Checked) -> None:
    _products_and_warehouses(tx, actor, checked, Permission.STOCK_RECEIVE)


def _refs_rules(tx: Tx, actor: Actor, checked: _Checked) -> None:
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


_CHECK_REFERENCES: dict[str, Callable[[Tx, Actor, _Checked], None]] = {
    "products": _refs_products, "customers": _refs_customers, "suppliers": _refs_suppliers,
    "opening_stock": _refs_stock, "reorder_rules": _refs_rules,
}


# ---- writing (set-based) -------------------------------------------------------------------------------------------

Progress = Callable[[int, int], None] | None


def _insert_chunks(tx: Tx, table: Any, rows: list[dict[str, Any]], progress: Progress, total: int) -> list[int]:
    """Insert rows in chunks as multi-row INSERT ... RETURNING id statements; the new ids in row order."""
    if tx.dialect == "postgresql" and len(rows) > CHUNK:
        return _copy_rows(tx, table, rows, progress, total)
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    ids: list[int] = []
    for start in range(0, len(rows), CHUNK):
        ids += tx.conn.execute(statement, rows[start:start + CHUNK]).scalars().all()
        if progress is not None:
            progress(min(start + CHUNK, len(rows)), total)
    return ids


def _copy_rows(tx: Tx, table: Any, rows: list[dict[str, Any]], progress: Progress, total: int) -> list[int]:
    """PostgreSQL: ids drawn from the table's sequence, then COPY FROM STDIN (a big INSERT's text costs more to
    build and parse than the rows); values pass through the column types as an INSERT would."""
    ids = list(tx.conn.execute(text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
                               {"t": table.name, "n": len(rows)}).scalars())
    names = list(rows[0])
    dialect = tx.conn.dialect
    processors = [table.c[n].type._cached_bind_processor(dialect) for n in names]
    cursor = tx.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    columns = ", ".join(f'"{n}"' for n in ["id", *names])
    with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
        for done, (ident, row) in enumerate(zip(ids, rows, strict=True), 1):
            copy.write_row([ident, *((p(row[n]) if p else row[n]) for n, p in zip(names, processors, strict=True))])
            if progress is not None and done % CHUNK == 0:
                progress(done, total)
    if progress is not None:
        progress(len(rows), total)
    return ids


def _write_products(tx: Tx, _actor: Actor, checked: _Checked, progress: Progress) -> list[str]:
    rows = [{"sku": c["sku"], "name_zh": c["name_zh"], "name_en": c["name_en"],
             "category_id": c.get("category_id"), "base_unit": c["base_unit"] or "pcs",
             "purchase_price": c["purchase_price"] or Decimal(0), "sale_price": c["sale_price"] or Decimal(0),
             "floor_price": c["floor_price"] or Decimal(0), "active": True, "allow_negative": False,
             "created_at": tx.now} for c in checked.clean]
    ids = _insert_chunks(tx, Product.__table__, rows, progress, len(rows))
    _insert_chunks(tx, ProductBarcode.__table__, [{"product_id": ident, "barcode": c["barcode"]}
                                                  for ident, c in zip(ids, checked.clean, strict=True)
                                                  if c["barcode"]], None, 0)
    return []


def _write_suppliers(tx: Tx, _actor: Actor, checked: _Checked, progress: Progress) -> list[str]:
    rows = [{"code": c["code"], "name": c["name"], "contact": c["contact"], "phone": c["phone"],
             "credit_rating": c["credit_rating"], "lead_time_days": 7 if c["lead_time_days"] is None
             else c["lead_time_days"], "payment_terms_days": 30 if c["payment_terms_days"] is None
             else c["payment_terms_days"], "note": c["note"], "active": True, "created_at": tx.now}
            for c in checked.clean]
    _insert_chunks(tx, Supplier.__table__, rows, progress, len(rows))
    return []


def _write_customers(tx: Tx, _actor: Actor, checked: _Checked, progress: Progress) -> list[str]:
    rows = [{"code": c["code"], "name": c["name"], "contact": c["contact"], "phone": c["phone"],
             "channel": c["channel"], "credit_limit": c["credit_limit"] or Decimal(0),
             "salesperson_id": c.get("salesperson_id"), "payment_terms_days": 30 if c["payment_terms_days"] is None
             else c["payment_terms_days"], "note": c["note"], "active": True, "created_at": tx.now}
            for c in checked.clean]
    _insert_chunks(tx, Customer.__table__, rows, progress, len(rows))
    return []


def _write_stock(tx: Tx, actor: Actor, checked: _Checked, progress: Progress) -> list[str]:
    by_warehouse: dict[int, list[dict[str, Any]]] = {}
    for clean in checked.clean:
        by_warehouse.setdefault(clean["warehouse_id"], []).append(clean)
    numbers, done = [], 0
    parts = [(w, lines[start:start + DOCUMENT_LINES]) for w, all_lines in sorted(by_warehouse.items())
             for lines in [all_lines] for start in range(0, len(all_lines), DOCUMENT_LINES)]
    for warehouse_id, lines in parts:
        document_id, number = open_document(tx, actor, "receipt", warehouse_id, reason="opening stock (import)")
        post_moves(tx, actor, document_id, [
            MoveSpec(n, c["product_id"], warehouse_id, qty=c["qty"],
                     unit_cost=c["unit_cost"] if c["unit_cost"] is not None else c["purchase_price"],
                     label=c["sku"])
            for n, c in enumerate(lines, 1)])
        record(tx, actor, "stock.receipt", "stock_document", document_id, number=number,
               warehouse=lines[0]["warehouse"], lines=len(lines), reason="opening stock (import)")
        numbers.append(number)
        done += len(lines)
        if progress is not None:
            progress(done, len(checked.clean))
    return numbers


def _write_rules(tx: Tx, _actor: Actor, checked: _Checked, progress: Progress) -> list[str]:
    rows = [{"product_id": c["product_id"], "warehouse_id": c["warehouse_id"], "minimum": c["minimum"],
             "maximum": c["maximum"], "pack_size": c["pack_size"] or Decimal(1), "supplier_id": c.get("supplier_id"),
             "lead_time_days": c["lead_time_days"], "active": True, "updated_at": tx.now} for c in checked.clean]
    _insert_chunks(tx, ReorderRule.__table__, rows, progress, len(rows))
    return []


_WRITE: dict[str, Callable[[Tx, Actor, _Checked, Progress], list[str]]] = {
    "products": _write_products, "customers": _write_customers, "suppliers": _write_suppliers,
    "opening_stock": _write_stock, "reorder_rules": _write_rules,
}


# ---- export --------------------------------------------------------------------------------------------------------


def export_rows(uow: UnitOfWork, actor: Actor, kind: str) -> list[dict[str, object]]:
    """Every row of a kind as import reads it back (opening stock: what is on hand now, at average cost)."""
    from core.models import StockLevel

    if kind not in COLUMNS:
        raise InvalidState(kind=kind[:40], reason="unknown_import_kind")
    actor.require({"products": Permission.STOCK_VIEW, "customers": Permission.PARTNER_VIEW,
                   "suppliers": Permission.PARTNER_VIEW, "opening_stock": Permission.COST_VIEW,
                   "reorder_rules": Permission.REPLENISH}[kind])

    def work(tx: Tx) -> list[dict[str, object]]:
        s = tx.session
        if kind == "products":
            barcodes: dict[int, str] = {}
            for pid, code in s.execute(select(ProductBarcode.product_id, ProductBarcode.barcode)
                                       .order_by(ProductBarcode.id)):
                barcodes.setdefault(pid, code)
            return [{"sku": r.sku, "name_zh": r.name_zh, "name_en": r.name_en, "category": r.code or "",
                     "base_unit": r.base_unit, "purchase_price": r.purchase_price, "sale_price": r.sale_price,
                     "floor_price": r.floor_price, "barcode": barcodes.get(r.id, "")}
                    for r in s.execute(select(Product.id, Product.sku, Product.name_zh, Product.name_en,
                                              Category.code, Product.base_unit, Product.purchase_price,
                                              Product.sale_price, Product.floor_price)
                                       .outerjoin(Category, Category.id == Product.category_id)
                                       .order_by(Product.sku))]
        if kind == "suppliers":
            return [{c: getattr(r, c) for c in COLUMNS[kind]}
                    for r in s.scalars(select(Supplier).order_by(Supplier.code))]
        if kind == "customers":
            rows = s.execute(select(Customer, Employee.name).outerjoin(Employee, Employee.id ==
                                                                       Customer.salesperson_id)
                             .order_by(Customer.code)).all()
            return [{**{c: getattr(r, c) for c in COLUMNS[kind] if c != "salesperson"}, "salesperson": name or ""}
                    for r, name in rows]
        if kind == "opening_stock":
            return [{"warehouse": w, "sku": sku, "qty": qty, "unit_cost": cost}
                    for w, sku, qty, cost in s.execute(
                        select(Warehouse.code, Product.sku, StockLevel.on_hand, StockLevel.avg_cost)
                        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
                        .join(Product, Product.id == StockLevel.product_id)
                        .where(StockLevel.on_hand > 0, Warehouse.kind == "normal")
                        .order_by(Warehouse.code, Product.sku))]
        return [{"sku": sku, "warehouse": w, "minimum": r.minimum, "maximum": r.maximum, "pack_size": r.pack_size,
                 "supplier": sup or "", "lead_time_days": "" if r.lead_time_days is None else r.lead_time_days}
                for r, sku, w, sup in s.execute(
                    select(ReorderRule, Product.sku, Warehouse.code, Supplier.code)
                    .join(Product, Product.id == ReorderRule.product_id)
                    .join(Warehouse, Warehouse.id == ReorderRule.warehouse_id)
                    .outerjoin(Supplier, Supplier.id == ReorderRule.supplier_id)
                    .order_by(Warehouse.code, Product.sku))]

    return uow.read(work)
