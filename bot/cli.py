"""The `jxc` command line: init, seed, check, stock, for admins and for scripts."""

from __future__ import annotations

import argparse
import logging
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence

from sqlalchemy.engine import make_url

from bot.composition import Books, build_books
from core.config import ConfigError, load_config
from core.errors import DomainError, InvalidState
from core.ledger.check import check_ledger
from core.migrate import upgrade
from core.services.demo import DEFAULT_PRODUCTS, HISTORY_DAYS, missing_schema, seed_demo
from core.services.people import SYSTEM_NAME, load_actor
from core.services.queries import stock_summary
from core.services.setup import bootstrap

log = logging.getLogger("jxc")


def cmd_init(books: Books, _args: argparse.Namespace) -> int:
    """Create or migrate the database, then add what every database needs."""
    revision = upgrade(books.uow.engine)
    bootstrap(books.uow)
    url = make_url(books.config.database_url).render_as_string(hide_password=True)
    print(f"database {url} is at revision {revision}")
    return 0


def cmd_check(books: Books, _args: argparse.Namespace) -> int:
    """Recompute every ledger invariant; exit 1 naming the offending rows."""
    problems = books.uow.read(check_ledger)
    for p in problems:
        print(f"FAIL {p.kind}: {p.table} row {p.row_id} (product {p.product_id}, warehouse {p.warehouse_id}):"
              f" {p.detail}")
    if problems:
        print(f"{len(problems)} problem(s) found")
        return 1
    print("ledger OK: every running balance, level and average cost agrees with the ledger")
    return 0


def pad(text: str, width: int) -> str:
    """Left-align text in a terminal column, counting Chinese characters as two columns wide."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - used)


def cmd_stock(books: Books, args: argparse.Namespace) -> int:
    """Print stock on hand and value per warehouse."""
    actor = load_actor(books.uow, args.actor)
    rows = stock_summary(books.uow, actor)
    print(f"{'warehouse':<10} {'name':<24} {'products':>8} {'on hand':>16} {'value':>18}")
    for r in rows:
        value = "-" if r.value is None else f"{r.value:,.2f}"
        print(f"{r.code:<10} {pad(r.name, 24)} {r.products:>8} {r.on_hand:>16,.4f} {value:>18}")
    return 0


def cmd_seed_demo(books: Books, args: argparse.Namespace) -> int:
    """Fill an empty database with the demo company and a month of stock history."""
    missing = missing_schema(books.uow.engine)
    if missing:
        print(f"refused: the database schema is older than this jxc (missing {', '.join(missing[:10])}); "
              "run `jxc init` with up-to-date migrations", file=sys.stderr)
        return 2
    actor = load_actor(books.uow, args.actor)
    started = time.perf_counter()

    def progress(message: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f}s] {message}", flush=True)

    try:
        s = seed_demo(books.uow, actor, products=args.products, days=args.days, progress=progress)
    except InvalidState as error:
        if error.params.get("reason") == "not_empty":
            print(f"refused: the database is not empty ({error.params['products']} products, "
                  f"{error.params['warehouses']} warehouses); seed demo fills only an empty database",
                  file=sys.stderr)
            return 2
        raise
    span = "-" if s.first_posting is None or s.last_posting is None else (
        f"{s.first_posting:%Y-%m-%d} .. {s.last_posting:%Y-%m-%d}")
    print(f"demo company seeded in {time.perf_counter() - started:.1f}s:")
    print(f"  {s.warehouses} warehouses (+{s.transit_warehouses} transit), {s.categories} categories, "
          f"{s.products:,} products, {s.barcodes:,} barcodes")
    print(f"  {s.suppliers} suppliers, {s.customers} customers, {s.employees} employees ({', '.join(s.roles)})")
    print(f"  {s.documents:,} stock documents, {s.moves:,} ledger rows from {span}, stock value {s.stock_value:,.2f}")
    return 0


def positive(text: str) -> int:
    """A whole number of at least 1, for command-line options."""
    try:
        value = int(text.replace(",", "").replace("_", ""))
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from error
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    root = argparse.ArgumentParser(prog="jxc", description="jxc: inventory, purchasing and sales from chat")
    root.add_argument("--config", help="config file (default: $JXC_CONFIG, else ./jxc.toml)")
    sub = root.add_subparsers(dest="command", required=True)
    sub.add_parser("init", help="create or migrate the database").set_defaults(run=cmd_init)
    sub.add_parser("check", help="verify every ledger invariant").set_defaults(run=cmd_check)
    stock = sub.add_parser("stock", help="stock summary per warehouse")
    stock.add_argument("--as", dest="actor", default=SYSTEM_NAME, help="employee to act as")
    stock.set_defaults(run=cmd_stock)
    seed = sub.add_parser("seed", help="fill an empty database with data").add_subparsers(dest="what", required=True)
    demo = seed.add_parser("demo", help="a believable demo company with a month of stock history")
    demo.add_argument("--products", type=positive, default=DEFAULT_PRODUCTS,
                      help=f"catalogue size (default {DEFAULT_PRODUCTS}; history covers a bounded subset)")
    demo.add_argument("--days", type=positive, default=HISTORY_DAYS, help=f"days of history (default {HISTORY_DAYS})")
    demo.add_argument("--as", dest="actor", default=SYSTEM_NAME, help="admin to act as")
    demo.set_defaults(run=cmd_seed_demo)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `jxc` command."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    try:
        books = build_books(load_config(args.config))
    except ConfigError as error:
        print(f"config error: {error}", file=sys.stderr)
        return 2
    run: Callable[[Books, argparse.Namespace], int] = args.run
    try:
        return run(books, args)
    except DomainError as error:
        print(f"refused: {error.code} {error.params}", file=sys.stderr)
        return 2
    finally:
        books.close()


if __name__ == "__main__":
    sys.exit(main())
