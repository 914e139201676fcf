"""The printable kinds and their readers: a number's prefix names its kind (SO, SH, PO, GR, SC, QT), a statement is
`customer:CODE` or `supplier:CODE` over a period. Each reader checks that the actor may read the document and
returns only what they may see, in a constant number of statements whatever the line count.

A new kind is a reader added to `readers()` and a template in bot/documents/templates.py."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

from core.documents.model import PrintedDocument
from core.documents.purchasing import goods_received, purchase_order
from core.documents.quotations import quotation_note
from core.documents.sales import delivery_note, shipment_note
from core.documents.statements import PARTNER_KINDS, partner_statement
from core.documents.stocktake import stocktake_sheet
from core.errors import UnknownDocument
from core.permissions import Actor
from core.uow import Tx, UnitOfWork

Reader = Callable[[Tx, Actor, str], PrintedDocument]


def readers() -> Mapping[str, Reader]:
    """The reader of each printable number's prefix."""
    return {"SO": delivery_note, "SH": shipment_note, "PO": purchase_order, "GR": goods_received,
            "SC": stocktake_sheet, "QT": quotation_note}


def printable(uow: UnitOfWork, actor: Actor, number: str, *, period: tuple[date, date] | None = None,
              timezone: str = "UTC") -> PrintedDocument:
    """The document `number` as `actor` may print it; a statement (`customer:ACME`) covers `period` (default: the
    month so far)."""
    target = number.strip()
    kind, colon, code = target.partition(":")
    if colon and kind.lower() in PARTNER_KINDS:
        return partner_statement(uow, actor, kind.lower(), code.strip(), period, timezone)
    reader = readers().get(target.split("-", 1)[0].upper())
    if reader is None or "-" not in target:
        raise UnknownDocument(number=target[:40])
    return uow.read(lambda tx: reader(tx, actor, target.upper()[:40]))
