"""Sales orders after they are written: my orders and the orders waiting to ship as cards a page at a time, one
order in full, withdrawing a waiting order (then submitting it again or cancelling it), and shipping."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from bot.engine.flow import Context, Event, Flow, Step, StepHandler
from bot.engine.replies import Button, Reply, buttons
from bot.flows.cards import PER_PAGE, Card, CardAction, card_page, print_action
from bot.flows.entry import button_label, button_number, refusal
from bot.flows.sales import product_name, ship_ask, submitted
from core.catalog.products import warehouses_for
from core.errors import DomainError, UnknownDocument
from core.numbers import ZERO, parse_quantity
from core.permissions import Actor, Permission
from core.sales.orders import (
    cancel_sales_order,
    get_sales_order,
    sales_order_page,
    submit_sales_order,
    withdraw_sales_order,
)
from core.sales.records import SalesLineIn
from core.sales.shipments import SHIPPABLE, ship_sales_order
from core.sales.views import SalesOrderSummary, SalesOrderView


def ship_codes(ctx: Context) -> set[str]:
    """The warehouses (codes) in which the reader may ship."""
    return {w.code for w in warehouses_for(ctx.uow, ctx.actor, Permission.SALES_SHIP)}


def _card(summary: SalesOrderSummary, actions: tuple[CardAction, ...]) -> Card:
    return Card(summary.number, summary.customer_name, summary.total, summary.status, summary.created_at, actions)


class OrdersFlow(Flow):
    """我的订单 / orders: my sales orders as cards a page at a time, each with its next action; one order in full."""

    name = "orders"
    key = "od"

    def permitted(self, actor: Actor) -> bool:
        """Anyone who may read sales orders: their own or everyone's."""
        return actor.can(Permission.SALES_VIEW_OWN) or actor.can(Permission.SALES_VIEW_ALL)

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
        """p<page>, v<number> (see it), w<number> (withdraw), s<number> (submit again), c<number> (cancel)."""
        page = button_number(payload[1:])
        if payload.startswith("p") and page is not None:
            return self._page(ctx, page)
        acts = {"v": self._one, "w": self._withdraw, "s": self._resubmit, "c": self._void}
        if payload[:1] in acts and len(payload) > 1:
            return acts[payload[:1]](ctx, payload[1:])
        return self._page(ctx, 1)

    def _page(self, ctx: Context, page: int) -> Step:
        found = sales_order_page(ctx.uow, ctx.actor, page, PER_PAGE)
        if not found.orders:
            return Step([ctx.say("orders_none", page=page)])
        ships = ship_codes(ctx)
        cards = [_card(o, self._actions(ctx, o, ships)) for o in found.orders]
        more = f"{self.key}:p{page + 1}" if found.more else None
        return Step([card_page(ctx, "orders_title", cards, more, page=page)], {"page": page})

    def _actions(self, ctx: Context, order: SalesOrderSummary, ships: set[str]) -> tuple[CardAction, ...]:
        """Details, and the one thing to do next: withdraw my waiting order, or ship it."""
        actions = [CardAction(button_label(ctx, "sales", "view"), f"{self.key}:v{order.number}")]
        if order.status == "pending_approval" and order.salesperson == ctx.actor.name:
            actions.append(CardAction(button_label(ctx, "sales", "withdraw"), f"{self.key}:w{order.number}"))
        elif order.status in SHIPPABLE and ships:
            actions.append(CardAction(button_label(ctx, "sales", "ship"), f"sh:o{order.number}"))
        return tuple(actions)

    def _one(self, ctx: Context, number: str) -> Step:
        try:
            order = get_sales_order(ctx.uow, ctx.actor, number[:40])
        except DomainError as error:
            return Step([refusal(ctx, error)], {"page": 1})
        keys = (*self._keys(ctx, order), (Button(print_action(ctx, order.number).label, f"pr:{order.number}"),))
        return Step([ctx.say("order_view", keys, order=order)], {"page": 1})

    def _keys(self, ctx: Context, order: SalesOrderView) -> tuple[tuple[Any, ...], ...]:
        if order.status == "pending_approval" and order.salesperson == ctx.actor.name:
            return buttons([(button_label(ctx, "sales", "withdraw"), f"{self.key}:w{order.number}")])
        if order.status == "draft" and order.salesperson == ctx.actor.name:
            return self._draft_keys(ctx, order.number)
        if order.status in SHIPPABLE and order.warehouse in ship_codes(ctx):
            return buttons([(button_label(ctx, "sales", "ship"), f"sh:o{order.number}")])
        return ()

    def _draft_keys(self, ctx: Context, number: str) -> tuple[tuple[Any, ...], ...]:
        return buttons([(button_label(ctx, "sales", "resubmit"), f"{self.key}:s{number}"),
                        (button_label(ctx, "sales", "void"), f"{self.key}:c{number}")])

    def _withdraw(self, ctx: Context, number: str) -> Step:
        try:
            order = withdraw_sales_order(ctx.uow, ctx.actor, number[:40])
        except DomainError as error:
            return Step([refusal(ctx, error)], {"page": 1})
        return Step([ctx.say("so_withdrawn", self._draft_keys(ctx, order.number), order=order)], {"page": 1})

    def _resubmit(self, ctx: Context, number: str) -> Step:
        try:
            order = submit_sales_order(ctx.uow, ctx.actor, number[:40])
        except DomainError as error:
            return Step([refusal(ctx, error)], {"page": 1})
        return Step([submitted(ctx, order)], {"page": 1})

    def _void(self, ctx: Context, number: str) -> Step:
        try:
            order = cancel_sales_order(ctx.uow, ctx.actor, number[:40])
        except DomainError as error:
            return Step([refusal(ctx, error)], {"page": 1})
        return Step([ctx.say("so_voided", order=order)], {"page": 1})


class ShipFlow(Flow):
    """发货 / ship: the orders waiting to ship as cards; 发货 SO-...: everything outstanding, or line by line."""

    name = "ship"
    permission = Permission.SALES_SHIP
    key = "sh"

    def start(self, ctx: Context, args: str) -> Step:
        """The order named, or the orders waiting to ship (a number may be typed)."""
        if not args.strip():
            return self._waiting(ctx, 1)
        return self._show(ctx, args.split()[0])

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """Cancel, another order's button or a page on any step; else an order number, a choice (all / line by
        line), or a quantity for the current line."""
        pressed = event.button or ""
        if pressed == "x":
            return Step([ctx.say("cancelled")])
        if pressed.startswith("o") and len(pressed) > 1:
            return self._show(ctx, pressed[1:])
        if pressed.startswith("p") and button_number(pressed[1:]):
            return self._waiting(ctx, button_number(pressed[1:]) or 1)
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

    def button(self, ctx: Context, payload: str) -> Step:
        """'Ship' from a card or an order view (o<number>), a page of the list (p<page>); other buttons of an ended
        conversation show the list."""
        if payload.startswith("o") and len(payload) > 1:
            return self._show(ctx, payload[1:])
        page = button_number(payload[1:]) if payload.startswith("p") else None
        return self._waiting(ctx, page or 1)

    def _waiting(self, ctx: Context, page: int) -> Step:
        """The orders waiting to ship from the reader's warehouses, oldest first, each with a Ship button."""
        ids = [w.id for w in warehouses_for(ctx.uow, ctx.actor, Permission.SALES_SHIP)]
        if not ids:
            ctx.actor.require(Permission.SALES_SHIP, -1)
        found = sales_order_page(ctx.uow, ctx.actor, page, PER_PAGE, statuses=sorted(SHIPPABLE), warehouses=ids,
                                 oldest_first=True)
        if not found.orders:
            return Step([ctx.say("ship_none_waiting", page=page)], {"step": "number"})
        label = button_label(ctx, "sales", "ship")
        cards = [_card(o, (CardAction(label, f"{self.key}:o{o.number}"),)) for o in found.orders]
        more = f"{self.key}:p{page + 1}" if found.more else None
        return Step([card_page(ctx, "ship_list_title", cards, more, page=page)], {"step": "number"})

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

    def _show(self, ctx: Context, number: str, keep: dict[str, Any] | None = None) -> Step:
        try:
            order = get_sales_order(ctx.uow, ctx.actor, number[:40])
            if order.status not in SHIPPABLE:
                return Step([ctx.say("ship_not_shippable", order=order)])
            if order.warehouse not in ship_codes(ctx):
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
        printing = buttons([(print_action(ctx, order.number).label, f"pr:{order.number}")])  # the 送货单 to go along
        return Step([ctx.say("ship_done", printing, order=order)])
