"""GET /documents/{number}.pdf: what the query asks for (layout, a statement's period) and the PDF rendered."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from bot.api.http import BadRequest
from bot.documents import LAYOUTS, Printer
from bot.documents.ask import PrintAsk
from bot.engine.texts import LANGUAGES, Texts
from core.documents.kinds import printable
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
