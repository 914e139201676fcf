"""Sales in chat: a new sales order step by step, my orders a page at a time, and shipping an order."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot.engine.flow import Context, Event, Step
from bot.engine.replies import Reply, buttons
from core.approvals.requests import waiting_role
from core.catalog.lines import entered_typed, split_line
from core.catalog.products import WarehouseRef, warehouses_for
from core.errors import DomainError, UnknownDocument
from core.numbers import ZERO, parse_quantity
from core.partners.choices import partner_choices, partner_code
from core.partners.customers import get_customer
from core.permissions import Permission
from core.sales.orders import PAGE_SIZE, create_sales_order, get_sales_order, list_sales_orders, submit_sales_order
from core.sales.pricing import quote_sales_line
from core.sales.records import SalesLineIn
from core.sales.shipments import SHIPPABLE, ship_sales_order

MAX_CHOICES = 8
MAX_CHAT_LINES = 50


def refusal(ctx: Context, error: DomainError) -> Reply:
    """A domain error in the reader's words."""
    return Reply(ctx.texts.error(ctx.lang, error))


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
    if not customer_id.isdigit():
        return None
    return partner_code(ctx.uow, ctx.actor, "customer", int(customer_id))


class SalesOrderFlow:
    """销售单 / so: customer, warehouse, lines, confirm, submit."""

    name = "sales"
    key = "so"

    def start(self, ctx: Context, args: str) -> Step:
        """Search the customer named in `args`, or ask for one."""
        ctx.actor.require(Permission.SALES_CREATE)
        state: dict[str, Any] = {"step": "customer"}
        if args.strip():
            return self._customer_search(ctx, state, args.strip())
        return Step([ctx.say("so_ask_customer")], state)

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """Whatever the step expects: a customer, a warehouse, a line, or a button."""
        step = state.get("step")
        pressed = event.button or ""
        if pressed == "x":
            return Step([ctx.say("cancelled")])
        if step == "customer":
            if pressed.startswith("c"):
                return self._customer_chosen(ctx, state, pressed[1:])
            if event.text and event.text.strip():
                return self._customer_search(ctx, state, event.text.strip())
            return Step([ctx.say("so_ask_customer")], state)
        if step == "warehouse":
            if pressed.startswith("w"):
                return self._warehouse_chosen(ctx, state, pressed[1:])
            return self._ask_warehouse(ctx, state, again=True)
        if step == "lines":
            if pressed == "more":
                return Step([ctx.say("so_ask_line")], state)
            if pressed == "done":
                return self._confirm(ctx, state)
            if event.text and event.text.strip():
                return self._add_line(ctx, state, event.text.strip())
            return self._lines_screen(ctx, state, ask=True)
        if step == "confirm":
            if pressed == "ok":
                return self._submit(ctx, state)
            if pressed == "more":
                state["step"] = "lines"
                return Step([ctx.say("so_ask_line")], state)
            if event.text and event.text.strip():
                state["step"] = "lines"
                return self._add_line(ctx, state, event.text.strip())
            return self._confirm(ctx, state)
        return Step([ctx.say("so_expired")])

    def button(self, ctx: Context, payload: str) -> Step:
        """A button of an order conversation that already ended."""
        return Step([ctx.say("so_expired")])

    # Steps

    def _customer_search(self, ctx: Context, state: dict[str, Any], query: str) -> Step:
        found, rows = customer_choices(ctx, self.key, query[:64])
        if not found:
            return Step([ctx.say("so_no_customer", query=query[:64])], state)
        if len(found) == 1:
            state.update(customer=found[0].code, customer_name=found[0].name)
            return self._ask_warehouse(ctx, state)
        cancel = buttons([(ctx.text("sales_button_cancel"), f"{self.key}:x")])
        return Step([ctx.say("so_pick_customer", rows + cancel, count=len(found), query=query[:64],
                             more=len(found) >= MAX_CHOICES)], state)

    def _customer_chosen(self, ctx: Context, state: dict[str, Any], customer_id: str) -> Step:
        try:
            customer = get_customer(ctx.uow, ctx.actor, customer_code(ctx, customer_id) or "-")
        except DomainError as error:
            return Step([refusal(ctx, error), ctx.say("so_ask_customer")], state)
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
        cancel = buttons([(ctx.text("sales_button_cancel"), f"{self.key}:x")])
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
        keys = buttons([(ctx.text("sales_button_add_more"), f"{self.key}:more"),
                        (ctx.text("sales_button_done"), f"{self.key}:done"),
                        (ctx.text("sales_button_cancel"), f"{self.key}:x")])
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
        keys = buttons([(ctx.text("sales_button_submit"), f"{self.key}:ok"),
                        (ctx.text("sales_button_add_more"), f"{self.key}:more"),
                        (ctx.text("sales_button_cancel"), f"{self.key}:x")])
        return Step([ctx.say("so_confirm", keys, **self._figures(state))], state)

    def _submit(self, ctx: Context, state: dict[str, Any]) -> Step:
        lines = [SalesLineIn(ln["sku"], ln["qty"], ln["price"], ln["unit"]) for ln in state["lines"]]

        def work(_tx: Any) -> Any:
            draft = create_sales_order(ctx.uow, ctx.actor, state["customer"], state["warehouse"], lines,
                                       channel=ctx.actor.channel)
            return submit_sales_order(ctx.uow, ctx.actor, draft.number)

        try:
            order = ctx.uow.run(work)  # one savepoint: a refused submit leaves no draft behind
        except DomainError as error:
            return Step([refusal(ctx, error), ctx.say("so_confirm_again")], state)
        if order.status == "approved":
            return Step([ctx.say("so_approved", order=order)])
        role = None if order.approval_request_id is None else waiting_role(ctx.uow, order.approval_request_id)
        return Step([ctx.say("so_pending", order=order, role=role, reasons=list(order.approval_reasons))])


class OrdersFlow:
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
        if payload.startswith("p") and payload[1:].isdigit():
            return self._page(ctx, int(payload[1:]))
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
            keys = buttons([(ctx.text("sales_button_ship"), f"sh:o{order.number}")])
        return Step([ctx.say("order_view", keys, order=order)], {"page": 1})


def _may_ship(ctx: Context, warehouse: str) -> bool:
    return any(w.code == warehouse for w in warehouses_for(ctx.uow, ctx.actor, Permission.SALES_SHIP))


class ShipFlow:
    """发货 / ship SO-...: everything outstanding, or line by line with quantities."""

    name = "ship"
    key = "sh"

    def start(self, ctx: Context, args: str) -> Step:
        """The order named, or ask for its number."""
        if not args.strip():
            return Step([ctx.say("ship_ask")], {"step": "number"})
        return self._show(ctx, args.split()[0])

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """An order number, a choice (all / line by line), or a quantity for the current line."""
        pressed = event.button or ""
        if pressed == "x":
            return Step([ctx.say("cancelled")])
        if pressed.startswith("o") and len(pressed) > 1:
            return self._show(ctx, pressed[1:])
        step = state.get("step")
        if step == "number":
            if event.text and event.text.strip():
                return self._show(ctx, event.text.split()[0], keep=state)
            return Step([ctx.say("ship_ask")], state)
        if step == "choose":
            if pressed == "all":
                return self._ship(ctx, state, None)
            if pressed == "each":
                state.update(step="line", index=0, picked={})
                return self._ask_line(ctx, state)
            return self._show(ctx, state["number"])
        if step == "line":
            line = state["lines"][state["index"]]
            if pressed in ("full", "none"):
                qty = Decimal(line["left"]) if pressed == "full" else ZERO
            elif event.text and event.text.strip():
                try:
                    qty = parse_quantity(event.text.strip(), allow_zero=True)
                except DomainError as error:
                    return Step([refusal(ctx, error), self._ask_line(ctx, state).replies[0]], state)
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
        return Step([ctx.say("ship_ask")], {"step": "number"})

    def button(self, ctx: Context, payload: str) -> Step:
        """'Ship' from an order view (o<number>); other buttons of an ended conversation start over."""
        if payload.startswith("o") and len(payload) > 1:
            return self._show(ctx, payload[1:])
        return Step([ctx.say("ship_ask")], {"step": "number"})

    def _show(self, ctx: Context, number: str, keep: dict[str, Any] | None = None) -> Step:
        try:
            order = get_sales_order(ctx.uow, ctx.actor, number[:40])
            if order.status not in SHIPPABLE:
                return Step([ctx.say("ship_not_shippable", order=order)])
            if not _may_ship(ctx, order.warehouse):
                ctx.actor.require(Permission.SALES_SHIP, -1)
        except DomainError as error:
            if keep is not None and isinstance(error, UnknownDocument):
                return Step([refusal(ctx, error), ctx.say("ship_ask")], keep)
            return Step([refusal(ctx, error)], keep)
        lines = [{"sku": ln.sku, "name": product_name(ctx, ln.name_zh, ln.name_en), "left": str(ln.reserved_qty)}
                 for ln in order.lines if ln.reserved_qty > 0]
        keys = buttons([(ctx.text("sales_button_ship_all"), f"{self.key}:all"),
                        (ctx.text("sales_button_ship_each"), f"{self.key}:each")],
                       [(ctx.text("sales_button_cancel"), f"{self.key}:x")])
        state = {"step": "choose", "number": order.number, "lines": lines}
        return Step([ctx.say("ship_choose", keys, order=order,
                             lines=[{**ln, "left": Decimal(ln["left"])} for ln in lines])], state)

    def _ask_line(self, ctx: Context, state: dict[str, Any]) -> Step:
        line = state["lines"][state["index"]]
        keys = buttons([(ctx.text("sales_button_ship_full", qty=Decimal(line["left"])), f"{self.key}:full"),
                        (ctx.text("sales_button_ship_none"), f"{self.key}:none")],
                       [(ctx.text("sales_button_cancel"), f"{self.key}:x")])
        return Step([ctx.say("ship_line", keys, line={**line, "left": Decimal(line["left"])},
                             index=state["index"] + 1, count=len(state["lines"]))], state)

    def _ship(self, ctx: Context, state: dict[str, Any], lines: list[SalesLineIn] | None) -> Step:
        try:
            order = ship_sales_order(ctx.uow, ctx.actor, state["number"], lines)
        except DomainError as error:
            return Step([refusal(ctx, error)])
        return Step([ctx.say("ship_done", order=order)])
