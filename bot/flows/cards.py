"""Documents as compact cards, a page at a time: number, partner's name, amount, status and date in two short lines
each (readable on a 390 px phone), with each card's next action as a button and "more" for the next page.

Any list of documents may use it (sales orders to ship, my orders, purchase orders to receive): the caller gives
the cards and the button data; the words come from templates/<lang>/cards/."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.engine.flow import Context
from bot.engine.replies import Button, Reply

PER_PAGE = 5
MARKS = "①②③④⑤⑥⑦⑧⑨⑩"
ROW_WIDTH = 30  # width of button words side by side on a 390 px phone (a CJK character counts two)


@dataclass(frozen=True)
class CardAction:
    """One button of a card: its words (without the card's mark) and its data."""

    label: str
    data: str


@dataclass(frozen=True)
class Card:
    """A document as a card: what a person needs to tell it from the others, and what they can do next."""

    number: str
    party: str
    amount: Decimal
    status: str
    day: datetime
    actions: tuple[CardAction, ...] = ()
    printable: bool = False  # a Print button after its actions (打印 NUMBER: the PDF); lists keep it to the detail


def print_action(ctx: Context, number: str) -> CardAction:
    """The Print button of a document: the print flow sends its PDF."""
    return CardAction(ctx.text("cards_button_print"), f"pr:{number}")


def card_page(
    ctx: Context, title: str, cards: Sequence[Card], more: str | None = None, **values: Any
) -> Reply:
    """The cards under the title template `title` (given `values`), each card's actions marked like the card (a card
    of several actions in a row of its own, single actions side by side as far as they fit), and a "more" button
    with the data `more` when another page follows."""
    rows: list[tuple[Button, ...]] = []
    single: list[Button] = []
    for mark, card in zip(MARKS, cards, strict=False):
        actions = (*card.actions, print_action(ctx, card.number)) if card.printable else card.actions
        keys = [Button(f"{mark} {a.label}"[:40], a.data) for a in actions]
        if len(keys) == 1:
            single.append(keys[0])
            continue
        rows += _packed(single)
        single = []
        if keys:
            rows.append(tuple(keys))
    rows += _packed(single)
    if more:
        rows.append((Button(ctx.text("cards_more"), more),))
    text = ctx.text("cards", title=ctx.text(title, **values), cards=list(zip(MARKS, cards, strict=False)))
    return Reply(text, tuple(rows))


def _packed(keys: Sequence[Button]) -> list[tuple[Button, ...]]:
    """Buttons side by side while their words fit in a phone's row, in order."""
    rows: list[tuple[Button, ...]] = []
    row: list[Button] = []
    for key in keys:
        if row and sum(_width(k.label) for k in [*row, key]) > ROW_WIDTH:
            rows.append(tuple(row))
            row = []
        row.append(key)
    return rows + ([tuple(row)] if row else [])


def _width(label: str) -> int:
    return sum(1 if ch.isascii() else 2 for ch in label) + 2  # a button's own padding
