"""`jxc backup` while receipts keep posting, `jxc restore` into a fresh database, and the restored books: a clean
check, a ledger that is a prefix of the live one, and levels that match it. Both databases."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import Engine, select, text

from core.db import create_db_engine
from core.ledger.check import check_ledger
from core.models import Base, StockLevel, StockMove
from core.permissions import Actor
from core.stock.moves import LineIn, receive_stock
from core.uow import UnitOfWork
from tests.e2e.test_cli import jxc
from tests.factories import make_shop

MOVE_COLUMNS = (StockMove.id, StockMove.document_id, StockMove.product_id, StockMove.warehouse_id, StockMove.qty,
                StockMove.balance_qty, StockMove.balance_value, StockMove.avg_cost)


def ledger(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(select(*MOVE_COLUMNS).order_by(StockMove.id))]


def levels(engine: Engine) -> dict[tuple[int, int], tuple[object, ...]]:
    with engine.connect() as connection:
        return {(r.product_id, r.warehouse_id): (r.on_hand, r.value) for r in connection.execute(
            select(StockLevel.product_id, StockLevel.warehouse_id, StockLevel.on_hand, StockLevel.value))}


def receipts_while(uow: UnitOfWork, admin: Actor, stop: threading.Event, posted: list[str]) -> None:
    """Post small receipts until told to stop (bounded), like a busy warehouse during the nightly backup."""
    for n in range(400):
        if stop.is_set():
            return
        posted.append(receive_stock(uow, admin, "MAIN" if n % 2 else "NORTH",
                                    [LineIn("RETRO-CLOCK", 1 + n % 3, "10"), LineIn("LAMP", 2)]).number)
        time.sleep(0.005)


def test_a_backup_taken_while_receipts_post_restores_to_consistent_books(
        uow: UnitOfWork, admin: Actor, db_url: str, tmp_path: Path) -> None:
    make_shop(uow, admin)
    receive_stock(uow, admin, "MAIN", [LineIn("TEA-CUP", 50, "3.3")])
    stop, posted = threading.Event(), list[str]()
    writer = threading.Thread(target=receipts_while, args=(uow, admin, stop, posted))
    writer.start()
    try:
        time.sleep(0.2)
        backup = jxc(tmp_path, "backup", f"{tmp_path / 'nightly'}/", JXC_DATABASE_URL=db_url)
        time.sleep(0.1)
    finally:
        stop.set()
        writer.join(timeout=30)
    assert backup.returncode == 0, backup.stderr
    assert "jxc:jxc@" not in backup.stdout + backup.stderr  # the password never shows
    copy = Path(backup.stdout.strip().rsplit(" ", 1)[-1])
    assert copy.parent == tmp_path / "nightly" and copy.stat().st_size > 0
    live = ledger(uow.engine)
    assert len(posted) >= 2

    refused = jxc(tmp_path, "restore", str(copy), JXC_DATABASE_URL=db_url)
    assert refused.returncode == 2 and "--force" in refused.stderr

    if uow.engine.dialect.name == "sqlite":
        target = f"sqlite:///{tmp_path / 'restored.db'}"
    else:  # one PostgreSQL database in CI: empty it, as a fresh server would be
        with uow.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        target = db_url
    restored_run = jxc(tmp_path, "restore", str(copy), JXC_DATABASE_URL=target)
    assert restored_run.returncode == 0, restored_run.stdout + restored_run.stderr
    assert "ledger OK" in restored_run.stdout

    engine = create_db_engine(target)
    try:
        restored = ledger(engine)
        assert 0 < len(restored) <= len(live)
        assert restored == live[:len(restored)]  # a prefix of the live ledger: a consistent moment
        last = {(r[2], r[3]): r for r in restored}
        assert levels(engine) == {key: (row[5], row[6]) for key, row in last.items()}
        assert UnitOfWork(engine).read(check_ledger) == []
        forced = jxc(tmp_path, "restore", str(copy), "--force", JXC_DATABASE_URL=target)
        assert forced.returncode == 0 and "ledger OK" in forced.stdout, forced.stderr
        assert ledger(engine) == restored
    finally:
        engine.dispose()
    Base.metadata.create_all(uow.engine)  # the schema is back for the next test either way


def test_jxc_import_names_bad_lines_and_export_writes_what_was_imported(
        uow: UnitOfWork, admin: Actor, db_url: str, tmp_path: Path) -> None:
    make_shop(uow, admin)
    (tmp_path / "bad.csv").write_text("sku,name_zh,sale_price\nNEW-1,新品,abc\nNEW-2,,5\n", encoding="utf-8")
    bad = jxc(tmp_path, "import", "products", "bad.csv", JXC_DATABASE_URL=db_url)
    assert bad.returncode == 1
    assert bad.stdout.splitlines() == ["line 2: sale_price: bad_number (abc)", "line 3: name_zh: missing"]
    assert "nothing was imported" in bad.stderr
    (tmp_path / "stock.csv").write_bytes("仓库,编码,数量,单位成本\nMAIN,LAMP,4,40\n".encode("gbk"))
    good = jxc(tmp_path, "import", "opening-stock", "stock.csv", JXC_DATABASE_URL=db_url)
    assert good.returncode == 0, good.stderr
    assert "imported 1 opening_stock" in good.stdout and "RC-" in good.stdout
    out = jxc(tmp_path, "export", "opening-stock", "--out", "levels.csv", JXC_DATABASE_URL=db_url)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "levels.csv").read_text(encoding="utf-8-sig").splitlines() == [
        "warehouse,sku,qty,unit_cost,lot,expiry,serials", "MAIN,LAMP,4,40,,,"]
