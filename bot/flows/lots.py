"""批次 / lots SKU [page]: a tracked product's lots held (or serials), nearest expiry first, expired and expiring
marked, a page at a time with the next one on a button."""

from __future__ import annotations

from typing import Any

from bot.engine.flow import Context, Event, Flow, Step
from bot.engine.replies import buttons
from bot.flows.entry import button_number
from core.permissions import Permission
from core.stock.lots import lot_page


class LotsFlow(Flow):
    """One product's lots per warehouse, LOT_PAGE at a time."""

    name = "lots"
    permission = Permission.STOCK_VIEW
    key = "lt"

    def start(self, ctx: Context, args: str) -> Step:
        """`lots SKU` or `lots SKU 2` (a page); without a code, ask for one."""
        words = args.split()
        if not words:
            return Step([ctx.say("lots_ask")], {"asking": True})
        page = button_number(words[1]) if len(words) > 1 else 1
        return self._page(ctx, words[0], page or 1)

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """The next page's button, or a code typed after being asked."""
        if event.button and event.button.startswith("p") and state.get("code"):
            return self._page(ctx, state["code"], button_number(event.button[1:]) or 1)
        return self.start(ctx, event.text or "")

    def button(self, ctx: Context, payload: str) -> Step:
        """A page button of an ended conversation: ask again."""
        return Step([ctx.say("lots_ask")], {"asking": True})

    def _page(self, ctx: Context, code: str, page: int) -> Step:
        found = lot_page(ctx.uow, ctx.actor, code, page)
        if found.tracking == "none":
            return Step([ctx.say("lots_untracked", page=found)])
        if not found.more:
            return Step([ctx.say("lots_page", page=found)])
        keys = buttons([(ctx.text("next_page"), f"{self.key}:p{page + 1}")])
        return Step([ctx.say("lots_page", keys, page=found)], {"code": code, "page": page})
