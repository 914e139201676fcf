"""`jxc export quotations|deposits` writes what the employee it acts as may read: a salesperson's own quotations
(and their customers'), every one for a manager, one row a line; deposits for money staff only; .xlsx and .csv."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.cli import main as jxc
from core.money.deposits import record_deposit
from core.partners.customers import NewCustomer, create_customer
from core.people.employees import create_employee, load_actor
from core.permissions import Actor
from core.sales.orders import create_sales_order, submit_sales_order
from core.sales.quotations import create_quotation
from core.sales.records import SalesLineIn
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.e2e.api_client import url_of
from tests.factories import make_shop


def exported(tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, actor: str) -> list[dict[str, str]]:
    out = tmp_path / f"{kind}-{actor}.csv"
    assert jxc(["export", kind, "--out", str(out), "--as", actor]) == 0, capsys.readouterr().err
    with out.open(encoding="utf-8-sig", newline="") as sheet:
        return list(csv.DictReader(sheet))


def test_quotations_and_deposits_export_by_the_rules_of_their_reads(
        uow: UnitOfWork, admin: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    shop = make_shop(uow, admin)
    create_employee(uow, admin, "sales-2", ["sales"])
    other = load_actor(uow, "sales-2")
    create_customer(uow, admin, NewCustomer("MINE", "Mine Ltd", salesperson="sales-1"))
    create_customer(uow, admin, NewCustomer("THEIRS", "Theirs Ltd", salesperson="sales-2"))
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 20, "10")])
    mine = create_quotation(uow, shop.sales, "MINE", "MAIN", [SalesLineIn("RETRO-CLOCK", 2),
                                                               SalesLineIn("TEA-CUP", 3, "7.5")])
    theirs = create_quotation(uow, other, "THEIRS", "MAIN", [SalesLineIn("LAMP", 1)])
    order = create_sales_order(uow, shop.sales, "MINE", "MAIN", [SalesLineIn("RETRO-CLOCK", 4)])
    submitted = submit_sales_order(uow, shop.sales, order.number)
    record_deposit(uow, shop.finance, submitted.number, "30", note="订金")
    monkeypatch.setenv("JXC_DATABASE_URL", url_of(uow))

    own = exported(tmp_path, capsys, "quotations", "sales-1")
    assert [(r["number"], r["customer"], r["line_no"], r["sku"], r["qty"], r["unit_price"], r["amount"])
            for r in own] == [(mine.number, "MINE", "1", "RETRO-CLOCK", "2", "25", "50"),
                              (mine.number, "MINE", "2", "TEA-CUP", "3", "7.5", "22.5")]
    assert "purchase_price" not in own[0] and own[0]["status"] == "open"
    every = exported(tmp_path, capsys, "报价单", "manager-1")
    assert [r["number"] for r in every] == [mine.number, mine.number, theirs.number]

    deposits = exported(tmp_path, capsys, "deposits", "finance-1")
    assert [(r["order"], r["partner_kind"], r["partner"], r["amount"], r["allocated"], r["status"])
            for r in deposits] == [(submitted.number, "customer", "MINE", "30", "0", "held")]
    assert jxc(["export", "deposits", "--out", str(tmp_path / "d.csv"), "--as", "sales-1"]) == 2
    assert "permission_denied" in capsys.readouterr().err
    assert jxc(["export", "quotations", "--out", str(tmp_path / "q.csv"), "--as", "purchaser-1"]) == 2
    assert "permission_denied" in capsys.readouterr().err
    assert jxc(["import", "quotations", str(tmp_path / "q.csv")]) == 2, "quotations are exported, not imported"
    capsys.readouterr()

    sheet = tmp_path / "quotations.xlsx"
    assert jxc(["export", "quotations", "--out", str(sheet), "--as", "sales-2"]) == 0
    rows = list(load_workbook(sheet, read_only=True).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("number", "customer", "warehouse") and [r[0] for r in rows[1:]] == [theirs.number]
