"""`jxc quotations`, `jxc quote-to-order` and `jxc deposit` on the test database, in both languages: the open
quotations listed (a customer's), one made a sales order at its prices (an expired or ordered one refused), a
deposit recorded, listed and, on the cancelled order, refunded with a reason; `jxc print QT-...` writes the
quotation's PDF."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from core.partners.customers import NewCustomer, create_customer
from core.permissions import Actor
from core.sales.orders import cancel_sales_order
from core.sales.quotations import create_quotation, get_quotation
from core.sales.records import SalesLineIn
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.factories import Shop, make_shop
from tests.pdfs import pdf_text


@pytest.fixture
def shop(uow: UnitOfWork, admin: Actor) -> Shop:
    shop = make_shop(uow, admin)
    create_customer(uow, admin, NewCustomer("ACME", "Acme Trading", salesperson="sales-1"))
    create_customer(uow, admin, NewCustomer("BETA", "Beta Stores", salesperson="sales-1"))
    receive_stock(uow, admin, "MAIN", [LineIn("RETRO-CLOCK", 30, "10")])
    return shop


def jxc(uow: UnitOfWork, tmp_path: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    config = tmp_path / "jxc.toml"
    url = uow.engine.url.render_as_string(hide_password=False)
    config.write_text(f'[database]\nurl = "{url}"\n[company]\nlanguage = "zh_CN"\n', encoding="utf-8")
    code = main([*argv, "--config", str(config)])
    said = capsys.readouterr()
    return code, said.out.strip(), said.err.strip()


def test_quotations_are_listed_and_one_becomes_an_order(uow: UnitOfWork, shop: Shop, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    acme = create_quotation(uow, shop.sales, "ACME", "MAIN", [SalesLineIn("RETRO-CLOCK", 2, "24")]).number
    beta = create_quotation(uow, shop.sales, "BETA", "MAIN", [SalesLineIn("RETRO-CLOCK", 1)]).number
    stale = UnitOfWork(uow.engine, clock=lambda: datetime.now(UTC) - timedelta(days=30))
    old = create_quotation(stale, shop.sales, "ACME", "MAIN", [SalesLineIn("RETRO-CLOCK", 1)]).number
    code, out, _ = jxc(uow, tmp_path, capsys, "quotations", "--as", "sales-1")
    assert code == 0 and out.startswith("报价单（2 张）：\n" + beta) and acme in out and old not in out
    code, out, _ = jxc(uow, tmp_path, capsys, "quotations", "--customer", "acme", "--lang", "en", "--all")
    assert code == 0 and out.startswith("Quotations for customer ACME (2):")
    assert f"{acme}  ACME Acme Trading  CN¥48.00  valid until" in out and "open" in out and "expired" in out

    code, out, _ = jxc(uow, tmp_path, capsys, "print", acme, "--as", "sales-1", "--out", str(tmp_path / "qt.pdf"))
    assert code == 0 and out.startswith(f"wrote {tmp_path / 'qt.pdf'} (1 lines")
    text = pdf_text((tmp_path / "qt.pdf").read_bytes())
    assert "报价单" in text and "Acme Trading (ACME)" in text and "大写金额: 肆拾捌元整" in text and "手填价" in text
    code, out, _ = jxc(uow, tmp_path, capsys, "quote-to-order", acme.lower(), "--as", "sales-1")
    order = get_quotation(uow, shop.sales, acme).order_number
    assert code == 0 and out == f"报价单 {acme} 已转为销售单 {order}：ACME Acme Trading，合计 ¥48.00，已审批。"
    code, _, err = jxc(uow, tmp_path, capsys, "quote-to-order", acme, "--as", "sales-1", "--lang", "en")
    assert code == 2 and acme in err
    code, _, err = jxc(uow, tmp_path, capsys, "quote-to-order", old, "--as", "sales-1")
    assert code == 2 and "过期" in err, err
    code, out, _ = jxc(uow, tmp_path, capsys, "quotations", "--customer", "BETA", "--as", "finance-1")
    assert code == 0 and out.startswith("客户 BETA 的报价单（1 张）：\n" + beta), "finance reads every sale"
    code, _, err = jxc(uow, tmp_path, capsys, "quote-to-order", beta, "--as", "finance-1")
    assert code == 2 and get_quotation(uow, shop.sales, beta).status == "open", "and orders none"


def test_a_deposit_is_recorded_listed_and_refunded_on_cancel(uow: UnitOfWork, shop: Shop, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from core.sales.orders import create_sales_order, submit_sales_order
    order = create_sales_order(uow, shop.sales, "ACME", "MAIN", [SalesLineIn("RETRO-CLOCK", 4)]).number
    submit_sales_order(uow, shop.sales, order)
    code, out, _ = jxc(uow, tmp_path, capsys, "deposit", order, "30", "--method", "cash", "--as", "finance-1")
    assert code == 0 and out.startswith("已记订金 ") and f"{order} ¥30.00，发货时冲抵货款" in out, out
    code, out, _ = jxc(uow, tmp_path, capsys, "deposit", order, "--as", "finance-1", "--lang", "en")
    assert code == 0 and out.startswith(f"Deposits on {order}:") and "CN¥30.00" in out
    code, _, err = jxc(uow, tmp_path, capsys, "deposit", order, "abc", "--as", "finance-1")
    assert code == 2 and "abc" in err
    code, _, err = jxc(uow, tmp_path, capsys, "deposit", order, "--refund", "客户取消", "--as", "finance-1")
    assert code == 2, "the order is still open"
    cancel_sales_order(uow, shop.manager, order, "客户取消")
    code, out, _ = jxc(uow, tmp_path, capsys, "deposit", order, "--refund", "客户取消", "--as", "finance-1")
    assert code == 0 and out.startswith(f"{order} 的订金已退还：") and "客户取消" in out, out
    code, _, err = jxc(uow, tmp_path, capsys, "deposit", order, "10", "--as", "sales-1")
    assert code == 2
