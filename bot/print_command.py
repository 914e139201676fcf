"""`jxc print NUMBER`: a document as a PDF file (A4 or 80 mm), or on the receipt printer; `jxc labels CODE...`:
product and shelf labels."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.documents import LABEL_LAYOUTS, LAYOUTS, FontMissing, NoPrinter, Printer, document_settings
from bot.engine.texts import Texts
from core.config import ConfigError
from core.documents.kinds import printable
from core.documents.labels import lot_labels, product_labels
from core.people.employees import SYSTEM_NAME, load_actor
from core.permissions import Actor
from core.reporting.periods import parse_period


def add_print_command(sub: Any) -> None:
    """Register `jxc print NUMBER ...` on the command line's subparsers."""
    command = sub.add_parser("print", help="a document as PDF: SO-, SH-, QT-, PO-, GR-, SC- numbers, customer:CODE or "
                                           "supplier:CODE statements")
    command.add_argument("number", help="document number, or customer:CODE / supplier:CODE for a statement")
    command.add_argument("--layout", choices=LAYOUTS, help="a4 or 80mm (default: [documents] layout)")
    command.add_argument("--out", type=Path, help="file to write (default ./NUMBER.pdf)")
    command.add_argument("--period", help="statement: a month, e.g. 2026-03 (default: this month)")
    command.add_argument("--from", dest="date_from", metavar="DATE", help="statement: first day")
    command.add_argument("--to", dest="date_to", metavar="DATE", help="statement: last day")
    command.add_argument("--lang", choices=("zh_CN", "en"),
                         help="language (default: the customer's for its documents, else the employee's)")
    command.add_argument("--printer", action="store_true", help="send it to [documents] printer (ESC/POS) instead")
    command.add_argument("--as", dest="actor", default=SYSTEM_NAME, help="employee to act as")
    command.set_defaults(run=cmd_print)


def add_labels_command(sub: Any) -> None:
    """Register `jxc labels CODE ...` on the command line's subparsers."""
    command = sub.add_parser("labels", help="product or shelf labels as PDF (A4 sheets of 24, or 50x30 mm)")
    command.add_argument("codes", nargs="+", help="SKU, barcode or name of each item")
    command.add_argument("--layout", choices=LABEL_LAYOUTS, default="a4")
    command.add_argument("--shelf", action="store_true", help="shelf labels (large price) instead of product labels")
    command.add_argument("--copies", type=int, default=1, help="labels of each item (default 1)")
    command.add_argument("--lot", action="append", default=[], metavar="LOT",
                         help="a lot label (GS1-128 of GTIN, expiry and lot) of the first item's LOT; repeatable")
    command.add_argument("--lots", action="store_true", help="lot labels of every lot of the first item on hand")
    command.add_argument("--out", type=Path, default=Path("labels.pdf"), help="file to write (default labels.pdf)")
    command.add_argument("--lang", choices=("zh_CN", "en"), help="language (default: the employee's)")
    command.add_argument("--as", dest="actor", default=SYSTEM_NAME, help="employee to act as")
    command.set_defaults(run=cmd_labels)


def _printer_for(books: Any, args: Any) -> tuple[Printer, Actor, str] | None:
    """The printer of the config, the employee `--as` and the language to print in; None (said) on a bad config."""
    try:
        printer = Printer(document_settings(books.config))
    except ConfigError as error:
        print(f"config error: {error}", file=sys.stderr)
        return None
    actor = load_actor(books.uow, args.actor)
    return printer, actor, actor.language or str(books.config.get("company", "language", "zh_CN"))


def cmd_labels(books: Any, args: Any) -> int:
    """Write the labels of the items named as a PDF."""
    chosen = _printer_for(books, args)
    if chosen is None:
        return 2
    printer, actor, reader = chosen
    lang = args.lang or reader
    texts = Texts(timezone=str(books.config.get("company", "timezone", "Asia/Shanghai")),
                  currency=str(books.config.get("books", "currency", "CNY")))
    labels: Sequence[object]
    try:
        if args.lot or args.lots:
            labels = lots = lot_labels(books.uow, actor, args.codes[0], args.lot, args.copies)
            content = printer.lot_labels(lots, texts, lang, args.layout)
        else:
            labels = products = product_labels(books.uow, actor, args.codes, args.copies)
            content = printer.labels(products, texts, lang, args.layout, args.shelf)
    except FontMissing as error:
        print(f"cannot print: {error}", file=sys.stderr)
        return 2
    args.out.write_bytes(content)
    print(f"wrote {args.out} ({len(labels)} labels)")
    return 0


def cmd_print(books: Any, args: Any) -> int:
    """Print one document as the employee `--as` may see it: a PDF file, or bytes to the receipt printer."""
    zone = str(books.config.get("company", "timezone", "Asia/Shanghai"))
    chosen = _printer_for(books, args)
    if chosen is None:
        return 2
    printer, actor, reader = chosen
    dated = args.period or args.date_from or args.date_to
    period = parse_period(args.period, args.date_from, args.date_to,
                          today=datetime.now(ZoneInfo(zone)).date()) if dated else None
    doc = printable(books.uow, actor, args.number, period=None if period is None else (period.start, period.end),
                    timezone=zone)
    texts = Texts(timezone=zone, currency=str(books.config.get("books", "currency", "CNY")))
    lang = Printer.language(doc, args.lang, reader)
    try:
        if args.printer:
            printer.send(printer.receipt(doc, texts, lang))
            print(f"sent {doc.number} to the receipt printer")
            return 0
        content = printer.pdf(doc, texts, lang, args.layout)
    except FontMissing as error:
        print(f"cannot print: {error}", file=sys.stderr)
        return 2
    except NoPrinter:
        print("cannot print: [documents] printer is not set (host:port)", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"cannot print: the receipt printer did not answer ({error})", file=sys.stderr)
        return 2
    out = args.out or Path(Printer.file_name(doc))
    out.write_bytes(content)
    print(f"wrote {out} ({len(doc.lines)} lines, {len(content):,} bytes)")
    return 0
