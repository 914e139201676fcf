"""Everyday flows: help, stock lookup with paging, switching language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.engine.flow import Context, Event, Flow, Step
from bot.engine.replies import CALLBACK_LIMIT, Button, buttons
from bot.flows.entry import button_number
from bot.flows.item import item_reply
from bot.flows.stock_table import stock_reply
from core.people.accounts import LANGUAGES, set_language
from core.permissions import Permission
from core.stock.levels import PAGE_SIZE, ProductStock, find_stock

SEARCH_LIMIT = 64  # longer text is not a product's name: find_stock reads no more of it
CARD_BUTTONS = 6  # this many products found or fewer: a button each opens its card (more would be a wall)


@dataclass(frozen=True)
class HelpGroup:
    """Commands of one kind of work: shown to people with one of `roles` (everyone when empty)."""

    key: str
    words: tuple[str, ...]  # what may follow 帮助 / help to open it
    roles: frozenset[str] = frozenset()


HELP_GROUPS = (
    HelpGroup("sales", ("销售", "sales", "sale"), frozenset({"admin", "manager", "sales", "warehouse", "finance"})),
    HelpGroup("warehouse", ("仓库", "warehouse", "stock"), frozenset({"admin", "manager", "warehouse"})),
    HelpGroup("purchasing", ("采购", "purchasing", "purchase"),
              frozenset({"admin", "manager", "purchaser", "finance"})),
    HelpGroup("approvals", ("审批", "价格", "approvals", "prices"), frozenset({"admin", "manager", "purchaser"})),
    HelpGroup("reports", ("报表", "打印", "reports", "print")),
    HelpGroup("admin", ("管理", "admin"), frozenset({"admin"})),
)
GROUPS_PER_ROW = 3


class HelpFlow(Flow):
    """What this person may do: one short message naming the commands by kind of work, a button per kind opening
    its uses with examples (the whole list was longer than one WeCom message for a manager)."""

    name = "help"
    key = "hp"

    def __init__(self, menu: list[dict[str, Any]]) -> None:
        self.menu = menu

    def start(self, ctx: Context, args: str) -> Step:
        """The commands by kind of work, or one kind's uses when `args` names it (帮助 仓库)."""
        groups = _groups_of(ctx)
        word = args.strip().lower()
        chosen = next((g for g in groups if word in g.words), None) if word else None
        if chosen is not None:
            return self._group(ctx, chosen.key, groups)
        keys = _group_keys(ctx, groups, self.key)
        first = ctx.text("help_group_name", group=groups[0].key)
        return Step([ctx.say("help", keys, name=ctx.actor.name, groups=[g.key for g in groups], first=first,
                             **_role_kinds(ctx))])

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """Help has no steps."""
        return self.start(ctx, "")

    def button(self, ctx: Context, payload: str) -> Step:
        """A kind of work's button: its uses; anything else (or a kind this reader does not have): the menu."""
        groups = _groups_of(ctx)
        if any(g.key == payload for g in groups):
            return self._group(ctx, payload, groups)
        return self.start(ctx, "")

    def _group(self, ctx: Context, key: str, groups: list[HelpGroup]) -> Step:
        others = [g for g in groups if g.key != key]
        return Step([ctx.say("help_group", _group_keys(ctx, others, self.key), group=key, **_role_kinds(ctx))])


def _groups_of(ctx: Context) -> list[HelpGroup]:
    roles = set(ctx.actor.roles)
    return [g for g in HELP_GROUPS if not g.roles or g.roles & roles]


def _role_kinds(ctx: Context) -> dict[str, bool]:
    """What the templates ask of the reader's roles within a kind of work."""
    roles = set(ctx.actor.roles)
    return {"seller": bool(roles & {"admin", "manager", "sales"}),
            "money": bool(roles & {"admin", "manager", "finance"}),
            "buyer": bool(roles & {"admin", "manager", "purchaser"}),
            "pricer": bool(roles & {"admin", "manager"})}


def _group_keys(ctx: Context, groups: list[HelpGroup], prefix: str) -> tuple[tuple[Button, ...], ...]:
    labels = [Button(ctx.text("help_group_name", group=g.key), f"{prefix}:{g.key}") for g in groups]
    return tuple(tuple(labels[i:i + GROUPS_PER_ROW]) for i in range(0, len(labels), GROUPS_PER_ROW))


class StockFlow(Flow):
    """Stock by SKU, barcode or name fragment, a page at a time, with the next page on a button."""

    name = "stock"
    permission = Permission.STOCK_VIEW
    key = "sk"

    def start(self, ctx: Context, args: str) -> Step:
        """Look up `args`, or ask what to look up."""
        if not args.strip():
            return Step([ctx.say("stock_ask")], {"asking": True})
        return self._page(ctx, args.strip(), 1)

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """A query typed after the question, or the next page."""
        if event.button and event.button.startswith("p") and state.get("query"):
            return self._page(ctx, state["query"], button_number(event.button[1:]) or 1)
        if event.text and event.text.strip():
            return self._page(ctx, event.text.strip(), 1)
        return Step([ctx.say("stock_ask")], state)

    def fallback(self, ctx: Context, text: str) -> Step | None:
        """A bare word: the products it finds, "none found" for a code that finds none; None for anything else (a
        greeting, a mistyped command), which the engine answers with the commands it resembles."""
        query = text.strip()
        searchable = len(query) >= (3 if query.isascii() else 2) and len(query) <= SEARCH_LIMIT
        if not searchable or not ctx.actor.can(Permission.STOCK_VIEW):
            return None
        found = find_stock(ctx.uow, ctx.actor, query)
        code_like = any(ch.isdigit() for ch in query) and " " not in query
        return self._page(ctx, query, 1, found) if found or code_like else None

    def button(self, ctx: Context, payload: str) -> Step:
        """A page button of an earlier lookup whose conversation ended."""
        return Step([ctx.say("stock_ask")], {"asking": True})

    def _page(self, ctx: Context, query: str, page: int, found: list[ProductStock] | None = None) -> Step:
        found = find_stock(ctx.uow, ctx.actor, query, page=page) if found is None else found
        if not found:
            return Step([ctx.say("stock_none", query=query)])
        if len(found) == 1 and page == 1:
            return Step([item_reply(ctx, found[0].sku)])
        more = len(found) == PAGE_SIZE
        cards = _card_keys(ctx, found) if page == 1 and len(found) <= CARD_BUTTONS else ()
        keys = cards + (buttons([(ctx.text("next_page"), f"{self.key}:p{page + 1}")]) if more else ())
        state = {"query": query, "page": page} if more else None
        return Step([stock_reply(ctx, found, query, page, keys, tap=bool(cards))], state)


def _card_keys(ctx: Context, found: list[ProductStock]) -> tuple[tuple[Button, ...], ...]:
    """One button per product found, opening its card, in the words of an order line's pick: name, available and
    the reader's price."""
    return tuple((Button(ctx.text("pick_button", choice=product), f"go:item {product.sku}"),) for product in found
                 if len(f"go:item {product.sku}".encode()) <= CALLBACK_LIMIT)


class LanguageFlow(Flow):
    """Switch between 中文 and English; remembered per employee."""

    name = "language"
    key = "lg"

    def start(self, ctx: Context, args: str) -> Step:
        """Set the language named, or offer both."""
        chosen = _language_named(args)
        if chosen:
            return self._set(ctx, chosen)
        choices = buttons([("中文", f"{self.key}:zh_CN"), ("English", f"{self.key}:en")])
        return Step([ctx.say("language_choose", choices)], {"choosing": True})

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """A button or a typed language name."""
        chosen = event.button if event.button in LANGUAGES else _language_named(event.text or "")
        if not chosen:
            return self.start(ctx, "")
        return self._set(ctx, chosen)

    def button(self, ctx: Context, payload: str) -> Step:
        """A language button pressed after the conversation moved on."""
        return self.resume(ctx, {}, Event(button=payload))

    def _set(self, ctx: Context, language: str) -> Step:
        set_language(ctx.uow, ctx.actor, language)
        return Step([ctx.with_language(language).say("language_set")])


def _language_named(text: str) -> str | None:
    word = text.strip().lower()
    if word in ("en", "english", "英文", "英语"):
        return "en"
    if word in ("zh", "zh_cn", "cn", "中文", "chinese", "汉语"):
        return "zh_CN"
    return None
