"""How a name is typed: lower case, full pinyin (保温杯: baowenbei) and initials (bwb), kept as searchable columns.

Characters are read one by one from pypinyin's dictionary; a character with several readings takes the reading of
the longest phrase around it that pypinyin knows (重庆: chongqing, 银行: yinhang). That is lazy_pinyin's answer for
names, at a fortieth of its cost: an import of 100,000 products spells them in about a second.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from pypinyin.pinyin_dict import pinyin_dict

SEPARATOR = "|"  # between the forms in a searchable text; never part of a query
_TONELESS = str.maketrans("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ", "aaaaeeeeiiiioooouuuuvvvvvnnnm")
_LONGEST_PHRASE = 3


@dataclass(frozen=True)
class Spelling:
    """A name as it may be typed: `pinyin` "buxiugangbaowenbei500ml", `initials` "bxgbwb500ml"."""

    pinyin: str
    initials: str


def folded(text: str) -> str:
    """Lower case, full-width letters and digits made ASCII (ＢＷＢ１ -> bwb1), the separator dropped."""
    wide = text if text.isascii() else unicodedata.normalize("NFKC", text)
    return wide.lower().replace(SEPARATOR, "").strip()


def spelling(text: str, phrases: dict[str, Any] | None = None) -> Spelling:
    """The pinyin and initials of `text`: Chinese characters read, letters and digits kept, the rest dropped."""
    name = folded(text)
    table = _phrases() if phrases is None else phrases
    pinyin, initials = [], []
    for index, char in enumerate(name):
        if char.isascii():
            if char.isalnum():
                pinyin.append(char)
                initials.append(char)
            continue
        reading = _reading(name, index, table)
        if reading:
            pinyin.append(reading)
            initials.append(reading[0])
    return Spelling("".join(pinyin), "".join(initials))


def searchable(*forms: str, phrases: dict[str, Any] | None = None) -> tuple[Spelling, str]:
    """The spelling of the first form (the Chinese name) and one text holding every form, its pinyin and its
    initials, for a substring search of one column."""
    spelled = spelling(forms[0], phrases)
    text = SEPARATOR.join([*(folded(f) for f in forms), spelled.pinyin, spelled.initials])
    return spelled, text


def phrase_table() -> dict[str, Any]:
    """pypinyin's phrases (loaded on first use: they take most of a second to load), to pass to a batch."""
    return _phrases()


def _phrases() -> dict[str, Any]:
    from pypinyin.phrases_dict import phrases_dict  # a large table: loaded when a name is first spelled

    return phrases_dict


def _reading(name: str, index: int, phrases: dict[str, Any]) -> str:
    readings = pinyin_dict.get(ord(name[index]))
    if readings is None:
        return ""
    if "," in readings:
        for size in range(_LONGEST_PHRASE, 1, -1):
            for start in range(max(0, index - size + 1), index + 1):
                found = phrases.get(name[start:start + size])
                if found is not None and len(found) == size:
                    return str(found[index - start][0]).translate(_TONELESS)
    return readings.split(",", 1)[0].translate(_TONELESS)
