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
    printable: bool = True  # a Print button after its actions (打印 NUMBER: the PDF)


def print_action(ctx: Context, number: str) -> CardAction:
    """The Print button of a document: the print flow sends its PDF."""
    return CardAction(ctx.text("cards_button_print"), f"pr:{number}")


def card_page(
    ctx: Context, title: str, cards: Sequence[Card], more: str | None = None, **values: Any
) -> Reply:
    """The cards under the title template `title` (given `values`), each card's actions in a row of its own marked
    like the card, and a "more" button with the data `more` when another page follows."""
    rows: list[tuple[Button, ...]] = []
    for mark, card in zip(MARKS, cards, strict=False):
        actions = (*card.actions, print_action(ctx, card.number)) if card.printable else card.actions
        if actions:
            rows.append(tuple(Button(f"{mark} {a.label}"[:40], a.data) for a in actions))
    if more:
        rows.append((Button(ctx.text("cards_more"), more),))
    text = ctx.text("cards", title=ctx.text(title, **values), cards=list(zip(MARKS, cards, strict=False)))
    return Reply(text, tuple(rows))
