"""Approvals in chat: what waits for me, approve with one tap, reject with a reason; also from a notification."""

from __future__ import annotations

from typing import Any

from bot.engine.flow import Context, Event, Flow, Step
from bot.engine.replies import buttons
from bot.flows.entry import button_label, button_number, refusal
from core.approvals.decisions import decidable_number, decide
from core.approvals.requests import pending_for
from core.errors import DomainError, UnknownDocument

MAX_SHOWN = 10
MAX_REASON = 500


class ApprovalsFlow(Flow):
    """审批 / approvals: each pending request with its summary and Approve / Reject buttons."""

    name = "approvals"
    key = "ap"

    def start(self, ctx: Context, args: str) -> Step:
        """The requests this person may decide now, oldest first."""
        waiting = pending_for(ctx.uow, ctx.actor)
        if not waiting:
            return Step([ctx.say("approvals_none")])
        replies = [ctx.say("approvals_count", count=len(waiting), shown=min(len(waiting), MAX_SHOWN))]
        for request in waiting[:MAX_SHOWN]:
            keys = buttons([(button_label(ctx, "sales", "approve"), f"{self.key}:{request.request_id}:y"),
                            (button_label(ctx, "sales", "reject"), f"{self.key}:{request.request_id}:n")])
            replies.append(ctx.say("approvals_item", keys, r=request, s=request.summary))
        return Step(replies)

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """The reason for a rejection (free text), or another Approve / Reject button."""
        if event.button:
            return self.button(ctx, event.button)
        reason = (event.text or "").strip()
        if not reason:
            return Step([ctx.say("approvals_ask_reason", number=state.get("number", ""))], state)
        if len(reason) > MAX_REASON:
            return Step([ctx.say("approvals_reason_too_long", limit=MAX_REASON)], state)
        return self._decide(ctx, int(state["request"]), False, reason, state)

    def button(self, ctx: Context, payload: str) -> Step:
        """'<request id>:y' approves; '<request id>:n' asks for the reason first."""
        request_text, _, answer = payload.partition(":")
        request_id = button_number(request_text)
        if request_id is None or answer not in ("y", "n"):
            return self.start(ctx, "")
        if answer == "y":
            return self._decide(ctx, request_id, True, "", None)
        try:
            number = decidable_number(ctx.uow, ctx.actor, request_id)
        except UnknownDocument:
            return Step([ctx.say("approvals_unknown")])
        except DomainError as error:  # not theirs to decide, or decided already: no reason to ask for
            return Step([refusal(ctx, error)])
        return Step([ctx.say("approvals_ask_reason", number=number)], {"request": request_id, "number": number})

    def _decide(self, ctx: Context, request_id: int, approve: bool, reason: str,
                state: dict[str, Any] | None) -> Step:
        try:
            result = decide(ctx.uow, ctx.actor, request_id, approve, reason)
        except UnknownDocument:
            return Step([ctx.say("approvals_unknown")])
        except DomainError as error:
            return Step([refusal(ctx, error)])
        return Step([ctx.say("approvals_done", result=result, reason=reason)])
