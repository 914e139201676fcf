"""打印 / print: a document as a PDF file in chat (`打印 SO-...`, `print PO-... 80mm en`), a customer's or
supplier's statement for a month (`打印 对账单 ACME 2026-03`), or the document on the receipt printer (`小票`);
标签 / labels: product and shelf labels of the items named."""

from __future__ import annotations

from typing import Any

from bot.documents import LAYOUTS, PDF_MIME, FontMissing, NoPrinter, Printer
from bot.documents.ask import PrintAsk
from bot.engine.flow import Context, Event, Flow, Step
from bot.engine.replies import Attachment, Reply
from bot.engine.texts import LANGUAGES
from bot.flows.entry import refusal
from core.documents.kinds import printable
from core.documents.labels import lot_labels, product_labels
from core.errors import DomainError
from core.reporting.periods import parse_period

RECEIPT_WORDS = frozenset({"receipt", "小票", "escpos", "printer", "打印机"})
LANGUAGE_WORDS = {"en": "en", "english": "en", "英文": "en", "zh": "zh_CN", "zh_cn": "zh_CN", "中文": "zh_CN"}
PARTNER_WORDS = {"customer": "customer", "客户": "customer", "supplier": "supplier", "供应商": "supplier",
                 "statement": "customer", "对账单": "customer", "客户对账单": "customer", "供应商对账单": "supplier"}


def read_ask(args: str) -> PrintAsk | None:
    """The words after the command; None when they name no document."""
    words = args.split()
    layout = next((w.lower() for w in words if w.lower() in LAYOUTS), None)
    lang = next((LANGUAGE_WORDS[w.lower()] for w in words if w.lower() in LANGUAGE_WORDS), None)
    receipt = any(w.lower() in RECEIPT_WORDS for w in words)
    rest = [w for w in words if w.lower() not in LAYOUTS and w.lower() not in LANGUAGE_WORDS
            and w.lower() not in RECEIPT_WORDS]
    month = next((w for w in rest if len(w) == 7 and w[4] == "-" and w[:4].isdigit()), None)
    rest = [w for w in rest if w != month]
    if not rest:
        return None
    kind = PARTNER_WORDS.get(rest[0].lower())
    if kind and len(rest) > 1:
        if rest[0] in ("对账单", "statement") and rest[1].lower() in PARTNER_WORDS and len(rest) > 2:
            kind, rest = PARTNER_WORDS[rest[1].lower()], rest[1:]
        return PrintAsk(f"{kind}:{rest[1]}", month, layout, lang, receipt)
    return PrintAsk(rest[0][:40], month, layout, lang, receipt)


class PrintFlow(Flow):
    """打印 / print: the PDF of a document (a file), or the document on the receipt printer."""

    name = "print"
    key = "pr"

    def __init__(self, printer: Printer | None = None) -> None:
        self.printer = printer or Printer()

    def start(self, ctx: Context, args: str) -> Step:
        """Print what was named, or say how."""
        ask = read_ask(args)
        if ask is None:
            return Step([ctx.say("print_ask")])
        return Step([self._print(ctx, ask)])

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """Printing has no second step."""
        return self.start(ctx, event.text or "")

    def button(self, ctx: Context, payload: str) -> Step:
        """The Print button of a card or a document: its number."""
        return self.start(ctx, payload)

    def _print(self, ctx: Context, ask: PrintAsk) -> Reply:
        try:
            period = parse_period(ask.month, today=ctx.now.astimezone(ctx.texts.zone).date()) if ask.month else None
            doc = printable(ctx.uow, ctx.actor, ask.target, period=None if period is None else
                            (period.start, period.end), timezone=ctx.texts.zone.key)
            lang = Printer.language(doc, ask.lang if ask.lang in LANGUAGES else None, ctx.lang)
            if ask.receipt:
                self.printer.send(self.printer.receipt(doc, ctx.texts, lang))
                return ctx.say("print_sent", number=doc.number)
            content = self.printer.pdf(doc, ctx.texts, lang, ask.layout)
        except DomainError as error:
            return refusal(ctx, error, "print_ask")
        except FontMissing:
            return ctx.say("print_no_font")
        except NoPrinter:
            return ctx.say("print_no_printer")
        except OSError as error:
            return ctx.say("print_printer_failed", reason=str(error)[:80])
        return Reply(ctx.text("print_done", number=doc.number, lines=len(doc.lines)),
                     file=Attachment(Printer.file_name(doc), content, PDF_MIME))


SHELF_WORDS = frozenset({"shelf", "货架", "货架标签", "价签"})
LOT_WORDS = frozenset({"lot", "lots", "批次", "批号"})


class LabelsFlow(Flow):
    """标签 / labels SKU ...: product labels (货架 / shelf: shelf labels) as a PDF, A4 sheets or single 50x30."""

    name = "labels"
    key = "lb"

    def __init__(self, printer: Printer | None = None) -> None:
        self.printer = printer or Printer()

    def start(self, ctx: Context, args: str) -> Step:
        """The labels of the items named, or say how."""
        words = args.split()
        layout = "50x30" if any(w.lower() in ("50x30", "50*30", "single") for w in words) else "a4"
        shelf = any(w.lower() in SHELF_WORDS for w in words)
        copies = next((int(w[1:]) for w in words if w[:1] in "x×" and w[1:].isdigit()), 1)
        codes = [w for w in words if w.lower() not in SHELF_WORDS and w.lower() not in ("50x30", "50*30", "single")
                 and not (w[:1] in "x×" and w[1:].isdigit())]
        if not codes:
            return Step([ctx.say("labels_ask")])
        if codes[0].lower() in LOT_WORDS:
            return self._lots(ctx, codes[1:], copies, layout)
        try:
            labels = product_labels(ctx.uow, ctx.actor, codes, copies)
            content = self.printer.labels(labels, ctx.texts, ctx.lang, layout, shelf)
        except DomainError as error:
            return Step([refusal(ctx, error, "labels_ask")])
        except FontMissing:
            return Step([ctx.say("print_no_font")])
        name = f"labels-{labels[0].sku}.pdf" if len({label.sku for label in labels}) == 1 else "labels.pdf"
        return Step([Reply(ctx.text("labels_done", count=len(labels), layout=layout),
                           file=Attachment(name, content, PDF_MIME))])

    def _lots(self, ctx: Context, words: list[str], copies: int, layout: str) -> Step:
        """标签 批次 SKU [LOT …]: the lots named, or every lot of it on hand, as lot labels with GS1-128."""
        if not words:
            return Step([ctx.say("labels_ask")])
        try:
            labels = lot_labels(ctx.uow, ctx.actor, words[0], words[1:], copies)
            content = self.printer.lot_labels(labels, ctx.texts, ctx.lang, layout)
        except DomainError as error:
            return Step([refusal(ctx, error, "labels_ask")])
        except FontMissing:
            return Step([ctx.say("print_no_font")])
        if not labels:
            return Step([ctx.say("labels_no_lots", sku=words[0].upper())])
        return Step([Reply(ctx.text("labels_done", count=len(labels), layout=layout),
                           file=Attachment(f"lots-{labels[0].sku}.pdf", content, PDF_MIME))])

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """Labels have no second step."""
        return self.start(ctx, event.text or "")
