"""A new sales order in chat, step by step: customer, warehouse, lines (each checked for stock, price places and an
absurd quantity as it is entered; changed or deleted before submitting), confirm, submit."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from bot.engine.flow import Context, Event, Flow, Step, StepHandler
from bot.engine.replies import Reply, buttons
from bot.flows.entry import button_label, button_number, page_keys, refusal, warehouse_label
from core.approvals.progress import waiting_role
from core.catalog.lines import EnteredLine, entered, entered_typed, looks_numeric, split_line
from core.catalog.products import WarehouseRef, warehouses_for
from core.errors import DomainError
from core.ledger.numbering import example_number
from core.numbers import ZERO
from core.partners.choices import partner_choices, partner_code
from core.partners.customers import get_customer
from core.permissions import Permission
from core.reading.notes import note_in, read_note
from core.reading.text import Reading
from core.sales.line_checks import LineCheck, OtherLine, check_sales_line
from core.sales.orders import create_sales_order, submit_sales_order
from core.sales.paper import lines_on_paper, remember_words
from core.sales.records import SalesLineIn
from core.sales.usual import fullest_warehouse_for
from core.sales.views import SalesOrderView
from core.stock.lots import lots_to_pick

MAX_CHOICES = 8
MAX_CHAT_LINES = 50
DECIMALS = ("base_qty", "unit_price", "amount", "floor", "qty", "available", "needed", "proposed", "tax", "gross")


def ship_ask(ctx: Context) -> Reply:
    """Which order to ship, with the reader's newest shippable order as the example."""
    return ctx.say("ship_ask", example=example_number(ctx.uow, ctx.actor, "SO"))


def product_name(ctx: Context, name_zh: str, name_en: str) -> str:
    """The product name in the reader's language."""
    return name_en or name_zh if ctx.lang == "en" else name_zh


def customer_choices(ctx: Context, key: str, query: str) -> tuple[list[Any], tuple[tuple[Any, ...], ...]]:
    """Customers the reader may see matching `query`, and a button (by database id) for each of the first few."""
    found = list(partner_choices(ctx.uow, ctx.actor, "customer", query, MAX_CHOICES))
    rows = tuple(buttons([(f"{c.code} {c.name}"[:40], f"{key}:c{c.id}")])[0] for c in found)
    return found, rows


def customer_code(ctx: Context, customer_id: str) -> str | None:
    """The code of a customer by id (from a button), or None."""
    number = button_number(customer_id)
    return None if number is None else partner_code(ctx.uow, ctx.actor, "customer", number)


def submitted(ctx: Context, order: SalesOrderView) -> Reply:
    """What a submit did: approved and reserved, or waiting for someone (with a button to withdraw it)."""
    if order.status == "approved":
        return ctx.say("so_approved", order=order)
    role = None if order.approval_request_id is None else waiting_role(ctx.uow, order.approval_request_id)
    keys = buttons([(button_label(ctx, "sales", "withdraw"), f"od:w{order.number}")])
    return ctx.say("so_pending", keys, order=order, role=role, reasons=list(order.approval_reasons))


class SalesOrderFlow(Flow):
    """销售单 / so: customer, warehouse, lines, confirm, submit."""

    name = "sales"
    permission = Permission.SALES_CREATE
    key = "so"
    paper_of = "customer"  # a customer's list of what they want
    scan_steps = frozenset({"lines", "confirm"})
    asks: Mapping[str, str] = MappingProxyType({"start": "so_ask_customer", "confirm": "so_confirm",
                                                "again": "so_confirm_again", "over": "so_expired"})

    def start(self, ctx: Context, args: str) -> Step:
        """Search the customer named in `args`, or ask for one."""
        ctx.actor.require(Permission.SALES_CREATE)
        state: dict[str, Any] = {"step": "customer"}
        if args.strip():
            return self._customer_search(ctx, state, args.strip())
        return Step([ctx.say(self.asks["start"], page_keys(ctx, "sales", "/app/sales"))], state)

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """Cancel on any step, a photo of the customer's list while lines are entered, or whatever the step
        expects: a customer, a warehouse, a line, or a button."""
        if event.button == "x":
            return Step([ctx.say("cancelled")])
        if event.picture is not None and state.get("step") == "picture":
            return self._paper_first(ctx, event.picture)
        if event.picture is not None and self.takes_picture(state):
            return self._from_paper(ctx, state, event.picture)
        if (event.button or "").startswith("pp") and state.get("paper_asks"):
            return self._paper_pick(ctx, state, event.button[2:] if event.button else "")
        step = super().resume(ctx, state, event)
        if step.state is not None and step.state.get("step") == "lines" and "paper" in step.state:
            kept = step.state  # the customer (and warehouse) named: the list waiting since is entered now
            read = self._from_paper(ctx, kept, Reading.from_json(kept.pop("paper")))
            return Step([*step.replies[:-1], *read.replies], read.state)
        return step

    def _paper_first(self, ctx: Context, reading: Reading) -> Step:
        """A customer's list sent outside any order: checked for a table now, entered once the customer (and the
        warehouse) are named."""
        ctx.actor.require(Permission.SALES_CREATE)
        note_in(reading)
        return Step([ctx.say("so_paper_customer")], {"step": "customer", "paper": reading.to_json()})

    def takes_picture(self, state: dict[str, Any]) -> bool:
        """Lines are being entered: a photo with no code is the customer's list of what they want."""
        return state.get("step") in ("lines", "confirm") and "customer" in state

    def steps(self) -> Mapping[str, StepHandler]:
        """Customer, warehouse, lines, a line being changed, an absurd quantity to confirm, confirm."""
        return {"customer": self._customer, "warehouse": self._warehouse, "lines": self._lines,
                "edit": self._edit_step, "absurd": self._absurd_step, "confirm": self._confirm_step}

    def lost(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """A state of no known step: the order conversation has expired."""
        return Step([ctx.say(self.asks["over"])])

    def button(self, ctx: Context, payload: str) -> Step:
        """A button of an order conversation that already ended."""
        return Step([ctx.say(self.asks["over"])])

    def hint(self, ctx: Context, state: dict[str, Any], error: DomainError) -> list[Reply]:
        """Ask for the customer again, or to confirm again."""
        asks = {"customer": self.asks["start"], "confirm": self.asks["again"]}
        step = str(state.get("step"))
        return [ctx.say(asks[step])] if step in asks else []

    # Steps

    def _customer(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        pressed = event.button or ""
        if pressed.startswith("c"):
            return self._customer_chosen(ctx, state, pressed[1:])
        if event.text and event.text.strip():
            return self._customer_search(ctx, state, event.text.strip())
        return Step([ctx.say(self.asks["start"])], state)

    def _warehouse(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        pressed = event.button or ""
        if pressed.startswith("w"):
            return self._warehouse_chosen(ctx, state, pressed[1:])
        typed = (event.text or "").strip()
        named = {w.code.upper(): w for w in self._warehouses(ctx)}.get(typed.upper()) if typed else None
        if named is not None:
            return self._warehouse_chosen(ctx, state, str(named.id))
        best = self._warehouse_for_line(ctx, typed) if typed else None
        if best is None:
            return self._ask_warehouse(ctx, state, again=True)
        state.update(step="lines", warehouse=best, lines=[])
        entered = self._enter_line(ctx, state, typed)
        return Step([ctx.say("so_warehouse_taken", warehouse=best), *entered.replies], entered.state)

    def _lines(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        pressed = event.button or ""
        if pressed == "more":
            return Step([ctx.say("so_ask_line")], state)
        if pressed == "done":
            return self._confirm(ctx, state)
        if pressed in ("u", "e") or (pressed.startswith(("e", "d")) and button_number(pressed[1:])):
            return self._line_button(ctx, state, pressed)
        if pressed.startswith("l") and button_number(pressed[1:]):
            return self._lot_chosen(ctx, state, pressed)
        if event.text and event.text.strip():
            return self._enter_line(ctx, state, event.text.strip())
        return self._lines_screen(ctx, state, ask=True)

    def _line_button(self, ctx: Context, state: dict[str, Any], pressed: str) -> Step:
        """u: remove the last line; e: which line to change; e<n>: change line n; d<n>: delete line n."""
        lines = state["lines"]
        if not lines:
            return self._lines_screen(ctx, state, ask=True)
        if pressed == "u":
            return self._delete(ctx, state, len(lines))
        if pressed == "e" and len(lines) > 1:
            rows = tuple(buttons([(_label(n, ln), f"{self.key}:e{n}")])[0] for n, ln in enumerate(lines, 1))
            back = buttons([(button_label(ctx, "sales", "back"), f"{self.key}:back")])
            return Step([ctx.say("so_edit_pick", rows + back)], state)
        index = 1 if pressed == "e" else button_number(pressed[1:]) or 0
        if not 1 <= index <= len(lines):
            return self._lines_screen(ctx, state, ask=True)
        if pressed.startswith("d"):
            return self._delete(ctx, state, index)
        state.update(step="edit", edit=index)
        keys = buttons([(button_label(ctx, "sales", "delete"), f"{self.key}:d{index}"),
                        (button_label(ctx, "sales", "back"), f"{self.key}:back")])
        return Step([ctx.say("so_edit_line", keys, index=index, ln=_typed(lines[index - 1]))], state)

    def _edit_step(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        pressed = event.button or ""
        if pressed.startswith("d") and button_number(pressed[1:]):
            state["step"] = "lines"
            return self._delete(ctx, state, button_number(pressed[1:]) or 0)
        if event.text and event.text.strip():
            text = event.text.strip()
            line = state["lines"][state["edit"] - 1]
            if len(text.split()) == 1 and looks_numeric(text):
                text = " ".join([line["sku"], text, *([line["unit"]] if line["unit"] else []),
                                 *([line["price"]] if line["price"] else [])])
            return self._enter_line(ctx, state, text, replace=state["edit"])
        state.update(step="lines")
        state.pop("edit", None)
        return self._lines_screen(ctx, state, ask=True)

    def _absurd_step(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        pending, at = state.pop("pending"), state.pop("at", None)
        state["step"] = "lines"
        if event.button == "sure":
            return self._put(ctx, state, pending, at)
        if event.text and event.text.strip():
            return self._enter_line(ctx, state, event.text.strip())
        return Step([ctx.say("so_absurd_dropped"), ctx.say("so_ask_line")], state)

    def _confirm_step(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        if event.button == "ok":
            return self._submit(ctx, state)
        if event.button in ("more", "e"):
            state["step"] = "lines"
            if event.button == "e":
                return self._line_button(ctx, state, "e")
            return Step([ctx.say("so_ask_line")], state)
        if event.text and event.text.strip():
            state["step"] = "lines"
            return self._enter_line(ctx, state, event.text.strip())
        return self._confirm(ctx, state)

    # Customer and warehouse

    def _customer_search(self, ctx: Context, state: dict[str, Any], query: str) -> Step:
        found, rows = customer_choices(ctx, self.key, query[:64])
        if not found:
            return Step([ctx.say("so_no_customer", query=query[:64])], state)
        if len(found) == 1:
            state.update(customer=found[0].code, customer_name=found[0].name)
            return self._ask_warehouse(ctx, state)
        cancel = buttons([(button_label(ctx, "sales", "cancel"), f"{self.key}:x")])
        return Step([ctx.say("so_pick_customer", rows + cancel, count=len(found), query=query[:64],
                             more=len(found) >= MAX_CHOICES)], state)

    def _customer_chosen(self, ctx: Context, state: dict[str, Any], customer_id: str) -> Step:
        customer = get_customer(ctx.uow, ctx.actor, customer_code(ctx, customer_id) or "-")
        state.update(customer=customer.code, customer_name=customer.name)
        return self._ask_warehouse(ctx, state)

    def _warehouses(self, ctx: Context) -> list[WarehouseRef]:
        return warehouses_for(ctx.uow, ctx.actor, None)

    def _ask_warehouse(self, ctx: Context, state: dict[str, Any], again: bool = False) -> Step:
        found = self._warehouses(ctx)
        if len(found) == 1:
            state.update(step="lines", warehouse=found[0].code, lines=[])
            return Step([ctx.say("so_customer_set", customer=state["customer"], name=state["customer_name"],
                                 warehouse=found[0].code), ctx.say("so_ask_line")], state)
        state["step"] = "warehouse"
        rows = tuple(buttons([(warehouse_label(ctx, w), f"{self.key}:w{w.id}")])[0] for w in found)
        cancel = buttons([(button_label(ctx, "sales", "cancel"), f"{self.key}:x")])
        return Step([ctx.say("so_pick_warehouse", rows + cancel, customer=state["customer"],
                             name=state["customer_name"], again=again)], state)

    def _warehouse_for_line(self, ctx: Context, typed: str) -> str | None:
        """A line typed instead of a warehouse: the warehouse with the most of its one product available (None
        when the item names no single product, or none of it is available anywhere the reader may sell from)."""
        try:
            item = split_line(typed).item
        except ValueError:
            return None
        return fullest_warehouse_for(ctx.uow, ctx.actor, item)

    def _warehouse_chosen(self, ctx: Context, state: dict[str, Any], warehouse_id: str) -> Step:
        codes = {str(w.id): w.code for w in self._warehouses(ctx)}
        if warehouse_id not in codes:
            return self._ask_warehouse(ctx, state, again=True)
        state.update(step="lines", warehouse=codes[warehouse_id], lines=[])
        return Step([ctx.say("so_ask_line")], state)

    # Lines

    def _enter_line(self, ctx: Context, state: dict[str, Any], text: str, replace: int | None = None) -> Step:
        """A typed line checked at once (stock, price places, an absurd quantity), then added or put in place of
        line `replace`; an absurd quantity is asked about first."""
        try:
            given = entered_typed(split_line(text))
            check = self._check(ctx, state, given, replace)
        except DomainError as error:
            said = refusal(ctx, error)  # with pick buttons, the press is what comes next, not the line again
            return Step([said] if said.buttons else [said, ctx.say("so_line_format", self._line_keys(ctx, state))],
                        state)
        except ValueError:
            return Step([ctx.say("so_line_format", self._line_keys(ctx, state), typed=text[:40])], state)
        if replace is None and len(state["lines"]) >= MAX_CHAT_LINES:
            return Step([ctx.say("so_too_many_lines", limit=MAX_CHAT_LINES)], state)
        line = self._line_of(ctx, check)
        if check.absurd:
            state.update(step="absurd", pending=line, at=replace)
            keys = buttons([(button_label(ctx, "sales", "sure", qty=check.line.base_qty), f"{self.key}:sure"),
                            (button_label(ctx, "sales", "not_sure"), f"{self.key}:no")])
            return Step([ctx.say("so_absurd", keys, ln=_typed(line), usual=check.usual,
                                 multiple=check.multiple)], state)
        return self._put(ctx, state, line, replace)

    def _from_paper(self, ctx: Context, state: dict[str, Any], reading: Reading) -> Step:
        """Each row of the customer's list entered as the typed line would be, checked the same way; rows naming
        no product, refused or absurd are named and left out; the same photo twice adds nothing."""
        if reading.sha256 and reading.sha256 in state.get("pictures", []):
            return self._lines_screen(ctx, state, note=ctx.text("so_paper_again"))
        if not reading.refused and not read_note(reading.boxes).header:  # no table: a photo whose code was not read
            return Step([ctx.say("scan_none")], state)
        try:
            listed = lines_on_paper(ctx.uow, ctx.actor, state["customer"], reading)
        except DomainError as error:
            return Step([refusal(ctx, error), *self._lines_screen(ctx, state).replies], state)
        taken, missed, asks = 0, [], []
        for row in listed:
            if not row.sku and row.choices:
                asks.append({"text": row.text, "qty": str(row.qty), "choices": list(row.choices)})
                continue
            if self._paper_line(ctx, state, row.sku, row.qty):
                taken += 1
            else:
                missed.append(row.text)
        state.update(step="lines", pictures=[*state.get("pictures", []), reading.sha256][-5:], paper_asks=asks)
        screen = self._lines_screen(ctx, state, note=ctx.text("so_paper_read", taken=taken, missed=missed))
        return Step([*screen.replies, *self._paper_ask(ctx, state)], state)

    def _paper_line(self, ctx: Context, state: dict[str, Any], sku: str, qty: Decimal) -> bool:
        """One row of the list entered as its typed line would be; False when it names no product or is refused."""
        try:
            if not sku or len(state["lines"]) >= MAX_CHAT_LINES:
                return False
            check = self._check(ctx, state, entered(sku, qty), None)
        except DomainError:
            return False
        if check.absurd:
            return False
        line = self._line_of(ctx, check)
        state["lines"].append(line)
        state["approval"] = line["approval"]
        return True

    def _paper_ask(self, ctx: Context, state: dict[str, Any]) -> list[Reply]:
        """The first row of the list that names several products: a button for each of them, and one to skip."""
        asks = state.get("paper_asks") or []
        if not asks:
            return []
        ask = asks[0]
        keys = buttons(*[[(sku, f"{self.key}:pp{sku}")] for sku in ask["choices"]],
                       [(button_label(ctx, "sales", "paper_skip"), f"{self.key}:pp")])
        return [ctx.say("so_paper_which", keys, text=ask["text"], qty=Decimal(ask["qty"]))]

    def _paper_pick(self, ctx: Context, state: dict[str, Any], sku: str) -> Step:
        """The product a row of the list meant (learned for this customer's next list), or the row skipped."""
        ask = state["paper_asks"].pop(0)
        note = ""
        if sku in ask["choices"]:
            if self._paper_line(ctx, state, sku, Decimal(ask["qty"])):
                remember_words(ctx.uow, ctx.actor, state["customer"], ask["text"], sku)
            else:
                note = ctx.text("so_paper_read", taken=0, missed=[ask["text"]])
        screen = self._lines_screen(ctx, state, note=note)
        return Step([*screen.replies, *self._paper_ask(ctx, state)], state)

    def _check(self, ctx: Context, state: dict[str, Any], given: EnteredLine, replace: int | None) -> LineCheck:
        others = [OtherLine(ln["sku"], Decimal(ln["base_qty"]), Decimal(ln["amount"]), ln["below_floor"])
                  for n, ln in enumerate(state["lines"], 1) if n != replace]
        return check_sales_line(ctx.uow, ctx.actor, state["warehouse"], given, others, state.get("customer", ""))

    def _line_of(self, ctx: Context, check: LineCheck) -> dict[str, Any]:
        line = check.line
        return {
            "sku": line.sku, "name": product_name(ctx, line.name_zh, line.name_en),
            "qty": str(line.qty), "unit": line.unit, "price": None if line.price is None else str(line.price),
            "base_qty": str(line.base_qty), "unit_price": str(line.unit_price), "amount": str(line.amount),
            "floor": str(line.floor_price), "below_floor": line.below_floor,
            "available": str(check.available), "negative": check.negative, "approval": check.approval,
            "source": ctx.text("price_source", src=line.price_source), "proposed": str(line.proposed),
            "tax": str(line.tax.tax), "gross": str(line.tax.gross),
            "last": ctx.text("last_paid", price=None if line.last is None else line.last.price,
                             at=None if line.last is None else line.last.at),
        }

    def _put(self, ctx: Context, state: dict[str, Any], line: dict[str, Any], at: int | None) -> Step:
        state["approval"] = line["approval"]  # what the order as it now stands will need
        if at is None:
            state["lines"].append(line)
        else:
            state["lines"][at - 1] = line
        state.update(step="lines")
        state.pop("edit", None)
        screen = self._lines_screen(ctx, state)
        offered = lots_to_pick(ctx.uow, ctx.actor, line["sku"], state["warehouse"]) if ctx.actor.can(
            Permission.STOCK_VIEW) else []
        if not offered:
            state.pop("lots", None)
            return screen
        index = at or len(state["lines"])
        state["lots"] = {"line": index, "codes": [lot.lot for lot in offered]}
        keys = buttons(*[[(button_label(ctx, "sales", "lot", lot=lot), f"{self.key}:l{index * 10 + n}")]
                         for n, lot in enumerate(offered, 1)],
                       [(button_label(ctx, "sales", "lot_auto"), f"{self.key}:l{index * 10}")])
        return Step([*screen.replies, ctx.say("so_pick_lot", keys, sku=line["sku"], lots=offered)], state)

    def _lot_chosen(self, ctx: Context, state: dict[str, Any], pressed: str) -> Step:
        """A lot button under the line just entered (l<line><n>): its n-th lot, or first-expired-first-out (n 0);
        a button under an earlier line, whose offer is gone, only shows the lines again."""
        offer = state.pop("lots", None)
        line_no, index = divmod(button_number(pressed[1:]) or 0, 10)
        if not offer or line_no != offer["line"] or index > len(offer["codes"]) or line_no > len(state["lines"]):
            return self._lines_screen(ctx, state, ask=True)
        line = state["lines"][offer["line"] - 1]
        line["lot"] = offer["codes"][index - 1] if index else None
        note = ctx.text("so_lot_set", index=offer["line"], sku=line["sku"], lot=line["lot"])
        return self._lines_screen(ctx, state, note=note)

    def _delete(self, ctx: Context, state: dict[str, Any], index: int) -> Step:
        lines = state["lines"]
        if not 1 <= index <= len(lines):
            return self._lines_screen(ctx, state, ask=True)
        gone = lines.pop(index - 1)
        if lines:  # what the smaller order will need: checked again with its last line
            ln = lines[-1]
            given = EnteredLine(ln["sku"], Decimal(ln["qty"]), ln["unit"], None if ln["price"] is None else
                                Decimal(ln["price"]))
            state["approval"] = self._check(ctx, state, given, len(lines)).approval
        state.update(step="lines")
        state.pop("edit", None)
        note = ctx.text("so_line_deleted", index=index, ln=_typed(gone))
        return self._lines_screen(ctx, state, note=note)

    def _line_keys(self, ctx: Context, state: dict[str, Any]) -> tuple[tuple[Any, ...], ...]:
        """Done, remove the last line, change a line, cancel (only cancel while there are no lines)."""
        cancel = (button_label(ctx, "sales", "cancel"), f"{self.key}:x")
        if not state.get("lines"):
            return buttons([cancel])
        return buttons([(button_label(ctx, "sales", "done"), f"{self.key}:done")],
                       [(button_label(ctx, "sales", "undo"), f"{self.key}:u"),
                        (button_label(ctx, "sales", "edit"), f"{self.key}:e"), cancel])

    def _lines_screen(self, ctx: Context, state: dict[str, Any], ask: bool = False, note: str = "") -> Step:
        keys = self._line_keys(ctx, state)
        return Step([ctx.say("so_lines", keys, **self._figures(state), ask=ask, note=note)], state)

    def _figures(self, state: dict[str, Any]) -> dict[str, Any]:
        lines = [_typed(ln) for ln in state.get("lines", [])]
        needed: dict[str, Decimal] = {}
        last: dict[str, int] = {}
        waits = bool(state.get("approval")) or any(ln["below_floor"] for ln in lines)
        for n, ln in enumerate(lines):
            needed[ln["sku"]] = needed.get(ln["sku"], ZERO) + ln["base_qty"]
            last[ln["sku"]] = n
        for n, ln in enumerate(lines):  # a shortfall is the product's: said once, on its last line
            ln["needed"] = needed[ln["sku"]]
            short = "available" in ln and last[ln["sku"]] == n and ln["needed"] > ln["available"]
            ln["short"] = "" if not short else "negative" if ln["negative"] else "approval" if waits else "refused"
        return {"lines": lines, "total": sum((ln.get("gross", ln["amount"]) for ln in lines), ZERO),
                "tax_total": sum((ln.get("tax", ZERO) for ln in lines), ZERO),
                "customer": state.get("customer"), "customer_name": state.get("customer_name"),
                "warehouse": state.get("warehouse"), "below": [ln["sku"] for ln in lines if ln["below_floor"]],
                "refused": [ln["sku"] for ln in lines if ln["short"] == "refused"],
                "waiting": [ln["sku"] for ln in lines if ln["short"] == "approval"]}

    def _confirm(self, ctx: Context, state: dict[str, Any]) -> Step:
        if not state.get("lines"):
            return Step([ctx.say("so_no_lines"), ctx.say("so_ask_line")], state)
        state["step"] = "confirm"
        keys = buttons([(button_label(ctx, "sales", "submit"), f"{self.key}:ok")],
                       [(button_label(ctx, "sales", "edit"), f"{self.key}:e"),
                        (button_label(ctx, "sales", "add_more"), f"{self.key}:more"),
                        (button_label(ctx, "sales", "cancel"), f"{self.key}:x")])
        return Step([ctx.say(self.asks["confirm"], keys, **self._figures(state))], state)

    def _submit(self, ctx: Context, state: dict[str, Any]) -> Step:
        lines = [SalesLineIn(ln["sku"], ln["qty"], ln["price"], ln["unit"], lot=ln.get("lot"))
                 for ln in state["lines"]]

        def work(_tx: Any) -> Any:
            draft = create_sales_order(ctx.uow, ctx.actor, state["customer"], state["warehouse"], lines,
                                       channel=ctx.actor.channel)
            return submit_sales_order(ctx.uow, ctx.actor, draft.number)

        order = ctx.uow.run(work)  # one savepoint: a refused submit leaves no draft behind (and asks again: hint)
        return Step([submitted(ctx, order)])


def _typed(line: dict[str, Any]) -> dict[str, Any]:
    """A stored line with its figures as decimals again (the state keeps them as text)."""
    return {**line, **{k: Decimal(line[k]) for k in DECIMALS if line.get(k) is not None},
            "negative": line.get("negative", False)}


def _label(index: int, line: dict[str, Any]) -> str:
    """A line's button when choosing which to change: "2. TEA-CUP × 150"."""
    return f"{index}. {line['sku']} × {Decimal(line['base_qty']).normalize():f}"[:40]
