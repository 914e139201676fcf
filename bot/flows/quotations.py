"""报价 / quote: a quotation entered like a sales order (customer, warehouse, lines priced at the customer's price
list, confirm), then written instead of submitted; 报价单 / quotes: a customer's open quotations, each turned into
a sales order at its prices with one tap while valid."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from bot.engine.flow import Context, Flow, Step
from bot.engine.replies import buttons
from bot.flows.cards import print_action
from bot.flows.entry import button_label, first_word, page_keys
from bot.flows.sales import SalesOrderFlow, submitted
from core.permissions import Permission
from core.sales.quotations import (
    QuotationView,
    cancel_quotation,
    create_quotation,
    get_quotation,
    list_quotations,
    order_quotation,
)
from core.sales.records import SalesLineIn

MAX_LISTED = 8


def quotation_keys(ctx: Context, quotation: QuotationView, *, send: bool = False) -> tuple[tuple[Any, ...], ...]:
    """Order it and cancel it (while valid), and its PDF: "send as PDF" right after it is written, else Print."""
    pdf = (button_label(ctx, "quotation", "send_pdf") if send else print_action(ctx, quotation.number).label,
           f"pr:{quotation.number}")
    if not quotation.valid:
        return buttons([pdf])
    return buttons([(button_label(ctx, "quotation", "order"), f"qt:o{quotation.number}"),
                    (button_label(ctx, "quotation", "cancel"), f"qt:c{quotation.number}")], [pdf])


class QuotationFlow(SalesOrderFlow):
    """报价 / quote: customer, warehouse, lines, confirm, write the quotation."""

    name = "quotation"
    key = "qt"
    asks: Mapping[str, str] = MappingProxyType({"start": "qt_ask_customer", "confirm": "qt_confirm",
                                                "again": "qt_confirm_again", "over": "qt_expired"})

    def start(self, ctx: Context, args: str) -> Step:
        """Search the customer named in `args`, or ask for one (or open the quotation page)."""
        ctx.actor.require(Permission.SALES_CREATE)
        state: dict[str, Any] = {"step": "customer"}
        if args.strip():
            return self._customer_search(ctx, state, args.strip())
        return Step([ctx.say("qt_ask_customer", page_keys(ctx, "quotation", "/app/quote"))], state)

    def button(self, ctx: Context, payload: str) -> Step:
        """o<number>: order the quotation; c<number>: cancel it."""
        if payload.startswith("o") and len(payload) > 1:
            return Step([submitted(ctx, order_quotation(ctx.uow, ctx.actor, payload[1:], ctx.actor.channel))])
        if payload.startswith("c") and len(payload) > 1:
            return Step([ctx.say("qt_cancelled", quotation=cancel_quotation(ctx.uow, ctx.actor, payload[1:]))])
        return Step([ctx.say("qt_expired")])

    def _submit(self, ctx: Context, state: dict[str, Any]) -> Step:
        lines = [SalesLineIn(ln["sku"], ln["qty"], ln["price"], ln["unit"]) for ln in state["lines"]]
        quotation = create_quotation(ctx.uow, ctx.actor, state["customer"], state["warehouse"], lines)
        return Step([ctx.say("qt_created", quotation_keys(ctx, quotation, send=True), quotation=quotation)])


class QuotationsFlow(Flow):
    """报价单 / quotes [CUSTOMER]: the open quotations (a customer's), each with its Order and Print buttons;
    报价单 QT-...: that quotation's card."""

    name = "quotations"
    permission = Permission.SALES_CREATE
    key = "ql"

    def start(self, ctx: Context, args: str) -> Step:
        """The open quotations the reader may see, newest first; one quotation when a QT- number is named."""
        customer = first_word(args).upper()
        if customer.startswith("QT-"):
            quotation = get_quotation(ctx.uow, ctx.actor, customer)
            return Step([ctx.say("qt_card", quotation_keys(ctx, quotation), quotation=quotation)])
        found = list_quotations(ctx.uow, ctx.actor, customer or None)
        if not found:
            return Step([ctx.say("qt_none", customer=customer)])
        keys = tuple(buttons([(button_label(ctx, "quotation", "order_number", number=q.number), f"qt:o{q.number}"),
                              (print_action(ctx, q.number).label, f"pr:{q.number}")])[0]
                     for q in found[:MAX_LISTED])
        return Step([ctx.say("qt_list", keys, quotations=found, customer=customer)])
