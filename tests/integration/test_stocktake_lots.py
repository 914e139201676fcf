"""Stocktakes of tracked products on each database: counted per lot, a lot unknown to the books opened with its
expiry, the "no lot" position counted into lots, serials counted by listing them; the books proven per lot."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest
from sqlalchemy import Engine, event, select

from bot.documents import Printer
from bot.documents.settings import Company, DocumentSettings
from bot.engine.texts import Texts
from core.approvals.decisions import decide
from core.catalog.products import NewProduct, create_product
from core.documents.kinds import printable
from core.documents.lines import PRODUCT_COLUMNS
from core.errors import LotRefused
from core.ledger.check import check_ledger
from core.models import Lot
from core.people.employees import load_actor
from core.permissions import Actor
from core.stock.levels import find_stock
from core.stock.lots import list_lots, set_tracking
from core.stock.moves import LineIn, receive_stock
from core.stock.stocktake import count_item, start_stocktake, stocktake_variances, submit_stocktake
from core.uow import UnitOfWork
from tests.factories import make_shop
from tests.fonts import require_cjk_font
from tests.pdfs import pdf_text

pytestmark = pytest.mark.pinned_clock("2026-11-20T02:00:00+00:00")
GTIN = "06901234500013"


def lots_on_hand(uow: UnitOfWork, sku: str) -> dict[str, D]:
    return {s.lot: s.on_hand for s in list_lots(uow, load_actor(uow, "system"), sku, "MAIN")}


def value_of(uow: UnitOfWork, sku: str) -> D:
    stock = find_stock(uow, load_actor(uow, "system"), sku)[0]
    return next(w.value for w in stock.by_warehouse if w.warehouse == "MAIN")


def milk_in_three_lots(uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    create_product(uow, admin, NewProduct("MILK", "牛奶", "Milk", purchase_price="2", sale_price="4",
                                          tracking="lot", shelf_life_days=30, alert_days=5, barcodes=(GTIN[1:],)))
    receive_stock(uow, admin, "MAIN", [LineIn("MILK", 4, "2", lot="A", expiry="2026-11-18"),
                                       LineIn("MILK", 10, "2", lot="B", expiry="2026-11-25"),
                                       LineIn("MILK", 10, "2", lot="C", expiry="2026-12-10")])


def test_a_tracked_product_is_counted_per_lot_and_a_lot_found_is_recorded(uow: UnitOfWork, admin: Actor) -> None:
    milk_in_three_lots(uow, admin)
    sheet = start_stocktake(uow, admin, "MAIN")
    assert sheet.lines == 3  # one line per lot of the tracked product
    assert count_item(uow, admin, sheet.number, "MILK", 8, lot="B").lot == "B"
    count_item(uow, admin, sheet.number, "MILK", 11, lot="C")
    found = count_item(uow, admin, sheet.number, "MILK", 3, lot="D", expiry="2027-01-05")
    assert (found.lot, found.counted, found.recount) == ("D", D(3), False)
    assert count_item(uow, admin, sheet.number, "MILK", 9, lot="C").recount
    report = stocktake_variances(uow, admin, sheet.number)
    assert [(ln.lot, ln.expected, ln.counted, ln.variance) for ln in report.lines] == [
        ("A", D(4), None, D(0)), ("B", D(10), D(8), D(-2)), ("C", D(10), D(9), D(-1)), ("D", D(0), D(3), D(3))]
    assert report.lines[3].expiry == date(2027, 1, 5)
    posted = submit_stocktake(uow, admin, sheet.number)
    assert posted.status == "posted"
    assert lots_on_hand(uow, "MILK") == {"A": D(4), "B": D(8), "C": D(9), "D": D(3)}
    assert value_of(uow, "MILK") == D(48)  # 24 at 2.00, 0 net
    assert uow.read(lambda tx: tx.session.scalar(select(Lot.expiry).where(Lot.code == "D"))) == date(2027, 1, 5)
    assert uow.read(check_ledger) == []


def test_a_gs1_scan_counts_its_lot_one_unit_at_a_time(uow: UnitOfWork, admin: Actor) -> None:
    milk_in_three_lots(uow, admin)
    sheet = start_stocktake(uow, admin, "MAIN").number
    scan = f"(01){GTIN}(17)270301(10)E9"
    count_item(uow, admin, sheet, scan, 1, add=True)
    counted = count_item(uow, admin, sheet, scan, 1, add=True)
    assert (counted.sku, counted.lot, counted.counted) == ("MILK", "E9", D(2))
    submit_stocktake(uow, admin, sheet)
    assert lots_on_hand(uow, "MILK")["E9"] == D(2)
    assert uow.read(lambda tx: tx.session.scalar(select(Lot.expiry).where(Lot.code == "E9"))) == date(2027, 3, 1)
    assert uow.read(check_ledger) == []


def test_stock_of_the_no_lot_position_is_counted_into_lots(uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    receive_stock(uow, admin, "MAIN", [LineIn("TEA-CUP", 6, "3")])
    set_tracking(uow, admin, "TEA-CUP", "lot")
    sheet = start_stocktake(uow, admin, "MAIN").number
    count_item(uow, admin, sheet, "TEA-CUP", 4, lot="T1", expiry="2027-06-30")
    count_item(uow, admin, sheet, "TEA-CUP", 2, lot="T2")
    report = stocktake_variances(uow, admin, sheet)
    cups = [(ln.lot, ln.variance) for ln in report.lines if ln.sku == "TEA-CUP"]
    assert cups == [("", D(-6)), ("T1", D(4)), ("T2", D(2))]
    assert report.net_value == D(0)
    submit_stocktake(uow, admin, sheet)
    assert lots_on_hand(uow, "TEA-CUP") == {"T1": D(4), "T2": D(2)}
    assert value_of(uow, "TEA-CUP") == D(18)
    assert uow.read(check_ledger) == []


def test_serials_are_counted_by_listing_them(uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    create_product(uow, admin, NewProduct("PHONE", "手机", "Phone", purchase_price="900", tracking="serial"))
    receive_stock(uow, admin, "MAIN", [LineIn("PHONE", 1, "900", lot=s) for s in ("SN1", "SN2", "SN3")])
    sheet = start_stocktake(uow, admin, "MAIN").number
    counted = count_item(uow, admin, sheet, "PHONE", 3, serials=["SN1", "SN3", "SN9"])
    assert (counted.counted, counted.serials) == (D(3), ("SN1", "SN3", "SN9"))
    report = stocktake_variances(uow, admin, sheet)
    assert [(ln.lot, ln.variance) for ln in report.lines] == [("SN1", D(0)), ("SN2", D(-1)), ("SN3", D(0)),
                                                             ("SN9", D(1))]
    submit_stocktake(uow, admin, sheet, threshold=10_000)
    assert lots_on_hand(uow, "PHONE") == {"SN1": D(1), "SN3": D(1), "SN9": D(1)}
    assert uow.read(check_ledger) == []


def test_a_serial_scanned_one_by_one_leaves_the_unscanned_ones_missing(uow: UnitOfWork, admin: Actor) -> None:
    make_shop(uow, admin)
    create_product(uow, admin, NewProduct("PHONE", "手机", "Phone", purchase_price="900", tracking="serial"))
    receive_stock(uow, admin, "MAIN", [LineIn("PHONE", 1, "900", lot=s) for s in ("SN1", "SN2", "SN3")])
    sheet = start_stocktake(uow, admin, "MAIN").number
    count_item(uow, admin, sheet, "PHONE", 1, add=True, serials=["SN2"])
    count_item(uow, admin, sheet, "PHONE", 1, add=True, serials=["SN3"])
    submit_stocktake(uow, admin, sheet, threshold=10_000)
    assert lots_on_hand(uow, "PHONE") == {"SN2": D(1), "SN3": D(1)}
    assert value_of(uow, "PHONE") == D(1800)
    assert uow.read(check_ledger) == []


def test_a_count_that_names_no_lot_or_the_wrong_kind_is_refused(uow: UnitOfWork, admin: Actor) -> None:
    milk_in_three_lots(uow, admin)
    create_product(uow, admin, NewProduct("PHONE", "手机", "Phone", purchase_price="900", tracking="serial"))
    sheet = start_stocktake(uow, admin, "MAIN").number
    refusals = []
    for item, qty, kwargs in (("MILK", 3, {}), ("TEA-CUP", 3, {"lot": "X"}), ("PHONE", 2, {"serials": ["S1"]}),
                              ("PHONE", 2, {"serials": ["S1", "S1"]}), ("PHONE", 1, {}),
                              ("MILK", 1, {"serials": ["S1"]}), ("MILK", 1, {"lot": "B", "expiry": "2027-01-01"})):
        with pytest.raises(LotRefused) as refused:
            count_item(uow, admin, sheet, item, qty, **kwargs)
        refusals.append(refused.value.params["reason"])
    assert refusals == ["lot_required", "not_tracked", "serial_count", "duplicate_serial", "serials_required",
                        "not_serial", "expiry_differs"]
    assert all(ln.counted is None for ln in stocktake_variances(uow, admin, sheet).lines)


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_statements_of_a_serial_count_do_not_grow_with_the_serials(engine: Engine, uow: UnitOfWork,
                                                                    admin: Actor) -> None:
    make_shop(uow, admin)
    create_product(uow, admin, NewProduct("PHONE", "手机", "Phone", purchase_price="900", tracking="serial"))
    used = []
    for size, warehouse in ((3, "MAIN"), (30, "NORTH")):
        serials = [f"{warehouse}-{n}" for n in range(size)]
        receive_stock(uow, admin, warehouse, [LineIn("PHONE", 1, "900", lot=s) for s in serials])
        sheet = start_stocktake(uow, admin, warehouse).number
        with counting(engine) as statements:
            count_item(uow, admin, sheet, "PHONE", size, serials=[*serials[1:], f"{warehouse}-new"])
            submit_stocktake(uow, admin, sheet, threshold=100_000)
        used.append(len(statements))
    assert used[0] == used[1]
    assert uow.read(check_ledger) == []


def test_the_stocktake_sheet_lists_the_lots_of_a_tracked_product(uow: UnitOfWork, admin: Actor) -> None:
    milk_in_three_lots(uow, admin)
    receive_stock(uow, admin, "MAIN", [LineIn("LAMP", 2, "45")])
    number = start_stocktake(uow, admin, "MAIN").number
    sheet = printable(uow, admin, number)
    assert [c.key for c in sheet.columns][len(PRODUCT_COLUMNS):len(PRODUCT_COLUMNS) + 2] == ["lot", "expiry"]
    assert [(ln["sku"], ln["lot"], ln["expiry"], ln["stock"]) for ln in sheet.lines] == [
        ("LAMP", "", "", D(2)), ("MILK", "A", "2026-11-18", D(4)), ("MILK", "B", "2026-11-25", D(10)),
        ("MILK", "C", "2026-12-10", D(10))]
    require_cjk_font()
    text = pdf_text(Printer(DocumentSettings(company=Company("Shop", "", "", "", ""))).pdf(sheet, Texts(), "en", "a4"))
    assert "Lot" in text and "Expiry" in text and "2026-11-25" in text


def test_a_large_per_lot_count_waits_for_a_manager_and_posts_per_lot_on_approval(uow: UnitOfWork,
                                                                                  admin: Actor) -> None:
    shop = make_shop(uow, admin)
    create_product(uow, admin, NewProduct("PHONE", "手机", "Phone", purchase_price="900", tracking="serial"))
    receive_stock(uow, admin, "MAIN", [LineIn("PHONE", 1, "900", lot=s) for s in ("SN1", "SN2")])
    sheet = start_stocktake(uow, shop.warehouse, "MAIN").number
    count_item(uow, shop.warehouse, sheet, "PHONE", 1, serials=["SN3"])
    outcome = submit_stocktake(uow, shop.warehouse, sheet)
    assert outcome.status == "pending_approval", "2 lost and 1 found: 2,700.00 at stake"
    assert lots_on_hand(uow, "PHONE") == {"SN1": D(1), "SN2": D(1)}
    assert outcome.approval_request_id is not None
    decide(uow, shop.manager, outcome.approval_request_id, approve=True)
    assert lots_on_hand(uow, "PHONE") == {"SN3": D(1)}
    assert value_of(uow, "PHONE") == D(900)
    assert uow.read(check_ledger) == []
