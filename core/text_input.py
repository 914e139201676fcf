"""Text people and systems send: control characters (NUL above all, which PostgreSQL cannot store) and lone
surrogates are refused at every entrance; tabs and line breaks are ordinary text."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

UNREADABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
MAX_DEPTH = 32


def unreadable(value: str) -> bool:
    """True when the text holds a control character other than tab and line breaks, or a lone surrogate."""
    return UNREADABLE.search(value) is not None


def unreadable_in(value: Any, depth: int = 0) -> bool:
    """True when any string in a JSON-like value (keys too) is unreadable, or it nests deeper than MAX_DEPTH."""
    if isinstance(value, str):
        return unreadable(value)
    if depth > MAX_DEPTH:
        return True
    if isinstance(value, Mapping):
        return any(unreadable_in(k, depth + 1) or unreadable_in(v, depth + 1) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(unreadable_in(v, depth + 1) for v in value)
    return False


def readable(value: str) -> str:
    """The text without its unreadable characters (a display name, a file name: not something a person typed)."""
    return UNREADABLE.sub("", value)
