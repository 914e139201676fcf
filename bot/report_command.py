"""The `jxc report NAME` command: a report, or a saved report by its name, run as an employee and printed, or
written as a chart or a spreadsheet."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.engine.texts import Texts
from bot.report_delivery import ROWS, TEXT_ROWS
from bot.reporting import file_stem, write_report
from core.people.employees import SYSTEM_NAME, load_actor
from core.reporting.periods import Filters, parse_period
from core.reporting.reports import REPORTS, run_report
from core.reporting.saved import run_saved_report


def add_report_command(sub: Any) -> None:
    """Register `jxc report NAME ...` on the command line's subparsers."""
    report = sub.add_parser("report", help="reports: stock, movements, slow-moving, purchases, sales, profit, ageing")
    report.add_argument("name", help=f"one of {', '.join(REPORTS)}, or a saved report's name")
    report.add_argument("--period", help="a month, e.g. 2026-11 (default: this month)")
    report.add_argument("--from", dest="date_from", metavar="DATE", help="first day, e.g. 2026-11-01")
    report.add_argument("--to", dest="date_to", metavar="DATE", help="last day, e.g. 2026-11-30")
    for option in ("warehouse", "category", "customer", "supplier", "salesperson", "channel"):
        report.add_argument(f"--{option}", help=f"only this {option}")
    report.add_argument("--product", help="SKU (required for movements)")
    report.add_argument("--by", help="group by, comma-separated: product, customer, salesperson, channel, month, "
                                     "warehouse, category, supplier")
    report.add_argument("--days", type=int, default=90, help="slow-moving: no issue or shipment in this many days")
    report.add_argument("--kind", choices=("customer", "supplier"), default="customer",
                        help="ageing: receivables (customer) or payables (supplier)")
    report.add_argument("--page", type=int, default=1)
    report.add_argument("--format", choices=("text", "png", "xlsx"), default="text")
    report.add_argument("--out", type=Path, help="file to write (png and xlsx default to ./report-NAME.EXT)")
    report.add_argument("--lang", choices=("zh_CN", "en"), help="language (default: the employee's)")
    report.add_argument("--as", dest="actor", default=SYSTEM_NAME, help="employee to act as")
    report.set_defaults(run=cmd_report)


def cmd_report(books: Any, args: Any) -> int:
    """Run one report as an employee and print it, or write it as a chart or a spreadsheet."""
    if args.name not in REPORTS:  # a saved report's name
        return cmd_saved_report(books, args)
    zone_name = str(books.config.get("company", "timezone", "Asia/Shanghai"))
    zone = ZoneInfo(zone_name)
    actor = load_actor(books.uow, args.actor)
    lang = args.lang or actor.language or str(books.config.get("company", "language", "zh_CN"))
    dated = args.period or args.date_from or args.date_to
    period = parse_period(args.period, args.date_from, args.date_to, today=datetime.now(zone).date())
    filters = Filters(
        period=period if dated or args.name not in ("movements",) else None,
        warehouse=args.warehouse, category=args.category, customer=args.customer, supplier=args.supplier,
        salesperson=args.salesperson, channel=args.channel, product=args.product,
        by=tuple((args.by or "").split(",")) if args.by else (), days=args.days, partner_kind=args.kind,
        page=max(args.page, 1), timezone=zone_name, language=lang,
    )
    report = run_report(books.uow, actor, args.name, filters)
    texts = Texts(timezone=zone_name, currency=str(books.config.get("books", "currency", "CNY")))
    out = args.out
    if out is None and args.format != "text":
        out = Path(f"report-{args.name}.{args.format}")
    rendered = write_report(report, texts, lang, args.format, out)
    if isinstance(rendered, str) and args.out is None:
        print(rendered)
    else:
        print(f"wrote {out}")
    return 0


def cmd_saved_report(books: Any, args: Any) -> int:
    """`jxc report NAME` for a saved report: run as `--as` with their permissions, period resolved today (or the
    `--period` month given); the other filters come from the definition."""
    zone_name = str(books.config.get("company", "timezone", "Asia/Shanghai"))
    actor = load_actor(books.uow, args.actor)
    run = run_saved_report(books.uow, actor, args.name, now=datetime.now(UTC), timezone=zone_name,
                           page=max(args.page, 1), page_size=ROWS if args.format != "text" else TEXT_ROWS,
                           period=args.period)
    texts = Texts(timezone=zone_name, currency=str(books.config.get("books", "currency", "CNY")))
    lang = args.lang or actor.language or str(books.config.get("company", "language", "zh_CN"))
    out = args.out
    if out is None and args.format != "text":
        out = Path(f"{file_stem(run.report)}.{args.format}")
    rendered = write_report(run.report, texts, lang, args.format, out)
    if isinstance(rendered, str) and args.out is None:
        print(f"{run.saved.name}\n{rendered}")
    else:
        print(f"wrote {out}")
    return 0
