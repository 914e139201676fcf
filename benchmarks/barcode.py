"""Barcode decoding: a 1280-pixel phone-like photo (JPEG, noisy, unevenly lit, the code slightly rotated) against
the same code tightly cropped (the baseline), in the same run; also five codes in one photo (a stocktake shot) and
a 12-megapixel photo as a phone camera takes it. p50 and p99 of `core.codes.scanning.read_codes`, which opens,
scales, greys and decodes the picture: what a channel runs off its event loop for each photo."""

from __future__ import annotations

import io
import statistics
from collections.abc import Callable, Sequence

from PIL import Image

from benchmarks.common import Backend, interleaved, timed
from core.codes.scanning import read_codes
from tests.pictures import Code, code_image, jpeg, photo

ROUNDS = 120
EAN = Code("6908888000027", "EAN13")
SHELF = [EAN, Code("6907777000018", "EAN13"), Code("96385074", "EAN8"), Code("JXC-CUP-500", "Code128"),
         Code("(01)06908888000027(10)L7(17)271231", "DataMatrix", gs1=True)]


def main(backends: Sequence[Backend]) -> None:
    """Decoding needs no database: one run whatever the backends."""
    cropped = _png(code_image(EAN, scale=3))
    phone = photo([EAN])
    shelf = photo(SHELF, width=1600, height=1200)
    camera = jpeg(Image.open(io.BytesIO(phone)).resize((4000, 3000)), quality=90)
    pictures = {"cropped code (baseline)": (cropped, 1), "1280-px phone photo, 1 code": (phone, 1),
                "1600-px photo, 5 codes": (shelf, 5), "4000x3000 camera photo, 1 code": (camera, 1)}
    for name, (content, expected) in pictures.items():
        found = len(read_codes(content))
        assert found == expected, f"{name}: read {found} codes, not {expected}"
    samples = interleaved(ROUNDS, *[_decode(content) for content, _ in pictures.values()])
    base = statistics.median(samples[0])
    print(f"barcode decoding ({ROUNDS} rounds, interleaved; ms):")
    for name, times in zip(pictures, samples, strict=True):
        p50, p99 = _ms(statistics.median(times)), _ms(_percentile(times, 0.99))
        print(f"  {name:32} p50 {p50:7.1f}  p99 {p99:7.1f}  p50 x{statistics.median(times) / base:5.1f} baseline")


def _decode(content: bytes) -> Callable[[], float]:
    return lambda: timed(lambda: read_codes(content))


def _png(picture: Image.Image) -> bytes:
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _ms(seconds: float) -> float:
    return seconds * 1000
