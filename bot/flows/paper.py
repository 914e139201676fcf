"""A delivery note's picture in the receiving conversation: its rows proposed against the order as one message,
each line a row of buttons (accept, change quantity, another product of the order, drop), posted when the person
says so; a picture sent outside the conversation asks which open order it belongs to."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from typing import Any

from bot.engine.flow import Context, Event, Step
from bot.engine.replies import Button, Reply, buttons
from bot.flows.entry import button_label, button_number
from core.numbers import parse_quantity
from core.permissions import Permission
from core.purchasing.receipt_drafts import (
    ConfirmedLine,
    ReceiptDraft,
    draft_receipt,
    keep_picture,
    likely_orders,
    receive_from_picture,
)
from core.reading.text import Reading

DRAFT_STEPS = frozenset({"draft", "draft_qty", "draft_pick"})
MAX_PICKS = 8


class NoteDraft:
    """The picture part of ReceiveFlow (key `key`): buttons `<key>:d…`, steps in DRAFT_STEPS."""

    def __init__(self, key: str) -> None:
        self.key = key

    def picture(self, ctx: Context, state: dict[str, Any], reading: Reading, content: bytes | None) -> Step:
        """A picture during receiving: the same one again changes nothing; else its rows proposed for the order
        (and its bytes kept, for the receipt that may be posted from it)."""
        if state.get("draft", {}).get("sha") == reading.sha256:
            return Step([ctx.say("note_seen", number=state["number"])], state)
        draft = draft_receipt(ctx.uow, ctx.actor, state["number"], reading)
        if content:
            keep_picture(ctx.uow, ctx.actor, reading.sha256, content)
        state = {**state, "step": "draft", "draft": _kept(draft), "reading": None}
        return Step([self._card(ctx, state)], state)

    def outside(self, ctx: Context, reading: Reading, content: bytes | None) -> Step:
        """A picture outside receiving: which open order it belongs to (the supplier on paper first); for someone
        who does not receive goods, a photo whose code could not be read."""
        if not ctx.actor.can(Permission.PURCHASE_RECEIVE):
            return Step([ctx.say("scan_none")])
        orders = likely_orders(ctx.uow, ctx.actor, reading)
        if not orders:
            return Step([ctx.say("receive_none_open")])
        if content:
            keep_picture(ctx.uow, ctx.actor, reading.sha256, content)
        keys = buttons(*[[(f"{o.number} {o.supplier_name}"[:40], f"{self.key}:dv{n}")]
                         for n, o in enumerate(orders, 1)])
        return Step([ctx.say("note_which_order", keys, orders=orders)],
                    {"step": "draft_order", "orders": [o.number for o in orders], "reading": reading.to_json()})

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """A tap on a line's button, a typed quantity, a product picked, or post."""
        press = (event.button or "")[1:]
        draft = state.get("draft")
        if draft is None:
            return Step([ctx.say("receive_expired")])
        if state.get("step") == "draft_qty" and not press:
            return self._typed_qty(ctx, state, event.text or "")
        action, rest = press[:1], press[1:]
        if press == "ok":
            return self._post(ctx, state)
        if press == "all":
            for line in draft["lines"]:
                if line["status"] == "open" and line["sku"]:
                    line["status"] = "accepted"
            return Step([self._card(ctx, state)], {**state, "step": "draft"})
        index = button_number(rest.split(".")[0]) if rest else None
        if index is None or not 1 <= index <= len(draft["lines"]):
            return Step([self._card(ctx, state)], {**state, "step": "draft"})
        line = draft["lines"][index - 1]
        if action == "a" and line["sku"]:
            line["status"] = "accepted"
        elif action == "d":
            line["status"] = "dropped"
        elif action == "q":
            return Step([ctx.say("note_ask_qty", line=line)], {**state, "step": "draft_qty", "i": index})
        elif action == "c":
            return self._ask_product(ctx, state, index)
        elif action == "k":
            return self._picked(ctx, state, line, rest.split(".")[1] if "." in rest else "")
        return Step([self._card(ctx, state)], {**state, "step": "draft"})

    def chosen_order(self, ctx: Context, state: dict[str, Any], opened: Step) -> Step:
        """The order picked for a picture sent outside receiving: opened, then the picture read against it."""
        if opened.state is None or "number" not in opened.state:
            return opened
        step = self.picture(ctx, opened.state, Reading.from_json(state.get("reading") or {}), None)
        return Step([*opened.replies[:1], *step.replies], step.state)

    def _card(self, ctx: Context, state: dict[str, Any]) -> Reply:
        draft = state["draft"]
        rows: list[tuple[Button, ...]] = []
        for n in range(1, len(draft["lines"]) + 1):
            rows.append(tuple(Button(button_label(ctx, "note", which, n=n), f"{self.key}:d{which[0]}{n}")
                              for which in ("accept", "qty", "change", "drop")))
        accepted = sum(1 for ln in draft["lines"] if ln["status"] == "accepted")
        rows.append((Button(button_label(ctx, "note", "all"), f"{self.key}:dall"),
                     Button(button_label(ctx, "note", "post", count=accepted), f"{self.key}:dok")))
        rows.append((Button(button_label(ctx, "receive", "cancel"), f"{self.key}:x"),))
        return ctx.say("note_draft", tuple(rows), draft=draft, number=state["number"], accepted=accepted)

    def _typed_qty(self, ctx: Context, state: dict[str, Any], text: str) -> Step:
        line = state["draft"]["lines"][state["i"] - 1]
        qty = parse_quantity(text.strip(), allow_zero=True)
        line["received"], line["status"] = str(qty), "accepted" if line["sku"] and qty > 0 else "dropped"
        return Step([self._card(ctx, state)], {**state, "step": "draft"})

    def _ask_product(self, ctx: Context, state: dict[str, Any], index: int) -> Step:
        choices = state["draft"]["open"][:MAX_PICKS]
        keys = buttons(*[[(f"{c['sku']} {c['name_zh'] if ctx.lang == 'zh_CN' else c['name_en']}"[:40],
                           f"{self.key}:dk{index}.{n}")] for n, c in enumerate(choices, 1)])
        line = state["draft"]["lines"][index - 1]
        return Step([ctx.say("note_ask_product", keys, line=line)], {**state, "step": "draft"})

    def _picked(self, ctx: Context, state: dict[str, Any], line: dict[str, Any], which: str) -> Step:
        choices = state["draft"]["open"]
        n = button_number(which) if which else None
        if n is None or n > len(choices):
            return Step([self._card(ctx, state)], {**state, "step": "draft"})
        chosen = choices[n - 1]
        line.update(sku=chosen["sku"], name_zh=chosen["name_zh"], name_en=chosen["name_en"], how="picked",
                    expected=chosen["outstanding"], status="accepted", learned=True)
        return Step([self._card(ctx, state)], {**state, "step": "draft"})

    def _post(self, ctx: Context, state: dict[str, Any]) -> Step:
        draft = state["draft"]
        lines = [ConfirmedLine(ln["sku"], ln["received"], ln["written"], ln.get("learned", False))
                 for ln in draft["lines"] if ln["status"] == "accepted"]
        if not lines:
            return Step([ctx.say("note_nothing_accepted"), self._card(ctx, state)], state)
        receipt = receive_from_picture(ctx.uow, ctx.actor, state["number"], draft["sha"], draft["note"], lines)
        keys = buttons([(button_label(ctx, "receive", "others"), f"{self.key}:p1")])
        return Step([ctx.say("receive_done", keys, receipt=receipt)])


def _kept(draft: ReceiptDraft) -> dict[str, Any]:
    """The draft as the conversation keeps it (plain text for numbers)."""
    def plain(value: Any) -> Any:
        return None if value is None else f"{value.normalize():f}" if isinstance(value, Decimal) else value

    lines = [{**{k: plain(v) for k, v in asdict(ln).items()}, "differs": ln.differs,
              "status": "open", "learned": False} for ln in draft.lines]
    return {"sha": draft.sha256, "note": draft.note_number, "date": draft.note_date,
            "supplier": draft.note_supplier or draft.supplier, "lines": lines,
            "open": [{k: plain(v) for k, v in asdict(ln).items()} for ln in draft.open_lines],
            "unlisted": [{k: plain(v) for k, v in asdict(ln).items()} for ln in draft.unlisted]}
