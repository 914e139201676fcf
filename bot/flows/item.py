"""The item card: opened by `item CODE`, a scanned code outside an item step, or a label's link (/start item_…);
`商品 SKU 规格 500ml` / `item SKU spec 500ml` sets the product's spec (catalogue editors), `规格` alone clears it."""

from __future__ import annotations

from typing import Any

from bot.engine.flow import Context, Event, Flow, Step
from bot.engine.replies import Reply, buttons
from bot.flows.entry import button_label
from bot.flows.stock_table import warehouse_table
from core.catalog.links import payload_item
from core.catalog.products import set_product_spec
from core.permissions import Permission
from core.stock.card import item_card

ACTION_COMMANDS = {"order": "so", "receive": "receive", "count": "count", "transfer": "transfer", "buy": "po"}
SPEC_WORDS = frozenset({"规格", "spec", "size"})


class ItemFlow(Flow):
    """One product's card: stock per warehouse, the reader's price, buttons for what the reader may do next."""

    name = "item"
    permission = Permission.STOCK_VIEW
    key = "it"

    def start(self, ctx: Context, args: str) -> Step:
        """The card of the code (or deep-link payload) given, or ask for one; `CODE 规格 500ml` sets its spec."""
        given = args.strip().split(maxsplit=1)[0] if args.strip() else ""
        if not given:
            return Step([ctx.say("stock_ask")])
        words = args.split(maxsplit=2)
        if len(words) >= 2 and words[1].lower() in SPEC_WORDS:
            spec = set_product_spec(ctx.uow, ctx.actor, given, words[2] if len(words) == 3 else "")
            return Step([ctx.say("item_spec_set", spec=spec, code=given.upper()), self.card(ctx, given)])
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
