"""Reading a delivery note: a 1280 x 960 JPEG of a 10-line 送货单 (CJK font, rotated up to 2°, blurred), read by
the OCR adapter (bot.reading.PictureReader: rapidocr-onnxruntime, PP-OCRv4, one worker thread) as a channel does
for a photo with no code; p50 and p99 seconds. Then the test set's rows understood and matched against an order
(core.purchasing.receipt_drafts.draft_receipt): the share of lines proposed right without a correction (product
and base quantity as written), and the SQL statements of one draft (constant whatever the line count)."""

from __future__ import annotations

import os
import random
import statistics
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from benchmarks.common import Backend, database, timed
from bot.reading import PictureReader
from core.purchasing.receipt_drafts import draft_receipt
from core.reading.text import Reading
from tests.note_shop import ROWS, note_shop
from tests.notes import Written, note

NOTES = 8  # the test set: eight notes of ten lines, each rotated and blurred its own way
ROUNDS = 3  # each note read this many times for the timing


def test_set(count: int = NOTES) -> list[tuple[bytes, list[tuple[str, Decimal]]]]:
    """Notes of the ten rows with their own quantities, angle and blur, and what each row must be read as."""
    rng = random.Random(16)
    notes = []
    for n in range(count):
        rows: list[Written] = []
        wanted: list[tuple[str, Decimal]] = []
        for written, (sku, _) in ROWS:
            qty = rng.randint(1, 60)
            rows.append(replace(written, qty=str(qty)))
            wanted.append((sku, Decimal(qty) * (12 if written.unit == "箱" else 1)))
        picture = note(rows, number=f"DN-2026-{n + 100:04d}", angle=rng.uniform(-2, 2), blur=rng.uniform(0.3, 0.9))
        notes.append((picture, wanted))
    return notes


def main(backends: Sequence[Backend], notes: int = NOTES, rounds: int = ROUNDS) -> None:
    """Timing needs no database; matching runs on each backend."""
    reader = PictureReader()
    pictures = test_set(notes)
    reader.read_now(pictures[0][0])  # the models load on the first picture
    readings: list[Reading] = []
    seconds: list[float] = []
    for _ in range(rounds):
        for picture, _wanted in pictures:
            seconds.append(timed(lambda p=picture: readings.append(reader.read_now(p))))  # type: ignore[misc]
    reader.close()
    ordered = sorted(seconds)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    load = os.getloadavg()[0]
    print(f"delivery note reading (1280x960, 10 lines, {len(seconds)} reads): p50 {statistics.median(seconds):.2f} s"
          f"  p99 {p99:.2f} s  (load average {load:.1f} on {os.cpu_count()} cores)")
    for backend in backends:
        print(f"  {backend.name}: {matched_share(backend, pictures, readings[:len(pictures)])}")


def matched_share(backend: Backend, pictures: list[tuple[bytes, list[tuple[str, Decimal]]]],
                  readings: list[Reading]) -> str:
    """Lines proposed right (product and base quantity as written) over all lines, and one draft's statements."""
    with database(backend, "delivery_note") as db:
        order = note_shop(db.uow, db.admin, db.admin).order
        right = total = 0
        for (_, wanted), reading in zip(pictures, readings, strict=True):
            draft = draft_receipt(db.uow, db.admin, order, reading)
            proposed = [(ln.sku, ln.received) for ln in draft.lines]
            total += len(wanted)
            right += sum(1 for line in wanted if line in proposed)
        statements = db.counter.during(lambda: draft_receipt(db.uow, db.admin, order, readings[0]))
    return f"{right} of {total} lines matched without a correction ({100 * right / total:.0f} %), " \
           f"{statements} statements per draft"
