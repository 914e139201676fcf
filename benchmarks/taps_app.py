"""Taps per task in the Mini App pages, counted by the same driver the browser tests use (tests/e2e/app_driver.py):
real Chromium on a 390 x 844 phone in a stubbed Telegram client, our server, SQLite. A tap is a press on a button or
list item, or on a field to type in it; typing into the field that already has the focus is not one.

Tasks: a 3-line sales order (the issue's limit: 6 taps), receiving a 3-line purchase order with one line partly
received and a rejection, and counting 10 items by scanning (the camera is a Y4M film of EAN-13 codes).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import Backend
from core.db import create_db_engine
from core.models.base import Base
from core.people.employees import load_actor
from core.people.setup import bootstrap
from core.uow import UnitOfWork
from tests.e2e.app_driver import (
    SCANNED,
    UNKNOWN_CODE,
    chromium,
    count_by_scanning,
    open_shop,
    phone,
    receive_order,
    sales_order,
    serving,
    write_y4m,
)

SALES_LIMIT = 6
SALES_LINES = [("复古", "RETRO-CLOCK", "2"), ("tea", "TEA-CUP", "5"), ("LAMP", "LAMP", "1")]


@dataclass(frozen=True)
class Task:
    name: str
    taps: int
    seconds: float
    steps: tuple[str, ...]


def measure(directory: Path) -> list[Task]:
    """Each task once on a fresh shop; its taps, the time the page took, and what was tapped."""
    url = f"sqlite:///{directory / 'taps_app.db'}"
    engine = create_db_engine(url)
    Base.metadata.create_all(engine)
    uow = UnitOfWork(engine)
    bootstrap(uow)
    shop = open_shop(uow, load_actor(uow, "system"))
    film = write_y4m(directory / "shelf.y4m", [SCANNED[0].barcodes[0]] * 5 + [SCANNED[1].barcodes[0]] * 4
                     + [UNKNOWN_CODE])
    tasks = []
    try:
        with serving(url) as server, chromium(camera=film) as launched:
            for name, employee, path, run in (
                ("3-line sales order", "sales-1", "/app/sales",
                 lambda p: sales_order(p, SALES_LINES)),
                ("receive 3-line PO, one partial", "warehouse-1", "/app/receive",
                 lambda p: receive_order(p, shop.po_number, "TEA-CUP", "20", "2", "外箱破损")),
                ("count 10 items by scanning", "warehouse-1", "/app/count", lambda p: count_by_scanning(p, 10)),
            ):
                started = time.perf_counter()
                page = phone(launched, server, employee, path)
                run(page)
                tasks.append(Task(name, page.taps, time.perf_counter() - started, tuple(page.log)))
    finally:
        engine.dispose()
    return tasks


def report(tasks: Sequence[Task]) -> str:
    lines = ["taps per task in the Mini App (Chromium, 390 px, counted by the Playwright driver):"]
    for task in tasks:
        limit = f" (limit {SALES_LIMIT})" if task.name.startswith("3-line sales") else ""
        lines.append(f"  {task.name}: {task.taps} taps{limit}, {task.seconds:.1f} s — {', '.join(task.steps)}")
    return "\n".join(lines)


def main(backends: Sequence[Backend]) -> None:
    """Print the taps (SQLite only: taps do not depend on the database)."""
    with tempfile.TemporaryDirectory(prefix="jxc-taps-") as directory:
        print(report(measure(Path(directory))))
