"""Quick entry for people in a hurry: `/in PO-... A100 30`, `/in MAIN A100 30`, `/out MAIN A100 3`, one message each."""

from __future__ import annotations

from typing import Any

from bot.engine.flow import Context, Event, Step
from bot.flows.entry import looks_numeric, refusal
from core.errors import DomainError
from core.purchasing.receipts import ReceiptLineIn, receive_purchase
from core.stock.moves import LineIn, issue_stock, receive_stock


class QuickInFlow:
    """入库 / in: receive a line of a purchase order, or goods into a warehouse when the first word is its code."""

    name = "in"
    key = "qi"

    def start(self, ctx: Context, args: str) -> Step:
        """Post at once; a wrong form gets the expected form back."""
        tokens = args.split()
        if len(tokens) < 3 or len(tokens) > 5 or not looks_numeric(tokens[2]):
            return Step([ctx.say("quick_in_form")])
        target, item, qty, rest = tokens[0], tokens[1], tokens[2], tokens[3:]
        try:
            if target.upper().startswith("PO-"):
                if rest:
                    return Step([ctx.say("quick_in_form")])
                receipt = receive_purchase(ctx.uow, ctx.actor, target, [ReceiptLineIn(item, qty)])
                return Step([ctx.say("quick_in_po_done", receipt=receipt)])
            extra = _unit_and_cost(rest)
            if extra is None:
                return Step([ctx.say("quick_in_form")])
            unit, cost = extra
            posted = receive_stock(ctx.uow, ctx.actor, target, [LineIn(item, qty, cost, unit)])
        except DomainError as error:
            return Step([refusal(ctx, error, "quick_in_form")])
        return Step([ctx.say("quick_done", posted=posted, direction="in")])

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """Quick entry has no second step."""
        return Step([ctx.say("quick_in_form")])

    def button(self, ctx: Context, payload: str) -> Step:
        """Quick entry has no buttons."""
        return Step([ctx.say("quick_in_form")])


class QuickOutFlow:
    """出库 / out: take goods out of a warehouse at once."""

    name = "out"
    key = "qo"

    def start(self, ctx: Context, args: str) -> Step:
        """Post at once; a wrong form gets the expected form back."""
        tokens = args.split()
        if len(tokens) < 3 or len(tokens) > 4 or not looks_numeric(tokens[2]):
            return Step([ctx.say("quick_out_form")])
        target, item, qty = tokens[:3]
        unit = tokens[3] if len(tokens) == 4 and not looks_numeric(tokens[3]) else None
        if len(tokens) == 4 and unit is None:
            return Step([ctx.say("quick_out_form")])
        try:
            posted = issue_stock(ctx.uow, ctx.actor, target, [LineIn(item, qty, unit=unit)])
        except DomainError as error:
            return Step([refusal(ctx, error, "quick_out_form")])
        return Step([ctx.say("quick_done", posted=posted, direction="out")])

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """Quick entry has no second step."""
        return Step([ctx.say("quick_out_form")])

    def button(self, ctx: Context, payload: str) -> Step:
        """Quick entry has no buttons."""
        return Step([ctx.say("quick_out_form")])


def _unit_and_cost(rest: list[str]) -> tuple[str | None, str | None] | None:
    """An optional pack unit and unit cost after the quantity, in any order; None when it is neither."""
    unit = cost = None
    for token in rest:
        if looks_numeric(token) and cost is None:
            cost = token
        elif unit is None and not looks_numeric(token):
            unit = token[:20]
        else:
            return None
    return unit, cost
