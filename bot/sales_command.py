"""`jxc quotations [--customer CODE]`: the open quotations; `jxc quote-to-order QT-...`: a quotation made a sales
order at its prices; `jxc deposit SO-... AMOUNT`: a deposit recorded on an order (`--refund REASON` or
`--forfeit REASON` on a cancelled one, no amount: its deposits listed). Words from templates/<lang>/cli/."""

from __future__ import annotations

from typing import Any

from bot.engine.texts import Texts
from core.money.deposits import order_deposits, record_deposit, settle_deposits
from core.people.employees import SYSTEM_NAME, load_actor
from core.permissions import Actor
from core.sales.quotations import list_quotations, order_quotation


def add_sales_commands(sub: Any) -> None:
    """Register `jxc quotations`, `jxc quote-to-order` and `jxc deposit` on the command line's subparsers."""
    listed = sub.add_parser("quotations", help="open quotations (a customer's), newest first")
    listed.add_argument("--customer", help="customer code")
    listed.add_argument("--all", action="store_true", help="also ordered, cancelled and expired ones")
    listed.add_argument("--page", type=int, default=1)
    listed.set_defaults(run=cmd_quotations)
    ordered = sub.add_parser("quote-to-order", help="turn a valid quotation into a sales order at its prices")
    ordered.add_argument("number", help="QT-... number")
    ordered.set_defaults(run=cmd_quote_to_order)
    deposit = sub.add_parser("deposit", help="record a deposit on a sales or purchase order, list, refund or "
                                             "forfeit its deposits")
    deposit.add_argument("number", help="SO-... or PO-... number")
    deposit.add_argument("amount", nargs="?", help="the amount paid (without: the order's deposits)")
    deposit.add_argument("--method", default="bank", help="bank, cash, wechat, alipay... (default bank)")
    settle = deposit.add_mutually_exclusive_group()
    settle.add_argument("--refund", metavar="REASON", help="refund what is left (cancelled order)")
    settle.add_argument("--forfeit", metavar="REASON", help="keep what is left (cancelled order)")
    deposit.set_defaults(run=cmd_deposit)
    for command in (listed, ordered, deposit):
        command.add_argument("--lang", choices=("zh_CN", "en"), help="language (default: the employee's)")
        command.add_argument("--as", dest="actor", default=SYSTEM_NAME, help="employee to act as")


def _speaker(books: Any, args: Any) -> tuple[Actor, Texts, str]:
    actor = load_actor(books.uow, args.actor)
    texts = Texts(timezone=str(books.config.get("company", "timezone", "Asia/Shanghai")),
                  currency=str(books.config.get("books", "currency", "CNY")))
    return actor, texts, args.lang or actor.language or str(books.config.get("company", "language", "zh_CN"))


def cmd_quotations(books: Any, args: Any) -> int:
    """Print the quotations the employee may see, one a line."""
    actor, texts, lang = _speaker(books, args)
    found = list_quotations(books.uow, actor, args.customer, open_only=not args.all, page=args.page)
    print(texts.render(lang, "cli_quotations", quotations=found, customer=(args.customer or "").upper()))
    return 0


def cmd_quote_to_order(books: Any, args: Any) -> int:
    """Make the quotation a sales order and print what became of it."""
    actor, texts, lang = _speaker(books, args)
    order = order_quotation(books.uow, actor.with_channel("cli"), args.number, "cli")
    print(texts.render(lang, "cli_quote_ordered", order=order, quotation=args.number.strip().upper()))
    return 0


def cmd_deposit(books: Any, args: Any) -> int:
    """Record, list, refund or forfeit an order's deposits."""
    actor, texts, lang = _speaker(books, args)
    number = args.number.strip().upper()
    if args.refund or args.forfeit:
        action, reason = ("refund", args.refund) if args.refund else ("forfeit", args.forfeit)
        settled = settle_deposits(books.uow, actor, number, action, reason, args.method)
        print(texts.render(lang, "deposit_settled", deposits=settled, action=action, number=number))
    elif args.amount is None:
        print(texts.render(lang, "deposit_list", deposits=order_deposits(books.uow, actor, number), number=number))
    else:
        deposit = record_deposit(books.uow, actor, number, args.amount, args.method)
        print(texts.render(lang, "deposit_recorded", deposit=deposit))
    return 0
