"""Printing documents: PDF (A4 or an 80 mm roll) and ESC/POS for a network receipt printer, from core's read models
(core/documents) and the words in templates/<lang>/documents/. Built once by the composition root from the config."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bot.documents.escpos import receipt_bytes, send_to_printer
from bot.documents.labels import LABEL_LAYOUTS, labels_pdf, lot_labels_pdf
from bot.documents.pdf import BlankPages, Sheet, a4_pdf, roll_pdf
from bot.documents.settings import LAYOUTS, DocumentSettings, FontMissing, document_settings
from bot.documents.templates import templates
from bot.documents.words import DocWords
from bot.engine.texts import Texts
from core.catalog.links import links_of
from core.documents.labels import LotLabel, ProductLabel
from core.documents.model import PrintedDocument

PDF_MIME = "application/pdf"
__all__ = ["LABEL_LAYOUTS", "LAYOUTS", "PDF_MIME", "DocumentSettings", "FontMissing", "NoPrinter", "Printer",
           "document_settings"]


class NoPrinter(Exception):
    """[documents] printer is not set: there is no receipt printer to send to."""


class Printer:
    """Renders printed documents with the company's settings: `pdf` for a file, `receipt` for the roll printer."""

    def __init__(self, settings: DocumentSettings | None = None) -> None:
        self.settings = settings or DocumentSettings()
        self._blank: BlankPages | None = None  # the font parsed once, on the first PDF

    def _pages(self) -> BlankPages:
        if self._blank is None:
            self._blank = BlankPages(self.settings.font_file())
        return self._blank

    def pdf(self, doc: PrintedDocument, texts: Texts, lang: str, layout: str | None = None) -> bytes:
        """The document as a PDF in `lang`, on A4 or an 80 mm roll ([documents] layout when not given)."""
        sheet = self._sheet(doc, texts, lang)
        blank = self._pages()
        return roll_pdf(sheet, blank) if (layout or self.settings.layout) == "80mm" else a4_pdf(sheet, blank)

    def receipt(self, doc: PrintedDocument, texts: Texts, lang: str) -> bytes:
        """The document as ESC/POS bytes for an 80 mm receipt printer."""
        return receipt_bytes(self._sheet(doc, texts, lang))

    def labels(self, labels: Sequence[ProductLabel], texts: Texts, lang: str, layout: str = "a4",
               shelf: bool = False) -> bytes:
        """Product (or shelf) labels as a PDF: A4 sheets of 3 x 8, or single 50 x 30 mm labels; each QR code opens
        the item's card (the Telegram deep link with [telegram] bot_username, else the browser link)."""
        words = DocWords.of(texts, lang, self.settings.currency)
        return labels_pdf(labels, words, self._pages(), self._link, layout, shelf)

    def lot_labels(self, labels: Sequence[LotLabel], texts: Texts, lang: str, layout: str = "a4") -> bytes:
        """Lot labels as a PDF, laid out as product labels: GS1-128 of GTIN, expiry and lot, and the item's link."""
        words = DocWords.of(texts, lang, self.settings.currency)
        return lot_labels_pdf(labels, words, self._pages(), self._link, layout)

    def _link(self, label: ProductLabel | LotLabel) -> str:
        found = links_of(label.sku, label.product_id, bot_username=self.settings.bot_username,
                         public_url=self.settings.public_url)
        return found.telegram or found.browser

    def send(self, data: bytes) -> None:
        """Send bytes to [documents] printer (host:port); NoPrinter when none is set, OSError when it fails."""
        if self.settings.printer is None:
            raise NoPrinter()
        send_to_printer(self.settings.printer, data, self.settings.printer_timeout)

    @staticmethod
    def language(doc: PrintedDocument, asked: str | None, reader: str) -> str:
        """The language to print in: the one asked for, else the customer's (a document for a customer prints in
        its language), else the reader's."""
        return asked or doc.language or reader

    @staticmethod
    def file_name(doc: PrintedDocument) -> str:
        return f"{doc.number}.pdf"

    def _sheet(self, doc: PrintedDocument, texts: Texts, lang: str) -> Sheet:
        return Sheet(doc.without(self.settings.hidden), DocWords.of(texts, lang, self.settings.currency),
                     templates()[doc.kind], self.settings.company, datetime.now(UTC))
