"""Phone-like photos of barcodes, drawn in the test: codes made by zxing-cpp, pasted slightly rotated
onto a larger, noisy, unevenly lit picture, saved as JPEG the way a phone sends it."""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import zxingcpp
from PIL import Image, ImageDraw, ImageFilter

FORMATS = {
    "EAN13": zxingcpp.BarcodeFormat.EAN13, "EAN8": zxingcpp.BarcodeFormat.EAN8,
    "UPCA": zxingcpp.BarcodeFormat.UPCA, "Code128": zxingcpp.BarcodeFormat.Code128,
    "QRCode": zxingcpp.BarcodeFormat.QRCode, "DataMatrix": zxingcpp.BarcodeFormat.DataMatrix,
}


@dataclass(frozen=True)
class Code:
    """A code to draw: its content, format name (FORMATS) and whether the content is a GS1 element string."""

    content: str
    format: str
    gs1: bool = False


def code_image(code: Code, scale: int = 4) -> Image.Image:
    """The code alone, black on white with its quiet zone: the tightly cropped picture."""
    options = {"gs1": True} if code.gs1 else {}
    barcode = zxingcpp.create_barcode(code.content, FORMATS[code.format], **options)
    return Image.fromarray(np.asarray(barcode.to_image(scale=scale))).convert("L")


def photo(codes: Sequence[Code], *, width: int = 1280, height: int = 960, seed: int = 7, angle: float = 4.0,
          scale: int = 4) -> bytes:
    """A phone-like JPEG: grey uneven background with noise and clutter, each code on its label, a little rotated."""
    rng = random.Random(seed)
    gradient = np.linspace(90, 170, width, dtype=np.float32)[None, :].repeat(height, axis=0)
    noise = np.random.default_rng(seed).normal(0, 12, (height, width)).astype(np.float32)
    picture = Image.fromarray(np.clip(gradient + noise, 0, 255).astype(np.uint8)).convert("RGB")
    draw = ImageDraw.Draw(picture)
    for _ in range(25):  # clutter: the shelf and the box around the labels
        x, y = rng.randrange(width), rng.randrange(height)
        draw.line((x, y, x + rng.randrange(-200, 200), y + rng.randrange(-200, 200)),
                  fill=(rng.randrange(40, 120),) * 3, width=rng.randrange(1, 5))
    columns = max(1, min(len(codes), 3))
    cell_w, cell_h = width // columns, height // max(1, (len(codes) + columns - 1) // columns)
    for n, code in enumerate(codes):
        label = code_image(code, scale).rotate(angle * (1 if n % 2 else -1), expand=True, fillcolor=255,
                                               resample=Image.Resampling.BILINEAR)
        label.thumbnail((cell_w - 40, cell_h - 40))
        x = (n % columns) * cell_w + (cell_w - label.width) // 2
        y = (n // columns) * cell_h + (cell_h - label.height) // 2
        picture.paste(label.convert("RGB"), (x, y))
    picture = picture.filter(ImageFilter.GaussianBlur(0.8))
    return jpeg(picture)


def jpeg(picture: Image.Image, quality: int = 85) -> bytes:
    out = io.BytesIO()
    picture.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def blank_photo(width: int = 1280, height: int = 960) -> bytes:
    """A photo of a shelf with no code on it."""
    return photo([], width=width, height=height)
