"""Import of 100,000 products from a CSV file (parsed, every row validated, written set-based in one transaction,
with barcodes). Goal: under 30 s per database on this machine. Rows per second printed; the figure is last."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Sequence

from sqlalchemy import func, select

from benchmarks.common import Backend, database
from bot.importing import read_rows
from core.demo.company import ean13
from core.integration.import_columns import COLUMNS
from core.integration.imports import import_rows
from core.models import Product, ProductBarcode

ROWS = 100_000
GOAL_SECONDS = 30.0


def make_csv(count: int) -> bytes:
    """A UTF-8 (with BOM) CSV as Excel saves it: Chinese names, prices, EAN-13 barcodes."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS["products"])
    for i in range(count):
        purchase = 1 + (i % 500) / 10
        writer.writerow([f"IMP-{i:06d}", f"导入商品 {i}", f"Imported item {i}", "", "个", f"{purchase:.1f}",
                         f"{purchase * 1.6:.1f}", f"{purchase * 1.2:.1f}", ean13(f"68{i:010d}")])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def main(backends: Sequence[Backend]) -> None:
    content = make_csv(ROWS)
    figures = []
    for backend in backends:
        with database(backend, "import_products") as db:
            started = time.perf_counter()
            rows = read_rows("products", "products.csv", content)
            parsed = time.perf_counter() - started
            result = import_rows(db.uow, db.admin, "products", rows)
            seconds = time.perf_counter() - started
            with db.engine.connect() as connection:
                products = connection.execute(select(func.count(Product.id))).scalar_one()
                barcodes = connection.execute(select(func.count(ProductBarcode.id))).scalar_one()
            assert result.ok and products == barcodes == ROWS + 0, (result.problems[:5], products, barcodes)
            figures.append((backend.name, seconds))
            print(f"import products {backend.name}: {ROWS:,} rows in {seconds:.1f} s (file read {parsed:.1f} s) = "
                  f"{ROWS / seconds:,.0f} rows/s; goal < {GOAL_SECONDS:.0f} s", flush=True)
    print("import products (seconds for 100,000 rows, goal < 30): "
          + ", ".join(f"{name} {seconds:.1f}" for name, seconds in figures))
