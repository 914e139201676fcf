"""Warehouse work in chat: dispatching a transfer, receiving one with discrepancies, counting a stocktake."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from bot.engine.flow import Context, Event, Flow, Step, StepHandler
from bot.engine.replies import Reply, buttons
from bot.flows.entry import (
    DONE_WORDS,
    BadForm,
    button_label,
    checked_line,
    first_word,
    is_word,
    looks_numeric,
    page_keys,
    refusal,
    split_lines,
    warehouse_label,
)
from core.approvals.progress import awaiting_approval
from core.catalog.lines import ITEM_LENGTH, TypedLine, split_line
from core.catalog.products import warehouses_for
from core.catalog.resolve import item_named
from core.codes.gs1 import parse_gs1
from core.errors import DomainError, EmptyDocument, LotRefused
from core.ledger.numbering import sample_number
from core.numbers import parse_quantity
from core.permissions import Permission
from core.stock.lots import list_lots
from core.stock.moves import LineIn, dispatch_transfer
from core.stock.stocktake import (
    count_item,
    open_stocktake,
    start_stocktake,
    stocktake_variances,
    submit_stocktake,
)
from core.stock.transfers import TransferReceiptIn, receive_transfer_with_discrepancies, transfer_view

MAX_CHOICES = 8
VARIANCE_WORDS = frozenset({"variances", "variance", "差异", "差异表", "盘差"})
SUBMIT_WORDS = frozenset({"submit", "提交"})
CONFIRM_WORDS = frozenset({"confirm", "yes", "确认", "是"})
SHOWN_VARIANCES = 30
LOT_BUTTONS = 6
ASK_LOT = frozenset({"lot_required", "serials_required"})


def _chosen(event: Event) -> str:
    """A warehouse code from a from/to button (f<code>, t<code>) or the first word typed."""
    return event.button[1:] if event.button and event.button[:1] in ("f", "t") else first_word(event.text)


def _warehouse_keys(ctx: Context, key: str, prefix: str, choices: list[Any]) -> tuple[tuple[Any, ...], ...]:
    return buttons(*[[(warehouse_label(ctx, w), f"{key}:{prefix}{w.code}") for w in choices[i:i + 2]]
                     for i in range(0, min(len(choices), MAX_CHOICES), 2)])


class TransferFlow(Flow):
    """调拨 / transfer FROM TO: the two warehouses, lines "SKU qty [unit]", confirm, dispatch into transit."""

    name = "transfer"
    permission = Permission.STOCK_TRANSFER
    scan_steps = frozenset({"lines"})
    key = "tf"

    def start(self, ctx: Context, args: str) -> Step:
        """Take FROM and TO from the arguments, or ask for them with buttons."""
        ctx.actor.require(Permission.STOCK_TRANSFER)
        codes = args.split()
        state: dict[str, Any] = {"step": "from"}
        if codes:
            step = self._from(ctx, state, codes[0])
            if len(codes) > 1 and step.state and step.state.get("step") == "to":
                return self._to(ctx, step.state, codes[1])
            return step
        return self._ask_from(ctx, state)

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """Cancel on any step; else warehouses by button or code, then lines, then dispatch."""
        if event.button == "x":
            return Step([ctx.say("cancelled")])
        return super().resume(ctx, state, event)

    def steps(self) -> Mapping[str, StepHandler]:
        """From, to, lines, confirm."""
        return {"from": lambda ctx, state, event: self._from(ctx, state, _chosen(event)),
                "to": lambda ctx, state, event: self._to(ctx, state, _chosen(event)),
                "lines": self._lines, "confirm": self._confirm}

    def lost(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """A state of no known step: ask for the source warehouse again."""
        return self._ask_from(ctx, {"step": "from"})

    def button(self, ctx: Context, payload: str) -> Step:
        """A button of a transfer conversation that has ended."""
        return Step([ctx.say("transfer_expired")])

    def hint(self, ctx: Context, state: dict[str, Any], error: DomainError) -> list[Reply]:
        """A refused dispatch: the summary again, to send or change."""
        return self._summary(ctx, state).replies if state.get("step") == "confirm" else []

    def _ask_from(self, ctx: Context, state: dict[str, Any], wrong: str = "") -> Step:
        choices = warehouses_for(ctx.uow, ctx.actor, Permission.STOCK_TRANSFER)
        if len(choices) == 1 and not wrong:  # the one warehouse this person may send from: no question to tap
            return self._from(ctx, state, choices[0].code)
        return Step([ctx.say("transfer_ask_from", _warehouse_keys(ctx, self.key, "f", choices), wrong=wrong)], state)

    def _from(self, ctx: Context, state: dict[str, Any], code: str) -> Step:
        choices = {w.code.upper(): w for w in warehouses_for(ctx.uow, ctx.actor, Permission.STOCK_TRANSFER)}
        if code.upper() not in choices:
            return self._ask_from(ctx, {"step": "from"}, wrong=code or "?")
        state = {"step": "to", "from": choices[code.upper()].code}
        return self._ask_to(ctx, state)

    def _ask_to(self, ctx: Context, state: dict[str, Any], wrong: str = "") -> Step:
        choices = [w for w in warehouses_for(ctx.uow, ctx.actor, None) if w.code != state["from"]]
        keys = _warehouse_keys(ctx, self.key, "t", choices)
        return Step([ctx.say("transfer_ask_to", keys, source=state["from"], wrong=wrong)], state)

    def _to(self, ctx: Context, state: dict[str, Any], code: str) -> Step:
        choices = {w.code.upper(): w for w in warehouses_for(ctx.uow, ctx.actor, None) if w.code != state["from"]}
        if code.upper() not in choices:
            return self._ask_to(ctx, state, wrong=code or "?")
        state = {**state, "step": "lines", "to": choices[code.upper()].code, "lines": []}
        return Step([ctx.say("transfer_ask_lines", source=state["from"], dest=state["to"])], state)

    def _lines(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        lines: list[dict[str, Any]] = list(state["lines"])
        if event.button == "u" and lines:
            lines.pop()
            return self._show(ctx, {**state, "lines": lines})
        if event.button == "d" or is_word(event.text, DONE_WORDS):
            if not lines:
                return Step([ctx.say("transfer_line_form")], state)
            return self._summary(ctx, state)
        try:
            added = [checked_line(ctx, ln) for ln in split_lines(event.text or "", prices=False)]
        except BadForm:
            return Step([ctx.say("transfer_line_form")], state)
        except DomainError as error:
            return Step([refusal(ctx, error, "transfer_line_form")], state)
        return self._show(ctx, {**state, "lines": lines + added})

    def _show(self, ctx: Context, state: dict[str, Any]) -> Step:
        keys = buttons([(button_label(ctx, "transfer", "done"), f"{self.key}:d"),
                        (button_label(ctx, "transfer", "undo"), f"{self.key}:u")])
        return Step([ctx.say("transfer_lines", keys, lines=state["lines"], source=state["from"],
                             dest=state["to"])], {**state, "step": "lines"})

    def _summary(self, ctx: Context, state: dict[str, Any]) -> Step:
        keys = buttons([(button_label(ctx, "transfer", "send"), f"{self.key}:ok"),
                        (button_label(ctx, "transfer", "more"), f"{self.key}:m")],
                       [(button_label(ctx, "transfer", "undo"), f"{self.key}:u"),
                        (button_label(ctx, "transfer", "cancel"), f"{self.key}:x")])
        reply = ctx.say("transfer_summary", keys, lines=state["lines"], source=state["from"], dest=state["to"])
        return Step([reply], {**state, "step": "confirm"})

    def _confirm(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        if event.button in ("m", "u"):
            return self._lines(ctx, {**state, "step": "lines"}, event) if event.button == "u" else self._show(
                ctx, state)
        if event.button != "ok" and not is_word(event.text, DONE_WORDS | {"yes", "是", "发出", "send"}):
            return self._summary(ctx, state)
        lines = [LineIn(ln["item"], ln["qty"], unit=ln["unit"]) for ln in state["lines"]]
        sent = dispatch_transfer(ctx.uow, ctx.actor, state["from"], state["to"], lines)
        return Step([ctx.say("transfer_done", sent=sent, source=state["from"], dest=state["to"])])


def tr_example(ctx: Context) -> str:
    """A transfer number of this year for the receiving prompt: TR-<this year>-000003."""
    return sample_number("TR", ctx.now, 3)


class ReceiveTransferFlow(Flow):
    """收调拨 / receivetransfer TR-...: per line received and damaged with a note; the rest is short."""

    name = "receivetransfer"
    permission = Permission.STOCK_TRANSFER
    key = "rt"

    def start(self, ctx: Context, args: str) -> Step:
        """Open the transfer named, or ask for its number."""
        ctx.actor.require(Permission.STOCK_TRANSFER)
        number = first_word(args)
        if not number:
            return Step([ctx.say("receivetransfer_ask_number", example=tr_example(ctx))], {"step": "number"})
        return self._open(ctx, number)

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """Cancel on any step; else the number, then per line received, damaged and a note when something is
        missing, then confirm."""
        if event.button == "x":
            return Step([ctx.say("cancelled")])
        return super().resume(ctx, state, event)

    def steps(self) -> Mapping[str, StepHandler]:
        """Number, received, damaged, note, confirm."""
        return {"number": self._number, "received": self._received, "damaged": self._damaged, "note": self._note,
                "confirm": self._post}

    def lost(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """A state of no known step: ask for the transfer's number again."""
        return Step([ctx.say("receivetransfer_ask_number", example=tr_example(ctx))], {"step": "number"})

    def button(self, ctx: Context, payload: str) -> Step:
        """A button of a receiving conversation that has ended."""
        return Step([ctx.say("receivetransfer_expired")])

    def hint(self, ctx: Context, state: dict[str, Any], error: DomainError) -> list[Reply]:
        """A received quantity refused: ask for the same line again."""
        return [self._ask(ctx, state)] if state.get("step") == "received" else []

    def _number(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        number = first_word(event.text)
        if not number:
            return Step([ctx.say("receivetransfer_ask_number", example=tr_example(ctx))], state)
        try:
            return self._open(ctx, number)
        except DomainError as error:
            return Step([refusal(ctx, error, "receivetransfer_ask_number", example=tr_example(ctx))], state)

    def _open(self, ctx: Context, number: str) -> Step:
        view = transfer_view(ctx.uow, ctx.actor, number)
        if view.status not in ("in_transit", "partially_received") or not view.lines:
            return Step([ctx.say("receivetransfer_not_open", number=view.number, status=view.status)])
        lines = [{"sku": ln.sku, "name_zh": ln.name_zh, "name_en": ln.name_en or ln.name_zh, "qty": str(ln.qty)}
                 for ln in view.lines]
        state = {"step": "received", "number": view.number, "from": view.from_warehouse, "to": view.to_warehouse,
                 "lines": lines, "i": 0, "got": []}
        intro = ctx.say("receivetransfer_lines", number=view.number, source=view.from_warehouse,
                        dest=view.to_warehouse, lines=lines)
        return Step([intro, self._ask(ctx, state)], state)

    def _ask(self, ctx: Context, state: dict[str, Any]) -> Reply:
        line = state["lines"][state["i"]]
        keys = buttons([(button_label(ctx, "receivetransfer", "all", qty=Decimal(line["qty"])), f"{self.key}:a")],
                       [(button_label(ctx, "receivetransfer", "finish"), f"{self.key}:f")])
        return ctx.say("receivetransfer_ask_received", keys, line=line, n=state["i"] + 1, of=len(state["lines"]))

    def _received(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        line = state["lines"][state["i"]]
        if event.button == "f":
            return self._summary(ctx, state)
        got = Decimal(line["qty"]) if event.button == "a" else parse_quantity(event.text, allow_zero=True)
        if got > Decimal(line["qty"]):
            return Step([ctx.say("receivetransfer_too_many", line=line, received=got), self._ask(ctx, state)], state)
        current = {"sku": line["sku"], "sent": line["qty"], "received": str(got), "damaged": "0", "note": ""}
        if got == Decimal(line["qty"]):
            return self._keep(ctx, state, current)
        keys = buttons([(button_label(ctx, "receivetransfer", "none"), f"{self.key}:z")])
        return Step([ctx.say("receivetransfer_ask_damaged", keys, line=line, received=got,
                                     missing=Decimal(line["qty"]) - got)],
                    {**state, "step": "damaged", "current": current})

    def _damaged(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        current = state["current"]
        missing = Decimal(current["sent"]) - Decimal(current["received"])
        try:
            bad = Decimal(0) if event.button == "z" else parse_quantity(event.text, allow_zero=True)
        except DomainError as error:
            return Step([refusal(ctx, error, "receivetransfer_damaged_form", missing=missing)], state)
        if bad > missing:
            return Step([ctx.say("receivetransfer_damaged_form", missing=missing)], state)
        current = {**current, "damaged": str(bad)}
        return Step([ctx.say("receivetransfer_ask_note", sku=current["sku"], damaged=bad, short=missing - bad)],
                    {**state, "step": "note", "current": current})

    def _note(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        note = (event.text or "").strip()
        if not note or len(note) > 200:
            return Step([ctx.say("receivetransfer_note_form", limit=200)], state)
        return self._keep(ctx, state, {**state["current"], "note": note})

    def _keep(self, ctx: Context, state: dict[str, Any], current: dict[str, Any]) -> Step:
        state = {**state, "got": [*state["got"], current], "current": None, "i": state["i"] + 1, "step": "received"}
        if state["i"] >= len(state["lines"]):
            return self._summary(ctx, state)
        return Step([self._ask(ctx, state)], state)

    def _summary(self, ctx: Context, state: dict[str, Any]) -> Step:
        entered = {g["sku"] for g in state["got"]}
        rest = [ln for ln in state["lines"] if ln["sku"] not in entered]
        keys = buttons([(button_label(ctx, "receivetransfer", "post"), f"{self.key}:ok")],
                       [(button_label(ctx, "receivetransfer", "cancel"), f"{self.key}:x")])
        reply = ctx.say("receivetransfer_summary", keys, number=state["number"], got=state["got"], rest=rest)
        return Step([reply], {**state, "step": "confirm"})

    def _post(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        if event.button != "ok" and not is_word(event.text, DONE_WORDS | {"yes", "是", "确认"}):
            return self._summary(ctx, state)
        lines = [TransferReceiptIn(g["sku"], g["received"], g["damaged"], g["note"]) for g in state["got"]]
        try:
            receipt = receive_transfer_with_discrepancies(ctx.uow, ctx.actor, state["number"], lines)
        except DomainError as error:
            return Step([refusal(ctx, error)])
        return Step([ctx.say("receivetransfer_done", receipt=receipt, dest=state["to"])])


class CountFlow(Flow):
    """盘点 / count WAREHOUSE: start or continue the open count sheet, count by SKU or scan, variances, submit."""

    name = "count"
    permission = Permission.STOCKTAKE_COUNT
    key = "ct"
    scan_steps = frozenset({"count"})

    def start(self, ctx: Context, args: str) -> Step:
        """Open the warehouse named, or ask which one."""
        ctx.actor.require(Permission.STOCKTAKE_COUNT)
        code = first_word(args)
        if code:
            return self._open(ctx, code)
        choices = warehouses_for(ctx.uow, ctx.actor, Permission.STOCKTAKE_COUNT)
        if len(choices) == 1:
            return self._open(ctx, choices[0].code)
        return self._ask_warehouse(ctx)

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """Cancel on any step; else the warehouse, then counts."""
        if event.button == "x":
            return Step([ctx.say("cancelled")])
        return super().resume(ctx, state, event)

    def steps(self) -> Mapping[str, StepHandler]:
        """The warehouse, then counting."""
        return {"warehouse": self._warehouse, "count": self._counting}

    def lost(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """A state of no known step is a count sheet being counted."""
        return self._counting(ctx, state, event)

    def scanned_lines(self, state: dict[str, Any], codes: tuple[str, ...]) -> list[str]:
        """Each code read adds one to its item's count ("CODE +n"); a number typed next replaces the total. Asked
        for a lot or serials, the codes read are them."""
        if state.get("lot_for"):
            return [" ".join(codes)]
        return [f"{code} +{count}" for code, count in Counter(codes).items()]

    def _warehouse(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        code = event.button[1:] if event.button and event.button.startswith("w") else first_word(event.text)
        if code.upper() not in {w.code.upper() for w in warehouses_for(ctx.uow, ctx.actor,
                                                                        Permission.STOCKTAKE_COUNT)}:
            return self._ask_warehouse(ctx, wrong=code or "?")
        return self._open(ctx, code)

    def _counting(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """Counts ("SKU qty", or a scanned code then its quantity), "variances", "submit" and then its confirmation."""
        confirming, state = bool(state.get("confirming")), {**state, "confirming": False}
        if event.button in ("y", "v", "s", "c") or is_word(event.text, VARIANCE_WORDS | SUBMIT_WORDS):
            state = {**state, "lot_for": None}
        if event.button == "y" or (confirming and event.button is None and is_word(event.text, CONFIRM_WORDS)):
            return self._submit(ctx, state) if confirming else self._confirm(ctx, state)
        if event.button == "v" or is_word(event.text, VARIANCE_WORDS):
            return self._variances(ctx, {**state, "confirming": confirming})  # looking changes nothing
        if event.button == "s" or is_word(event.text, SUBMIT_WORDS):
            return self._confirm(ctx, state)
        if event.button == "c":
            return Step([ctx.say("count_go_on", self._keys(ctx), number=state["number"])], state)
        tokens = (event.text or "").split()
        if state.get("lot_for") and not _next_count(state["lot_for"], tokens):
            return self._lot_given(ctx, state, event)
        return self._count(ctx, {**state, "lot_for": None}, tokens)

    def button(self, ctx: Context, payload: str) -> Step:
        """A warehouse button of an ended conversation still opens the count."""
        if payload.startswith("w"):
            return self._open(ctx, payload[1:])
        return Step([ctx.say("count_expired")])

    def _ask_warehouse(self, ctx: Context, wrong: str = "") -> Step:
        choices = warehouses_for(ctx.uow, ctx.actor, Permission.STOCKTAKE_COUNT)
        return Step([ctx.say("count_ask_warehouse", _warehouse_keys(ctx, self.key, "w", choices), wrong=wrong)],
                    {"step": "warehouse"})

    def _open(self, ctx: Context, code: str) -> Step:
        sheet = open_stocktake(ctx.uow, ctx.actor, code)
        if sheet is not None and sheet.status != "counting":
            return Step([ctx.say("count_waiting", number=sheet.number)])
        if sheet is None:
            started = start_stocktake(ctx.uow, ctx.actor, code)
            number, reply = started.number, ctx.say("count_started", self._page(ctx, code), sheet=started)
        else:
            number, reply = sheet.number, ctx.say("count_continue", self._page(ctx, code), number=sheet.number,
                                                  warehouse=code.upper())
        return Step([reply], {"step": "count", "number": number, "warehouse": code.upper()})

    def _page(self, ctx: Context, code: str) -> tuple[tuple[Any, ...], ...]:
        """The camera count page for this warehouse."""
        return page_keys(ctx, "count", f"/app/count?warehouse={quote(code.upper())}")

    def _keys(self, ctx: Context) -> tuple[tuple[Any, ...], ...]:
        return buttons([(button_label(ctx, "count", "variances"), f"{self.key}:v"),
                        (button_label(ctx, "count", "submit"), f"{self.key}:s")])

    def _count(self, ctx: Context, state: dict[str, Any], tokens: list[str]) -> Step:
        pending = state.get("pending")
        if len(tokens) == 2 and tokens[1].startswith("+") and looks_numeric(tokens[1][1:]):
            return self._add(ctx, state, tokens[0], tokens[1][1:])
        if len(tokens) == 1 and len(tokens[0]) <= ITEM_LENGTH:
            try:
                product = item_named(ctx.uow, tokens[0])
            except DomainError as error:
                if not pending:
                    return Step([refusal(ctx, error, "count_form")], {**state, "pending": None})
                item, qty, unit = pending, tokens[0], None
            else:
                return Step([ctx.say("count_ask_qty", sku=product.sku, name_zh=product.name_zh,
                                     name_en=product.name_en or product.name_zh)], {**state, "pending": tokens[0],
                                                                                     "pending_lot": None})
        else:
            line = _count_line(tokens)
            if line is None:
                return Step([ctx.say("count_form")], state)
            item, qty, unit = line.item, line.qty, line.unit
        lot = state.get("pending_lot") if item == pending else None
        try:
            counted = count_item(ctx.uow, ctx.actor, state["number"], item, qty, unit, lot=lot)
        except LotRefused as error:
            if error.params.get("reason") not in ASK_LOT:
                return Step([refusal(ctx, error, "count_form")], state)
            return self._ask_lot(ctx, {**state, "pending": None}, {"item": item, "qty": str(qty), "unit": unit,
                                                                   "add": False, "sku": error.params["sku"],
                                                                   "serial": error.params["reason"] != "lot_required"})
        except DomainError as error:
            return Step([refusal(ctx, error, "count_form")], state)
        return Step([ctx.say("count_counted", self._keys(ctx), counted=counted)],
                    {**state, "pending": None, "pending_lot": None})

    def _add(self, ctx: Context, state: dict[str, Any], item: str, qty: str) -> Step:
        """Scanned (or "SKU +n"): added to what is counted so far; the item waits for a typed total. The same code
        scanned again goes on counting the lot chosen for it."""
        lot = state.get("pending_lot") if item == state.get("pending") else None
        try:
            counted = count_item(ctx.uow, ctx.actor, state["number"], item, qty, add=True, lot=lot)
        except LotRefused as error:
            if error.params.get("reason") not in ASK_LOT:
                return Step([refusal(ctx, error, "count_form", self._keys(ctx))], {**state, "pending": None})
            return self._ask_lot(ctx, {**state, "pending": None}, {"item": item, "qty": qty, "unit": None,
                                                                   "add": True, "sku": error.params["sku"],
                                                                   "serial": error.params["reason"] != "lot_required"})
        except DomainError as error:  # an unknown code: said, with the sheet's buttons (or the nearest items)
            said = refusal(ctx, error, "count_form")
            return Step([said if said.buttons else replace(said, buttons=self._keys(ctx))], {**state, "pending": None})
        return Step([ctx.say("count_added", self._keys(ctx), counted=counted)],
                    {**state, "pending": item, "pending_lot": counted.lot})

    def _ask_lot(self, ctx: Context, state: dict[str, Any], wanted: dict[str, Any], wrong: Reply | None = None) -> Step:
        """Which lot was counted of a tracked product (its lots here as buttons, nearest expiry first), or, tracked
        by serial, which serials."""
        if wanted["serial"]:
            wanted = {**wanted, "serials": wanted.get("serials") or []}
            reply = ctx.say("count_ask_serials", sku=wanted["sku"], qty=Decimal(wanted["qty"]),
                            have=wanted["serials"])
        else:
            lots = wanted.get("lots")
            if lots is None:
                held = [s for s in list_lots(ctx.uow, ctx.actor, wanted["sku"], state["warehouse"]) if s.lot]
                lots = [{"lot": s.lot, "expiry": None if s.expiry is None else s.expiry.isoformat(),
                         "flag": "expired" if s.expired else "alert" if s.alert else ""} for s in held[:LOT_BUTTONS]]
                wanted = {**wanted, "lots": lots}
            keys = buttons(*[[(button_label(ctx, "count", "lot", **lot), f"{self.key}:l{n}")]
                             for n, lot in enumerate(lots)])
            reply = ctx.say("count_ask_lot", keys, sku=wanted["sku"], qty=Decimal(wanted["qty"]), lots=lots)
        replies = [reply] if wrong is None else [wrong, reply]
        return Step(replies, {**state, "lot_for": wanted})

    def _lot_given(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """The lot counted (a button, typed "LOT [expiry]", or a GS1 label), or the serials (typed or scanned)."""
        wanted = dict(state["lot_for"])
        tokens = [t for t in (event.text or "").split() if not t.startswith("+")]
        lot = expiry = None
        serials: list[str] = []
        if event.button and event.button.startswith("l") and event.button[1:].isdigit() and not wanted.get("serial"):
            chosen = (wanted.get("lots") or [])[int(event.button[1:]):][:1]
            if not chosen:
                return self._ask_lot(ctx, state, wanted)
            lot = chosen[0]["lot"]
        elif not tokens:
            return self._ask_lot(ctx, state, wanted)
        elif wanted.get("serial"):
            serials = [*wanted["serials"], *[(scan.serial if (scan := parse_gs1(t)) and scan.serial else t)
                                             for t in tokens]]
            if len(serials) < Decimal(wanted["qty"]) and len(set(serials)) == len(serials):
                return self._ask_lot(ctx, state, {**wanted, "serials": serials})
        else:
            scan = parse_gs1(tokens[0])
            lot = scan.lot if scan is not None else tokens[0]
            expiry = (scan.expiry if scan is not None else tokens[1] if len(tokens) > 1 else None)
        try:
            counted = count_item(ctx.uow, ctx.actor, state["number"], wanted["item"], wanted["qty"], wanted["unit"],
                                 add=wanted["add"], lot=lot, expiry=expiry, serials=serials)
        except DomainError as error:
            return self._ask_lot(ctx, state, {**wanted, "serials": []}, refusal(ctx, error))
        reply = ctx.say("count_added" if wanted["add"] else "count_counted", self._keys(ctx), counted=counted)
        return Step([reply], {**state, "lot_for": None, "pending": wanted["item"] if wanted["add"] else None,
                              "pending_lot": counted.lot})

    def _variances(self, ctx: Context, state: dict[str, Any]) -> Step:
        report = stocktake_variances(ctx.uow, ctx.actor, state["number"])
        shown = [ln for ln in report.lines if ln.variance != 0][:SHOWN_VARIANCES]
        return Step([ctx.say("count_variances", self._keys(ctx), report=report, lines=shown)], state)

    def _confirm(self, ctx: Context, state: dict[str, Any]) -> Step:
        """What submitting will do: how many were counted, how many were not (and stay as they are), the value."""
        report = stocktake_variances(ctx.uow, ctx.actor, state["number"])
        if report.counted_lines == 0:
            return Step([refusal(ctx, EmptyDocument(number=report.number, reason="nothing_counted"), "count_form")],
                        state)
        keys = buttons([(button_label(ctx, "count", "confirm"), f"{self.key}:y")],
                       [(button_label(ctx, "count", "variances"), f"{self.key}:v"),
                        (button_label(ctx, "count", "go_on"), f"{self.key}:c")])
        changed = sum(1 for ln in report.lines if ln.variance != 0)
        return Step([ctx.say("count_confirm", keys, report=report, changed=changed)], {**state, "confirming": True})

    def _submit(self, ctx: Context, state: dict[str, Any]) -> Step:
        try:
            outcome = submit_stocktake(ctx.uow, ctx.actor, state["number"])
        except DomainError as error:
            return Step([refusal(ctx, error, "count_form")], state)
        awaiting = awaiting_approval(ctx.uow, "stocktake", outcome.number)
        return Step([ctx.say("count_submitted", outcome=outcome, awaiting=awaiting)])


def _next_count(wanted: dict[str, Any], tokens: list[str]) -> bool:
    """Asked for a lot, "SKU qty" typed instead: the next count (a lot's expiry is a date, never a plain number)."""
    return not wanted.get("serial") and len(tokens) in (2, 3) and looks_numeric(tokens[1]) \
        and "-" not in tokens[1][1:]


def _count_line(tokens: list[str]) -> TypedLine | None:
    """"SKU qty [unit]" in the one line grammar (no price on a count sheet); None when the form is wrong."""
    if len(tokens) not in (2, 3) or not looks_numeric(tokens[1]):
        return None
    try:
        return split_line(" ".join(tokens), prices=False)
    except BadForm:
        return None
