"""Low stock in chat: the replenishment suggestions with their reasons, and one tap to draft purchase orders."""

from __future__ import annotations

from typing import Any

from bot.engine.flow import Context, Event, Flow, Step
from bot.engine.replies import Button
from bot.flows.entry import button_label, refusal
from bot.flows.purchasing import MARKS
from bot.flows.sales import product_name
from core.errors import DomainError
from core.permissions import Permission
from core.purchasing.replenishment import draft_purchase_orders, suggest_replenishment

MAX_SHOWN = 30


class LowStockFlow(Flow):
    """缺货 / lowstock: what is below its minimum, why, how much to order; "Draft POs" groups them by supplier."""

    name = "lowstock"
    permission = Permission.REPLENISH
    key = "ls"

    def start(self, ctx: Context, args: str) -> Step:
        """The suggestions for every warehouse (or the one named)."""
        warehouse = args.split()[0] if args.strip() else None
        found = suggest_replenishment(ctx.uow, ctx.actor, warehouse)
        if not found:
            return Step([ctx.say("lowstock_none")])
        items = [{"s": s, "name": product_name(ctx, s.name_zh, s.name_en)} for s in found[:MAX_SHOWN]]
        orderable = [s for s in found if s.quantity > 0 and s.supplier_code]
        row = [Button(button_label(ctx, "sales", "draft_pos"), f"{self.key}:draft" + (f":{warehouse}" if warehouse
                                                                                     else ""))] if orderable else []
        on_draft = any(s.reason.on_draft > 0 for s in found)
        if on_draft:
            row.append(Button(button_label(ctx, "lowstock", "drafts"), "go:po drafts"))
        keys = (tuple(row),) if row else ()
        return Step([ctx.say("lowstock_list", keys, items=items, count=len(found), orderable=len(orderable),
                             on_draft=on_draft)])

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """Low stock keeps no state; a button is handled as such."""
        return self.button(ctx, event.button or "") if event.button else self.start(ctx, event.text or "")

    def button(self, ctx: Context, payload: str) -> Step:
        """draft[:<warehouse>]: the suggestions as they are now, turned into draft purchase orders."""
        if not payload.startswith("draft"):
            return self.start(ctx, "")
        warehouse = payload.partition(":")[2][:20] or None
        try:
            found = suggest_replenishment(ctx.uow, ctx.actor, warehouse)
            orderable = [s for s in found if s.quantity > 0 and s.supplier_code]
            skipped = sorted({s.sku for s in found if s.quantity > 0 and not s.supplier_code})
            orders = draft_purchase_orders(ctx.uow, ctx.actor, orderable)
        except DomainError as error:
            return Step([refusal(ctx, error)])
        keys = tuple((Button(f"{MARKS[n]} {button_label(ctx, 'po', 'open', number=o.number)}"[:40],
                             f"go:po {o.number}"),) for n, o in enumerate(orders[:len(MARKS)]))
        return Step([ctx.say("lowstock_drafted", keys, orders=orders, skipped=skipped, marks=MARKS)])
