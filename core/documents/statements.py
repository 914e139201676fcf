"""A customer's or supplier's statement (对账单) for a period: opening balance, each document and payment with the
running balance and the VAT in each document (deposits named as such), the period's VAT, closing balance; for
who may see money."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.documents.model import Cell, Column, Party, PrintedDocument
from core.errors import InvalidFilter
from core.models import Customer
from core.money.statements import statement
from core.numbers import ZERO
from core.permissions import Actor
from core.uow import Tx, UnitOfWork

PARTNER_KINDS = ("customer", "supplier")
ENTRY_COLUMNS = (Column("when", "when", 6), Column("entry", "text", 6), Column("document", "text", 8),
                 Column("reference", "text", 8), Column("amount", "money", 6), Column("tax", "money", 5),
                 Column("balance", "money", 6))


def partner_statement(uow: UnitOfWork, actor: Actor, kind: str, code: str, period: tuple[date, date] | None,
                      timezone: str) -> PrintedDocument:
    """对账单 of `kind` `code` over `period` (default: this month up to today, in the company's time zone)."""
    now = uow.clock().astimezone(ZoneInfo(timezone))
    start, end = period or (now.date().replace(day=1), now.date())
    if start > end:
        raise InvalidFilter(reason="period", date_from=start.isoformat(), date_to=end.isoformat())
    found = statement(uow, actor, kind, code, start, end, timezone=timezone)
    lines: tuple[dict[str, Cell], ...] = tuple(
        {"when": e.at, "entry": f"entry_{e.kind}", "document": e.number, "reference": e.reference,
         "amount": e.amount, "tax": e.tax, "balance": e.balance} for e in found.entries)
    tax = sum((e.tax for e in found.entries if e.tax is not None), ZERO)
    language = uow.read(lambda tx: _language(tx, found.code)) if kind == "customer" else ""
    return PrintedDocument(
        kind=f"{kind}_statement", number=f"{found.code}-{start.isoformat()}-{end.isoformat()}", status="",
        created_at=now, party=Party(kind, found.code, found.name, language=language), warehouse="",
        author=actor.name, columns=ENTRY_COLUMNS, lines=lines,
        totals=(("opening", found.opening), ("period_tax", tax), ("closing", found.closing)), amount=found.closing,
        period=(start, end))


def _language(tx: Tx, code: str) -> str:
    return tx.session.scalar(select(Customer.language).where(Customer.code == code)) or ""
