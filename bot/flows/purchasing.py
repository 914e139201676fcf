"""Purchasers in chat: a new purchase order step by step, drafts (from 缺货 or withdrawn) opened, changed and
submitted, and a submitted order withdrawn by its author."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from bot.engine.flow import Context, Event, Flow, Step, StepHandler
from bot.engine.replies import Button, buttons
from bot.flows.entry import (
    DONE_WORDS,
    BadForm,
    button_label,
    button_number,
    checked_line,
    first_word,
    is_word,
    refusal,
    split_lines,
    total,
    warehouse_label,
)
from core.approvals.progress import awaiting_approval
from core.catalog.lines import TypedLine
from core.catalog.products import warehouses_for
from core.errors import DomainError, InvalidQuantity, InvalidState
from core.ledger.numbering import example_number
from core.numbers import ZERO, parse_quantity
from core.partners.suppliers import find_suppliers, get_supplier
from core.permissions import Permission
from core.purchasing.orders import (
    PurchaseLineIn,
    PurchaseOrderSummary,
    PurchaseOrderView,
    cancel_purchase_order,
    create_purchase_order,
    get_purchase_order,
    list_purchase_orders,
    purchase_line_tax,
    revise_purchase_draft,
    submit_purchase_order,
    withdraw_purchase_order,
)

MAX_CHOICES = 8
RECEIVABLE = ("approved", "partially_received")
WITHDRAWABLE = ("pending_approval", "approved")
MARKS = "①②③④⑤⑥⑦⑧⑨⑩"
DRAFTS_PER_PAGE = 5
REMOVE_BUTTONS = 8
DRAFT_WORDS = frozenset({"drafts", "draft", "草稿"})
SUBMIT_WORDS = DONE_WORDS | {"submit", "提交", "yes", "是"}


def _totals(lines: list[dict[str, Any]]) -> dict[str, Decimal]:
    """What the lines come to with VAT (AmountTooLarge past what the books hold) and the VAT in it."""
    return {"total": total([{"amount": ln.get("gross", ln["amount"])} for ln in lines]),
            "tax_total": sum((Decimal(ln.get("tax", "0")) for ln in lines), ZERO)}


def po_example(ctx: Context) -> str:
    """The reader's newest purchase order waiting for goods, else PO-<this year>-000012."""
    return example_number(ctx.uow, ctx.actor, "PO", 12)


def order_cards(
    ctx: Context, key: str, orders: Sequence[PurchaseOrderSummary], page: int, per_page: int,
    label: Callable[[PurchaseOrderSummary], str], action: str,
) -> tuple[tuple[Button, ...], ...]:
    """One button per card (its mark and the next thing to do with it), then the previous and next page."""
    rows = [(Button(f"{MARKS[n]} {label(o)}"[:40], f"{key}:{action}{o.number}"),) for n, o in enumerate(orders)]
    turn = [Button(ctx.text("po_prev_page"), f"{key}:p{page - 1}")] if page > 1 else []
    if len(orders) == per_page:
        turn.append(Button(ctx.text("next_page"), f"{key}:p{page + 1}"))
    return (*rows, tuple(turn)) if turn else tuple(rows)


def _draft_lines(view: PurchaseOrderView) -> list[dict[str, Any]]:
    """A draft's lines as the flow keeps typed lines."""
    return [{"item": ln.sku, "qty": str(ln.qty), "unit": None,
             "price": None if ln.unit_price is None else str(ln.unit_price), "sku": ln.sku,
             "name_zh": ln.name_zh, "name_en": ln.name_en or ln.name_zh, "base_qty": str(ln.qty),
             "base_price": str(ln.unit_price or 0), "amount": str(ln.amount or 0)} for ln in view.lines]


class PurchaseOrderFlow(Flow):
    """采购单 / po [supplier | PO-... | 草稿]: supplier, warehouse, lines with a running total, confirm, submit;
    a draft opens at its summary, to change (quantities, lines, supplier), submit or discard."""

    name = "po"
    permission = Permission.PURCHASE_CREATE
    scan_steps = frozenset({"lines"})
    key = "po"

    def start(self, ctx: Context, args: str) -> Step:
        """Open the draft named, list the drafts, look up the supplier named, or ask for one (drafts shown)."""
        ctx.actor.require(Permission.PURCHASE_CREATE)
        word = first_word(args)
        if word.upper().startswith("PO-"):
            return self._open_draft(ctx, word)
        if is_word(word, DRAFT_WORDS):
            return self._drafts(ctx, 1)
        if args.strip():
            return self._suppliers(ctx, args)
        drafts = list_purchase_orders(ctx.uow, ctx.actor, status="draft", page_size=DRAFTS_PER_PAGE)
        keys = self._draft_keys(ctx, drafts, 1)
        return Step([ctx.say("po_ask_supplier", keys, drafts=drafts)], {"step": "supplier"})

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """Cancel on any step; a draft or a page of drafts from a list on any step; else the step in `state`."""
        if event.button == "x":
            return self._cancel(ctx, state)
        if event.button and event.button[:1] in ("e", "p"):
            return self.button(ctx, event.button)
        return super().resume(ctx, state, event)

    def steps(self) -> Mapping[str, StepHandler]:
        """Supplier, warehouse, lines, confirm, and confirming that a draft is discarded."""
        return {"supplier": self._supplier, "warehouse": self._warehouse, "lines": self._lines,
                "confirm": self._confirm, "discard": self._discard}

    def lost(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """A state of no known step: ask for the supplier again."""
        return Step([ctx.say("po_ask_supplier")], {"step": "supplier"})

    def button(self, ctx: Context, payload: str) -> Step:
        """e<number> opens a draft and p<page> shows drafts even after the conversation ended; others expired."""
        if payload.startswith("e"):
            return self._open_draft(ctx, payload[1:])
        page = button_number(payload[1:])
        if payload.startswith("p") and page is not None:
            return self._drafts(ctx, page)
        return Step([ctx.say("po_expired")])

    # Drafts

    def _draft_keys(
        self, ctx: Context, drafts: list[PurchaseOrderSummary], page: int
    ) -> tuple[tuple[Button, ...], ...]:
        return order_cards(ctx, self.key, drafts, page, DRAFTS_PER_PAGE,
                           lambda o: button_label(ctx, "po", "open", number=o.number), action="e")

    def _drafts(self, ctx: Context, page: int) -> Step:
        drafts = list_purchase_orders(ctx.uow, ctx.actor, status="draft", page=page, page_size=DRAFTS_PER_PAGE)
        reply = ctx.say("po_drafts", self._draft_keys(ctx, drafts, page), drafts=drafts, page=page)
        return Step([reply], {"step": "supplier"})

    def _open_draft(self, ctx: Context, number: str) -> Step:
        view = get_purchase_order(ctx.uow, ctx.actor, number)
        if view.status != "draft":
            keys = buttons([(button_label(ctx, "po", "withdraw"), f"go:withdraw {view.number}")]) if (
                view.status in WITHDRAWABLE) else ()
            return Step([ctx.say("po_not_draft", keys, number=view.number, status=view.status)])
        state = {"step": "confirm", "draft": view.number, "note": view.note, "supplier": view.supplier_code,
                 "supplier_name": view.supplier_name, "warehouse": view.warehouse, "lines": _draft_lines(view)}
        return self._summary(ctx, state)

    def _cancel(self, ctx: Context, state: dict[str, Any]) -> Step:
        if state.get("draft"):
            return Step([ctx.say("po_draft_kept", number=state["draft"])])
        return Step([ctx.say("cancelled")])

    def _discard(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        if event.button != "k":
            return self._summary(ctx, state)
        cancel_purchase_order(ctx.uow, ctx.actor, state["draft"], reason="draft discarded")
        return Step([ctx.say("po_draft_discarded", number=state["draft"])])

    # Supplier and warehouse

    def _supplier(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        if event.button and event.button.startswith("s"):
            return self._supplier_chosen(ctx, state, event.button[1:])
        if event.button == "b" and state.get("lines"):
            return self._summary(ctx, state)
        return self._suppliers(ctx, event.text or "", state)

    def _suppliers(self, ctx: Context, query: str, state: dict[str, Any] | None = None) -> Step:
        query = query.strip()[:64]
        state = {**(state or {}), "step": "supplier"}
        if not query:
            return Step([ctx.say("po_ask_new_supplier" if state.get("lines") else "po_ask_supplier")], state)
        found = [s for s in find_suppliers(ctx.uow, ctx.actor, query)[:MAX_CHOICES] if s.active]
        if not found:
            return Step([ctx.say("po_no_supplier", query=query)], state)
        keys = buttons(*[[(f"{s.code} {s.name}"[:40], f"{self.key}:s{s.code}")] for s in found])
        return Step([ctx.say("po_pick_supplier", keys, count=len(found))], state)

    def _supplier_chosen(self, ctx: Context, state: dict[str, Any], code: str) -> Step:
        supplier = get_supplier(ctx.uow, ctx.actor, code)
        state = {**state, "supplier": supplier.code, "supplier_name": supplier.name}
        if state.get("lines"):
            return self._summary(ctx, state)
        return self._ask_warehouse(ctx, {**state, "step": "warehouse"})

    def _warehouse(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        code = event.button[1:] if event.button and event.button.startswith("w") else first_word(event.text)
        return self._warehouse_chosen(ctx, state, code)

    def _ask_warehouse(self, ctx: Context, state: dict[str, Any], wrong: str = "") -> Step:
        choices = warehouses_for(ctx.uow, ctx.actor, Permission.PURCHASE_CREATE)
        keys = buttons([(warehouse_label(ctx, w), f"{self.key}:w{w.code}") for w in choices[:MAX_CHOICES]])
        return Step([ctx.say("po_ask_warehouse", keys, supplier=state["supplier_name"], wrong=wrong)], state)

    def _warehouse_chosen(self, ctx: Context, state: dict[str, Any], code: str) -> Step:
        choices = {w.code.upper(): w for w in warehouses_for(ctx.uow, ctx.actor, Permission.PURCHASE_CREATE)}
        chosen = choices.get(code.upper())
        if chosen is None:
            return self._ask_warehouse(ctx, state, wrong=code or "?")
        state = {**state, "step": "lines", "warehouse": chosen.code, "lines": []}
        return Step([ctx.say("po_ask_lines", supplier=state["supplier_name"], warehouse=chosen.code)], state)

    # Lines

    def _lines(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """Typed lines (an item again changes its line, quantity 0 removes it), remove-line buttons, done."""
        lines: list[dict[str, Any]] = list(state.get("lines", []))
        removed = button_number(event.button[1:]) if event.button and event.button.startswith("r") else None
        if event.button == "u" and lines:
            return self._show_lines(ctx, {**state, "lines": lines[:-1]})
        if removed is not None and removed <= len(lines):
            return self._show_lines(ctx, {**state, "lines": lines[:removed - 1] + lines[removed:]})
        if event.button == "d" or is_word(event.text, DONE_WORDS):
            if not lines:
                return Step([ctx.say("po_no_lines")], state)
            return self._summary(ctx, state)
        try:
            typed = split_lines(event.text or "", prices=True)
            for ln in typed:
                lines = self._entered(ctx, lines, ln)
            _totals(lines)
        except BadForm:
            return Step([ctx.say("po_line_form")], state)
        except DomainError as error:
            return Step([refusal(ctx, error, "po_line_form")], state)
        return self._show_lines(ctx, {**state, "lines": lines})

    def _entered(self, ctx: Context, lines: list[dict[str, Any]], typed: TypedLine) -> list[dict[str, Any]]:
        """The lines with one typed line applied: added, changed (same item), or removed (quantity 0)."""
        if parse_quantity(typed.qty, allow_zero=True) == 0:
            code = typed.item.upper()
            kept = [ln for ln in lines if code not in (ln["sku"].upper(), str(ln["item"]).upper())]
            if len(kept) == len(lines):
                raise InvalidQuantity(value=typed.item[:40], reason="not_on_document")
            return kept
        line = checked_line(ctx, typed)
        tax = purchase_line_tax(ctx.tx, line["product_id"], Decimal(line["amount"]))
        line = {**line, "tax": str(tax.tax), "gross": str(tax.gross)}
        same = [n for n, ln in enumerate(lines) if ln["sku"] == line["sku"]]
        if same:
            return [{**line, "changed": True} if n == same[0] else ln for n, ln in enumerate(lines)]
        return [*lines, line]

    def _show_lines(self, ctx: Context, state: dict[str, Any]) -> Step:
        lines = state["lines"]
        removes = [(button_label(ctx, "po", "remove", n=n), f"{self.key}:r{n}")
                   for n in range(1, min(len(lines), REMOVE_BUTTONS) + 1)] if len(lines) > 1 else []
        keys = buttons([(button_label(ctx, "po", "done"), f"{self.key}:d"),
                        (button_label(ctx, "po", "undo"), f"{self.key}:u")],
                       *[removes[i:i + 4] for i in range(0, len(removes), 4)])
        return Step([ctx.say("po_lines", keys, lines=lines, **_totals(lines))], {**state, "step": "lines"})

    # Confirm and submit

    def _summary(self, ctx: Context, state: dict[str, Any]) -> Step:
        draft = state.get("draft") or ""
        rows = [[(button_label(ctx, "po", "submit"), f"{self.key}:ok"),
                 (button_label(ctx, "po", "change" if draft else "more"), f"{self.key}:m")],
                [(button_label(ctx, "po", "supplier"), f"{self.key}:c"),
                 (button_label(ctx, "po", "discard" if draft else "cancel"), f"{self.key}:{'k' if draft else 'x'}")]]
        if draft:
            rows.append([(button_label(ctx, "po", "keep"), f"{self.key}:x")])
        reply = ctx.say("po_summary", buttons(*rows), supplier=state["supplier_name"], supplier_code=state["supplier"],
                        warehouse=state["warehouse"], lines=state["lines"], **_totals(state["lines"]), draft=draft,
                        note=state.get("note", ""))
        return Step([reply], {**state, "step": "confirm"})

    def _confirm(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        if event.button == "m":
            return self._show_lines(ctx, state)
        if event.button == "c":
            keys = buttons([(button_label(ctx, "po", "back"), f"{self.key}:b")])
            return Step([ctx.say("po_ask_new_supplier", keys)], {**state, "step": "supplier"})
        if event.button == "k" and state.get("draft"):
            keys = buttons([(button_label(ctx, "po", "discard_yes"), f"{self.key}:k"),
                            (button_label(ctx, "po", "back"), f"{self.key}:b")])
            return Step([ctx.say("po_discard_sure", keys, number=state["draft"])], {**state, "step": "discard"})
        if event.button != "ok" and not is_word(event.text, SUBMIT_WORDS):
            return self._summary(ctx, state)
        lines = [PurchaseLineIn(ln["item"], ln["qty"], ln["price"], ln["unit"]) for ln in state["lines"]]

        def save_and_submit(tx: object) -> Any:
            if state.get("draft"):
                draft = revise_purchase_draft(ctx.uow, ctx.actor, state["draft"], lines, state["supplier"])
            else:
                draft = create_purchase_order(ctx.uow, ctx.actor, state["supplier"], state["warehouse"], lines)
            return submit_purchase_order(ctx.uow, ctx.actor, draft.number)

        order = ctx.uow.run(save_and_submit)
        awaiting = awaiting_approval(ctx.uow, "purchase_order", order.number)
        keys = buttons([(button_label(ctx, "po", "withdraw"), f"go:withdraw {order.number}")])
        return Step([ctx.say("po_submitted", keys, order=order, awaiting=awaiting)])


class WithdrawFlow(Flow):
    """撤回 / withdraw PO-...: the author takes a submitted order back to a draft, to change and submit again."""

    name = "withdraw"
    permission = Permission.PURCHASE_CREATE
    key = "wd"

    def start(self, ctx: Context, args: str) -> Step:
        """Withdraw the order named, or ask for its number."""
        ctx.actor.require(Permission.PURCHASE_CREATE)
        number = first_word(args)
        if not number:
            return Step([ctx.say("po_withdraw_ask", example=po_example(ctx))], {"step": "number"})
        return self._withdraw(ctx, number)

    def steps(self) -> Mapping[str, StepHandler]:
        """The order's number."""
        return {"number": lambda ctx, state, event: self._number(ctx, state, first_word(event.text))}

    def _number(self, ctx: Context, state: dict[str, Any], number: str) -> Step:
        if not number:
            return Step([ctx.say("po_withdraw_ask", example=po_example(ctx))], state)
        return self._withdraw(ctx, number)

    def _withdraw(self, ctx: Context, number: str) -> Step:
        try:
            order = withdraw_purchase_order(ctx.uow, ctx.actor, number)
        except InvalidState as error:
            shown = get_purchase_order(ctx.uow, ctx.actor, number)
            return Step([ctx.say("po_withdraw_refused", number=shown.number, status=shown.status,
                                 arrived=error.params.get("reason") == "goods_arrived")])
        keys = buttons([(button_label(ctx, "po", "open", number=order.number), f"go:po {order.number}")])
        return Step([ctx.say("po_withdrawn", keys, order=order)])
