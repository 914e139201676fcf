"""The OCR adapter as the channels use it: a picture read in a worker process within the time limit; a read that
outlasts it is stopped (the process killed, its CPU freed), and the next picture is read by a new worker."""

from __future__ import annotations

import asyncio
import multiprocessing

from bot.reading import PictureReader
from tests.notes import Written, note


def test_a_read_over_the_time_limit_is_stopped_and_the_next_picture_is_read_by_a_new_worker() -> None:
    picture = note([Written("青花茶杯", "12", "个"), Written("复古闹钟", "3", "个")])
    reader = PictureReader(time_limit=0.05)  # the models alone take longer than that to load
    try:
        slow = asyncio.run(reader.read(picture))
        assert slow.refused == "too_slow"
        assert not [p for p in multiprocessing.active_children() if p.name == "jxc-ocr"], (
            "the read was stopped, not left running")
        reader.time_limit = 120
        read = asyncio.run(reader.read(picture))
        assert read.refused == "" and any("茶杯" in box.text for box in read.boxes)
        assert asyncio.run(reader.read(b"not a picture")).refused == "not_image"
        assert [p.name for p in multiprocessing.active_children()] == ["jxc-ocr"], "one worker, kept for the next"
    finally:
        reader.close()
    assert not [p for p in multiprocessing.active_children() if p.name == "jxc-ocr"]
