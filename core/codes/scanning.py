"""Barcodes in a photo (zxing-cpp): EAN-13, EAN-8, UPC-A, Code 128, QR and DataMatrix, several in one picture.

Pure and blocking: an async channel calls `read_codes` off its event loop. A picture over the size caps, or bytes
that are no picture, read as no code at all (the person is asked for a closer, sharper shot).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import zxingcpp
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 50_000_000  # a 50-megapixel photo; larger is refused before it is decoded into memory
LONGEST_SIDE = 2000  # phone photos are scaled down to this before reading (a 12 MP JPEG decodes at half scale)
FORMATS = zxingcpp.BarcodeFormats([
    zxingcpp.BarcodeFormat.EAN13, zxingcpp.BarcodeFormat.EAN8, zxingcpp.BarcodeFormat.UPCA,
    zxingcpp.BarcodeFormat.Code128, zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.DataMatrix,
])
GS1_CONTENT = zxingcpp.ContentType.GS1


@dataclass(frozen=True)
class ScannedCode:
    """One code read: its text as a person would type it ("(01)…(10)…" for GS1), the format, whether it is GS1."""

    text: str
    format: str
    gs1: bool = False


def read_codes(content: bytes, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS) -> tuple[ScannedCode, ...]:
    """Every code in the picture, top to bottom then left to right; () when none can be read."""
    image = _open(content, max_bytes, max_pixels)
    if image is None:
        return ()
    found = [code for code in zxingcpp.read_barcodes(image, formats=FORMATS) if code.valid and code.text]
    kept: list[zxingcpp.Barcode] = []
    for code in found:  # a second reading of the same symbol (another pass of the reader) is not another code
        if not any(_inside(_centre(code), other) for other in kept):
            kept.append(code)
    kept.sort(key=lambda code: (code.position.top_left.y // 40, code.position.top_left.x))
    return tuple(ScannedCode(code.text, code.format.name, code.content_type == GS1_CONTENT) for code in kept)


def _centre(code: zxingcpp.Barcode) -> tuple[float, float]:
    corners = _corners(code)
    return sum(x for x, _ in corners) / 4, sum(y for _, y in corners) / 4


def _inside(point: tuple[float, float], code: zxingcpp.Barcode) -> bool:
    """Whether the point lies within the code's bounding box."""
    corners = _corners(code)
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    return min(xs) <= point[0] <= max(xs) and min(ys) <= point[1] <= max(ys)


def _corners(code: zxingcpp.Barcode) -> list[tuple[int, int]]:
    p = code.position
    return [(c.x, c.y) for c in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)]


def _open(content: bytes, max_bytes: int, max_pixels: int) -> Image.Image | None:
    """The picture upright, in grey, at most LONGEST_SIDE on its longest side; None for no picture or too big."""
    if not content or len(content) > max_bytes:
        return None
    try:
        opened = Image.open(io.BytesIO(content))
        if opened.width * opened.height > max_pixels:
            return None
        shrink = LONGEST_SIDE / max(opened.size)
        opened.draft("L", (int(opened.width * shrink), int(opened.height * shrink)))  # JPEG: decode at 1/2, 1/4…
        image = ImageOps.exif_transpose(opened).convert("L")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    if max(image.size) > LONGEST_SIDE:
        image.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
    return image

