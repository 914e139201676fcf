"""Customers and suppliers in chat: find by part of a name or code, then their recent history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.engine.flow import Context, Event, Step
from bot.engine.replies import buttons
from bot.flows.sales import MAX_CHOICES, customer_choices, customer_code, refusal
from core.errors import DomainError
from core.models import Supplier
from core.partners.directory import customer_history, find_suppliers, supplier_history

RECENT = 5


class CustomerFlow:
    """客户 / customer NAME: the customer's details and recent orders."""

    name = "customer"
    key = "cu"

    def start(self, ctx: Context, args: str) -> Step:
        """Search `args`, or ask what to search."""
        if not args.strip():
            return Step([ctx.say("customer_ask")], {"asking": True})
        return self._search(ctx, args.strip()[:64])

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """A name typed, or a customer button."""
        if event.button:
            return self.button(ctx, event.button)
        if event.text and event.text.strip():
            return self._search(ctx, event.text.strip()[:64])
        return Step([ctx.say("customer_ask")], state)

    def button(self, ctx: Context, payload: str) -> Step:
        """c<customer id>: that customer's history."""
        code = customer_code(ctx, payload[1:]) if payload.startswith("c") else None
        return self._history(ctx, code or "-")

    def _search(self, ctx: Context, query: str) -> Step:
        try:
            found, rows = customer_choices(ctx, self.key, query)
        except DomainError as error:
            return Step([refusal(ctx, error)])
        if not found:
            return Step([ctx.say("customer_none", query=query)], {"asking": True})
        if len(found) == 1:
            return self._history(ctx, found[0].code)
        return Step([ctx.say("partner_pick", rows, count=len(found), more=len(found) >= MAX_CHOICES)],
                    {"asking": True})

    def _history(self, ctx: Context, code: str) -> Step:
        try:
            history = customer_history(ctx.uow, ctx.actor, code)
        except DomainError as error:
            return Step([refusal(ctx, error)])
        return Step([ctx.say("customer_history", c=history.customer, orders=history.orders[:RECENT],
                             total=history.order_total)])


class SupplierFlow:
    """供应商 / supplier NAME: the supplier's details, recent orders, receipts and returns."""

    name = "supplier"
    key = "su"

    def start(self, ctx: Context, args: str) -> Step:
        """Search `args`, or ask what to search."""
        if not args.strip():
            return Step([ctx.say("supplier_ask")], {"asking": True})
        return self._search(ctx, args.strip()[:64])

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """A name typed, or a supplier button."""
        if event.button:
            return self.button(ctx, event.button)
        if event.text and event.text.strip():
            return self._search(ctx, event.text.strip()[:64])
        return Step([ctx.say("supplier_ask")], state)

    def button(self, ctx: Context, payload: str) -> Step:
        """s<supplier id>: that supplier's history."""
        code = None
        if payload.startswith("s") and payload[1:].isdigit():
            code = ctx.tx.session.scalar(select(Supplier.code).where(Supplier.id == int(payload[1:])))
        return self._history(ctx, code or "-")

    def _search(self, ctx: Context, query: str) -> Step:
        try:
            found = find_suppliers(ctx.uow, ctx.actor, query)[:MAX_CHOICES]
        except DomainError as error:
            return Step([refusal(ctx, error)])
        if not found:
            return Step([ctx.say("supplier_none", query=query)], {"asking": True})
        if len(found) == 1:
            return self._history(ctx, found[0].code)
        ids = dict(ctx.tx.session.execute(
            select(Supplier.code, Supplier.id).where(Supplier.code.in_([s.code for s in found]))).all())
        rows = tuple(buttons([(f"{s.code} {s.name}"[:40], f"{self.key}:s{ids[s.code]}")])[0] for s in found)
        return Step([ctx.say("partner_pick", rows, count=len(found), more=len(found) >= MAX_CHOICES)],
                    {"asking": True})

    def _history(self, ctx: Context, code: str) -> Step:
        try:
            history = supplier_history(ctx.uow, ctx.actor, code)
        except DomainError as error:
            return Step([refusal(ctx, error)])
        return Step([ctx.say("supplier_history", s=history.supplier, orders=history.orders[:RECENT],
                             receipts=history.receipts[:RECENT], h=history)])
