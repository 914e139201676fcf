"""`python -m benchmarks [name ...]`: run every benchmark, or the ones named, on SQLite and PostgreSQL when set."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmarks import (
    api_orders,
    barcode,
    dashboard,
    delivery_note,
    document_pdf,
    history_independence,
    import_products,
    item_search,
    load,
    lot_posting,
    outbox_drain,
    posting_efficiency,
    price_lists,
    replenishment,
    reports_sales,
    sales_order_life,
    scale,
    statements_per_document,
    taps_app,
    taps_chat,
    telegram_throughput,
)
from benchmarks.common import Backend, backends_from_env

BENCHMARKS: dict[str, Callable[[Sequence[Backend]], None]] = {
    "posting_efficiency": posting_efficiency.main,
    "statements_per_document": statements_per_document.main,
    "history_independence": history_independence.main,
    "telegram_throughput": telegram_throughput.main,
    "reports_sales": reports_sales.main,
    "api_orders": api_orders.main,
    "outbox_drain": outbox_drain.main,
    "import_products": import_products.main,
    "item_search": item_search.main,
    "sales_order_life": sales_order_life.main,
    "replenishment": replenishment.main,
    "dashboard": dashboard.main,
    "barcode": barcode.main,
    "delivery_note": delivery_note.main,
    "taps_app": taps_app.main,
    "taps_chat": taps_chat.main,
    "load": load.main,
    "scale": scale.main,
    "price_lists": price_lists.main,
    "document_pdf": document_pdf.main,
    "lot_posting": lot_posting.main,
}


def main(argv: Sequence[str]) -> int:
    names = [name.replace("-", "_") for name in argv] or list(BENCHMARKS)
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="jxc-bench-") as directory:
        backends = backends_from_env(Path(directory))
        for name in names:
            BENCHMARKS[name](backends)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
