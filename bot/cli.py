"""The `jxc` command line: init, seed, check, stock, for admins and for scripts."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from sqlalchemy.engine import make_url

from bot.composition import Books, build_books
from core.config import ConfigError, load_config
from core.errors import DomainError
from core.ledger.check import check_ledger
from core.migrate import upgrade
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


def cmd_stock(books: Books, args: argparse.Namespace) -> int:
    """Print stock on hand and value per warehouse."""
    actor = load_actor(books.uow, args.actor)
    rows = stock_summary(books.uow, actor)
    print(f"{'warehouse':<10} {'name':<24} {'products':>8} {'on hand':>16} {'value':>18}")
    for r in rows:
        value = "-" if r.value is None else f"{r.value:,.2f}"
        print(f"{r.code:<10} {r.name:<24} {r.products:>8} {r.on_hand:>16,.4f} {value:>18}")
    return 0


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
