"""An amount in Chinese capital figures (大写金额) as written on invoices and delivery notes: 壹佰贰拾叁元肆角伍分."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("", "拾", "佰", "仟")
BIG_UNITS = ("", "万", "亿", "万亿")
LIMIT = Decimal(10) ** 16


def capital_amount(amount: Decimal) -> str:
    """`amount` (rounded to fen, half up) in capital figures: 1234.5 is 壹仟贰佰叁拾肆元伍角整, -3 is 负叁元整."""
    fen = int(abs(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100)
    if fen >= LIMIT * 100:
        raise ValueError(f"amount too large for capital figures: {amount}")
    sign = "负" if amount < 0 and fen else ""
    yuan, jiao, cents = fen // 100, fen // 10 % 10, fen % 10
    words = _integer(yuan) + "元" if yuan else ""
    if not jiao and not cents:
        return sign + (words or "零元") + "整"
    if jiao:
        words += DIGITS[jiao] + "角"
    elif yuan:
        words += "零"
    if cents:
        return sign + words + DIGITS[cents] + "分"
    return sign + words + "整"


def _integer(number: int) -> str:
    """A whole number in capital figures, groups of four digits with 万 and 亿, zeros said once."""
    groups: list[int] = []
    while number:
        groups.append(number % 10000)
        number //= 10000
    words, zero = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            zero = bool(words)
            continue
        if words and (zero or group < 1000):
            words += "零"
        words += _group(group) + BIG_UNITS[index]
        zero = False
    return words


def _group(number: int) -> str:
    """Up to four digits: 1005 is 壹仟零伍, 1050 is 壹仟零伍拾."""
    words, zero = "", False
    for position in range(3, -1, -1):
        digit = number // 10**position % 10
        if digit == 0:
            zero = bool(words)
            continue
        if zero:
            words += "零"
            zero = False
        words += DIGITS[digit] + SMALL_UNITS[position]
    return words
