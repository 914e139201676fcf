"""`jxc export ... --as EMPLOYEE` writes only what that employee may read: no purchase prices or average costs
without cost, a salesperson's own customers, a warehouse worker's own warehouses."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bot.cli import main as jxc
from core.partners.customers import NewCustomer, create_customer
from core.people.employees import create_employee
from core.permissions import Actor
from core.purchasing.replenishment import set_reorder_rule
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.e2e.api_client import url_of
from tests.factories import make_shop


def exported(tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, actor: str) -> list[dict[str, str]]:
    out = tmp_path / f"{kind}-{actor}.csv"
    assert jxc(["export", kind, "--out", str(out), "--as", actor]) == 0, capsys.readouterr().err
    with out.open(encoding="utf-8-sig", newline="") as sheet:
        return list(csv.DictReader(sheet))


def test_an_export_follows_the_visibility_rules_of_the_employee_it_acts_as(
        uow: UnitOfWork, admin: Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    make_shop(uow, admin)
    create_employee(uow, admin, "sales-2", ["sales"])
    create_customer(uow, admin, NewCustomer("MINE", "Mine Ltd", salesperson="sales-1"))
    create_customer(uow, admin, NewCustomer("THEIRS", "Theirs Ltd", salesperson="sales-2"))
    receive_stock(uow, admin, "MAIN", [LineIn("LAMP", 2, "45")])
    receive_stock(uow, admin, "NORTH", [LineIn("TEA-CUP", 3, "3.3")])
    set_reorder_rule(uow, admin, "LAMP", "MAIN", 1, 5)
    set_reorder_rule(uow, admin, "TEA-CUP", "NORTH", 1, 5)
    monkeypatch.setenv("JXC_DATABASE_URL", url_of(uow))

    everything = exported(tmp_path, capsys, "products", "system")
    assert {r["sku"]: r["purchase_price"] for r in everything}["LAMP"] == "45"
    seller = exported(tmp_path, capsys, "products", "sales-1")
    assert [(r["sku"], r["purchase_price"], r["sale_price"]) for r in seller] == [
        ("LAMP", "", "99"), ("RETRO-CLOCK", "", "25"), ("TEA-CUP", "", "8")]
    assert [r["code"] for r in exported(tmp_path, capsys, "customers", "sales-1")] == ["MINE"]
    assert [r["code"] for r in exported(tmp_path, capsys, "customers", "manager-1")] == ["MINE", "THEIRS"]
    assert [(r["warehouse"], r["sku"]) for r in exported(tmp_path, capsys, "opening-stock", "system")] == [
        ("MAIN", "LAMP"), ("NORTH", "TEA-CUP")]
    assert jxc(["export", "opening-stock", "--out", str(tmp_path / "o.csv"), "--as", "sales-1"]) == 2
    assert "permission_denied" in capsys.readouterr().err
    assert [(r["sku"], r["warehouse"]) for r in exported(tmp_path, capsys, "reorder-rules", "purchaser-1")] == [
        ("LAMP", "MAIN"), ("TEA-CUP", "NORTH")]
