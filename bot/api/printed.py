"""GET /documents/{number}.pdf: what the query asks for (layout, a statement's period) and the PDF rendered;
GET /labels.pdf: the items, layout and copies of product or shelf labels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from bot.api.http import BadRequest
from bot.documents import LABEL_LAYOUTS, LAYOUTS, Printer
from bot.documents.ask import PrintAsk
from bot.engine.texts import LANGUAGES, Texts
from core.documents.kinds import printable
from core.documents.labels import MAX_LABELS, product_labels
from core.permissions import Actor
from core.reporting.periods import parse_period
from core.uow import UnitOfWork


def ask_of(request: web.Request, texts: Texts) -> PrintAsk:
    """The number from the path and the layout, language and period from the query; BadRequest for a wrong one."""
    layout = request.query.get("layout") or None
    if layout is not None and layout not in LAYOUTS:
        raise BadRequest(f"layout must be one of {', '.join(LAYOUTS)}")
    lang = request.query.get("lang") or None
    if lang is not None and lang not in LANGUAGES:
        raise BadRequest(f"lang must be one of {', '.join(LANGUAGES)}")
    return PrintAsk(request.match_info["number"][:60], request.query.get("month") or None, layout, lang,
                    date_from=request.query.get("from") or None, date_to=request.query.get("to") or None)


def render(uow: UnitOfWork, texts: Texts, printer: Printer, actor: Actor, ask: PrintAsk,
           lang: str) -> tuple[bytes, str]:
    """The PDF of what `ask` names as `actor` may see it, and its file name."""
    today = datetime.now(texts.zone).date()
    dated = ask.month or ask.date_from or ask.date_to
    period = parse_period(ask.month, ask.date_from, ask.date_to, today=today) if dated else None
    doc = printable(uow, actor, ask.target, period=None if period is None else (period.start, period.end),
                    timezone=texts.zone.key)
    return printer.pdf(doc, texts, Printer.language(doc, ask.lang, lang), ask.layout), Printer.file_name(doc)


@dataclass(frozen=True)
class LabelsAsk:
    """What GET /labels.pdf asks for: the items (SKU, barcode or name), layout, shelf labels or not, copies."""

    codes: tuple[str, ...]
    layout: str = "a4"
    shelf: bool = False
    copies: int = 1
    lang: str | None = None


def labels_ask_of(request: web.Request) -> LabelsAsk:
    """The items from ?sku= (repeated or comma-separated) and the layout, shelf, copies and language; BadRequest
    for a wrong one."""
    codes = tuple(code.strip() for value in request.query.getall("sku", []) for code in value.split(",")
                  if code.strip())
    if not codes or len(codes) > MAX_LABELS:
        raise BadRequest(f"sku is required: 1 to {MAX_LABELS} SKUs, barcodes or names, comma-separated")
    layout = request.query.get("layout") or "a4"
    if layout not in LABEL_LAYOUTS:
        raise BadRequest(f"layout must be one of {', '.join(LABEL_LAYOUTS)}")
    copies = request.query.get("copies") or "1"
    if not copies.isdigit() or not 1 <= int(copies) <= 100:
        raise BadRequest("copies must be a whole number from 1 to 100")
    if len(codes) * int(copies) > MAX_LABELS:
        raise BadRequest(f"at most {MAX_LABELS} labels in one PDF (items x copies)")
    shelf = request.query.get("shelf") or "0"
    if shelf not in ("0", "1", "true", "false"):
        raise BadRequest("shelf must be 1 or 0")
    lang = request.query.get("lang") or None
    if lang is not None and lang not in LANGUAGES:
        raise BadRequest(f"lang must be one of {', '.join(LANGUAGES)}")
    return LabelsAsk(codes, layout, shelf in ("1", "true"), int(copies), lang)


def render_labels(uow: UnitOfWork, texts: Texts, printer: Printer, actor: Actor, ask: LabelsAsk,
                  lang: str) -> bytes:
    """The labels' PDF, as `actor` may see the items."""
    labels = product_labels(uow, actor, ask.codes, ask.copies)
    return printer.labels(labels, texts, ask.lang or lang, ask.layout, ask.shelf)
