"""Importing and exporting lots: products with their tracking, shelf life and alert days; opening stock with lot,
expiry and serials (Chinese or English headers), posted per lot through the ledger and exported back the same."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.importing import read_rows, write_rows
from core.integration.exports import export_rows
from core.integration.imports import import_rows
from core.ledger.check import check_ledger
from core.models import Lot, Product
from core.permissions import Actor
from core.stock.lots import list_lots
from core.uow import UnitOfWork
from tests.factories import make_shop
from tests.integration.test_imports import xlsx

pytestmark = pytest.mark.pinned_clock("2026-11-20T02:00:00+00:00")


def test_products_import_with_tracking_and_export_it_back(uow: UnitOfWork, admin: Actor, tmp_path: Path) -> None:
    make_shop(uow, admin)
    rows = read_rows("products", "p.xlsx", xlsx([
        ["编码", "名称", "管理方式", "保质期", "预警天数"], ["MILK", "牛奶", "批次", "30", "5"],
        ["PHONE", "手机", "serial", "", ""], ["BOLT", "螺栓", "", "", ""], ["BAD", "坏", "box", "0", "x"]]))
    refused = import_rows(uow, admin, "products", rows)
    assert [(p.line, p.column, p.reason) for p in refused.problems] == [
        (5, "tracking", "unknown_tracking"), (5, "shelf_life_days", "out_of_range"), (5, "alert_days", "bad_number")]
    assert import_rows(uow, admin, "products", rows[:3]).ok
    got = uow.read(lambda tx: {r.sku: (r.tracking, r.shelf_life_days, r.alert_days) for r in tx.session.execute(
        select(Product.sku, Product.tracking, Product.shelf_life_days, Product.alert_days))})
    assert (got["MILK"], got["PHONE"], got["BOLT"]) == (("lot", 30, 5), ("serial", None, None), ("none", None, None))
    no_lot = uow.read(lambda tx: sorted(tx.session.scalars(select(Product.sku).join(Lot, Lot.product_id == Product.id)
                                                           .where(Lot.code == ""))))
    assert no_lot == ["MILK", "PHONE"], "a tracked product's \"no lot\" position is opened with it"
    path = write_rows("products", export_rows(uow, admin, "products"), tmp_path / "p.csv")
    back = {r["sku"]: r for r in read_rows("products", "p.csv", path.read_bytes())}
    assert (back["MILK"]["tracking"], back["MILK"]["shelf_life_days"], back["MILK"]["alert_days"]) == ("lot", "30", "5")


def test_opening_stock_imports_lots_expiry_and_serials_and_exports_them_back(uow: UnitOfWork, admin: Actor,
                                                                              tmp_path: Path) -> None:
    make_shop(uow, admin)
    import_rows(uow, admin, "products", [{"sku": "MILK", "name_zh": "牛奶", "tracking": "lot", "purchase_price": "2"},
                                         {"sku": "PHONE", "name_zh": "手机", "tracking": "serial"}])
    rows = read_rows("opening_stock", "o.xlsx", xlsx([
        ["仓库", "编码", "数量", "成本", "批号", "有效期", "序列号"],
        ["MAIN", "MILK", "10", "2", "A1", datetime(2027, 1, 5), ""],
        ["MAIN", "MILK", "4", "2", "B2", "2026-12-01", ""],
        ["NORTH", "MILK", "3", "2", "", "", ""],
        ["MAIN", "PHONE", "2", "900", "", "", "IMEI-1, IMEI-2"],
        ["NORTH", "PHONE", "1", "900", "IMEI-3", "", ""]]))
    bad = import_rows(uow, admin, "opening_stock", [
        {"warehouse": "MAIN", "sku": "LAMP", "qty": "1", "lot": "X"},
        {"warehouse": "MAIN", "sku": "MILK", "qty": "1", "serials": "S1"},
        {"warehouse": "MAIN", "sku": "PHONE", "qty": "3", "serials": "S1 S2"},
        {"warehouse": "MAIN", "sku": "MILK", "qty": "1", "lot": "A 1", "expiry": "5/1/2027"},
        {"warehouse": "NORTH", "sku": "PHONE", "qty": "1", "serials": "IMEI-1"},
        {"warehouse": "MAIN", "sku": "PHONE", "qty": "1", "serials": "IMEI-1"}])
    assert [(p.line, p.column, p.reason) for p in bad.problems] == [
        (2, "lot", "not_tracked"), (3, "serials", "not_serial"), (4, "serials", "serial_count"),
        (5, "lot", "bad_lot"), (5, "expiry", "bad_date"), (7, "serials", "duplicate_in_file")]
    result = import_rows(uow, admin, "opening_stock", rows)
    assert result.ok, result.problems
    assert [(s.lot, s.warehouse, s.expiry, s.on_hand) for s in list_lots(uow, admin, "MILK")] == [
        ("B2", "MAIN", date(2026, 12, 1), D(4)), ("A1", "MAIN", date(2027, 1, 5), D(10)), ("", "NORTH", None, D(3))]
    assert {(s.lot, s.warehouse) for s in list_lots(uow, admin, "PHONE")} == {
        ("IMEI-1", "MAIN"), ("IMEI-2", "MAIN"), ("IMEI-3", "NORTH")}
    assert uow.read(check_ledger) == []
    exported = export_rows(uow, admin, "opening_stock")
    assert [(r["warehouse"], r["sku"], r["lot"], r["expiry"], r["serials"], r["qty"]) for r in exported] == [
        ("MAIN", "MILK", "B2", "2026-12-01", "", D(4)), ("MAIN", "MILK", "A1", "2027-01-05", "", D(10)),
        ("MAIN", "PHONE", "", "", "IMEI-1 IMEI-2", D(2)), ("NORTH", "MILK", "", "", "", D(3)),
        ("NORTH", "PHONE", "", "", "IMEI-3", D(1))]
    path = write_rows("opening_stock", exported, tmp_path / "o.csv")
    assert len(read_rows("opening_stock", "o.csv", path.read_bytes())) == 5
