"""The command line acts by the same rules as everything else: `jxc export ... --as EMPLOYEE` writes only what
that employee may read (no purchase prices without cost, a salesperson's own customers, a warehouse worker's own
warehouses), and `jxc token create --warehouse` matches codes in any case and refuses unknown ones."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main as jxc
from core.catalog.products import warehouse_in
from core.models import ApiToken
from core.partners.customers import NewCustomer, create_customer
from core.people.employees import create_employee, load_actor
from core.people.tokens import authenticate
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


def test_a_token_s_warehouse_is_matched_in_any_case_and_an_unknown_one_is_refused(
        uow: UnitOfWork, admin: Actor, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    make_shop(uow, admin)
    monkeypatch.setenv("JXC_DATABASE_URL", url_of(uow))
    assert jxc(["token", "create", "dock", "--role", "warehouse", "--warehouse", "main"]) == 0
    token = capsys.readouterr().out.strip()
    caller = authenticate(uow, token)
    assert caller is not None and caller.actor.warehouse_ids == {warehouse_id(uow, "MAIN")}
    assert jxc(["token", "create", "lost", "--role", "warehouse", "--warehouse", "bj"]) == 2
    assert capsys.readouterr().err == "未执行：找不到仓库「bj」。（unknown_warehouse）\n"
    assert uow.read(lambda tx: tx.session.scalar(select(ApiToken.id).where(ApiToken.name == "lost"))) is None
    create_employee(uow, admin, "north-1", ["warehouse"], warehouses=["north"])
    assert load_actor(uow, "north-1").warehouse_ids == {warehouse_id(uow, "NORTH")}


def warehouse_id(uow: UnitOfWork, code: str) -> int:
    return uow.read(lambda tx: warehouse_in(tx, code).id)
