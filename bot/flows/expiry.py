"""The buttons of an expiry warning: write the lot off (asking the reason) or move it to quarantine."""

from __future__ import annotations

from typing import Any

from bot.engine.flow import Context, Event, Flow, Step
from bot.flows.entry import refusal
from core.errors import DomainError
from core.stock.expiry_actions import held_lot, quarantine_lot, write_off_lot

REASON_LIMIT = 200


class ExpiryFlow(Flow):
    """ex:w:<lot>:<warehouse> asks why and writes the lot off; ex:q:<lot>:<warehouse> moves it to quarantine."""

    name = "expiry"
    key = "ex"

    def start(self, ctx: Context, args: str) -> Step:
        """Only reached through a warning's buttons."""
        return Step([ctx.say("expiry_use_buttons")])

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """A button again, or the reason of a write-off."""
        if event.button:
            return self.button(ctx, event.button)
        reason = (event.text or "").strip()
        if not reason or len(reason) > REASON_LIMIT:
            return Step([ctx.say("expiry_ask_reason", lot=state["lot"], limit=REASON_LIMIT)], state)
        try:
            posted = write_off_lot(ctx.uow, ctx.actor, state["lot_id"], state["warehouse_id"], reason)
        except DomainError as error:
            return Step([refusal(ctx, error)])
        return Step([ctx.say("expiry_written_off", lot=state["lot"], posted=posted, reason=reason)])

    def button(self, ctx: Context, payload: str) -> Step:
        """w: ask the write-off's reason; q: quarantine at once."""
        action, _, rest = payload.partition(":")
        lot_text, _, warehouse_text = rest.partition(":")
        if action not in ("w", "q") or not lot_text.isdigit() or not warehouse_text.isdigit():
            return Step([ctx.say("expiry_use_buttons")])
        lot_id, warehouse_id = int(lot_text), int(warehouse_text)
        try:
            if action == "q":
                posted = quarantine_lot(ctx.uow, ctx.actor, lot_id, warehouse_id)
                return Step([ctx.say("expiry_quarantined", posted=posted)])
            held = held_lot(ctx.uow, ctx.actor, lot_id, warehouse_id)
        except DomainError as error:
            return Step([refusal(ctx, error)])
        return Step([ctx.say("expiry_ask_reason", lot=held.lot, qty=held.qty, warehouse=held.warehouse,
                             limit=REASON_LIMIT)],
                    {"lot_id": lot_id, "warehouse_id": warehouse_id, "lot": held.lot})
