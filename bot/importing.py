"""Files in and out: .xlsx and .csv (UTF-8 with or without BOM, GBK from older Excel) read into plain rows for
core.integration.imports, and every import kind written back out with formula-looking cells neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from core.errors import InvalidState
from core.integration import document_exports
from core.integration.import_columns import COLUMNS, neutralise

EXPORT_COLUMNS = {**COLUMNS, **document_exports.COLUMNS}

# Headers people write, in Chinese or English, mapped to our column names.
ALIASES = {
    "编码": "sku", "商品编码": "sku", "货号": "sku", "名称": "name_zh", "商品名称": "name_zh", "中文名": "name_zh",
    "英文名": "name_en", "分类": "category", "类别": "category", "单位": "base_unit", "进价": "purchase_price",
    "采购价": "purchase_price", "售价": "sale_price", "销售价": "sale_price", "最低价": "floor_price",
    "底价": "floor_price", "条码": "barcode", "条形码": "barcode", "代码": "code", "客户编码": "code",
    "供应商编码": "code", "联系人": "contact", "电话": "phone", "渠道": "channel", "信用额度": "credit_limit",
    "业务员": "salesperson", "账期": "payment_terms_days", "备注": "note", "信用等级": "credit_rating",
    "交货期": "lead_time_days", "仓库": "warehouse", "数量": "qty", "单位成本": "unit_cost", "成本": "unit_cost",
    "最低库存": "minimum", "最高库存": "maximum", "包装": "pack_size", "供应商": "supplier",
    "name": "name", "name_zh": "name_zh", "等级": "grade", "价格等级": "grade", "客户": "customer",
    "定价方式": "method", "方式": "method", "值": "value", "价格": "value", "起订量": "min_qty", "数量起": "min_qty",
    "规格": "spec", "规格型号": "spec", "语言": "language", "单据语言": "language",
    "生效日期": "valid_from", "开始日期": "valid_from", "失效日期": "valid_to", "结束日期": "valid_to",
    "管理方式": "tracking", "批次管理": "tracking", "追踪方式": "tracking", "保质期": "shelf_life_days",
    "保质期天数": "shelf_life_days", "保质期(天)": "shelf_life_days", "预警天数": "alert_days",
    "临期预警天数": "alert_days", "临期预警": "alert_days", "批号": "lot", "批次": "lot", "批次号": "lot",
    "有效期": "expiry", "有效期至": "expiry", "效期": "expiry", "失效期": "expiry", "序列号": "serials",
    "序列号列表": "serials", "串号": "serials",
}
KIND_ALIASES = {"product": "products", "商品": "products", "customer": "customers", "客户": "customers",
                "supplier": "suppliers", "供应商": "suppliers", "stock": "opening_stock", "opening-stock":
                "opening_stock", "期初库存": "opening_stock", "rules": "reorder_rules", "reorder-rules":
                "reorder_rules", "reorder": "reorder_rules", "补货规则": "reorder_rules", "prices": "price_rules",
                "price-rules": "price_rules", "价格": "price_rules", "价目表": "price_rules", "价格规则": "price_rules",
                "quotation": "quotations", "报价单": "quotations", "deposit": "deposits", "订金": "deposits"}


def kind_of(text: str, *, export: bool = False) -> str:
    """The import kind for what a person typed (products, 商品, opening-stock...); for an export also the kinds only
    exported (quotations, deposits)."""
    word = text.strip().lower()
    kind = KIND_ALIASES.get(word, word.replace("-", "_"))
    if kind not in (EXPORT_COLUMNS if export else COLUMNS):
        raise InvalidState(kind=text[:40], reason="unknown_import_kind")
    return kind


def cell_text(value: object) -> str:
    """A cell as text, exactly: integers without '.0', decimals as written, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _header(names: list[str], kind: str) -> list[str]:
    out = []
    for name in names:
        key = name.strip().lstrip("\ufeff")
        key = ALIASES.get(key, key.lower().replace(" ", "_"))
        if kind in ("customers", "suppliers") and key == "name_zh":
            key = "name"
        out.append(key)
    return out


def decode_csv(content: bytes) -> str:
    """UTF-8 (with or without BOM), else GBK as Excel in China saves it."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("gb18030")


def read_rows(kind: str, file_name: str, content: bytes) -> list[dict[str, object]]:
    """The rows of a .xlsx or .csv file as {column: text, "_line": line as Excel numbers it (header = 1)}."""
    suffix = Path(file_name).suffix.lower()
    if suffix == ".csv" or suffix == ".txt":
        reader = csv.reader(io.StringIO(decode_csv(content), newline=""))
        table: list[tuple[int, list[str]]] = []
        for values in reader:
            table.append((reader.line_num, values))
    elif suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(content), read_only=True)  # formulas as text: refused
        sheet = book.worksheets[0]
        table = [(n, [cell_text(v) for v in values])
                 for n, values in enumerate(sheet.iter_rows(values_only=True), 1)]
        book.close()
    else:
        raise InvalidState(file=file_name[-40:], reason="unknown_file_type")
    while table and not any(v.strip() for v in table[0][1]):
        table.pop(0)
    if not table:
        raise InvalidState(file=file_name[-40:], reason="empty_file")
    _header_line, names = table[0]
    header = _header(names, kind)
    missing = [c for c in ("sku",) if kind in ("products",) and c not in header]
    if missing or not set(header) & set(COLUMNS[kind]):
        raise InvalidState(file=file_name[-40:], reason="no_known_columns", expected=",".join(COLUMNS[kind]))
    rows = []
    for line, values in table[1:]:
        if not any(str(v).strip() for v in values):
            continue
        row: dict[str, object] = {h: cell_text(v) for h, v in zip(header, values, strict=False)
                                  if h in COLUMNS[kind]}
        row["_line"] = line
        rows.append(row)
    return rows


def write_rows(kind: str, rows: list[dict[str, object]], path: Path) -> Path:
    """Write rows to .xlsx or .csv (UTF-8 with BOM so Excel opens it), neutralising formula-looking text."""
    columns = EXPORT_COLUMNS[kind]

    def value(v: object) -> object:
        if isinstance(v, Decimal):
            return format(v.normalize(), "f")
        if isinstance(v, datetime):
            return v.isoformat()  # a moment with its zone, which Excel cells cannot hold
        return neutralise(v if v is not None else "")

    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(kind)
        sheet.append(list(columns))
        for row in rows:
            sheet.append([value(row.get(c)) for c in columns])
        book.save(path)
    else:
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(columns)
            writer.writerows([value(row.get(c)) for c in columns] for row in rows)
    return path


def progress_line(label: str) -> Callable[[int, int], None]:
    """A simple stderr progress line for long imports."""
    import sys

    def show(done: int, total: int) -> None:
        end = "\n" if done >= total else ""
        print(f"\r{label}: {done:,}/{total:,} rows", end=end, file=sys.stderr, flush=True)

    return show
