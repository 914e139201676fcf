"""Delivery notes drawn in the test: a supplier's 送货单 with its number, date and supplier above a ruled table,
in a CJK font, a little rotated and blurred, saved as a phone would send it (JPEG)."""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from bot.reading import PictureReader
from core.reading.text import Reading
from tests.fonts import require_cjk_font

require_cjk_font()

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
HEADER = ("序号", "品名", "数量", "单位", "单价")
COLUMN_X = (40, 130, 600, 780, 950)


@dataclass(frozen=True)
class Written:
    """One row as the supplier wrote it; `readable` when the test expects it read as written."""

    name: str
    qty: str
    unit: str = ""
    price: str = ""
    readable: bool = True


def note(rows: Sequence[Written], *, supplier: str = "华美日用品有限公司", number: str = "DN-2026-0042",
         day: str = "2026-12-03", width: int = 1280, height: int = 960, angle: float = 1.5, blur: float = 0.6,
         header: Sequence[str] = HEADER) -> bytes:
    """The note as a JPEG of `width` x `height`: title, supplier, number and date, then the table."""
    picture = Image.new("RGB", (width, height), (248, 246, 240))
    draw = ImageDraw.Draw(picture)
    title, text = ImageFont.truetype(FONT, 40), ImageFont.truetype(FONT, 28)
    draw.text((width // 2 - 80, 30), "送货单", font=title, fill="black")
    draw.text((40, 100), f"供应商：{supplier}", font=text, fill="black")
    draw.text((800, 100), f"单号：{number}", font=text, fill="black")
    draw.text((800, 145), f"日期：{day}", font=text, fill="black")
    top, step = 200, min(56, (height - 260) // (len(rows) + 1))
    bottom = top + step * (len(rows) + 1)
    for i in range(len(rows) + 2):
        draw.line((30, top + i * step, width - 40, top + i * step), fill=(90, 90, 90), width=2)
    for x in (*COLUMN_X[1:], width - 40, 30):
        draw.line((x - 10, top, x - 10, bottom + step), fill=(90, 90, 90), width=2)
    for x, word in zip(COLUMN_X, header, strict=True):
        draw.text((x, top + 12), word, font=text, fill="black")
    for n, row in enumerate(rows, 1):
        y = top + n * step + 12
        for x, word in zip(COLUMN_X, (str(n), row.name, row.qty, row.unit, row.price), strict=True):
            draw.text((x, y), word, font=text, fill=(20, 20, 30))
    draw.text((40, bottom + step + 20), "收货人签字：", font=text, fill="black")
    picture = picture.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=(200, 200, 200))
    if blur:
        picture = picture.filter(ImageFilter.GaussianBlur(blur))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85)
    return out.getvalue()


def scribble(width: int = 1280, height: int = 960) -> bytes:
    """A picture with words on it and no table: a shelf label, say."""
    picture = Image.new("RGB", (width, height), (235, 235, 230))
    draw = ImageDraw.Draw(picture)
    draw.text((200, 300), "仓库重地 闲人免进", font=ImageFont.truetype(FONT, 60), fill="black")
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85)
    return out.getvalue()


@functools.cache
def _reader() -> PictureReader:
    return PictureReader()


@functools.cache
def read_picture(picture: bytes) -> Reading:
    """The picture read by the OCR adapter, once per test session (OCR takes seconds on two cores)."""
    return _reader().read_now(picture)
