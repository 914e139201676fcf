"""The `jxc` command line: init, seed, check, stock, report, print, labels, quotations, quote-to-order, deposit,
serve, invite, login-link, item-link, import, export, backup, restore, for admins and scripts."""

from __future__ import annotations

import argparse
import logging
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence

from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.composition import Books, build_books
from bot.engine.texts import Texts, format_quantity
from bot.print_command import add_labels_command, add_print_command
from bot.report_command import add_report_command
from bot.sales_command import add_sales_commands
from bot.webhooks import add_webhook_command
from core.catalog.links import item_links
from core.config import Config, ConfigError, load_config
from core.demo.company import DEFAULT_PRODUCTS, HISTORY_DAYS, seed_demo
from core.errors import DomainError, InvalidState, UnknownEmployee
from core.ledger.check import check_ledger
from core.migrate import SchemaProblem, schema_problem, upgrade
from core.numbers import misgrouped
from core.people.accounts import LANGUAGES, bind_account, create_invite, create_login_link
from core.people.employees import SYSTEM_NAME, load_actor
from core.people.setup import bootstrap
from core.permissions import ROLES
from core.stock.levels import stock_summary
from core.stock.lots import set_tracking

log = logging.getLogger("jxc")
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8080"
# Commands that make the database themselves; every other one refuses a missing or unmigrated database.
MAKES_DATABASE = frozenset({"init", "restore"})
KEEPS_OWN_SCHEMA_CHECK = frozenset({"seed"})


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
        print(f"{r.code:<10} {pad(r.name, 24)} {r.products:>8} {format_quantity(r.on_hand, 'en'):>16} {value:>18}")
    return 0


def cmd_track(books: Books, args: argparse.Namespace) -> int:
    """Track a product by lot or serial (its stock so far sits in a "no lot" position), with shelf life and alert."""
    actor = load_actor(books.uow, args.actor)
    tracking = set_tracking(books.uow, actor, args.sku, args.tracking, shelf_life_days=args.shelf_life,
                            alert_days=args.alert)
    print(f"{args.sku.upper()}: tracked by {tracking}")
    return 0


def cmd_seed_demo(books: Books, args: argparse.Namespace) -> int:
    """Fill an empty database with the demo company and a month of stock history."""
    problem = schema_problem(books.uow.engine)
    if problem is not None:
        print(f"refused: the database schema is older than this jxc (missing {', '.join(problem.missing[:10])}); "
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


def cmd_serve(books: Books, _args: argparse.Namespace) -> int:
    """Run the web server with every configured channel until SIGTERM or Ctrl-C."""
    from bot.server import run_server

    logging.getLogger().setLevel(logging.INFO)
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)  # not a line per job run every 5 s
    books.close()
    run_server(books.config)
    return 0


def cmd_invite(books: Books, args: argparse.Namespace) -> int:
    """A one-time invite code (and Telegram deep link) for an employee, created when needed."""
    actor = load_actor(books.uow, args.actor)
    try:
        issued = create_invite(books.uow, actor, args.name, roles=tuple(args.role or ()), language=args.language)
    except UnknownEmployee as error:
        if error.params.get("reason") != "new_employee_needs_valid_roles":
            raise
        print(f"refused: there is no employee {args.name!r}; give --role to create one", file=sys.stderr)
        return 2
    print(f"invite code for {issued.employee}: {issued.code}  (one use, valid until {issued.expires_at_iso})")
    bot_username = str(books.config.get("telegram", "bot_username", "") or "").lstrip("@")
    if bot_username:
        print(f"Telegram: https://t.me/{bot_username}?start={issued.code}")
    else:
        print(f"Telegram: send the bot `/start {issued.code}` (or `绑定 {issued.code}`); set [telegram] bot_username "
              "to print a one-tap link")
    return 0


def cmd_bind_wecom(books: Books, args: argparse.Namespace) -> int:
    """Map a WeCom UserID to an employee (instead of the member typing 绑定 CODE)."""
    actor = load_actor(books.uow, args.actor)
    bind_account(books.uow, actor, args.employee, "wecom", args.userid, args.userid)
    print(f"WeCom member {args.userid} now acts as {args.employee}")
    return 0


def cmd_login_link(books: Books, args: argparse.Namespace) -> int:
    """A one-time browser sign-in link for an employee (valid for half an hour)."""
    actor = load_actor(books.uow, args.actor)
    issued = create_login_link(books.uow, actor, args.name)
    base = str(books.config.get("server", "public_url", "") or DEFAULT_PUBLIC_URL).rstrip("/")
    print(f"{base}/chat/login?token={issued.code}")
    print(f"one use, valid until {issued.expires_at_iso}", file=sys.stderr)
    return 0


def cmd_item_link(books: Books, args: argparse.Namespace) -> int:
    """An item's links for a label: the Telegram deep link (with [telegram] bot_username) and the browser link."""
    links = item_links(books.uow, args.code, bot_username=str(books.config.get("telegram", "bot_username", "") or ""),
                       public_url=str(books.config.get("server", "public_url", "") or DEFAULT_PUBLIC_URL))
    print(f"browser: {links.browser}")
    if links.telegram:
        print(f"telegram: {links.telegram}")
    else:
        print(f"telegram: send the bot `/start {links.payload}`; set [telegram] bot_username for a t.me link",
              file=sys.stderr)
    return 0


def cmd_token(books: Books, args: argparse.Namespace) -> int:
    """API tokens: create (the secret is printed once), list, revoke."""
    from core.people.tokens import create_token, list_tokens, revoke_token

    actor = load_actor(books.uow, args.actor)
    if args.action == "create":
        issued = create_token(books.uow, actor, args.name, args.role, tuple(args.warehouse or ()))
        print(issued.secret)
        print(f"token {issued.name!r} ({issued.role}): shown once, store it now", file=sys.stderr)
    elif args.action == "list":
        for token in list_tokens(books.uow, actor):
            state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "active"
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            print(f"{pad(token.name, 24)}  {pad(token.role, 10)}  {pad(state, 24)}  last used {used}")
    else:
        revoked = revoke_token(books.uow, actor, args.name)
        print(f"token {revoked.name!r} revoked")
    return 0


def cmd_import(books: Books, args: argparse.Namespace) -> int:
    """Import a .xlsx or .csv file: every row checked first; nothing written when any row is bad."""
    from pathlib import Path

    from bot.importing import kind_of, progress_line, read_rows
    from core.integration.imports import import_rows

    actor = load_actor(books.uow, args.actor)
    kind = kind_of(args.kind)
    path = Path(args.file)
    rows = read_rows(kind, path.name, path.read_bytes())
    started = time.perf_counter()
    show = progress_line(f"import {kind}") if len(rows) >= 10_000 and sys.stderr.isatty() else None
    result = import_rows(books.uow, actor, kind, rows, progress=show)
    if not result.ok:
        for p in result.problems:
            print(f"line {p.line}: {p.column}: {p.reason}" + (f" ({p.value})" if p.value else ""))
        more = f" (and {result.more_problems} more)" if result.more_problems else ""
        print(f"refused: {len(result.problems)} problem(s){more} in {result.rows:,} rows; nothing was imported",
              file=sys.stderr)
        return 1
    documents = f"; stock documents {', '.join(result.documents)}" if result.documents else ""
    print(f"imported {result.written:,} {kind} in {time.perf_counter() - started:.1f}s{documents}")
    return 0


def cmd_export(books: Books, args: argparse.Namespace) -> int:
    """Write every row of a kind to .xlsx or .csv, formula-looking text neutralised."""
    from pathlib import Path

    from bot.importing import kind_of, write_rows
    from core.integration.exports import export_rows

    actor = load_actor(books.uow, args.actor)
    kind = kind_of(args.kind, export=True)
    rows = export_rows(books.uow, actor, kind)
    path = write_rows(kind, rows, Path(args.out or f"{kind}.xlsx"))
    print(f"exported {len(rows):,} {kind} to {path}")
    return 0


def cmd_backup(books: Books, args: argparse.Namespace) -> int:
    """A consistent copy of the database (SQLite backup API or pg_dump)."""
    from bot.backup import backup_database

    books.close()
    print(f"backup written to {backup_database(books.config, args.path)}")
    return 0


def cmd_restore(books: Books, args: argparse.Namespace) -> int:
    """Restore a backup into the configured database (refusing a non-empty one without --force), then check it."""
    from bot.backup import RestoreRefused, restore_database

    books.close()
    try:
        restore_database(books.config, args.path, force=args.force)
    except RestoreRefused as error:
        print(f"refused: the database {error} is not empty; give --force to overwrite it", file=sys.stderr)
        return 2
    print(f"restored {args.path}")
    fresh = build_books(books.config)
    try:
        return cmd_check(fresh, args)
    finally:
        fresh.close()


def positive(text: str) -> int:
    """A whole number of at least 1, for command-line options."""
    try:
        if misgrouped(text):
            raise ValueError(text)
        value = int(text.replace(",", "").replace("_", ""))
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a whole number (a comma only groups thousands: 1,500)") from error
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


CONFIG_HELP = "config file (default: $JXC_CONFIG, else ./jxc.toml)"


def accept_config_everywhere(command: argparse.ArgumentParser) -> None:
    """Let --config come after any subcommand too (`jxc init --config PATH`), not only before it."""
    for action in command._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                child.add_argument("--config", default=argparse.SUPPRESS, help=CONFIG_HELP)
                accept_config_everywhere(child)


def parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    root = argparse.ArgumentParser(prog="jxc", description="jxc: inventory, purchasing and sales from chat")
    root.add_argument("--config", help=CONFIG_HELP)
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
    sub.add_parser("serve", help="run the web server and chat channels").set_defaults(run=cmd_serve)
    inv = sub.add_parser("invite", help="a one-time invite code to bind a chat account to an employee")
    inv.add_argument("--name", required=True, help="employee name (created when new)")
    inv.add_argument("--role", action="append", choices=ROLES, help="role of a new employee (repeatable)")
    inv.add_argument("--language", choices=LANGUAGES, default="zh_CN", help="language of a new employee")
    inv.add_argument("--as", dest="actor", default=SYSTEM_NAME, help="admin to act as")
    inv.set_defaults(run=cmd_invite)
    login = sub.add_parser("login-link", help="a one-time sign-in link to the browser chat")
    login.add_argument("name", help="employee name")
    login.add_argument("--as", dest="actor", default=SYSTEM_NAME, help="admin to act as")
    login.set_defaults(run=cmd_login_link)
    track = sub.add_parser("track", help="track a product by lot or serial number (shelf life, alert lead time)")
    track.add_argument("sku")
    track.add_argument("tracking", choices=("none", "lot", "serial"))
    track.add_argument("--shelf-life", type=int, default=None, help="days from production to expiry")
    track.add_argument("--alert", type=int, default=None, help="days before expiry to warn")
    track.add_argument("--as", dest="actor", default=SYSTEM_NAME, help="employee to act as")
    track.set_defaults(run=cmd_track)
    link = sub.add_parser("item-link", help="an item's Telegram and browser links (for labels)")
    link.add_argument("code", help="SKU, barcode or GS1 code")
    link.set_defaults(run=cmd_item_link)
    wecom = sub.add_parser("bind-wecom", help="map a WeCom UserID to an employee")
    wecom.add_argument("userid", help="the member's WeCom UserID")
    wecom.add_argument("employee", help="employee name")
    wecom.add_argument("--as", dest="actor", default=SYSTEM_NAME, help="admin to act as")
    wecom.set_defaults(run=cmd_bind_wecom)
    token = sub.add_parser("token", help="REST API tokens").add_subparsers(dest="action", required=True)
    create = token.add_parser("create", help="a new token for an integration (printed once)")
    create.add_argument("name", help="integration name, e.g. online-shop")
    create.add_argument("--role", required=True, choices=ROLES, help="role the token acts with")
    create.add_argument("--warehouse", action="append", help="warehouse code (warehouse role; repeatable)")
    token.add_parser("list", help="every token, without secrets")
    revoke = token.add_parser("revoke", help="refuse a token from now on")
    revoke.add_argument("name")
    for command in token.choices.values():
        command.add_argument("--as", dest="actor", default=SYSTEM_NAME, help="admin to act as")
        command.set_defaults(run=cmd_token)
    imp = sub.add_parser("import", help="import products, customers, suppliers, opening stock or reorder rules")
    imp.add_argument("kind", help="products | customers | suppliers | opening-stock | reorder-rules")
    imp.add_argument("file", help=".xlsx or .csv (UTF-8 or GBK)")
    imp.set_defaults(run=cmd_import)
    exp = sub.add_parser("export", help="export one kind to .xlsx or .csv")
    exp.add_argument("kind", help="products | customers | suppliers | opening-stock | reorder-rules | price-rules | "
                     "quotations | deposits")
    exp.add_argument("--out", help="file to write (.xlsx or .csv; default KIND.xlsx)")
    exp.set_defaults(run=cmd_export)
    for command in (imp, exp):
        command.add_argument("--as", dest="actor", default=SYSTEM_NAME, help="employee to act as")
    bak = sub.add_parser("backup", help="a consistent copy of the database")
    bak.add_argument("path", nargs="?", help="file or folder (default ./jxc-YYYYMMDD-HHMMSS.sqlite3|.dump)")
    bak.set_defaults(run=cmd_backup)
    res = sub.add_parser("restore", help="restore a backup, then check the ledger")
    res.add_argument("path", help="a file made by jxc backup")
    res.add_argument("--force", action="store_true", help="overwrite a database that holds data")
    res.set_defaults(run=cmd_restore)
    add_report_command(sub)
    add_print_command(sub)
    add_labels_command(sub)
    add_sales_commands(sub)
    add_webhook_command(sub)
    accept_config_everywhere(root)
    return root


def cli_texts(config: Config) -> tuple[Texts, str]:
    """The templates and the configured language ([company] language) the command speaks."""
    texts = Texts(timezone=str(config.get("company", "timezone", "Asia/Shanghai")),
                  currency=str(config.get("books", "currency", "CNY")))
    return texts, str(config.get("company", "language", "zh_CN"))


def schema_refusal(texts: Texts, lang: str, problem: SchemaProblem) -> str:
    """One line: the database is missing or not migrated, and `jxc init` makes it."""
    if problem.file_missing:
        return texts.render(lang, "database_missing", database=problem.database)
    return texts.render(lang, "database_not_migrated", database=problem.database, missing=list(problem.missing))


def refusal(texts: Texts, lang: str, error: DomainError) -> str:
    """A domain error as the chat words it, with its code for scripts."""
    return texts.render(lang, "cli_refused", sentence=texts.error(lang, error), code=error.code)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `jxc` command."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    try:
        books = build_books(load_config(args.config))
    except ConfigError as error:
        print(f"config error: {error}", file=sys.stderr)
        return 2
    texts, lang = cli_texts(books.config)
    run: Callable[[Books, argparse.Namespace], int] = args.run
    try:
        if args.command not in MAKES_DATABASE | KEEPS_OWN_SCHEMA_CHECK:
            problem = schema_problem(books.uow.engine)
            if problem is not None:
                print(schema_refusal(texts, lang, problem), file=sys.stderr)
                return 2
        return run(books, args)
    except DomainError as error:
        print(refusal(texts, lang, error), file=sys.stderr)
        return 2
    except OperationalError as error:
        database = make_url(books.config.database_url).render_as_string(hide_password=True)
        reason = str(error.orig or error).strip().splitlines()[0]
        print(texts.render(lang, "database_unreachable", database=database, reason=reason), file=sys.stderr)
        return 2
    finally:
        books.close()


if __name__ == "__main__":
    sys.exit(main())
