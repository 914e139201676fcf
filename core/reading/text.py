"""What an OCR adapter hands to core: each piece of text recognised on a picture with its four corners."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import median
from typing import Any

REFUSALS = ("too_large", "not_image", "too_slow")  # why a picture was not read at all


@dataclass(frozen=True)
class TextBox:
    """One piece of recognised text; `corners` top-left, top-right, bottom-right, bottom-left in pixels."""

    text: str
    corners: tuple[tuple[float, float], ...]
    score: float = 1.0

    @property
    def centre(self) -> tuple[float, float]:
        return sum(x for x, _ in self.corners) / 4, sum(y for _, y in self.corners) / 4

    @property
    def height(self) -> float:
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = self.corners[:4]
        return max(1.0, (math.dist((x0, y0), (x3, y3)) + math.dist((x1, y1), (x2, y2))) / 2)

    @property
    def width(self) -> float:
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = self.corners[:4]
        return max(1.0, (math.dist((x0, y0), (x1, y1)) + math.dist((x3, y3), (x2, y2))) / 2)

    @property
    def slope(self) -> float:
        """The angle of its top edge, in radians (a rotated photo tilts every line the same way)."""
        (x0, y0), (x1, y1) = self.corners[0], self.corners[1]
        return math.atan2(y1 - y0, max(x1 - x0, 1.0))


@dataclass(frozen=True)
class Reading:
    """A picture as read: its fingerprint (sha256 of the bytes), its text boxes, or why it was not read."""

    sha256: str
    boxes: tuple[TextBox, ...] = ()
    refused: str = ""  # one of REFUSALS, or "" when it was read

    def to_json(self) -> dict[str, Any]:
        """For the inbox row: plain lists and numbers."""
        return {"sha256": self.sha256, "refused": self.refused,
                "boxes": [[b.text, [list(c) for c in b.corners], round(b.score, 4)] for b in self.boxes]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reading:
        """As kept in the inbox row; anything malformed reads as no text."""
        boxes = []
        for item in data.get("boxes") or []:
            try:
                text, corners, score = item
                points = tuple((float(x), float(y)) for x, y in corners)  # float ok: pixels
            except (TypeError, ValueError):
                continue
            if isinstance(text, str) and len(points) == 4:
                boxes.append(TextBox(text, points, float(score)))  # float ok: a score
        refused = str(data.get("refused") or "")
        return cls(str(data.get("sha256") or ""), tuple(boxes), refused if refused in REFUSALS else "")


def skew(boxes: tuple[TextBox, ...]) -> float:
    """The photo's tilt: the median slope of the boxes wide enough to tell (radians, 0 with none)."""
    slopes = [b.slope for b in boxes if b.width > 2 * b.height]
    return median(slopes) if slopes else 0.0
