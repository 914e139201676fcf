"""Customers and suppliers in chat: find by part of a name or code, then their recent history (one flow, two kinds);
`客户 ACME 语言 en` / `customer ACME language zh_CN`: the language the customer's documents print in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.engine.flow import Context, Event, Flow, Step
from bot.engine.replies import Reply, buttons
from bot.flows.entry import button_number, refusal
from core.errors import DomainError
from core.partners.choices import PartnerKind, partner_choices, partner_code
from core.partners.customers import customer_history, update_customer
from core.partners.suppliers import supplier_history
from core.permissions import Permission

RECENT = 5
MAX_CHOICES = 8
MAX_QUERY = 64
KEYS: dict[str, str] = {"customer": "cu", "supplier": "su"}
LANGUAGE_WORDS = frozenset({"语言", "单据语言", "language", "lang"})


def customer_reply(ctx: Context, code: str) -> Reply:
    """The customer's details and recent orders."""
    history = customer_history(ctx.uow, ctx.actor, code)
    return ctx.say("customer_history", c=history.customer, orders=history.orders[:RECENT], total=history.order_total)


def supplier_reply(ctx: Context, code: str) -> Reply:
    """The supplier's details, recent orders, receipts and returns."""
    history = supplier_history(ctx.uow, ctx.actor, code)
    return ctx.say("supplier_history", s=history.supplier, orders=history.orders[:RECENT],
                   receipts=history.receipts[:RECENT], h=history)


HISTORIES: dict[str, Callable[[Context, str], Reply]] = {"customer": customer_reply, "supplier": supplier_reply}


class PartnerFlow(Flow):
    """客户 / customer NAME, 供应商 / supplier NAME: the partner's details and recent history."""

    permission = Permission.PARTNER_VIEW

    def __init__(self, kind: PartnerKind) -> None:
        self.kind: PartnerKind = kind
        self.name: str = kind
        self.prefix = kind[0]

    @property
    def key(self) -> str:
        """cu for customers, su for suppliers."""
        return KEYS[self.kind]

    def start(self, ctx: Context, args: str) -> Step:
        """Search `args`, or ask what to search; `客户 ACME 语言 en` sets the language of the customer's documents."""
        if not args.strip():
            return Step([ctx.say(f"{self.kind}_ask")], {"asking": True})
        words = args.split()
        if self.kind == "customer" and len(words) == 3 and words[1].lower() in LANGUAGE_WORDS:
            return self._language(ctx, words[0], words[2])
        return self._search(ctx, args.strip()[:MAX_QUERY])

    def _language(self, ctx: Context, code: str, language: str) -> Step:
        try:
            customer = update_customer(ctx.uow, ctx.actor, code, language=language)
        except DomainError as error:
            return Step([refusal(ctx, error)])
        return Step([ctx.say("customer_language_set", c=customer)])

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """A name typed, or a partner button."""
        if event.button:
            return self.button(ctx, event.button)
        if event.text and event.text.strip():
            return self._search(ctx, event.text.strip()[:MAX_QUERY])
        return Step([ctx.say(f"{self.kind}_ask")], state)

    def button(self, ctx: Context, payload: str) -> Step:
        """c<customer id> or s<supplier id>: that partner's history."""
        code, number = None, button_number(payload[1:])
        if payload.startswith(self.prefix) and number is not None:
            code = partner_code(ctx.uow, ctx.actor, self.kind, number)
        return self._history(ctx, code or "-")

    def _search(self, ctx: Context, query: str) -> Step:
        try:
            found = partner_choices(ctx.uow, ctx.actor, self.kind, query, MAX_CHOICES)
        except DomainError as error:
            return Step([refusal(ctx, error)])
        if not found:
            return Step([ctx.say(f"{self.kind}_none", query=query)], {"asking": True})
        if len(found) == 1:
            return self._history(ctx, found[0].code)
        rows = tuple(buttons([(f"{p.code} {p.name}"[:40], f"{self.key}:{self.prefix}{p.id}")])[0] for p in found)
        return Step([ctx.say("partner_pick", rows, count=len(found), more=len(found) >= MAX_CHOICES)],
                    {"asking": True})

    def _history(self, ctx: Context, code: str) -> Step:
        try:
            return Step([HISTORIES[self.kind](ctx, code)])
        except DomainError as error:
            return Step([refusal(ctx, error)])
