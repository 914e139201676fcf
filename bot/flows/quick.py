"""Quick entry for people in a hurry: `/in PO-... A100 30`, `/in MAIN A100 30`, `/out MAIN A100 3`, one message each."""

from __future__ import annotations

from typing import Any

from bot.engine.flow import Context, Event, Flow, Step
from bot.flows.entry import refusal
from bot.flows.purchasing import po_example
from core.catalog.lines import BadForm, TypedLine, looks_numeric, split_line
from core.errors import DomainError
from core.permissions import Actor, Permission
from core.purchasing.receipts import ReceiptLineIn, receive_purchase
from core.stock.moves import LineIn, issue_stock, receive_stock


class QuickInFlow(Flow):
    """入库 / in: receive a line of a purchase order, or goods into a warehouse when the first word is its code."""

    name = "in"
    key = "qi"

    def permitted(self, actor: Actor) -> bool:
        """Receiving into a warehouse or against a purchase order."""
        return actor.can(Permission.STOCK_RECEIVE) or actor.can(Permission.PURCHASE_RECEIVE)

    def start(self, ctx: Context, args: str) -> Step:
        """Post at once; a wrong form gets the expected form back."""
        target, line = _target_and_line(args, prices=True)
        if line is None:
            return Step([ctx.say("quick_in_form", example=po_example(ctx))])
        try:
            if target.upper().startswith("PO-"):
                if line.unit is not None or line.price is not None:
                    return Step([ctx.say("quick_in_form", example=po_example(ctx))])
                receipt = receive_purchase(ctx.uow, ctx.actor, target, [ReceiptLineIn(line.item, line.qty)])
                return Step([ctx.say("quick_in_po_done", receipt=receipt)])
            posted = receive_stock(ctx.uow, ctx.actor, target, [LineIn(line.item, line.qty, line.price, line.unit)])
        except DomainError as error:
            return Step([refusal(ctx, error, "quick_in_form", example=po_example(ctx))])
        return Step([ctx.say("quick_done", posted=posted, direction="in")])

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """Quick entry has no second step."""
        return Step([ctx.say("quick_in_form", example=po_example(ctx))])

    def button(self, ctx: Context, payload: str) -> Step:
        """Quick entry has no buttons."""
        return Step([ctx.say("quick_in_form", example=po_example(ctx))])


class QuickOutFlow(Flow):
    """出库 / out: take goods out of a warehouse at once."""

    name = "out"
    permission = Permission.STOCK_ISSUE
    key = "qo"

    def start(self, ctx: Context, args: str) -> Step:
        """Post at once; a wrong form gets the expected form back."""
        target, line = _target_and_line(args, prices=False)
        if line is None:
            return Step([ctx.say("quick_out_form")])
        try:
            posted = issue_stock(ctx.uow, ctx.actor, target, [LineIn(line.item, line.qty, unit=line.unit)])
        except DomainError as error:
            return Step([refusal(ctx, error, "quick_out_form")])
        return Step([ctx.say("quick_done", posted=posted, direction="out")])

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """Quick entry has no second step."""
        return Step([ctx.say("quick_out_form")])

    def button(self, ctx: Context, payload: str) -> Step:
        """Quick entry has no buttons."""
        return Step([ctx.say("quick_out_form")])


def _target_and_line(args: str, *, prices: bool) -> tuple[str, TypedLine | None]:
    """The warehouse (or purchase order) and the line after it, in the one line grammar; None when the form is
    wrong."""
    target, _, rest = args.strip().partition(" ")
    words = rest.split()
    if not words or len(words) < 2 or not looks_numeric(words[1]):
        return target, None
    try:
        return target, split_line(rest, prices=prices)
    except BadForm:
        return target, None
