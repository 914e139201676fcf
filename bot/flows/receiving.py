"""Receiving a purchase order in chat: the orders waiting as cards, all as expected in one tap, or line by line
with rejects and their reason."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from bot.engine.flow import Context, Event, Flow, Step, StepHandler
from bot.engine.replies import Button, Reply, buttons
from bot.flows.cards import print_action
from bot.flows.entry import (
    DONE_WORDS,
    button_label,
    button_number,
    first_word,
    is_word,
    looks_numeric,
    page_keys,
    refusal,
)
from bot.flows.paper import DRAFT_STEPS, NoteDraft
from bot.flows.purchasing import RECEIVABLE, order_cards, po_example
from bot.flows.receiving_lots import ask_lot, needs_lot, read_lot
from core.errors import DomainError, InvalidQuantity, LotRefused, OverReceipt
from core.numbers import parse_quantity
from core.permissions import Permission
from core.purchasing.orders import get_purchase_order, list_purchase_orders
from core.purchasing.receipts import ReceiptLineIn, check_rejected, receive_purchase

CARDS_PER_PAGE = 5
LINE_BUTTONS = 8
REASON_LIMIT = 200


class ReceiveFlow(Flow):
    """收货 / receive [PO-...]: the orders waiting for goods, then all as expected or each line's received and
    rejected quantity with a reason, then one goods receipt."""

    name = "receive"
    permission = Permission.PURCHASE_RECEIVE
    key = "rc"
    paper_of = "supplier"  # a supplier's delivery note
    notes = NoteDraft("rc")  # a photo of the delivery note: bot/flows/paper.py

    def start(self, ctx: Context, args: str) -> Step:
        """Open the order named, or show the orders waiting for goods."""
        ctx.actor.require(Permission.PURCHASE_RECEIVE)
        number = first_word(args)
        if number:
            return self._open(ctx, number)
        return self._cards(ctx, 1)

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """Cancel, another page or order of the list, or all as expected on any step; else the step in `state`."""
        if event.button == "x":
            return Step([ctx.say("cancelled")])
        if event.picture is not None:
            if "number" not in state:
                return self.notes.outside(ctx, event.picture, event.file_content)
            return self.notes.picture(ctx, state, event.picture, event.file_content)
        if event.button and event.button.startswith("dv"):
            return self._picture_order(ctx, state, event.button[2:])
        if (event.button or "").startswith("d") or state.get("step") in DRAFT_STEPS:
            return self.notes.resume(ctx, state, event)
        if event.button and event.button[:1] in ("v", "p"):
            return self.button(ctx, event.button)
        if event.button == "e" and state.get("lines"):
            return self._all_expected(ctx, state)
        return super().resume(ctx, state, event)

    def steps(self) -> Mapping[str, StepHandler]:
        """Order, then per line qty, rejected and reason, then confirm (where one line may be changed)."""
        return {"order": self._order, "qty": self._received, "rejected": self._rejected, "reason": self._reason,
                "lot": self._lot, "confirm": self._post, "change": self._change}

    def takes_picture(self, state: dict[str, Any]) -> bool:
        """An order is open in this conversation: a photo with no code is its delivery note."""
        return "number" in state

    def _picture_order(self, ctx: Context, state: dict[str, Any], which: str) -> Step:
        """The order a picture sent outside receiving belongs to, picked from the likely ones."""
        n, orders = button_number(which), state.get("orders") or []
        if n is None or n > len(orders):
            return Step([ctx.say("receive_expired")])
        return self.notes.chosen_order(ctx, state, self._open(ctx, orders[n - 1]))

    def lost(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """A state of no known step: ask for the order's number again."""
        return Step([ctx.say("receive_ask_number", example=po_example(ctx))], {"step": "order"})

    def hint(self, ctx: Context, state: dict[str, Any], error: DomainError) -> list[Reply]:
        """A received quantity refused: ask for the same line again."""
        return [self._ask_qty(ctx, state)] if state.get("step") == "qty" else []

    def button(self, ctx: Context, payload: str) -> Step:
        """v<number> opens an order and p<page> shows a page of the list, even after the conversation moved on."""
        if payload.startswith("v"):
            return self._open(ctx, payload[1:])
        page = button_number(payload[1:])
        if payload.startswith("p") and page is not None:
            return self._cards(ctx, page)
        return Step([ctx.say("receive_expired")])

    # The list and the order

    def _cards(self, ctx: Context, page: int) -> Step:
        orders = list_purchase_orders(ctx.uow, ctx.actor, status=RECEIVABLE, page=page, page_size=CARDS_PER_PAGE)
        if not orders:
            return Step([ctx.say("receive_none_open" if page == 1 else "receive_no_more")], {"step": "order"})
        keys = order_cards(ctx, self.key, orders, page, CARDS_PER_PAGE,
                           lambda o: button_label(ctx, "receive", "card", number=o.number, status=o.status), action="v")
        reply = ctx.say("receive_ask_order", keys, orders=orders, page=page, example=po_example(ctx))
        return Step([reply], {"step": "order"})

    def _order(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        number = first_word(event.text)
        if not number:
            return Step([ctx.say("receive_ask_number", example=po_example(ctx))], state)
        return self._open(ctx, number, state)

    def _open(self, ctx: Context, number: str, state: dict[str, Any] | None = None) -> Step:
        try:
            view = get_purchase_order(ctx.uow, ctx.actor, number)
        except DomainError as error:
            if state is None:
                raise
            return Step([refusal(ctx, error, "receive_ask_number", example=po_example(ctx))], state)
        if view.status not in RECEIVABLE:
            return Step([ctx.say("receive_not_open", number=view.number, status=view.status)])
        lines = [{"sku": ln.sku, "name_zh": ln.name_zh, "name_en": ln.name_en or ln.name_zh, "ordered": str(ln.qty),
                  "received": str(ln.received_qty), "outstanding": str(ln.outstanding), "tracking": ln.tracking}
                 for ln in view.lines if ln.outstanding > 0]
        if not lines:
            return Step([ctx.say("receive_nothing_outstanding", number=view.number)])
        state = {"step": "qty", "number": view.number, "supplier": view.supplier_name, "warehouse": view.warehouse,
                 "lines": lines, "i": 0, "got": []}
        keys = (*buttons([(button_label(ctx, "receive", "expected", count=len(lines)), f"{self.key}:e")]),
                *page_keys(ctx, "receive", f"/app/receive?po={view.number}"))
        intro = ctx.say("receive_outstanding", keys, number=view.number, supplier=view.supplier_name,
                        warehouse=view.warehouse, lines=lines)
        return Step([intro, self._ask_qty(ctx, state)], state)

    # Line by line

    def _ask_qty(self, ctx: Context, state: dict[str, Any]) -> Reply:
        line = state["lines"][state["i"]]
        last = [(button_label(ctx, "receive", "back"), f"{self.key}:b")] if state.get("changing") else [
            (button_label(ctx, "receive", "finish"), f"{self.key}:f")]
        keys = buttons([(button_label(ctx, "receive", "all", qty=Decimal(line["outstanding"])), f"{self.key}:a"),
                        (button_label(ctx, "receive", "skip"), f"{self.key}:s")], last)
        return ctx.say("receive_ask_qty", keys, line=line, n=state["i"] + 1, of=len(state["lines"]))

    def _received(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """All, skip, finish, or "received [rejected [reason]]" typed."""
        line = state["lines"][state["i"]]
        if event.button in ("f", "b"):
            return self._summary(ctx, state)
        if event.button == "s":
            return self._keep(ctx, state, None)
        outstanding = Decimal(line["outstanding"])
        if event.button == "a":
            return self._keep(ctx, state, _entry(line, outstanding, Decimal(0), ""))
        words = (event.text or "").split(maxsplit=2)
        if len(words) > 1 and not looks_numeric(words[1]):
            return Step([ctx.say("receive_qty_form"), self._ask_qty(ctx, state)], state)
        got = parse_quantity(words[0] if words else "", allow_zero=True)
        bad = parse_quantity(words[1], allow_zero=True) if len(words) > 1 else None
        if bad is not None:
            check_rejected(line["sku"], outstanding, bad)
            return self._with_rejected(ctx, state, _entry(line, got, bad, ""), words[2] if len(words) > 2 else "")
        if got >= outstanding:
            return self._keep(ctx, state, _entry(line, got, Decimal(0), ""))
        keys = buttons([(button_label(ctx, "receive", "none"), f"{self.key}:z")])
        return Step([ctx.say("receive_ask_rejected", keys, line=line, received=got, short=outstanding - got)],
                    {**state, "step": "rejected", "current": _entry(line, got, Decimal(0), "")})

    def _rejected(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        current = state["current"]
        keys = buttons([(button_label(ctx, "receive", "none"), f"{self.key}:z")])
        try:
            bad = Decimal(0) if event.button == "z" else parse_quantity(event.text, allow_zero=True)
            check_rejected(current["sku"], Decimal(current["outstanding"]), bad)
        except DomainError as error:
            return Step([refusal(ctx, error, "receive_rejected_form", keys)], state)
        return self._with_rejected(ctx, state, {**current, "rejected": str(bad)}, "")

    def _with_rejected(self, ctx: Context, state: dict[str, Any], current: dict[str, Any], note: str) -> Step:
        """A line with its rejected quantity: ask why when something was rejected and no reason came with it."""
        if Decimal(current["rejected"]) == 0:
            return self._keep(ctx, state, current)
        if 0 < len(note.strip()) <= REASON_LIMIT:
            return self._keep(ctx, state, {**current, "note": note.strip()})
        return Step([ctx.say("receive_ask_reason", sku=current["sku"], rejected=Decimal(current["rejected"]))],
                    {**state, "step": "reason", "current": current})

    def _reason(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        note = (event.text or "").strip()
        if not note or len(note) > REASON_LIMIT:
            return Step([ctx.say("receive_reason_form", limit=REASON_LIMIT)], state)
        return self._keep(ctx, state, {**state["current"], "note": note})

    def _keep(self, ctx: Context, state: dict[str, Any], current: dict[str, Any] | None) -> Step:
        """Keep what was entered for the current line (None: nothing), then the next line or the summary."""
        line = state["lines"][state["i"]]
        if current is not None and needs_lot(line, current):
            return Step([ask_lot(ctx, line, current)], {**state, "step": "lot", "current": current})
        got = [g for g in state["got"] if g["sku"] != line["sku"]]
        if current is not None and Decimal(current["received"]) + Decimal(current["rejected"]) > 0:
            got.append(current)
        got.sort(key=lambda g: [ln["sku"] for ln in state["lines"]].index(g["sku"]))
        state = {**state, "got": got, "current": None, "step": "qty"}
        if state.get("changing") or state["i"] + 1 >= len(state["lines"]):
            return self._summary(ctx, state)
        state["i"] += 1
        return Step([self._ask_qty(ctx, state)], state)

    def _lot(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """The lot and expiry (or the serials) of a tracked line, typed or scanned (bot/flows/receiving_lots.py)."""
        current, ask = read_lot(ctx, state["lines"][state["i"]], state["current"], event)
        if ask is not None:
            return Step([ask], {**state, "current": current})
        return self._keep(ctx, state, current)

    def _all_expected(self, ctx: Context, state: dict[str, Any]) -> Step:
        """Every line not entered yet as exactly what is outstanding, nothing rejected (a line half entered keeps
        its received quantity)."""
        half = [state["current"]] if state.get("current") else []
        entered = {g["sku"] for g in state["got"] + half}
        got = list(state["got"]) + half + [_entry(ln, Decimal(ln["outstanding"]), Decimal(0), "")
                                    for ln in state["lines"] if ln["sku"] not in entered]
        order = [ln["sku"] for ln in state["lines"]]
        return self._summary(ctx, {**state, "current": None,
                                   "got": sorted(got, key=lambda g: order.index(g["sku"]))})

    # Confirming

    def _summary(self, ctx: Context, state: dict[str, Any]) -> Step:
        by_sku = {ln["sku"]: n for n, ln in enumerate(state["lines"])}
        lotless = next((g for g in state["got"] if needs_lot(state["lines"][by_sku[g["sku"]]], g)), None)
        if lotless is not None:  # "all as expected" took in a tracked line: ask its lot first
            line = state["lines"][by_sku[lotless["sku"]]]
            return Step([ask_lot(ctx, line, lotless)], {**state, "step": "lot", "current": lotless,
                                                        "i": by_sku[lotless["sku"]], "changing": True})
        state = {**state, "changing": False}
        if not state["got"]:
            return Step([ctx.say("receive_nothing_entered", number=state["number"])])
        keys = buttons([(button_label(ctx, "receive", "post"), f"{self.key}:ok"),
                        (button_label(ctx, "receive", "change"), f"{self.key}:c")],
                       [(button_label(ctx, "receive", "redo"), f"{self.key}:r"),
                        (button_label(ctx, "receive", "cancel"), f"{self.key}:x")])
        entered = {g["sku"] for g in state["got"]}
        rest = [ln for ln in state["lines"] if ln["sku"] not in entered]
        reply = ctx.say("receive_summary", keys, number=state["number"], got=state["got"], rest=rest)
        return Step([reply], {**state, "step": "confirm"})

    def _ask_change(self, ctx: Context, state: dict[str, Any]) -> Step:
        lines = state["lines"]
        rows = [[(f"{n + 1}. {ln['sku']}"[:30], f"{self.key}:l{n + 1}") for n, ln in enumerate(lines[i:i + 2], i)]
                for i in range(0, min(len(lines), LINE_BUTTONS), 2)]
        keys = (*buttons(*rows), (Button(button_label(ctx, "receive", "back"), f"{self.key}:b"),))
        return Step([ctx.say("receive_ask_change", keys, lines=lines)], {**state, "step": "change"})

    def _change(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """Which line to enter again: its button, its number or its SKU."""
        if event.button == "b":
            return self._summary(ctx, state)
        picked = event.button[1:] if event.button and event.button.startswith("l") else first_word(event.text)
        skus = [ln["sku"].upper() for ln in state["lines"]]
        number = button_number(picked)
        index = number - 1 if number is not None and number <= len(skus) else (
            skus.index(picked.upper()) if picked.upper() in skus else None)
        if index is None:
            return self._ask_change(ctx, state)
        state = {**state, "step": "qty", "i": index, "changing": True}
        return Step([self._ask_qty(ctx, state)], state)

    def _restart(self, ctx: Context, state: dict[str, Any], first: list[Any]) -> Step:
        state = {**state, "step": "qty", "i": 0, "got": [], "changing": False}
        return Step([*first, self._ask_qty(ctx, state)], state)

    def _post(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        if event.button == "r":
            return self._restart(ctx, state, [])
        if event.button == "c":
            return self._ask_change(ctx, state)
        if event.button != "ok" and not is_word(event.text, DONE_WORDS | {"yes", "是", "确认"}):
            return self._summary(ctx, state)
        lines = [ReceiptLineIn(g["sku"], g["received"], g["rejected"], g["note"], lot=g.get("lot"),
                               expiry=g.get("expiry"), serials=tuple(g.get("serials", ()))) for g in state["got"]]
        try:
            receipt = receive_purchase(ctx.uow, ctx.actor, state["number"], lines)
        except (OverReceipt, InvalidQuantity, LotRefused) as error:
            return self._restart(ctx, state, [refusal(ctx, error)])
        keys = buttons([(button_label(ctx, "receive", "others"), f"{self.key}:p1"),
                        (print_action(ctx, receipt.receipt_number).label, f"pr:{receipt.receipt_number}")])
        return Step([ctx.say("receive_done", keys, receipt=receipt)])


def _entry(line: dict[str, Any], received: Decimal, rejected: Decimal, note: str) -> dict[str, Any]:
    """What was entered for one line, with what was outstanding on it (for the summary and the reject check)."""
    return {"sku": line["sku"], "name_zh": line["name_zh"], "name_en": line["name_en"],
            "outstanding": line["outstanding"], "received": str(received), "rejected": str(rejected), "note": note,
            "full": received == Decimal(line["outstanding"])}
