"""The item card: opened by `item CODE`, a scanned code outside an item step, or a label's link (/start item_…)."""

from __future__ import annotations

from typing import Any

from bot.engine.flow import Context, Event, Flow, Step
from bot.engine.replies import Reply, buttons
from bot.flows.entry import button_label
from bot.flows.stock_table import warehouse_table
from core.catalog.links import payload_item
from core.permissions import Permission
from core.stock.card import item_card

ACTION_COMMANDS = {"order": "so", "receive": "receive", "count": "count", "transfer": "transfer", "buy": "po"}


class ItemFlow(Flow):
    """One product's card: stock per warehouse, the reader's price, buttons for what the reader may do next."""

    name = "item"
    permission = Permission.STOCK_VIEW
    key = "it"

    def start(self, ctx: Context, args: str) -> Step:
        """The card of the code (or deep-link payload) given, or ask for one."""
        given = args.strip().split(maxsplit=1)[0] if args.strip() else ""
        if not given:
            return Step([ctx.say("stock_ask")])
        code, product_id = payload_item(given)
        return Step([self.card(ctx, given if code is None and product_id is None else code, product_id)])

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """The card has no steps: a text is another code."""
        return self.start(ctx, event.text or "")

    def card(self, ctx: Context, code: str | None, product_id: int | None = None) -> Reply:
        """The card of a code or a product id."""
        return item_reply(ctx, code, product_id)


def item_reply(ctx: Context, code: str | None, product_id: int | None = None) -> Reply:
    """The card as a reply: its stock per warehouse as a table, one button per next action the reader may take."""
    found = item_card(ctx.uow, ctx.actor, code, product_id=product_id)
    keys = [(button_label(ctx, "item", action), f"go:{ACTION_COMMANDS[action]}") for action in found.actions]
    rows = buttons(keys[:2], keys[2:4], keys[4:]) if keys else ()
    return Reply(ctx.text("item_card", card=found), tuple(row for row in rows if row),
                 table=warehouse_table(ctx, found.stock))
