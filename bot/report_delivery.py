"""Saved reports for people: a run rendered as replies (summary, chart, spreadsheet); the scheduled job that puts
each due delivery in the outbox, rendered for its recipient (their language, their permissions)."""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.engine.replies import Attachment, Reply
from bot.engine.tables import Table
from bot.engine.texts import Texts
from bot.reporting import (
    PNG_MIME,
    XLSX_MIME,
    file_stem,
    render_png,
    render_xlsx,
    report_table,
    summary_values,
)
from bot.reporting import report_replies as chat_replies
from core.errors import DomainError
from core.integration.outbox import Note, write_notes
from core.people.employees import load_actor
from core.permissions import Actor
from core.reporting.periods import Report
from core.reporting.saved import run_saved_report
from core.reporting.schedules import DueDelivery, due_schedules
from core.uow import UnitOfWork

log = logging.getLogger(__name__)
ROWS = 1000  # rows a saved report's chart and spreadsheet are made from
TEXT_ROWS = 30  # rows of the table in a text delivery
EVENT = "saved_report"


def summary(texts: Texts, lang: str, name: str, report: Report) -> str:
    """The saved report's name over the report's summary."""
    return texts.render(lang, "saved_report_run", name=name,
                        summary=texts.render(lang, "report_summary", **summary_values(report, texts, lang)))


def report_replies(texts: Texts, lang: str, name: str, report: Report, fmt: str = "all",
                   notes: Sequence[str] = ()) -> list[Reply]:
    """The replies of a run: 'all' as an ad-hoc report in chat (bot.reporting.report_replies: summary with a page
    of the table, the chart, the spreadsheet) under the saved report's name; for a delivery 'text' (summary and the
    first rows), 'png' (summary with the chart) or 'xlsx' (summary with the spreadsheet)."""
    if fmt == "all":
        first, *rest = chat_replies(report, texts, lang, notes=notes)
        return [replace(first, text=f"📌 {name}\n{first.text}"), *rest]
    text = summary(texts, lang, name, report)
    if fmt == "text":
        return [Reply(text, table=report_table(replace(report, rows=report.rows[:TEXT_ROWS]), texts, lang))]
    stem = file_stem(report)
    if fmt == "png":
        return [Reply(text, image=Attachment(f"{stem}.png", render_png(report, texts, lang), PNG_MIME))]
    return [Reply(text, file=Attachment(f"{stem}.xlsx", render_xlsx(report, texts, lang), XLSX_MIME))]


# ---- the scheduled job ---------------------------------------------------------------------------------------------

def deliver_saved_reports(uow: UnitOfWork, texts: Texts, now: datetime, timezone: str) -> int:
    """One outbox note per due delivery (dedupe key report:<schedule>:<company day>), each rendered for its
    recipient; safe to run twice. Returns notes written."""
    written = 0
    for due in due_schedules(uow, now, timezone):
        try:
            recipient = load_actor(uow, due.recipient_id, channel="scheduler")
        except DomainError:
            continue  # left the company since the schedule was read
        try:
            payload = _payload(uow, texts, recipient, due, now, timezone)
        except Exception:  # one report that cannot be drawn must not hold up the others; retried next round
            log.exception("saved report %s for %s could not be rendered", due.name, recipient.name)
            continue
        note = Note(EVENT, due.recipient_id, payload, due.dedupe_key)
        written += uow.run(lambda tx, n=note: write_notes(tx, [n]))  # type: ignore[misc]
    return written


def _payload(uow: UnitOfWork, texts: Texts, recipient: Actor, due: DueDelivery, now: datetime,
             timezone: str) -> dict[str, Any]:
    lang = recipient.language
    base: dict[str, Any] = {"schedule_id": due.schedule_id, "name": due.name, "date": due.local_date.isoformat()}
    try:
        run = run_saved_report(uow, recipient, due.saved_report_id, now=now, timezone=timezone, page_size=ROWS)
    except DomainError as error:  # the report no longer fits (a warehouse closed, a permission taken away)
        log.info("saved report %s for %s refused: %s", due.name, recipient.name, error.code)
        return {**base, "text": texts.render(lang, "saved_report_failed", name=due.name,
                                             reason=texts.error(lang, error))}
    [reply] = report_replies(texts, lang, due.name, run.report, due.format)
    return {**base, "text": reply.text, "image": _attachment_json(reply.image),
            "file": _attachment_json(reply.file), "table": reply.table.to_json() if reply.table else None}


def _attachment_json(attachment: Attachment | None) -> dict[str, str] | None:
    if attachment is None:
        return None
    return {"name": attachment.name, "mime": attachment.mime,
            "content": base64.b64encode(attachment.content).decode()}


def report_table_of(payload: dict[str, Any]) -> Table | None:
    """The table a saved report's note carries (a text delivery's first rows; bot.delivery.render shows it)."""
    data = payload.get("table")
    return Table.from_json(data) if isinstance(data, dict) else None


def report_attachments(payload: dict[str, Any]) -> tuple[Attachment | None, Attachment | None]:
    """The chart and the spreadsheet a saved report's note carries (bot.delivery.render attaches them)."""
    found = []
    for part in ("image", "file"):
        data = payload.get(part)
        found.append(Attachment(str(data["name"]), base64.b64decode(data["content"]), str(data["mime"]))
                     if isinstance(data, dict) else None)
    return found[0], found[1]

