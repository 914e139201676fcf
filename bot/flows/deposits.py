"""订金 / deposit (money staff): a deposit recorded against a sales or purchase order, an order's deposits listed,
and on a cancelled order refunded or forfeited with a reason.

    订金 SO-2026-000001 500 [现金]        record a deposit (the method is optional)
    订金 SO-2026-000001                   the order's deposits
    订金 退还 SO-2026-000001 客户取消      refund what is left;  订金 没收 ... : forfeit it"""

from __future__ import annotations

from typing import Any

from bot.engine.flow import Context, Event, Flow, Step
from core.money.deposits import order_deposits, record_deposit, settle_deposits
from core.permissions import Permission

ACTIONS = {"退还": "refund", "退": "refund", "refund": "refund", "没收": "forfeit", "forfeit": "forfeit"}
BUTTON_ACTIONS = {"r": "refund", "f": "forfeit"}


class DepositFlow(Flow):
    """订金 / deposit: record, list, refund or forfeit an order's deposits."""

    name = "deposit"
    permission = Permission.MONEY_VIEW
    key = "dp"

    def start(self, ctx: Context, args: str) -> Step:
        """What the words ask for, or the help."""
        ctx.actor.require(Permission.MONEY_VIEW)
        words = args.split()
        if words and words[0].lower() in ACTIONS and len(words) >= 3:
            action = ACTIONS[words[0].lower()]
            settled = settle_deposits(ctx.uow, ctx.actor, words[1], action, " ".join(words[2:]))
            return Step([ctx.say("deposit_settled", deposits=settled, action=action, number=words[1].upper())])
        if len(words) == 1:
            found = order_deposits(ctx.uow, ctx.actor, words[0])
            return Step([ctx.say("deposit_list", deposits=found, number=words[0].upper())])
        if len(words) in (2, 3):
            method = words[2] if len(words) == 3 else "bank"
            deposit = record_deposit(ctx.uow, ctx.actor, words[0], words[1], method)
            return Step([ctx.say("deposit_recorded", deposit=deposit)])
        return Step([ctx.say("deposit_help")])

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """The reason for the refund or forfeit a button asked for; a button again asks again."""
        if event.button:
            return self.button(ctx, event.button)
        reason = (event.text or "").strip()
        if not reason:
            return Step([ctx.say("deposit_reason_ask", **state)], state)
        settled = settle_deposits(ctx.uow, ctx.actor, state["number"], state["action"], reason)
        return Step([ctx.say("deposit_settled", deposits=settled, action=state["action"], number=state["number"])])

    def button(self, ctx: Context, payload: str) -> Step:
        """Refund (r:SO-…) or forfeit (f:SO-…) from the note of an order that ended with its deposit held: ask the
        reason."""
        action, _, number = payload.partition(":")
        if action not in BUTTON_ACTIONS or not number:
            return Step([ctx.say("deposit_help")])
        ctx.actor.require(Permission.MONEY_RECORD)
        state: dict[str, Any] = {"action": BUTTON_ACTIONS[action], "number": number.strip().upper()[:40]}
        return Step([ctx.say("deposit_reason_ask", **state)], state)
