"""Reading printed PDFs back in tests: their text (pypdf), their fonts and whether each is embedded, and how much
of a page rendered to an image (pypdfium2) is ink."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from typing import Any

import pypdf
import pypdfium2

from tests.fonts import require_cjk_font

require_cjk_font()


@dataclass(frozen=True)
class PdfFont:
    name: str
    embedded: bool


def pdf_text(content: bytes) -> str:
    """Every page's text, pages joined by a line break."""
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(BytesIO(content)).pages)


def pdf_pages(content: bytes) -> int:
    return len(pypdf.PdfReader(BytesIO(content)).pages)


def pdf_fonts(content: bytes) -> list[PdfFont]:
    """The fonts the pages use, with whether the font program is in the file (FontFile, FontFile2 or FontFile3)."""
    found: dict[str, PdfFont] = {}
    for page in pypdf.PdfReader(BytesIO(content)).pages:
        fonts: Any = page["/Resources"].get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            embedded = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
            found[str(font["/BaseFont"])] = PdfFont(str(font["/BaseFont"]), embedded)
    return list(found.values())


def ink(content: bytes, page: int = 0) -> float:
    """The share of the page's pixels that are dark, rendered at 72 dpi (0 for a blank page)."""
    document = pypdfium2.PdfDocument(content)
    image = document[page].render(scale=1).to_pil().convert("L")
    histogram = image.histogram()
    return sum(histogram[:128]) / (image.width * image.height)


def page_size_mm(content: bytes, page: int = 0) -> tuple[float, float]:
    box = pypdf.PdfReader(BytesIO(content)).pages[page].mediabox
    return round(float(box.width) * 25.4 / 72, 1), round(float(box.height) * 25.4 / 72, 1)
