"""Purchasers and receivers: a new purchase order step by step, and receiving an order line by line."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from bot.engine.flow import Context, Event, Flow, Step, StepHandler
from bot.engine.replies import Reply, buttons
from bot.flows.entry import (
    DONE_WORDS,
    BadForm,
    button_label,
    checked_line,
    first_word,
    is_word,
    page_keys,
    refusal,
    split_lines,
    total,
)
from core.approvals.progress import awaiting_approval
from core.catalog.products import warehouses_for
from core.errors import DomainError, InvalidQuantity, OverReceipt
from core.ledger.numbering import example_number, sample_number
from core.numbers import parse_quantity
from core.partners.suppliers import find_suppliers, get_supplier
from core.permissions import Permission
from core.purchasing.orders import (
    PurchaseLineIn,
    create_purchase_order,
    get_purchase_order,
    list_purchase_orders,
    submit_purchase_order,
)
from core.purchasing.receipts import ReceiptLineIn, receive_purchase

MAX_CHOICES = 8
RECEIVABLE = ("approved", "partially_received")


def po_example(ctx: Context) -> str:
    """The reader's newest purchase order waiting for goods, else PO-<this year>-000012."""
    return example_number(ctx.uow, ctx.actor, "PO", 12)


class PurchaseOrderFlow(Flow):
    """采购单 / po: supplier, warehouse, lines with a running total, confirm, submit."""

    name = "po"
    scan_steps = frozenset({"lines"})
    key = "po"

    def start(self, ctx: Context, args: str) -> Step:
        """Ask for the supplier, or look up the one named after the command word."""
        ctx.actor.require(Permission.PURCHASE_CREATE)
        if args.strip():
            return self._suppliers(ctx, args)
        return Step([ctx.say("po_ask_supplier")], {"step": "supplier"})

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """Cancel on any step; else move on from the step in `state` with a typed text or a button."""
        if event.button == "x":
            return Step([ctx.say("cancelled")])
        return super().resume(ctx, state, event)

    def steps(self) -> Mapping[str, StepHandler]:
        """Supplier, warehouse, lines, confirm."""
        return {"supplier": self._supplier, "warehouse": self._warehouse, "lines": self._lines,
                "confirm": self._confirm}

    def lost(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """A state of no known step: ask for the supplier again."""
        return Step([ctx.say("po_ask_supplier")], {"step": "supplier"})

    def _supplier(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        if event.button and event.button.startswith("s"):
            return self._supplier_chosen(ctx, event.button[1:])
        return self._suppliers(ctx, event.text or "")

    def _warehouse(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        code = event.button[1:] if event.button and event.button.startswith("w") else first_word(event.text)
        return self._warehouse_chosen(ctx, state, code)

    def button(self, ctx: Context, payload: str) -> Step:
        """A button of an order conversation that has ended."""
        return Step([ctx.say("po_expired")])

    def _suppliers(self, ctx: Context, query: str) -> Step:
        query = query.strip()[:64]
        state = {"step": "supplier"}
        if not query:
            return Step([ctx.say("po_ask_supplier")], state)
        found = find_suppliers(ctx.uow, ctx.actor, query)[:MAX_CHOICES]
        found = [s for s in found if s.active]
        if not found:
            return Step([ctx.say("po_no_supplier", query=query)], state)
        keys = buttons(*[[(f"{s.code} {s.name}"[:40], f"{self.key}:s{s.code}")] for s in found])
        return Step([ctx.say("po_pick_supplier", keys, count=len(found))], state)

    def _supplier_chosen(self, ctx: Context, code: str) -> Step:
        supplier = get_supplier(ctx.uow, ctx.actor, code)
        state = {"step": "warehouse", "supplier": supplier.code, "supplier_name": supplier.name}
        return self._ask_warehouse(ctx, state)

    def _ask_warehouse(self, ctx: Context, state: dict[str, Any], wrong: str = "") -> Step:
        choices = warehouses_for(ctx.uow, ctx.actor, Permission.PURCHASE_CREATE)
        keys = buttons([(f"{w.code} {w.name}"[:40], f"{self.key}:w{w.code}") for w in choices[:MAX_CHOICES]])
        return Step([ctx.say("po_ask_warehouse", keys, supplier=state["supplier_name"], wrong=wrong)], state)

    def _warehouse_chosen(self, ctx: Context, state: dict[str, Any], code: str) -> Step:
        choices = {w.code.upper(): w for w in warehouses_for(ctx.uow, ctx.actor, Permission.PURCHASE_CREATE)}
        chosen = choices.get(code.upper())
        if chosen is None:
            return self._ask_warehouse(ctx, state, wrong=code or "?")
        state = {**state, "step": "lines", "warehouse": chosen.code, "lines": []}
        return Step([ctx.say("po_ask_lines", supplier=state["supplier_name"], warehouse=chosen.code)], state)

    def _lines(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        lines: list[dict[str, Any]] = list(state.get("lines", []))
        if event.button == "u" and lines:
            lines.pop()
            return self._show_lines(ctx, {**state, "lines": lines})
        if event.button == "d" or is_word(event.text, DONE_WORDS):
            if not lines:
                return Step([ctx.say("po_no_lines")], state)
            return self._summary(ctx, state)
        try:
            typed = split_lines(event.text or "", prices=True)
            added = [checked_line(ctx, ln) for ln in typed]
            total(lines + added)
        except BadForm:
            return Step([ctx.say("po_line_form")], state)
        except DomainError as error:
            return Step([refusal(ctx, error, "po_line_form")], state)
        known = {ln["product_id"] for ln in lines}
        for line in added:
            if line["product_id"] in known:
                return Step([ctx.say("po_duplicate", sku=line["sku"])], state)
            known.add(line["product_id"])
        return self._show_lines(ctx, {**state, "lines": lines + added})

    def _show_lines(self, ctx: Context, state: dict[str, Any]) -> Step:
        keys = buttons([(button_label(ctx, "po", "done"), f"{self.key}:d"),
                        (button_label(ctx, "po", "undo"), f"{self.key}:u")])
        return Step([ctx.say("po_lines", keys, lines=state["lines"], total=total(state["lines"]))], state)

    def _summary(self, ctx: Context, state: dict[str, Any]) -> Step:
        keys = buttons([(button_label(ctx, "po", "submit"), f"{self.key}:ok"),
                        (button_label(ctx, "po", "more"), f"{self.key}:m")],
                       [(button_label(ctx, "po", "cancel"), f"{self.key}:x")])
        reply = ctx.say("po_summary", keys, supplier=state["supplier_name"], supplier_code=state["supplier"],
                        warehouse=state["warehouse"], lines=state["lines"], total=total(state["lines"]))
        return Step([reply], {**state, "step": "confirm"})

    def _confirm(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        if event.button == "m":
            return self._show_lines(ctx, {**state, "step": "lines"})
        if event.button != "ok" and not is_word(event.text, DONE_WORDS | {"submit", "提交", "yes", "是"}):
            return self._summary(ctx, state)
        lines = [PurchaseLineIn(ln["item"], ln["qty"], ln["price"], ln["unit"]) for ln in state["lines"]]

        def create_and_submit(tx: object) -> Any:
            draft = create_purchase_order(ctx.uow, ctx.actor, state["supplier"], state["warehouse"], lines)
            return submit_purchase_order(ctx.uow, ctx.actor, draft.number)

        order = ctx.uow.run(create_and_submit)
        awaiting = awaiting_approval(ctx.uow, "purchase_order", order.number)
        return Step([ctx.say("po_submitted", order=order, awaiting=awaiting)])


class ReceiveFlow(Flow):
    """收货 / receive PO-...: each outstanding line's received and rejected quantity, then one goods receipt."""

    name = "receive"
    key = "rc"

    def start(self, ctx: Context, args: str) -> Step:
        """Open the order named, or offer the orders waiting for goods."""
        ctx.actor.require(Permission.PURCHASE_RECEIVE)
        number = first_word(args)
        if number:
            return self._open(ctx, number)
        orders = [o for status in RECEIVABLE for o in list_purchase_orders(ctx.uow, ctx.actor, status=status)]
        if not orders:
            return Step([ctx.say("receive_none_open")])
        keys = buttons(*[[(f"{o.number} {o.supplier_name}"[:40], f"{self.key}:o{o.number}")]
                         for o in orders[:MAX_CHOICES]])
        return Step([ctx.say("receive_ask_order", keys, example=sample_number("PO", ctx.now, 12))], {"step": "order"})

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """Cancel on any step; else the order, then per line the received quantity, the rejected quantity and its
        reason, then confirm."""
        if event.button == "x":
            return Step([ctx.say("cancelled")])
        return super().resume(ctx, state, event)

    def steps(self) -> Mapping[str, StepHandler]:
        """Order, then per line qty, rejected and reason, then confirm."""
        return {"order": self._order, "qty": self._received, "rejected": self._rejected, "reason": self._reason,
                "confirm": self._post}

    def lost(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """A state of no known step: ask for the order's number again."""
        return Step([ctx.say("receive_ask_number", example=po_example(ctx))], {"step": "order"})

    def hint(self, ctx: Context, state: dict[str, Any], error: DomainError) -> list[Reply]:
        """A received quantity refused: ask for the same line again."""
        return [self._ask_qty(ctx, state)] if state.get("step") == "qty" else []

    def _order(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        number = event.button[1:] if event.button and event.button.startswith("o") else first_word(event.text)
        if not number:
            return Step([ctx.say("receive_ask_number", example=po_example(ctx))], state)
        return self._open(ctx, number, state)

    def button(self, ctx: Context, payload: str) -> Step:
        """An order button pressed after the conversation moved on still opens the order."""
        if payload.startswith("o"):
            return self._open(ctx, payload[1:])
        return Step([ctx.say("receive_expired")])

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
                  "received": str(ln.received_qty), "outstanding": str(ln.outstanding)}
                 for ln in view.lines if ln.outstanding > 0]
        if not lines:
            return Step([ctx.say("receive_nothing_outstanding", number=view.number)])
        state = {"step": "qty", "number": view.number, "supplier": view.supplier_name, "warehouse": view.warehouse,
                 "lines": lines, "i": 0, "got": []}
        intro = ctx.say("receive_outstanding", page_keys(ctx, "receive", f"/app/receive?po={view.number}"),
                        number=view.number, supplier=view.supplier_name, warehouse=view.warehouse, lines=lines)
        return Step([intro, self._ask_qty(ctx, state)], state)

    def _ask_qty(self, ctx: Context, state: dict[str, Any]) -> Reply:
        line = state["lines"][state["i"]]
        keys = buttons([(button_label(ctx, "receive", "all", qty=Decimal(line["outstanding"])), f"{self.key}:a"),
                        (button_label(ctx, "receive", "skip"), f"{self.key}:s")],
                       [(button_label(ctx, "receive", "finish"), f"{self.key}:f")])
        return ctx.say("receive_ask_qty", keys, line=line, n=state["i"] + 1, of=len(state["lines"]))

    def _received(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        line = state["lines"][state["i"]]
        if event.button == "s":
            return self._next(ctx, state)
        if event.button == "f":
            return self._summary(ctx, state)
        got = Decimal(line["outstanding"]) if event.button == "a" else parse_quantity(event.text, allow_zero=True)
        state = {**state, "step": "rejected", "current": {"sku": line["sku"], "received": str(got)}}
        keys = buttons([(button_label(ctx, "receive", "none"), f"{self.key}:z")])
        return Step([ctx.say("receive_ask_rejected", keys, line=line, received=got)], state)

    def _rejected(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        try:
            bad = Decimal(0) if event.button == "z" else parse_quantity(event.text, allow_zero=True)
        except DomainError as error:
            keys = buttons([(button_label(ctx, "receive", "none"), f"{self.key}:z")])
            return Step([refusal(ctx, error, "receive_rejected_form", keys)], state)
        current = {**state["current"], "rejected": str(bad), "note": ""}
        if bad > 0:
            return Step([ctx.say("receive_ask_reason", sku=current["sku"], rejected=bad)],
                        {**state, "step": "reason", "current": current})
        return self._keep(ctx, state, current)

    def _reason(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        note = (event.text or "").strip()
        if not note or len(note) > 200:
            return Step([ctx.say("receive_reason_form", limit=200)], state)
        return self._keep(ctx, state, {**state["current"], "note": note})

    def _keep(self, ctx: Context, state: dict[str, Any], current: dict[str, Any]) -> Step:
        got = list(state["got"])
        if Decimal(current["received"]) + Decimal(current["rejected"]) > 0:
            got.append(current)
        return self._next(ctx, {**state, "got": got, "current": None})

    def _next(self, ctx: Context, state: dict[str, Any]) -> Step:
        state = {**state, "i": state["i"] + 1, "step": "qty"}
        if state["i"] >= len(state["lines"]):
            return self._summary(ctx, state)
        return Step([self._ask_qty(ctx, state)], state)

    def _summary(self, ctx: Context, state: dict[str, Any]) -> Step:
        if not state["got"]:
            return Step([ctx.say("receive_nothing_entered", number=state["number"])])
        keys = buttons([(button_label(ctx, "receive", "post"), f"{self.key}:ok"),
                        (button_label(ctx, "receive", "redo"), f"{self.key}:r")],
                       [(button_label(ctx, "receive", "cancel"), f"{self.key}:x")])
        reply = ctx.say("receive_summary", keys, number=state["number"], got=state["got"])
        return Step([reply], {**state, "step": "confirm"})

    def _restart(self, ctx: Context, state: dict[str, Any], first: list[Any]) -> Step:
        state = {**state, "step": "qty", "i": 0, "got": []}
        return Step([*first, self._ask_qty(ctx, state)], state)

    def _post(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        if event.button == "r":
            return self._restart(ctx, state, [])
        if event.button != "ok" and not is_word(event.text, DONE_WORDS | {"yes", "是", "确认"}):
            return self._summary(ctx, state)
        lines = [ReceiptLineIn(g["sku"], g["received"], g["rejected"], g["note"]) for g in state["got"]]
        try:
            receipt = receive_purchase(ctx.uow, ctx.actor, state["number"], lines)
        except OverReceipt as error:
            return self._restart(ctx, state, [refusal(ctx, error)])
        except InvalidQuantity as error:
            return self._restart(ctx, state, [refusal(ctx, error)])
        return Step([ctx.say("receive_done", receipt=receipt)])
