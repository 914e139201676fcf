"""`jxc print NUMBER` run as a process on a demo database: the PDF written where asked, the 80 mm layout, the
receipt printer (a fake one on 127.0.0.1), and clear refusals."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.e2e.test_cli import jxc
from tests.fake_printer import FakePrinter
from tests.pdfs import page_size_mm, pdf_text


def test_print_writes_the_pdf_sends_receipts_and_refuses_clearly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    assert jxc(tmp_path, "init", JXC_DATABASE_URL=url).returncode == 0
    assert jxc(tmp_path, "seed", "demo", "--products", "30", "--days", "3", JXC_DATABASE_URL=url).returncode == 0
    with sqlite3.connect(tmp_path / "shop.db") as db:
        number = db.execute("SELECT min(number) FROM sales_order").fetchone()[0]
        tracked = db.execute("SELECT min(sku) FROM product WHERE tracking = 'lot'").fetchone()[0]

    env = {"JXC_DATABASE_URL": url, "JXC_COMPANY_NAME": "华东五金贸易有限公司", "JXC_COMPANY_TAX_ID": "9131000"}
    done = jxc(tmp_path, "print", number, "--lang", "zh_CN", **env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote {number}.pdf (")
    text = pdf_text((tmp_path / f"{number}.pdf").read_bytes())
    assert "送货单" in text and "华东五金贸易有限公司" in text and "9131000" in text and "大写金额" in text

    roll = jxc(tmp_path, "print", number, "--layout", "80mm", "--lang", "en", "--out", "roll.pdf", **env)
    assert roll.returncode == 0, roll.stderr
    content = (tmp_path / "roll.pdf").read_bytes()
    assert page_size_mm(content)[0] == 80.0 and "Delivery note" in pdf_text(content)

    with FakePrinter() as printer:
        sent = jxc(tmp_path, "print", number, "--printer", "--lang", "zh_CN",
                   JXC_DOCUMENTS_PRINTER=f"127.0.0.1:{printer.address[1]}", **env)
        assert sent.returncode == 0, sent.stderr
        assert printer.done.wait(5)
    assert sent.stdout.strip() == f"sent {number} to the receipt printer"
    assert printer.jobs[0].startswith(b"\x1b@") and "送货单".encode("gb18030") in printer.jobs[0]

    unknown = jxc(tmp_path, "print", "SO-1999-000001", **env)
    assert unknown.returncode == 2 and "SO-1999-000001" in unknown.stderr
    fontless = jxc(tmp_path, "print", number, JXC_DOCUMENTS_FONT=str(tmp_path / "none.ttf"), **env)
    assert fontless.returncode == 2 and "fonts-wqy-microhei" in fontless.stderr
    lots = jxc(tmp_path, "labels", tracked, "--lots", "--layout", "50x30", "--out", "lots.pdf", "--lang", "zh_CN",
               **env)
    assert lots.returncode == 0, lots.stderr
    assert lots.stdout.startswith("wrote lots.pdf (") and "批号 " in pdf_text((tmp_path / "lots.pdf").read_bytes())
    unknown_lot = jxc(tmp_path, "labels", tracked, "--lot", "NO-SUCH-LOT", **env)
    assert unknown_lot.returncode == 2 and "NO-SUCH-LOT" in unknown_lot.stderr
    wrong = jxc(tmp_path, "print", number, JXC_DOCUMENTS_LAYOUT="a5", **env)
    assert wrong.returncode == 2 and "[documents] layout must be one of a4, 80mm" in wrong.stderr
