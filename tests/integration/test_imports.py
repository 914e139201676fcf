"""Imports: the whole file checked before anything is written, every bad row named by its Excel line; good files
of every kind written set-based on both databases; opening stock posted as genuine receipts."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from bot.importing import read_rows, write_rows
from core.catalog.products import create_category
from core.demo.company import ean13
from core.integration.exports import export_rows
from core.integration.import_writes import CHUNK
from core.integration.imports import import_rows
from core.ledger.check import check_ledger
from core.models import AuditLog, Customer, Product, ProductBarcode, ReorderRule, StockDocument, StockLevel, Supplier
from core.partners.suppliers import NewSupplier, create_supplier
from core.permissions import Actor
from core.uow import UnitOfWork
from tests.factories import make_shop
from tests.statements import counted


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[object]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def count(uow: UnitOfWork, column: object) -> int:
    return uow.read(lambda tx: tx.session.scalar(select(func.count(column)))) or 0  # type: ignore[arg-type]


def test_a_file_with_ten_kinds_of_bad_rows_writes_nothing_and_names_every_row(uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    create_category(uow, admin, "CLOCKS", "钟表")
    content = xlsx([
        ["SKU", "名称", "英文名", "分类", "单位", "进价", "售价", "最低价", "条码"],
        ["GOOD-ONE", "好商品", "Good", "CLOCKS", "个", 10, 20, 15, ean13("690000000001")],  # line 2: fine
        ["", "没有编码", "", "", "", 1, 2, 1, ""],                                        # 3 missing SKU
        ["GOOD-ONE", "重复", "", "", "", 1, 2, 1, ""],                                    # 4 duplicate in file
        ["RETRO-CLOCK", "已有", "", "", "", 1, 2, 1, ""],                                 # 5 already exists
        ["BAD-NUMBER", "坏数字", "", "", "", "ten", 2, 1, ""],                            # 6 bad number
        ["NEGATIVE", "负价", "", "", "", -1, 2, 1, ""],                                   # 7 negative price
        ["FLOOR-HIGH", "底价高", "", "", "", 1, 20, 30, ""],                              # 8 floor above sale
        ["NO-CATEGORY", "无分类", "", "TOYS", "", 1, 2, 1, ""],                           # 9 unknown category
        ["BAD-BARCODE", "坏条码", "", "", "", 1, 2, 1, "6901234567891"],                  # 10 check digit
        ["LONG-NAME", "长" * 201, "", "", "", 1, 2, 1, ""],                               # 11 too long
        ["FORMULA", "=cmd|' /C calc'!A0", "", "", "", 1, 2, 1, ""],                       # 12 formula
    ])
    rows = read_rows("products", "bad.xlsx", content)
    result = import_rows(uow, admin, "products", rows)
    assert not result.ok and result.written == 0
    assert [(p.line, p.column, p.reason) for p in result.problems] == [
        (3, "sku", "missing"), (4, "sku", "duplicate_in_file"), (5, "sku", "exists"),
        (6, "purchase_price", "bad_number"), (7, "purchase_price", "negative"),
        (8, "floor_price", "floor_above_sale"), (9, "category", "unknown_category"),
        (10, "barcode", "bad_check_digit"), (11, "name_zh", "too_long"), (12, "name_zh", "formula"),
    ]
    assert count(uow, Product.id) == 3
    assert uow.read(lambda tx: tx.session.scalar(select(Product.id).where(Product.sku == "GOOD-ONE"))) is None


def test_good_products_import_from_xlsx_with_barcodes_and_an_audit_row(uow: UnitOfWork, admin: Actor) -> None:
    create_category(uow, admin, "CLOCKS", "钟表")
    content = xlsx([
        ["sku", "name_zh", "name_en", "category", "base_unit", "purchase_price", "sale_price", "floor_price",
         "barcode"],
        ["retro-clock", "复古闹钟", "Retro clock", "CLOCKS", "个", 10.5, "25", "18", ean13("690123456789")],
        ["TEA-CUP", "青花茶杯", "Blue tea cup", "", "", "3.3", 8, 5, ""],
    ])
    result = import_rows(uow, admin, "products", read_rows("products", "p.xlsx", content))
    assert result.ok and result.written == 2
    clock = uow.read(lambda tx: tx.session.execute(
        select(Product.sku, Product.purchase_price, Product.sale_price, Product.category_id)
        .where(Product.sku == "RETRO-CLOCK")).one())
    assert clock.purchase_price == Decimal("10.5") and clock.sale_price == Decimal(25) and clock.category_id
    assert count(uow, ProductBarcode.id) == 1
    assert uow.read(lambda tx: tx.session.scalar(
        select(func.count(AuditLog.id)).where(AuditLog.action == "import.products"))) == 1


def test_customers_and_suppliers_import_from_csv_in_utf8_with_bom_and_in_gbk(uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    suppliers = csv_bytes([["供应商编码", "名称", "联系人", "电话", "信用等级", "交货期", "账期"],
                           ["S-CLOCK", "钟表厂", "王工", "+86 571-1234", "A", "5", "30"]], "gbk")
    result = import_rows(uow, admin, "suppliers", read_rows("suppliers", "s.csv", suppliers))
    assert result.ok
    customers = b"\xef\xbb\xbf" + csv_bytes([["code", "name", "channel", "credit_limit", "salesperson"],
                                              ["C-SHOP", "西湖小店", "store", "20000", "sales-1"]])
    result = import_rows(uow, admin, "customers", read_rows("customers", "c.csv", customers))
    assert result.ok, result.problems
    supplier = uow.read(lambda tx: tx.session.execute(select(Supplier.name, Supplier.phone, Supplier.credit_rating,
                                                             Supplier.lead_time_days)).one())
    assert tuple(supplier) == ("钟表厂", "+86 571-1234", "A", 5)  # a phone number, not a formula
    customer = uow.read(lambda tx: tx.session.execute(select(Customer.name, Customer.credit_limit,
                                                             Customer.salesperson_id)).one())
    assert customer.name == "西湖小店" and customer.credit_limit == Decimal(20000) and customer.salesperson_id


def test_opening_stock_posts_one_receipt_per_warehouse_through_the_ledger(uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    rows = read_rows("opening_stock", "o.csv", csv_bytes([
        ["warehouse", "sku", "qty", "unit_cost"],
        ["MAIN", "RETRO-CLOCK", "12", "9.5"], ["MAIN", "TEA-CUP", "100", ""], ["NORTH", "LAMP", "3", "44"]]))
    result = import_rows(uow, admin, "opening_stock", rows)
    assert result.ok and len(result.documents) == 2
    assert all(n.startswith("RC-") for n in result.documents)
    assert count(uow, StockDocument.id) == 2
    assert uow.read(check_ledger) == []
    value = uow.read(lambda tx: tx.session.scalar(select(func.sum(StockLevel.value))))
    assert value == Decimal("12") * Decimal("9.5") + 100 * Decimal("3.3") + 3 * 44
    again = import_rows(uow, admin, "opening_stock", [{"warehouse": "WEST", "sku": "LAMP", "qty": "0"}])
    assert [(p.column, p.reason) for p in again.problems] == [("warehouse", "unknown_warehouse"), ("qty", "zero")]


def test_reorder_rules_import_and_refuse_unknown_suppliers(uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    create_supplier(uow, admin, NewSupplier("S-CLOCK", "钟表厂"))
    bad = import_rows(uow, admin, "reorder_rules", [
        {"sku": "LAMP", "warehouse": "MAIN", "minimum": "5", "maximum": "2"},
        {"sku": "TEA-CUP", "warehouse": "MAIN", "minimum": "5", "maximum": "20", "supplier": "S-NONE"}])
    assert [(p.line, p.reason) for p in bad.problems] == [(2, "maximum_below_minimum"), (3, "unknown_supplier")]
    good = import_rows(uow, admin, "reorder_rules", [
        {"sku": "LAMP", "warehouse": "MAIN", "minimum": "5", "maximum": "20", "supplier": "s-clock",
         "pack_size": "2", "lead_time_days": "4"},
        {"sku": "TEA-CUP", "warehouse": "NORTH", "minimum": "0", "maximum": "50"}])
    assert good.ok and count(uow, ReorderRule.id) == 2


def test_export_neutralises_formulas_and_reads_back_as_an_import(uow: UnitOfWork, admin: Actor,
                                                                  tmp_path: Path) -> None:
    make_shop(uow, admin)
    create_supplier(uow, admin, NewSupplier("S-EVIL", "=HYPERLINK(\"http://x\")"))
    xlsx_path = write_rows("suppliers", export_rows(uow, admin, "suppliers"), tmp_path / "s.xlsx")
    sheet = load_workbook(xlsx_path).worksheets[0]
    assert sheet["B2"].value == "'=HYPERLINK(\"http://x\")" and sheet["B2"].data_type == "s"
    path = write_rows("products", export_rows(uow, admin, "products"), tmp_path / "p.csv")
    back = read_rows("products", "p.csv", path.read_bytes())
    assert [(r["sku"], r["sale_price"]) for r in back] == [("LAMP", "99"), ("RETRO-CLOCK", "25"), ("TEA-CUP", "8")]
    refused = import_rows(uow, admin, "products", back)
    assert [p.line for p in refused.problems if (p.column, p.reason) == ("sku", "exists")] == [2, 3, 4]


def test_a_salesperson_may_not_import_products(uow: UnitOfWork, admin: Actor) -> None:
    from core.errors import PermissionDenied

    shop = make_shop(uow, admin)
    with pytest.raises(PermissionDenied):
        import_rows(uow, shop.sales, "products", [{"sku": "X", "name_zh": "x"}])


@pytest.mark.slow
def test_one_hundred_thousand_products_import_set_based_in_chunks(
        uow: UnitOfWork, admin: Actor) -> None:
    rows = [{"sku": f"SKU-{i:06d}", "name_zh": f"商品{i}", "purchase_price": "1.5", "sale_price": "3",
             "floor_price": "2", "barcode": ean13(f"69{i:010d}")} for i in range(100_000)]
    with counted(uow.engine) as statements:
        result = import_rows(uow, admin, "products", rows)
    assert result.ok and result.written == 100_000
    assert count(uow, Product.id) == 100_000 and count(uow, ProductBarcode.id) == 100_000
    chunks = -(-100_000 // CHUNK)
    if uow.engine.dialect.name == "sqlite":  # SQLite returns ids in row order only from one-row INSERTs
        statements = [s for s in statements if not s.lstrip().upper().startswith("INSERT")]
    assert len(statements) <= 3 * chunks + 40, f"{len(statements)} statements: the checks are not set-based"
    last = uow.read(lambda tx: tx.session.execute(
        select(Product.name_zh, Product.purchase_price, Product.floor_price, ProductBarcode.barcode)
        .join(ProductBarcode, ProductBarcode.product_id == Product.id).where(Product.sku == "SKU-099999")).one())
    assert tuple(last) == ("商品99999", Decimal("1.5"), Decimal(2), ean13("690000099999"))


def test_an_admin_imports_a_file_in_chat_and_gets_the_bad_rows_or_the_count(uow: UnitOfWork, admin: Actor) -> None:

    from bot.engine.engine import Engine
    from bot.engine.inbound import Inbound
    from bot.engine.texts import Texts
    from bot.flows import COMMANDS, default_flows
    from core.people.accounts import create_invite
    from core.people.employees import create_employee
    from tests.chat import Chat

    make_shop(uow, admin)
    create_employee(uow, admin, "boss", ["admin"], language="en")
    chat = Chat(Engine(uow, Texts(), default_flows(), COMMANDS, fallback_flow="stock"), user_id="77", chat_id="77")
    chat.send(f"/start {create_invite(uow, admin, 'boss').code}")
    assert "Send the customers file" in chat.send("import customers")[0]

    def send_file(name: str, content: bytes) -> list[str]:
        inbound = Inbound("test", f"f{name}", "77", "77", file_name=name,
                          file_content=content)
        inbox_id = chat.engine.record(inbound)
        assert inbox_id is not None
        return [r.text for r in chat.engine.process(inbox_id)]

    bad = send_file("c1.csv", csv_bytes([["code", "name", "salesperson"], ["C-1", "一号店", "nobody"],
                                          ["C-1", "", ""]]))
    assert "Nothing imported" in bad[0]
    assert "line 2: salesperson unknown_salesperson (nobody)" in bad[0]
    assert "line 3: code duplicate_in_file" in bad[0] and "line 3: name missing" in bad[0]
    assert count(uow, Customer.id) == 0
    good = send_file("c2.csv", csv_bytes([["code", "name", "salesperson"], ["C-1", "一号店", "sales-1"]]))
    assert good == ["Imported 1 customers."]
    assert count(uow, Customer.id) == 1


def test_opening_stock_past_five_thousand_lines_in_one_warehouse_splits_into_receipts(
        uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    skus = [f"BULK-{i:05d}" for i in range(5001)]
    assert import_rows(uow, admin, "products", [{"sku": s, "name_zh": "散货", "purchase_price": "2"}
                                                for s in skus]).ok
    result = import_rows(uow, admin, "opening_stock", [{"warehouse": "MAIN", "sku": s, "qty": "3"} for s in skus])
    assert result.ok and len(result.documents) == 2
    assert uow.read(check_ledger) == []
    assert uow.read(lambda tx: tx.session.scalar(select(func.sum(StockLevel.value)))) == Decimal(5001 * 6)


def test_price_rules_import_from_a_chinese_xlsx_all_or_nothing_and_export_back(uow: UnitOfWork, admin: Actor,
                                                                               tmp_path: Path) -> None:
    from datetime import datetime

    from core.errors import PermissionDenied
    from core.partners.customers import NewCustomer, create_customer
    from core.sales.price_lists import list_price_rules

    shop = make_shop(uow, admin)
    create_category(uow, admin, "CUPS", "杯具", "Cups")
    create_customer(uow, admin, NewCustomer("ACME", "Acme", salesperson="sales-1"))
    header = ["等级", "客户", "编码", "分类", "定价方式", "价格", "起订量", "生效日期", "失效日期"]
    bad = read_rows("price_rules", "p.xlsx", xlsx([
        header, ["VIP", "", "LAMP", "", "fixed", "80", "", "", ""],
        ["VIP", "ACME", "", "", "fixed", "1", "", "", ""],
        ["", "NOBODY", "", "NOCAT", "percent", "0", "", "", ""],
        ["批发", "", "", "", "cheap", "1", "", "2026-13-01", ""],
        ["", "", "", "", "percent", "90", "", datetime(2026, 12, 31), datetime(2026, 12, 1)]]))
    refused = import_rows(uow, shop.manager, "price_rules", bad)
    assert [(p.line, p.column, p.reason) for p in refused.problems] == [
        (3, "customer", "grade_and_customer"), (4, "customer", "unknown_customer"),
        (4, "category", "unknown_category"), (4, "value", "percent"), (5, "method", "method"),
        (6, "valid_to", "dates")]
    assert list_price_rules(uow, shop.manager) == []
    unknown = import_rows(uow, shop.manager, "price_rules", [
        {"customer": "NOBODY", "method": "fixed", "value": "1"}, {"category": "NOCAT", "method": "percent",
                                                                   "value": "95"}])
    assert [(p.line, p.reason) for p in unknown.problems] == [(2, "unknown_customer"), (3, "unknown_category")]
    good = read_rows("price_rules", "p.xlsx", xlsx([
        header, ["VIP", "", "LAMP", "", "fixed", "80", "5", "", ""],
        ["", "acme", "", "cups", "percent", "90", "", datetime(2026, 1, 1), datetime(2099, 12, 31)],
        ["批发", "", "", "", "cost_plus", "30", "", "", ""]]))
    done = import_rows(uow, shop.manager, "price_rules", good)
    assert (done.ok, done.written) == (True, 3)
    assert [(r.grade, r.customer, r.product, r.category, r.method, r.value, r.min_qty) for r in
            list_price_rules(uow, shop.manager)] == [
        ("批发", None, None, None, "cost_plus", Decimal(30), Decimal(0)),
        (None, "ACME", None, "CUPS", "percent", Decimal(90), Decimal(0)),
        ("VIP", None, "LAMP", None, "fixed", Decimal(80), Decimal(5))]
    path = write_rows("price_rules", export_rows(uow, shop.manager, "price_rules"), tmp_path / "rules.csv")
    back = read_rows("price_rules", "rules.csv", path.read_bytes())
    assert back[1]["valid_from"] == "2026-01-01" and back[2]["sku"] == "LAMP"
    assert import_rows(uow, shop.manager, "price_rules", back).written == 3
    assert len(list_price_rules(uow, shop.manager)) == 6
    for actor in (shop.sales, shop.purchaser):
        with pytest.raises(PermissionDenied):
            import_rows(uow, actor, "price_rules", good)
        with pytest.raises(PermissionDenied):
            export_rows(uow, actor, "price_rules")
