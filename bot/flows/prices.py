"""价格 / prices (admins and managers): a price list's rules listed, added in one line, removed by a button, and a
customer put in a price grade.

    价格 VIP                      the rules of grade VIP (or of a customer, a product, a category)
    价格 VIP MUG 15 10起          VIP pays 15.00 for MUG from 10 (who: grade or customer code, 全部 = everyone;
    价格 ACME CUPS 90%            what: SKU or category code, 全部 = every product; how: a price, a percentage of
    价格 批发 全部 成本+25% 2026-12-01~2026-12-31   the list price, or cost plus a margin; then a quantity break
    价格 等级 ACME VIP            and dates), and a customer's grade (- for none);
    价格 税率 MUG 13              a product's or category's VAT rate (none: the default)."""

from __future__ import annotations

import re
from typing import Any

from bot.engine.flow import Context, Event, Flow, Step
from bot.engine.replies import buttons
from bot.flows.entry import button_label, button_number
from core.errors import InvalidPriceRule
from core.permissions import Permission
from core.sales.price_lists import (
    PriceRuleIn,
    PriceRuleView,
    add_price_rules,
    list_price_rules,
    remove_price_rule,
    set_price_grade,
)
from core.sales.tax import set_vat_rate

EVERY = frozenset({"全部", "所有", "*", "all", "everyone", "any"})
GRADE_WORDS = frozenset({"等级", "grade"})
VAT_WORDS = frozenset({"税率", "vat", "tax"})
NO_GRADE = frozenset({"-", "无", "none"})
MAX_BUTTONS = 8
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)%")
_COST_PLUS = re.compile(r"(?:成本|cost)\s*(?:\+|加)\s*(\d+(?:\.\d+)?)%?", re.IGNORECASE)
_FROM = re.compile(r"(?:(\d+(?:\.\d+)?)(?:件|个)?起|(?:from|≥|>=)\s*(\d+(?:\.\d+)?))", re.IGNORECASE)
_DATES = re.compile(r"(\d{4}-\d{2}-\d{2})?~(\d{4}-\d{2}-\d{2})?")
_JOINED = re.compile(r"(from|≥|>=|~)\s+|\s+(?=(?:件|个)?起)|(?<=\d{4}-\d{2}-\d{2})\s+(?=~)", re.IGNORECASE)


def parse_rule(words: list[str]) -> PriceRuleIn:
    """WHO WHAT HOW [N起 | from N] [FROM~TO]: a rule as typed; its codes and figures are checked by the service."""
    if len(words) < 3:
        raise InvalidPriceRule(reason="format")
    who, what, how, rest = words[0], words[1], words[2], " ".join(words[3:])
    method, value = _how(how)
    min_qty: object = 0
    start = end = None
    for token in _JOINED.sub(r"\1", rest).split():
        if (quantity := _FROM.fullmatch(token)) is not None:
            min_qty = quantity.group(1) or quantity.group(2)
        elif (dates := _DATES.fullmatch(token)) is not None:
            start, end = dates.group(1), dates.group(2)
        else:
            raise InvalidPriceRule(reason="format")
    return PriceRuleIn(method, value, min_qty=min_qty, valid_from=start, valid_to=end,
                       who=None if who.lower() in EVERY else who, what=None if what.lower() in EVERY else what)


def _how(how: str) -> tuple[str, str]:
    if (cost := _COST_PLUS.fullmatch(how)) is not None:
        return "cost_plus", cost.group(1)
    if (percent := _PERCENT.fullmatch(how)) is not None:
        return "percent", percent.group(1)
    return "fixed", how


class PriceListFlow(Flow):
    """价格 / prices: list, add and remove price rules, and set a customer's grade."""

    name = "prices"
    permission = Permission.PRICES_EDIT
    key = "pl"

    def start(self, ctx: Context, args: str) -> Step:
        """The help, the rules of what is named, a rule added, or a customer's grade set."""
        ctx.actor.require(Permission.PRICES_EDIT)
        words = args.split()
        if not words:
            return Step([ctx.say("prices_help")])
        if words[0].lower() in GRADE_WORDS:
            return self._grade(ctx, words[1:])
        if words[0].lower() in VAT_WORDS and len(words) in (2, 3):
            rate = set_vat_rate(ctx.uow, ctx.actor, words[1], words[2] if len(words) == 3 else None)
            return Step([ctx.say("prices_vat_set", code=words[1], rate=rate)])
        if len(words) == 1:
            return self._list(ctx, words[0])
        added = add_price_rules(ctx.uow, ctx.actor, [parse_rule(words)])[0]
        return Step([ctx.say("prices_added", rule=added)])

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """No conversation to resume: a button, else the help."""
        return self.button(ctx, event.button) if event.button else Step([ctx.say("prices_help")])

    def button(self, ctx: Context, payload: str) -> Step:
        """d<id>: remove that rule."""
        number = button_number(payload[1:]) if payload.startswith("d") else None
        if number is None:
            return Step([ctx.say("prices_help")])
        remove_price_rule(ctx.uow, ctx.actor, number)
        return Step([ctx.say("prices_removed", rule_id=number)])

    def _list(self, ctx: Context, of: str) -> Step:
        found: list[PriceRuleView] = list_price_rules(ctx.uow, ctx.actor, of=of)
        if not found:
            return Step([ctx.say("prices_none", of=of[:40])])
        keys = tuple(buttons([(button_label(ctx, "prices", "delete", rule_id=r.id), f"{self.key}:d{r.id}")])[0]
                     for r in found[:MAX_BUTTONS])
        return Step([ctx.say("prices_list", keys, of=of[:40], rules=found)])

    def _grade(self, ctx: Context, words: list[str]) -> Step:
        if not 1 <= len(words) <= 2:
            return Step([ctx.say("prices_help")])
        grade = None if len(words) == 1 or words[1].lower() in NO_GRADE else words[1]
        stored = set_price_grade(ctx.uow, ctx.actor, words[0], grade)
        return Step([ctx.say("prices_grade_set", customer=words[0].upper(), grade=stored)])
