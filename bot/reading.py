"""The OCR adapter (rapidocr-onnxruntime: PP-OCRv4 detection and recognition models inside its wheel, offline on
the CPU): a picture's bytes to core's text boxes, in a worker process off the event loop, one picture at a time,
within a size cap and a time limit per picture that stops the read."""

from __future__ import annotations

import asyncio
import io
import logging
import multiprocessing
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from hashlib import sha256
from multiprocessing.connection import Connection
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
    """Reads pictures with one OCR engine in a worker process (started on the first picture), one picture at a
    time; a read over the time limit kills the process (its CPU is freed at once) and the next picture starts a new
    one."""

    max_bytes: int = MAX_BYTES
    max_pixels: int = MAX_PIXELS
    time_limit: float = TIME_LIMIT
    _pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1, "ocr"), repr=False)
    _ocr: Any = field(default=None, repr=False)
    _worker: _Worker | None = field(default=None, repr=False)

    async def read(self, content: bytes) -> Reading:
        """The text boxes on the picture, or why it was not read (too large, not a picture, too slow)."""
        digest = sha256(content).hexdigest()
        if len(content) > self.max_bytes:
            return Reading(digest, refused="too_large")
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._read_apart, content, digest)

    def read_now(self, content: bytes, digest: str = "") -> Reading:
        """The same in this process, blocking and without a time limit (the worker's part, and benchmarks')."""
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
        """Stop the worker process and thread."""
        if self._worker is not None:
            self._worker.stop()
            self._worker = None
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _read_apart(self, content: bytes, digest: str) -> Reading:
        """In the worker process, waiting at most the time limit (the thread pool's one thread)."""
        if self._worker is None or not self._worker.alive():
            self._worker = _Worker(self.max_bytes, self.max_pixels)
        reading = self._worker.ask(content, digest, self.time_limit)
        if reading is None:
            log.warning("reading a picture took over %.0f s: stopped; the person is asked for a clearer one",
                        self.time_limit)
            self._worker.stop()
            self._worker = None
            return Reading(digest, refused="too_slow")
        return reading


class _Worker:
    """The OCR process: pictures in through a pipe, readings out; killed when a read outlasts its time."""

    def __init__(self, max_bytes: int, max_pixels: int) -> None:
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no threads or locks copied
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, max_bytes, max_pixels), name="jxc-ocr",
                                        daemon=True)
        self._process.start()
        child.close()

    def alive(self) -> bool:
        return self._process.is_alive()

    def ask(self, content: bytes, digest: str, limit: float) -> Reading | None:
        """The reading, or None when none came within `limit` seconds (or the process died)."""
        try:
            self._conn.send((content, digest))
            if not self._conn.poll(limit):
                return None
            answer: Reading = self._conn.recv()
        except (EOFError, OSError):
            return None
        return answer

    def stop(self) -> None:
        self._process.kill()
        self._process.join(5)
        self._conn.close()


def _serve(conn: Connection, max_bytes: int, max_pixels: int) -> None:
    """The worker process's loop: until the pipe closes (the server stopped or died)."""
    reader = PictureReader(max_bytes, max_pixels)
    while True:
        try:
            content, digest = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(reader.read_now(content, digest))


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
