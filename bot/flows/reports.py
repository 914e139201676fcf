"""Reports and the dashboard in chat: choose a report and a month with buttons (or type them), add filters, get
a summary with a page of the table, the chart and the Excel file; 看板 / dashboard shows the day at a glance."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from bot.engine.flow import Command, Context, Event, Flow, Step
from bot.engine.replies import Button
from bot.flows.entry import button_label, button_number
from bot.reporting import TEXT_ROWS, dashboard_reply, report_replies
from core.errors import PermissionDenied
from core.permissions import Actor, Permission
from core.reporting.dashboard import read_dashboard
from core.reporting.periods import Filters, Period, Report, parse_period
from core.reporting.reports import may_run, run_report

CHAT_REPORTS = ("sales", "profit", "purchases", "stock", "slow-moving", "expiry", "lot-ageing", "ageing")
MONTHLY = frozenset({"sales", "profit", "purchases"})
FULL_ROWS = 2000
SALES_BY = ("product", "customer", "salesperson", "channel")
GROUPINGS: dict[str, tuple[str, ...]] = {"sales": SALES_BY, "profit": SALES_BY, "purchases": ("supplier", "product"),
                                         "stock": ("warehouse", "category")}
SALES_FILTERS = ("warehouse", "category", "customer", "salesperson", "channel")
FILTERS: dict[str, tuple[str, ...]] = {
    "sales": SALES_FILTERS, "profit": SALES_FILTERS, "purchases": ("warehouse", "category", "supplier"),
    "stock": ("warehouse", "category"), "slow-moving": ("warehouse", "category"), "expiry": ("warehouse", "category"),
    "lot-ageing": ("warehouse", "category"), "ageing": ("customer",),
}
REPORT_WORDS = {
    "sales": ("sales", "销售", "销售报表", "销售额", "销售汇总"),
    "profit": ("profit", "margin", "毛利", "利润", "毛利报表"),
    "purchases": ("purchases", "purchase", "采购", "采购报表", "采购汇总"),
    "stock": ("stock", "inventory", "库存", "库存报表"), "slow-moving": ("slow-moving", "slow", "滞销"),
    "expiry": ("expiry", "expiring", "临期", "效期", "临期报表"),
    "lot-ageing": ("lot-ageing", "lot-aging", "slow-lots", "批次库龄", "库龄", "批次滞销"),
    "ageing": ("ageing", "aging", "receivables", "账龄", "应收", "应收账龄"),
}
FILTER_WORDS = {
    "warehouse": ("warehouse", "仓库"), "category": ("category", "分类", "类别"), "customer": ("customer", "客户"),
    "salesperson": ("salesperson", "seller", "业务员", "销售员"), "channel": ("channel", "渠道"),
    "supplier": ("supplier", "供应商"),
}
PERIOD_WORDS = {"this": ("本月", "this", "this-month", "current"), "last": ("上月", "last", "last-month", "previous")}
MONTH = re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$")
WORD_OF = {w: name for name, words in REPORT_WORDS.items() for w in words}
FILTER_OF = {w: name for name, words in FILTER_WORDS.items() for w in words}
PERIOD_OF = {w: name for name, words in PERIOD_WORDS.items() for w in words}


class Misread(Exception):
    """Typed text the report dialogue could not use: `template` says why, in the reader's language."""

    def __init__(self, template: str, **values: Any) -> None:
        super().__init__(template)
        self.template, self.values = template, values


class ReportFlow(Flow):
    """报表 / report: which report, which month, optional filters and grouping, then summary, chart and Excel."""

    name = "report"
    key = "rp"

    def __init__(self, preset: str | None = None, name: str = "report", key: str = "rp") -> None:
        self.preset, self.name, self.key = preset, name, key

    def start(self, ctx: Context, args: str) -> Step:
        """Read whatever was typed after the command; run at once when report and month are both known."""
        state: dict[str, Any] = {"report": self.preset, "filters": {}}
        try:
            state = _read(args, state, ctx)
        except Misread as misread:
            return self._ask(ctx, {"report": self.preset, "filters": {}}, [ctx.say(misread.template,
                                                                                  **misread.values)])
        if state.get("report") and (state.get("period") or state["report"] not in MONTHLY) and args.strip():
            return self._run(ctx, state, 1)
        return self._ask(ctx, state)

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """A button (report, month, grouping, run, next page) or typed month and filters."""
        if event.button:
            return self._press(ctx, state, event.button)
        try:
            changed = _read(event.text or "", state, ctx)
        except Misread as misread:
            return self._ask(ctx, state, [ctx.say(misread.template, **misread.values)])
        return self._ask(ctx, changed)

    def button(self, ctx: Context, payload: str) -> Step:
        """A button of a report conversation that ended: a report choice starts again, anything else is stale."""
        if payload.startswith("r:"):
            return self._press(ctx, {"report": None, "filters": {}}, payload)
        return Step([ctx.say("report_expired")])

    def _press(self, ctx: Context, state: dict[str, Any], payload: str) -> Step:
        kind, _, value = payload.partition(":")
        state = {**state, "filters": dict(state.get("filters") or {})}
        if kind == "r" and value in CHAT_REPORTS:
            _require(ctx.actor, value)
            return self._ask(ctx, {"report": value, "filters": {}, "period": state.get("period")})
        if kind == "p" and value in PERIOD_WORDS:
            state["period"] = _named_month(value, _today(ctx)).label()
        elif kind == "b" and value in GROUPINGS.get(state.get("report") or "", ()):
            state["by"] = value
        elif kind == "go" and state.get("report"):
            return self._run(ctx, state, 1)
        elif kind == "n" and state.get("shown") and (page := button_number(value)) is not None:
            return self._run(ctx, state, page, attachments=False)
        return self._ask(ctx, state)

    def _ask(self, ctx: Context, state: dict[str, Any], before: list[Any] | None = None) -> Step:
        """The next question: which report, which month, or the options before running."""
        replies = list(before or [])
        report = state.get("report")
        if not report:
            choices = [r for r in CHAT_REPORTS if may_run(ctx.actor, r)]
            if not choices:
                return Step([*replies, ctx.say("report_none_allowed")])
            picks = [Button(ctx.text("report_title", name=r), f"{self.key}:r:{r}") for r in choices]
            rows = tuple(tuple(picks[i:i + 3]) for i in range(0, len(picks), 3))
            return Step([*replies, ctx.say("report_pick", rows)], {**state, "stage": "report"})
        title = ctx.text("report_title", name=report)
        if report in MONTHLY and not state.get("period"):
            months = ((Button(button_label(ctx, "report", "this"), f"{self.key}:p:this"),
                       Button(button_label(ctx, "report", "last"), f"{self.key}:p:last")),)
            return Step([*replies, ctx.say("report_period", months, title=title)], {**state, "stage": "period"})
        by = state.get("by") or _default_by(report)
        groupings = [Button(button_label(ctx, "report", "by", label=_label(ctx, d)), f"{self.key}:b:{d}")
                     for d in GROUPINGS.get(report, ()) if d != by]
        keys = ((Button(button_label(ctx, "report", "run"), f"{self.key}:go"),), *((tuple(groupings),) if groupings
                                                                              else ()))
        filters = [(_label(ctx, name), value) for name, value in sorted(state["filters"].items())]
        examples = ", ".join(ctx.text("report_filter_examples", name=f) for f in FILTERS[report][:3])
        reply = ctx.say("report_options", keys, title=title, period=state.get("period") or "",
                        by=_label(ctx, by) if by else "", filters=filters, examples=examples)
        return Step([*replies, reply], {**state, "stage": "options"})

    def _run(self, ctx: Context, state: dict[str, Any], page: int, attachments: bool = True) -> Step:
        """Run the report once (the whole table up to FULL_ROWS groups) and reply with a page of it."""
        report_name: str = state["report"]
        _require(ctx.actor, report_name)
        result = chat_report(ctx, report_name, state)
        notes = []
        if result.pages > 1:
            notes.append(ctx.text("report_truncated", rows=len(result.rows)))
        if report_name in ("sales", "profit") and not ctx.actor.can(Permission.SALES_VIEW_ALL):
            notes.append(ctx.text("report_own_only"))
        replies = report_replies(result, ctx.texts, ctx.lang, page=page, next_page=f"{self.key}:n:{page + 1}",
                                 notes=notes, attachments=attachments)
        more = len(result.rows) > page * TEXT_ROWS
        return Step(replies, {**state, "stage": "shown", "shown": True, "page": page} if more else None)


class DashboardFlow(Flow):
    """看板 / dashboard: today's and this month's sales, margin, stock value, low stock and approvals, as an image
    with one line of text."""

    name = "dashboard"
    key = "db"

    def start(self, ctx: Context, args: str) -> Step:
        """The dashboard now, as the reader may see it."""
        board = read_dashboard(ctx.uow, ctx.actor, timezone=ctx.texts.zone.key, today=_today(ctx))
        return Step([dashboard_reply(board, ctx.texts, ctx.lang)])

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """The dashboard keeps no state."""
        return self.start(ctx, "")

    def button(self, ctx: Context, payload: str) -> Step:
        """The dashboard has no buttons."""
        return self.start(ctx, "")


PRESETS = (("sales", "r1", ("销售报表",)), ("profit", "r2", ("毛利报表", "利润报表")),
           ("purchases", "r3", ("采购报表",)), ("stock", "r4", ("库存报表",)),
           ("expiry", "r5", ("临期报表", "expiry", "expiring")))
REPORT_COMMANDS: tuple[Command, ...] = (
    Command("report", ("report", "reports", "报表"), "Reports: sales, profit, stock... with chart and Excel / 报表"),
    *(Command(f"report_{name}", words, f"{name} report", menu=False) for name, _key, words in PRESETS),
    Command("dashboard", ("dashboard", "看板"), "Today at a glance / 看板"),
)


def report_flows() -> list[Flow]:
    """The report dialogue, its presets started by natural words (销售报表...), and the dashboard."""
    presets: list[Flow] = [ReportFlow(name, f"report_{name}", key) for name, key, _words in PRESETS]
    return [ReportFlow(), *presets, DashboardFlow()]


def chat_report(ctx: Context, name: str, state: dict[str, Any]) -> Report:
    """The report a conversation's state describes, as the reader may see it."""
    filters: dict[str, str] = state.get("filters") or {}
    period = parse_period(state["period"]) if state.get("period") else None
    by = state.get("by") or _default_by(name)
    wanted = {k: v for k, v in filters.items() if k in FILTERS[name]}
    return run_report(ctx.uow, ctx.actor, name, Filters(
        period=period, by=(by,) if by else (), page_size=FULL_ROWS, timezone=ctx.texts.zone.key,
        warehouse=wanted.get("warehouse"), category=wanted.get("category"), customer=wanted.get("customer"),
        supplier=wanted.get("supplier"), salesperson=wanted.get("salesperson"), channel=wanted.get("channel"),
        language=ctx.lang))


def _read(text: str, state: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Report word, month, 'by X' and 'FILTER value' pairs from typed text, onto a copy of the state."""
    spaced = re.sub(r"\b(this|last)\s+month\b", r"\1-month", text.strip(), flags=re.IGNORECASE)
    words = re.sub(r"(?<=\S)[:=：](?=\S)", " ", spaced).split()  # 客户:ACME (客户 alone starts the customer flow)
    changed = {**state, "filters": dict(state.get("filters") or {})}
    position = 0
    while position < len(words):
        word, lower = words[position], words[position].lower()
        following = words[position + 1] if position + 1 < len(words) else None
        position += 1
        if lower in WORD_OF:
            _require(ctx.actor, WORD_OF[lower])
            if changed.get("report") != WORD_OF[lower]:
                changed.update(report=WORD_OF[lower], by=None, filters={})
        elif lower in PERIOD_OF:
            changed["period"] = _named_month(PERIOD_OF[lower], _today(ctx)).label()
        elif any(ch.isdigit() for ch in word):
            changed["period"] = _month(word)
        elif lower in ("by", "按") or (lower.startswith("按") and len(lower) > 1):
            wanted = following if lower in ("by", "按") else lower[1:]
            position += 1 if lower in ("by", "按") else 0
            changed["by"] = _grouping(ctx, changed, (wanted or "").lower())
        elif lower in FILTER_OF and following is not None:
            position += 1
            changed["filters"][_filter(ctx, changed, FILTER_OF[lower])] = following
        else:
            raise Misread("report_not_understood", value=word[:40], examples=_examples(ctx, changed))
    return changed


def _month(word: str) -> str:
    found = MONTH.match(word)
    if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1900:
        raise Misread("report_bad_month", value=word[:20])
    return f"{int(found.group(1)):04d}-{int(found.group(2)):02d}"


def _named_month(which: str, today: date) -> Period:
    first = today.replace(day=1)
    if which == "last":
        first = (first - timedelta(days=1)).replace(day=1)
    return parse_period(f"{first:%Y-%m}")


def _grouping(ctx: Context, state: dict[str, Any], wanted: str) -> str:
    names = {**{d: d for d in (*SALES_BY, "supplier", "warehouse", "category")},
             "商品": "product", "客户": "customer", "业务员": "salesperson", "渠道": "channel", "供应商": "supplier",
             "仓库": "warehouse", "分类": "category"}
    dimension = names.get(wanted)
    if dimension is None or dimension not in GROUPINGS.get(state.get("report") or "", ()):
        raise Misread("report_not_understood", value=wanted[:40] or "by", examples=_examples(ctx, state))
    return dimension


def _filter(ctx: Context, state: dict[str, Any], name: str) -> str:
    report = state.get("report") or "sales"
    if name not in FILTERS[report]:
        raise Misread("report_no_filter", title=ctx.text("report_title", name=report), label=_label(ctx, name))
    return name


def _examples(ctx: Context, state: dict[str, Any]) -> str:
    names = FILTERS[state.get("report") or "sales"][:3]
    return ", ".join(ctx.text("report_filter_examples", name=n) for n in names)


def _label(ctx: Context, column: str) -> str:
    return ctx.text("report_column", name=column)


def _default_by(report: str) -> str | None:
    groupings = GROUPINGS.get(report)
    return groupings[0] if groupings else None


def _today(ctx: Context) -> date:
    return ctx.now.astimezone(ctx.texts.zone).date()


def _require(actor: Actor, report: str) -> None:
    if not may_run(actor, report):
        raise PermissionDenied(employee=actor.name, permission=f"report.{report}", warehouse_id=None)


__all__ = ["REPORT_COMMANDS", "DashboardFlow", "ReportFlow", "chat_report", "report_flows"]
