"""撤销 / undo: take back my own last posting within a few minutes, as a reversing document."""

from __future__ import annotations

from typing import Any

from bot.engine.flow import Context, Event, Flow, Step
from bot.engine.replies import buttons
from bot.flows.entry import button_label, first_word, is_word
from core.stock.reversal import last_posting, reverse_document, undo_preview

YES_WORDS = frozenset({"yes", "y", "是", "确认", "撤销", "undo"})


class UndoFlow(Flow):
    """Show what would be undone, then undo it on a button (or "yes")."""

    name = "undo"
    key = "ud"

    def start(self, ctx: Context, args: str) -> Step:
        """The document named, or my newest posting within the undo window ([books] undo_minutes)."""
        number = first_word(args) or last_posting(ctx.uow, ctx.actor)
        if not number:
            return Step([ctx.say("undo_nothing", minutes=ctx.uow.rules.undo_minutes)])
        preview = undo_preview(ctx.uow, ctx.actor, number)
        keys = buttons([(button_label(ctx, "undo", "yes"), f"{self.key}:y{preview.number}"),
                        (button_label(ctx, "undo", "no"), f"{self.key}:n")])
        return Step([ctx.say("undo_confirm", keys, preview=preview)], {"number": preview.number})

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """Yes undoes, anything else keeps the posting."""
        if event.button and event.button.startswith("y"):
            return self._undo(ctx, event.button[1:])
        if event.button is None and is_word(event.text, YES_WORDS):
            return self._undo(ctx, state["number"])
        return Step([ctx.say("undo_kept", number=state["number"])])

    def button(self, ctx: Context, payload: str) -> Step:
        """A confirmation pressed after the conversation moved on: the same checks decide."""
        if payload.startswith("y"):
            return self._undo(ctx, payload[1:])
        return Step([ctx.say("undo_kept", number="")])

    def _undo(self, ctx: Context, number: str) -> Step:
        reversal = reverse_document(ctx.uow, ctx.actor, number)
        return Step([ctx.say("undo_done", reversal=reversal)])
