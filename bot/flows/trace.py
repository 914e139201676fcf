"""追溯 / trace LOT (or SKU LOT): a lot's or serial's movements, its supplier and the customers it went to, in one
message with the whole trace as an .xlsx."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.engine.flow import Context, Event, Flow, Step
from bot.engine.replies import Attachment, Reply
from bot.lot_trace import trace_xlsx
from bot.reporting import XLSX_MIME
from core.stock.trace import find_lot, trace_lot


class TraceFlow(Flow):
    """One lot or serial traced, found by its code alone when only one product has it."""

    name = "trace"
    key = "tc"

    def start(self, ctx: Context, args: str) -> Step:
        """`trace LOT` or `trace SKU LOT`; without a code, ask for one."""
        words = args.split()
        if not words:
            return Step([ctx.say("trace_ask")], {"step": "ask"})
        if len(words) == 1:
            found = find_lot(ctx.uow, ctx.actor, words[0])
            if len(found) != 1:
                return Step([ctx.say("trace_which", code=words[0][:40], found=found)], {"step": "ask"})
            sku, lot = found[0]
        else:
            sku, lot = words[0], words[1]
        return Step([self._reply(ctx, sku, lot)])

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """The code typed after being asked."""
        return self.start(ctx, event.text or "")

    def _reply(self, ctx: Context, sku: str, lot: str) -> Reply:
        trace = trace_lot(ctx.uow, ctx.actor, sku, lot)
        name = f"trace-{trace.sku}-{trace.lot}.xlsx".replace("/", "-")
        return replace(ctx.say("trace_result", trace=trace),
                       file=Attachment(name, trace_xlsx(trace, ctx.texts, ctx.lang), XLSX_MIME))
