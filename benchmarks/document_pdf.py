"""A 200-line delivery note as PDF: reading the document (statements and time, against a 2-line one) and rendering
it on A4 pages and on an 80 mm roll, p50 over interleaved rounds; the font is embedded (subset) every time, as a
chat, the CLI or REST print it."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from benchmarks.common import Backend, Database, add_products, database, interleaved, median, timed
from bot.documents import Printer
from bot.documents.settings import Company, DocumentSettings
from bot.engine.texts import Texts
from core.documents.kinds import printable
from core.partners.customers import NewCustomer, create_customer
from core.sales.orders import create_sales_order
from core.sales.records import SalesLineIn
from core.stock.moves import LineIn, receive_stock

LINES = 200
ROUNDS = 9
COMPANY = Company("华东五金贸易有限公司", "91310000MA1FL0XX1X", "上海市浦东新区张江路 88 号", "021-5555 1234",
                  "招商银行 6214 8888 0000 1234")
PRINTER = Printer(DocumentSettings(company=COMPANY))


def _order(db: Database, skus: Sequence[str]) -> str:
    return create_sales_order(db.uow, db.admin, "BENCH-CO", "MAIN", [SalesLineIn(s, 2) for s in skus]).number


def measure(backend: Backend) -> None:
    """Statements and p50 times of one backend, printed."""
    with database(backend, "document_pdf") as db:
        skus = add_products(db, "DOC", LINES)
        receive_stock(db.uow, db.admin, "MAIN", [LineIn(s, 100, Decimal("1.50")) for s in skus])
        create_customer(db.uow, db.admin, NewCustomer("BENCH-CO", "Bench Trading 华东客户"))
        big, small = _order(db, skus), _order(db, skus[:2])
        statements = {n: db.counter.during(lambda n=n: printable(db.uow, db.admin, n)) for n in (small, big)}
        doc, two = printable(db.uow, db.admin, big), printable(db.uow, db.admin, small)
        texts = Texts()
        pages = PRINTER.pdf(doc, texts, "zh_CN", "a4").count(b"/Type /Page\n")
        read_big, read_small, a4, roll, a4_small = interleaved(
            ROUNDS,
            lambda: timed(lambda: printable(db.uow, db.admin, big)),
            lambda: timed(lambda: printable(db.uow, db.admin, small)),
            lambda: timed(lambda: PRINTER.pdf(doc, texts, "zh_CN", "a4")),
            lambda: timed(lambda: PRINTER.pdf(doc, texts, "zh_CN", "80mm")),
            lambda: timed(lambda: PRINTER.pdf(two, texts, "zh_CN", "a4")),
        )
        print(f"  {backend.name}: read {LINES} lines {statements[big]} statements ({statements[small]} for 2 lines), "
              f"p50 {median(read_big) * 1000:.1f} ms ({median(read_small) * 1000:.1f} ms for 2)")
        print(f"  {backend.name}: render A4 ({pages} pages) p50 {median(a4) * 1000:.0f} ms, 80 mm roll p50 "
              f"{median(roll) * 1000:.0f} ms; a 2-line note on A4 p50 {median(a4_small) * 1000:.0f} ms")


def main(backends: Sequence[Backend]) -> None:
    print(f"document PDF: a {LINES}-line delivery note ({ROUNDS} rounds, interleaved):")
    for backend in backends:
        measure(backend)
