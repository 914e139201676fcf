"""The OCR adapter (rapidocr-onnxruntime: PP-OCRv4 detection and recognition models inside its wheel, offline on
the CPU): a picture's bytes to core's text boxes, off the event loop, one picture at a time, within a size cap
and a time limit per picture."""

from __future__ import annotations

import asyncio
import io
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from rapidocr_onnxruntime import RapidOCR

from core.reading.text import Reading, TextBox

log = logging.getLogger(__name__)
MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 50_000_000
LONGEST_SIDE = 1600  # larger photos are scaled down first: the text of a delivery note stays readable
TIME_LIMIT = 30.0  # seconds per picture (about 3 on two cores for a 1280 x 960 note)


@dataclass
class PictureReader:
    """Reads pictures with one OCR engine in one worker thread (built on the first picture)."""

    max_bytes: int = MAX_BYTES
    max_pixels: int = MAX_PIXELS
    time_limit: float = TIME_LIMIT
    _pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1, "ocr"), repr=False)
    _ocr: Any = field(default=None, repr=False)

    async def read(self, content: bytes) -> Reading:
        """The text boxes on the picture, or why it was not read (too large, not a picture, too slow)."""
        digest = sha256(content).hexdigest()
        if len(content) > self.max_bytes:
            return Reading(digest, refused="too_large")
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(loop.run_in_executor(self._pool, self.read_now, content, digest),
                                          self.time_limit)
        except TimeoutError:
            log.warning("reading a picture took over %.0f s; the person is asked for a clearer one", self.time_limit)
            return Reading(digest, refused="too_slow")

    def read_now(self, content: bytes, digest: str = "") -> Reading:
        """The same, blocking (the worker thread's part, and benchmarks')."""
        digest = digest or sha256(content).hexdigest()
        image = _open(content, self.max_bytes, self.max_pixels)
        if isinstance(image, str):
            return Reading(digest, refused=image)
        if self._ocr is None:
            self._ocr = RapidOCR()
        found, _ = self._ocr(np.asarray(image)[:, :, ::-1], use_cls=False)  # upright paper: no 180° guesses
        boxes = tuple(TextBox(str(text), tuple((float(x), float(y)) for x, y in corners), float(score))
                      for corners, text, score in found or ())
        return Reading(digest, boxes)

    def close(self) -> None:
        """Stop the worker thread."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def _open(content: bytes, max_bytes: int, max_pixels: int) -> Image.Image | str:
    """The picture upright in RGB, at most LONGEST_SIDE on its longest side; else why not."""
    if len(content) > max_bytes:
        return "too_large"
    try:
        opened = Image.open(io.BytesIO(content))
        if opened.width * opened.height > max_pixels:
            return "too_large"
        opened.draft("RGB", (LONGEST_SIDE, LONGEST_SIDE))
        image = ImageOps.exif_transpose(opened).convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return "not_image"
    if max(image.size) > LONGEST_SIDE:
        image.thumbnail((LONGEST_SIDE, LONGEST_SIDE))
    return image
