"""Sales in chat: a new sales order step by step, my orders a page at a time, and shipping an order."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from bot.engine.flow import Context, Event, Flow, Step, StepHandler
from bot.engine.replies import Reply, buttons
from bot.flows.entry import button_label, button_number, page_keys, refusal
from core.approvals.progress import waiting_role
from core.catalog.lines import entered_typed, split_line
from core.catalog.products import WarehouseRef, warehouses_for
from core.errors import DomainError, UnknownDocument
from core.ledger.numbering import example_number
from core.numbers import ZERO, document_total, parse_quantity
from core.partners.choices import partner_choices, partner_code
from core.partners.customers import get_customer
from core.permissions import Permission
from core.sales.orders import PAGE_SIZE, create_sales_order, get_sales_order, list_sales_orders, submit_sales_order
from core.sales.pricing import quote_sales_line
from core.sales.records import SalesLineIn
from core.sales.shipments import SHIPPABLE, ship_sales_order

MAX_CHOICES = 8
MAX_CHAT_LINES = 50


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


class SalesOrderFlow(Flow):
    """销售单 / so: customer, warehouse, lines, confirm, submit."""

    name = "sales"
    key = "so"
    scan_steps = frozenset({"lines", "confirm"})

    def start(self, ctx: Context, args: str) -> Step:
        """Search the customer named in `args`, or ask for one."""
        ctx.actor.require(Permission.SALES_CREATE)
        state: dict[str, Any] = {"step": "customer"}
        if args.strip():
            return self._customer_search(ctx, state, args.strip())
        return Step([ctx.say("so_ask_customer", page_keys(ctx, "sales", "/app/sales"))], state)

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """Cancel on any step, or whatever the step expects: a customer, a warehouse, a line, or a button."""
        if event.button == "x":
            return Step([ctx.say("cancelled")])
        return super().resume(ctx, state, event)

    def steps(self) -> Mapping[str, StepHandler]:
        """Customer, warehouse, lines, confirm."""
        return {"customer": self._customer, "warehouse": self._warehouse, "lines": self._lines,
                "confirm": self._confirm_step}

    def lost(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """A state of no known step: the order conversation has expired."""
        return Step([ctx.say("so_expired")])

    def button(self, ctx: Context, payload: str) -> Step:
        """A button of an order conversation that already ended."""
        return Step([ctx.say("so_expired")])

    def hint(self, ctx: Context, state: dict[str, Any], error: DomainError) -> list[Reply]:
        """Ask for the customer again, or to confirm again."""
        asks = {"customer": "so_ask_customer", "confirm": "so_confirm_again"}
        step = str(state.get("step"))
        return [ctx.say(asks[step])] if step in asks else []

    # Steps

    def _customer(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        pressed = event.button or ""
        if pressed.startswith("c"):
            return self._customer_chosen(ctx, state, pressed[1:])
        if event.text and event.text.strip():
            return self._customer_search(ctx, state, event.text.strip())
        return Step([ctx.say("so_ask_customer")], state)

    def _warehouse(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        pressed = event.button or ""
        if pressed.startswith("w"):
            return self._warehouse_chosen(ctx, state, pressed[1:])
        return self._ask_warehouse(ctx, state, again=True)

    def _lines(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        if event.button == "more":
            return Step([ctx.say("so_ask_line")], state)
        if event.button == "done":
            return self._confirm(ctx, state)
        if event.text and event.text.strip():
            return self._add_line(ctx, state, event.text.strip())
        return self._lines_screen(ctx, state, ask=True)

    def _confirm_step(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        if event.button == "ok":
            return self._submit(ctx, state)
        if event.button == "more":
            state["step"] = "lines"
            return Step([ctx.say("so_ask_line")], state)
        if event.text and event.text.strip():
            state["step"] = "lines"
            return self._add_line(ctx, state, event.text.strip())
        return self._confirm(ctx, state)

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
        rows = tuple(buttons([(f"{w.code} {w.name}"[:40], f"{self.key}:w{w.id}")])[0] for w in found)
        cancel = buttons([(button_label(ctx, "sales", "cancel"), f"{self.key}:x")])
        return Step([ctx.say("so_pick_warehouse", rows + cancel, customer=state["customer"],
                             name=state["customer_name"], again=again)], state)

    def _warehouse_chosen(self, ctx: Context, state: dict[str, Any], warehouse_id: str) -> Step:
        codes = {str(w.id): w.code for w in self._warehouses(ctx)}
        if warehouse_id not in codes:
            return self._ask_warehouse(ctx, state, again=True)
        state.update(step="lines", warehouse=codes[warehouse_id], lines=[])
        return Step([ctx.say("so_ask_line")], state)

    def _add_line(self, ctx: Context, state: dict[str, Any], text: str) -> Step:
        try:
            line = self._parse_line(ctx, text)
            document_total(Decimal(ln["amount"]) for ln in [*state["lines"], line])
        except DomainError as error:
            return Step([refusal(ctx, error), ctx.say("so_line_format")], state)
        except ValueError:
            return Step([ctx.say("so_line_format", typed=text[:40])], state)
        if len(state["lines"]) >= MAX_CHAT_LINES:
            return Step([ctx.say("so_too_many_lines", limit=MAX_CHAT_LINES)], state)
        state["lines"].append(line)
        return self._lines_screen(ctx, state)

    def _parse_line(self, ctx: Context, text: str) -> dict[str, Any]:
        """'SKU qty', then an optional unit and an optional price, priced as the order will price it."""
        line = quote_sales_line(ctx.uow, ctx.actor, entered_typed(split_line(text)))
        return {
            "sku": line.sku, "name": product_name(ctx, line.name_zh, line.name_en),
            "qty": str(line.qty), "unit": line.unit, "price": None if line.price is None else str(line.price),
            "base_qty": str(line.base_qty), "unit_price": str(line.unit_price), "amount": str(line.amount),
            "floor": str(line.floor_price), "below_floor": line.below_floor,
        }

    def _lines_screen(self, ctx: Context, state: dict[str, Any], ask: bool = False) -> Step:
        keys = buttons([(button_label(ctx, "sales", "add_more"), f"{self.key}:more"),
                        (button_label(ctx, "sales", "done"), f"{self.key}:done"),
                        (button_label(ctx, "sales", "cancel"), f"{self.key}:x")])
        return Step([ctx.say("so_lines", keys, **self._figures(state), ask=ask)], state)

    def _figures(self, state: dict[str, Any]) -> dict[str, Any]:
        lines = [{**ln, "base_qty": Decimal(ln["base_qty"]), "unit_price": Decimal(ln["unit_price"]),
                  "amount": Decimal(ln["amount"]), "floor": Decimal(ln["floor"]),
                  "qty": Decimal(ln["qty"])} for ln in state.get("lines", [])]
        return {"lines": lines, "total": sum((ln["amount"] for ln in lines), ZERO),
                "customer": state.get("customer"), "customer_name": state.get("customer_name"),
                "warehouse": state.get("warehouse"), "below": [ln["sku"] for ln in lines if ln["below_floor"]]}

    def _confirm(self, ctx: Context, state: dict[str, Any]) -> Step:
        if not state.get("lines"):
            return Step([ctx.say("so_no_lines"), ctx.say("so_ask_line")], state)
        state["step"] = "confirm"
        keys = buttons([(button_label(ctx, "sales", "submit"), f"{self.key}:ok"),
                        (button_label(ctx, "sales", "add_more"), f"{self.key}:more"),
                        (button_label(ctx, "sales", "cancel"), f"{self.key}:x")])
        return Step([ctx.say("so_confirm", keys, **self._figures(state))], state)

    def _submit(self, ctx: Context, state: dict[str, Any]) -> Step:
        lines = [SalesLineIn(ln["sku"], ln["qty"], ln["price"], ln["unit"]) for ln in state["lines"]]

        def work(_tx: Any) -> Any:
            draft = create_sales_order(ctx.uow, ctx.actor, state["customer"], state["warehouse"], lines,
                                       channel=ctx.actor.channel)
            return submit_sales_order(ctx.uow, ctx.actor, draft.number)

        order = ctx.uow.run(work)  # one savepoint: a refused submit leaves no draft behind (and asks again: hint)
        if order.status == "approved":
            return Step([ctx.say("so_approved", order=order)])
        role = None if order.approval_request_id is None else waiting_role(ctx.uow, order.approval_request_id)
        return Step([ctx.say("so_pending", order=order, role=role, reasons=list(order.approval_reasons))])


class OrdersFlow(Flow):
    """我的订单 / orders: my sales orders a page at a time; tap one to see it (and ship it, for warehouse staff)."""

    name = "orders"
    key = "od"

    def start(self, ctx: Context, args: str) -> Step:
        """The first page (or the order named)."""
        if args.strip():
            return self._one(ctx, args.strip())
        return self._page(ctx, 1)

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """A page or order button, or an order number typed."""
        if event.button:
            return self.button(ctx, event.button)
        if event.text and event.text.strip():
            return self._one(ctx, event.text.strip())
        return self._page(ctx, 1)

    def button(self, ctx: Context, payload: str) -> Step:
        """p<page> or v<number>."""
        page = button_number(payload[1:])
        if payload.startswith("p") and page is not None:
            return self._page(ctx, page)
        if payload.startswith("v"):
            return self._one(ctx, payload[1:])
        return self._page(ctx, 1)

    def _page(self, ctx: Context, page: int) -> Step:
        orders = list_sales_orders(ctx.uow, ctx.actor, page=page)
        if not orders:
            return Step([ctx.say("orders_none", page=page)])
        rows = tuple(buttons([(f"{o.number} {o.customer}"[:40], f"{self.key}:v{o.number}")])[0] for o in orders)
        if len(orders) == PAGE_SIZE:
            rows += buttons([(ctx.text("next_page"), f"{self.key}:p{page + 1}")])
        return Step([ctx.say("orders_list", rows, orders=orders, page=page)], {"page": page})

    def _one(self, ctx: Context, number: str) -> Step:
        try:
            order = get_sales_order(ctx.uow, ctx.actor, number[:40])
        except DomainError as error:
            return Step([refusal(ctx, error)], {"page": 1})
        keys: tuple[tuple[Any, ...], ...] = ()
        if order.status in SHIPPABLE and _may_ship(ctx, order.warehouse):
            keys = buttons([(button_label(ctx, "sales", "ship"), f"sh:o{order.number}")])
        return Step([ctx.say("order_view", keys, order=order)], {"page": 1})


def _may_ship(ctx: Context, warehouse: str) -> bool:
    return any(w.code == warehouse for w in warehouses_for(ctx.uow, ctx.actor, Permission.SALES_SHIP))


class ShipFlow(Flow):
    """发货 / ship SO-...: everything outstanding, or line by line with quantities."""

    name = "ship"
    key = "sh"

    def start(self, ctx: Context, args: str) -> Step:
        """The order named, or ask for its number."""
        if not args.strip():
            return Step([ship_ask(ctx)], {"step": "number"})
        return self._show(ctx, args.split()[0])

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """Cancel or another order's button on any step; else an order number, a choice (all / line by line), or a
        quantity for the current line."""
        pressed = event.button or ""
        if pressed == "x":
            return Step([ctx.say("cancelled")])
        if pressed.startswith("o") and len(pressed) > 1:
            return self._show(ctx, pressed[1:])
        return super().resume(ctx, state, event)

    def steps(self) -> Mapping[str, StepHandler]:
        """The order's number, the choice, each line's quantity."""
        return {"number": self._number, "choose": self._choose, "line": self._line}

    def lost(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """A state of no known step: ask for the order again."""
        return Step([ship_ask(ctx)], {"step": "number"})

    def hint(self, ctx: Context, state: dict[str, Any], error: DomainError) -> list[Reply]:
        """A quantity refused: ask for the same line again."""
        return self._ask_line(ctx, state).replies if state.get("step") == "line" else []

    def _number(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        if event.text and event.text.strip():
            return self._show(ctx, event.text.split()[0], keep=state)
        return Step([ship_ask(ctx)], state)

    def _choose(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        if event.button == "all":
            return self._ship(ctx, state, None)
        if event.button == "each":
            state.update(step="line", index=0, picked={})
            return self._ask_line(ctx, state)
        return self._show(ctx, state["number"])

    def _line(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        line = state["lines"][state["index"]]
        if event.button in ("full", "none"):
            qty = Decimal(line["left"]) if event.button == "full" else ZERO
        elif event.text and event.text.strip():
            qty = parse_quantity(event.text.strip(), allow_zero=True)
            if qty > Decimal(line["left"]):
                return Step([ctx.say("ship_too_many", line=line, qty=qty), self._ask_line(ctx, state).replies[0]],
                            state)
        else:
            return self._ask_line(ctx, state)
        if qty > 0:
            state["picked"][line["sku"]] = str(Decimal(state["picked"].get(line["sku"], "0")) + qty)
        state["index"] += 1
        if state["index"] < len(state["lines"]):
            return self._ask_line(ctx, state)
        if not state["picked"]:
            return Step([ctx.say("ship_nothing")])
        return self._ship(ctx, state, [SalesLineIn(sku, q) for sku, q in state["picked"].items()])

    def button(self, ctx: Context, payload: str) -> Step:
        """'Ship' from an order view (o<number>); other buttons of an ended conversation start over."""
        if payload.startswith("o") and len(payload) > 1:
            return self._show(ctx, payload[1:])
        return Step([ship_ask(ctx)], {"step": "number"})

    def _show(self, ctx: Context, number: str, keep: dict[str, Any] | None = None) -> Step:
        try:
            order = get_sales_order(ctx.uow, ctx.actor, number[:40])
            if order.status not in SHIPPABLE:
                return Step([ctx.say("ship_not_shippable", order=order)])
            if not _may_ship(ctx, order.warehouse):
                ctx.actor.require(Permission.SALES_SHIP, -1)
        except DomainError as error:
            if keep is not None and isinstance(error, UnknownDocument):
                return Step([refusal(ctx, error), ship_ask(ctx)], keep)
            return Step([refusal(ctx, error)], keep)
        lines = [{"sku": ln.sku, "name": product_name(ctx, ln.name_zh, ln.name_en), "left": str(ln.reserved_qty)}
                 for ln in order.lines if ln.reserved_qty > 0]
        keys = buttons([(button_label(ctx, "sales", "ship_all"), f"{self.key}:all"),
                        (button_label(ctx, "sales", "ship_each"), f"{self.key}:each")],
                       [(button_label(ctx, "sales", "cancel"), f"{self.key}:x")])
        state = {"step": "choose", "number": order.number, "lines": lines}
        return Step([ctx.say("ship_choose", keys, order=order,
                             lines=[{**ln, "left": Decimal(ln["left"])} for ln in lines])], state)

    def _ask_line(self, ctx: Context, state: dict[str, Any]) -> Step:
        line = state["lines"][state["index"]]
        keys = buttons([(button_label(ctx, "sales", "ship_full", qty=Decimal(line["left"])), f"{self.key}:full"),
                        (button_label(ctx, "sales", "ship_none"), f"{self.key}:none")],
                       [(button_label(ctx, "sales", "cancel"), f"{self.key}:x")])
        return Step([ctx.say("ship_line", keys, line={**line, "left": Decimal(line["left"])},
                             index=state["index"] + 1, count=len(state["lines"]))], state)

    def _ship(self, ctx: Context, state: dict[str, Any], lines: list[SalesLineIn] | None) -> Step:
        try:
            order = ship_sales_order(ctx.uow, ctx.actor, state["number"], lines)
        except DomainError as error:
            return Step([refusal(ctx, error)])
        return Step([ctx.say("ship_done", order=order)])
