"""A lot's trace as a spreadsheet: one row per movement, then the customers it went to (the recall list)."""

from __future__ import annotations

import io

from bot.engine.texts import Texts
from bot.reporting import neutralise
from core.stock.trace import LotTrace

COLUMNS = ("at", "document", "kind", "order", "warehouse", "qty", "partner")


def trace_xlsx(trace: LotTrace, texts: Texts, lang: str) -> bytes:
    """The movements sheet and the customers sheet, headers in the reader's language."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    moves = book.active
    assert moves is not None
    moves.title = "moves"
    moves.append([texts.render(lang, "trace_column", name=c) for c in COLUMNS])
    for m in trace.moves:
        moves.append([m.at.astimezone(texts.zone).replace(tzinfo=None), neutralise(m.document),
                      texts.render(lang, "trace_kind", kind=m.kind), neutralise(m.order or ""), neutralise(m.warehouse),
                      m.qty, neutralise(" ".join(p for p in (m.partner, m.partner_name) if p))])
    customers = book.create_sheet("customers")
    customers.append([texts.render(lang, "trace_column", name=c) for c in ("partner", "qty", "at")])
    for c in trace.customers:
        customers.append([neutralise(f"{c.code} {c.name}"), c.qty, c.last.astimezone(texts.zone).replace(tzinfo=None)])
    bold = Font(bold=True)
    for sheet in (moves, customers):
        for cell in sheet[1]:
            cell.font = bold
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
