"""Saved reports in chat: 我的报表 / saved reports lists them (run, schedule, delete with a tap); a manager creates one
step by step (report, grouping, filters, period, name) and schedules its delivery to chosen employees."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from bot.engine.flow import Context, Event, Flow, Step, StepHandler
from bot.engine.replies import Button, Reply
from bot.flows.entry import button_label, button_number, refusal
from bot.report_delivery import ROWS, report_replies
from core.errors import DomainError
from core.permissions import Permission
from core.reporting.report_definitions import (
    DATED,
    DIMENSIONS,
    FILTERS,
    RELATIVE_PERIODS,
    Definition,
    check_definition,
    resolve_period,
)
from core.reporting.reports import may_run
from core.reporting.saved import delete_report, get_report, list_reports, run_saved_report, save_report
from core.reporting.schedules import (
    FORMATS,
    FREQUENCIES,
    ScheduleView,
    list_schedules,
    report_recipients,
    schedule_report,
    unschedule,
)

SAVABLE = ("sales", "profit", "purchases", "stock", "slow-moving", "ageing")
MAX_DIMENSIONS = 2
MAX_LISTED = 20
MAX_PEOPLE = 24
TIMES = ("08:00", "09:00", "12:00", "18:00")
MONTH_DAYS = (1, 15, 31)
FILTER_WORDS = {"仓库": "warehouse", "分类": "category", "类别": "category", "客户": "customer", "供应商": "supplier",
                "业务员": "salesperson", "销售员": "salesperson", "渠道": "channel", "商品": "product"}
_PAIR = re.compile(r"^\s*([^=:：\s]+)\s*[=:：]\s*(\S+)\s*$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")
_TIME = re.compile(r"^\d{1,2}[:：]\d{2}$")
Answer = Callable[[Context, dict[str, Any], str | None, str], Step]  # a button value or the text typed
HINTED = frozenset({"filters", "period", "name"})  # steps whose refusal is followed by their question again
LIST_WORDS = frozenset({"", "reports", "report", "list", "报表", "列表"})
NEW_WORDS = frozenset({"new", "新建", "创建"})

Keys = tuple[tuple[Button, ...], ...]


def rows_of(keys: list[Button], width: int = 3) -> Keys:
    """Buttons laid out `width` to a row."""
    return tuple(tuple(keys[i:i + width]) for i in range(0, len(keys), width))


def label(ctx: Context, kind: str, value: str) -> str:
    """A report, grouping, period, frequency... in the reader's words (template sr_label)."""
    return ctx.text("sr_label", kind=kind, value=value)


def describe(ctx: Context, definition: Definition) -> dict[str, Any]:
    """A definition's parts in words, for the templates."""
    return {"report": label(ctx, "report", definition.report),
            "by": [label(ctx, "dimension", d) for d in definition.by],
            "filters": [(label(ctx, "filter", k), v) for k, v in definition.filters.items()],
            "period": label(ctx, "period", definition.period) if definition.period else ""}


def timing(ctx: Context, schedule: ScheduleView) -> dict[str, str]:
    """Who gets a schedule, when and how, in words."""
    day = ""
    if schedule.weekday is not None:
        day = label(ctx, "weekday", str(schedule.weekday))
    elif schedule.day_of_month is not None:
        day = label(ctx, "month_day", str(schedule.day_of_month))
    return {"recipient": schedule.recipient, "frequency": label(ctx, "frequency", schedule.frequency), "day": day,
            "at": schedule.at_time, "format": label(ctx, "format", schedule.format)}


class SavedReportsFlow(Flow):
    """我的报表 / saved reports [NAME | new]: the list, a run by name, or a new saved report."""

    name = "savedreports"
    key = "sr"

    def start(self, ctx: Context, args: str) -> Step:
        """The list, a new report ("new"/"新建"), or run the report named."""
        word = args.strip()
        if word.lower() in LIST_WORDS:
            return self._list(ctx)
        if word.lower() in NEW_WORDS:
            return self._new(ctx)
        return self._run(ctx, word)

    def button(self, ctx: Context, payload: str) -> Step:
        """r<id> run, s<id> schedule, u<id> stop its deliveries, d<id> delete (y<id> confirms), new, list."""
        kind, number = payload[:1], payload[1:]
        if payload == "new":
            return self._new(ctx)
        report_id = button_number(number)
        if report_id is not None and kind and kind in "rsudy":
            actions = {"r": self._run, "s": self._schedule, "u": self._unschedule, "d": self._confirm_delete,
                       "y": self._delete}
            return actions[kind](ctx, report_id)
        return self._list(ctx)

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """The next answer of the create or schedule dialogue; any other button as from the list."""
        if event.button and "." not in event.button:
            return self.button(ctx, event.button)
        return super().resume(ctx, state, event)

    def steps(self) -> Mapping[str, StepHandler]:
        """Each step of the create and schedule dialogues, answered by a button of its prefixes or typed text."""
        answers: dict[str, tuple[str, Answer]] = {
            "report": ("k", self._on_report), "by": ("b", self._on_by), "filters": ("f", self._on_filters),
            "period": ("p", self._on_period), "name": ("", self._on_name), "who": ("w", self._on_who),
            "frequency": ("q", self._on_frequency), "day": ("xm", self._on_day), "time": ("t", self._on_time),
            "format": ("o", self._on_format)}
        return {step: partial(self._answer, prefixes, handler) for step, (prefixes, handler) in answers.items()}

    def _answer(self, prefixes: str, handler: Answer, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        if event.button:
            prefix, _, value = event.button.partition(".")
            if not prefix or prefix not in prefixes:  # a button of an earlier step: ask this step again
                return self._ask_again(ctx, state)
            return handler(ctx, state, value, "")
        text = (event.text or "").strip()
        return handler(ctx, state, None, text) if text else self._ask_again(ctx, state)

    def hint(self, ctx: Context, state: dict[str, Any], error: DomainError) -> list[Reply]:
        """Filters, a period or a name refused: ask for it again."""
        return self._ask_again(ctx, state).replies if state["step"] in HINTED else []

    def _ask_again(self, ctx: Context, state: dict[str, Any]) -> Step:
        asks = {"report": self._ask_report, "by": self._ask_by, "filters": self._ask_filters,
                "period": self._ask_period, "name": self._ask_name, "who": self._ask_who,
                "frequency": self._ask_frequency, "day": self._ask_day, "time": self._ask_time,
                "format": self._ask_format}
        return asks[state["step"]](ctx, state)

    # ---- list, run, delete -----------------------------------------------------------------------------------------

    def _list(self, ctx: Context) -> Step:
        found = list_reports(ctx.uow, ctx.actor)
        manages = ctx.actor.can(Permission.REPORT_MANAGE)
        keys: list[tuple[Button, ...]] = []
        for saved in found[:MAX_LISTED]:
            row = [Button(f"▶ {saved.name}", f"{self.key}:r{saved.id}")]
            if manages:
                row += [Button("⏰", f"{self.key}:s{saved.id}"), Button("🗑", f"{self.key}:d{saved.id}")]
            keys.append(tuple(row))
        if manages:
            keys.append((Button(button_label(ctx, "sr", "new"), f"{self.key}:new"),))
        items = [{"name": s.name, "owner": s.owner, **describe(ctx, s.definition)} for s in found[:MAX_LISTED]]
        return Step([ctx.say("sr_list", tuple(keys), items=items, count=len(found), manages=manages)])

    def _run(self, ctx: Context, name_or_id: str | int) -> Step:
        try:
            run = run_saved_report(ctx.uow, ctx.actor, name_or_id, now=ctx.now, timezone=ctx.texts.zone.key,
                                   page_size=ROWS)
        except DomainError as error:
            return Step([refusal(ctx, error)])
        own = run.report.code in ("report.sales", "report.profit") and not ctx.actor.can(Permission.SALES_VIEW_ALL)
        notes = [ctx.text("report_own_only")] if own else []
        return Step(report_replies(ctx.texts, ctx.lang, run.saved.name, run.report, notes=notes))

    def _confirm_delete(self, ctx: Context, report_id: int) -> Step:
        ctx.actor.require(Permission.REPORT_MANAGE)
        saved = get_report(ctx.uow, ctx.actor, report_id)
        keys = ((Button(button_label(ctx, "sr", "delete"), f"{self.key}:y{report_id}"),
                 Button(button_label(ctx, "sr", "keep"), f"{self.key}:list")),)
        return Step([ctx.say("sr_confirm_delete", keys, name=saved.name)])

    def _delete(self, ctx: Context, report_id: int) -> Step:
        try:
            name = delete_report(ctx.uow, ctx.actor, report_id)
        except DomainError as error:
            return Step([refusal(ctx, error)])
        return Step([ctx.say("sr_deleted", name=name)])

    # ---- create: report, grouping, filters, period, name -------------------------------------------------------

    def _new(self, ctx: Context) -> Step:
        ctx.actor.require(Permission.REPORT_MANAGE)
        return self._ask_report(ctx, {"step": "report"})

    def _ask_report(self, ctx: Context, state: dict[str, Any]) -> Step:
        keys = [Button(label(ctx, "report", r), f"{self.key}:k.{r}")
                for r in SAVABLE if may_run(ctx.actor, r)]
        return Step([ctx.say("sr_ask_report", rows_of(keys, 2))], state)

    def _on_report(self, ctx: Context, state: dict[str, Any], value: str | None, text: str) -> Step:
        report = value or text.lower()
        if report not in SAVABLE or not may_run(ctx.actor, report):
            return self._ask_report(ctx, state)
        state = {"step": "by", "report": report, "by": []}
        return self._ask_by(ctx, state) if DIMENSIONS.get(report) else self._ask_filters(ctx, state)

    def _ask_by(self, ctx: Context, state: dict[str, Any]) -> Step:
        state["step"] = "by"
        keys = [Button(label(ctx, "dimension", d), f"{self.key}:b.{d}")
                for d in DIMENSIONS[state["report"]] if d not in state["by"]]
        keys.append(Button(button_label(ctx, "sr", "next"), f"{self.key}:b."))
        chosen = [label(ctx, "dimension", d) for d in state["by"]]
        return Step([ctx.say("sr_ask_by", rows_of(keys), chosen=chosen)], state)

    def _on_by(self, ctx: Context, state: dict[str, Any], value: str | None, text: str) -> Step:
        chosen = value if value is not None else text.lower()
        if chosen in DIMENSIONS[state["report"]] and chosen not in state["by"]:
            state["by"].append(chosen)
            if len(state["by"]) < MAX_DIMENSIONS:
                return self._ask_by(ctx, state)
        elif chosen:
            return self._ask_by(ctx, state)
        return self._ask_filters(ctx, state)

    def _ask_filters(self, ctx: Context, state: dict[str, Any], bad: str = "") -> Step:
        state["step"] = "filters"
        keys = ((Button(button_label(ctx, "sr", "no_filters"), f"{self.key}:f."),),)
        allowed = [label(ctx, "filter", f) for f in FILTERS[state["report"]]]
        return Step([ctx.say("sr_ask_filters", keys, allowed=allowed, bad=bad)], state)

    def _on_filters(self, ctx: Context, state: dict[str, Any], value: str | None, text: str) -> Step:
        filters: dict[str, str] = {}
        if value is None:
            for part in re.split(r"[\s,，;；]+(?=[^=:：\s]+\s*[=:：])", text):
                match = _PAIR.match(part)
                if match is None:
                    return self._ask_filters(ctx, state, bad=text[:40] or "-")
                key = FILTER_WORDS.get(match.group(1), match.group(1).lower())
                filters[key] = match.group(2)
        check_definition(ctx.uow, ctx.actor, self._definition(state, filters))
        state["filters"] = filters
        if state["report"] in DATED:
            return self._ask_period(ctx, state)
        return self._ask_name(ctx, state)

    def _ask_period(self, ctx: Context, state: dict[str, Any]) -> Step:
        state["step"] = "period"
        keys = [Button(label(ctx, "period", p), f"{self.key}:p.{p}") for p in RELATIVE_PERIODS]
        return Step([ctx.say("sr_ask_period", rows_of(keys, 2))], state)

    def _on_period(self, ctx: Context, state: dict[str, Any], value: str | None, text: str) -> Step:
        period = value or text
        if period not in RELATIVE_PERIODS and not _MONTH.match(period):
            return self._ask_period(ctx, state)
        resolve_period(period, ctx.now.date())
        state["period"] = period
        return self._ask_name(ctx, state)

    def _ask_name(self, ctx: Context, state: dict[str, Any]) -> Step:
        state["step"] = "name"
        return Step([ctx.say("sr_ask_name")], state)

    def _on_name(self, ctx: Context, state: dict[str, Any], value: str | None, text: str) -> Step:
        if not text:
            return self._ask_name(ctx, state)
        saved = save_report(ctx.uow, ctx.actor, text, self._definition(state, state.get("filters", {})))
        keys = ((Button(button_label(ctx, "sr", "run"), f"{self.key}:r{saved.id}"),
                 Button(button_label(ctx, "sr", "schedule"), f"{self.key}:s{saved.id}")),)
        return Step([ctx.say("sr_saved", keys, name=saved.name, **describe(ctx, saved.definition))])

    @staticmethod
    def _definition(state: dict[str, Any], filters: dict[str, str]) -> Definition:
        return Definition(state["report"], by=tuple(state.get("by", ())), filters=filters,
                          period=state.get("period") if state["report"] in DATED else None)

    # ---- schedule: who, how often, which day, what time, which format -----------------------------------------

    def _schedule(self, ctx: Context, report_id: int) -> Step:
        ctx.actor.require(Permission.REPORT_MANAGE)
        saved = get_report(ctx.uow, ctx.actor, report_id)
        state = {"step": "who", "report": saved.id, "name": saved.name, "who": []}
        return self._ask_who(ctx, state)

    def _ask_who(self, ctx: Context, state: dict[str, Any], unknown: str = "") -> Step:
        state["step"] = "who"
        people = report_recipients(ctx.uow, ctx.actor, state["report"])[:MAX_PEOPLE]
        current = list_schedules(ctx.uow, ctx.actor, state["report"])
        keys = [Button(("✅ " if i in state["who"] else "") + name, f"{self.key}:w.{i}") for i, name in people]
        keys.append(Button(button_label(ctx, "sr", "next"), f"{self.key}:w."))
        rows = rows_of(keys)
        if current:
            rows += ((Button(button_label(ctx, "sr", "stop"), f"{self.key}:u{state['report']}"),),)
        chosen = [name for i, name in people if i in state["who"]]
        return Step([ctx.say("sr_ask_who", rows, name=state["name"], current=[timing(ctx, c) for c in current],
                             chosen=chosen,
                             unknown=unknown)], state)

    def _on_who(self, ctx: Context, state: dict[str, Any], value: str | None, text: str) -> Step:
        people = dict(report_recipients(ctx.uow, ctx.actor, state["report"]))
        if value == "" and state["who"]:
            return self._ask_frequency(ctx, state)
        if value and value.isdigit() and int(value) in people:
            person = int(value)
            state["who"] = [i for i in state["who"] if i != person] + ([] if person in state["who"] else [person])
            return self._ask_who(ctx, state)
        named = {n.lower(): i for i, n in people.items()}
        wanted = [w for w in re.split(r"[\s,，、]+", text) if w]
        missing = [w for w in wanted if w.lower() not in named]
        if missing:
            return self._ask_who(ctx, state, unknown=missing[0][:40])
        state["who"] = list(dict.fromkeys([*state["who"], *(named[w.lower()] for w in wanted)]))
        if wanted and state["who"]:
            return self._ask_frequency(ctx, state)
        return self._ask_who(ctx, state)

    def _ask_frequency(self, ctx: Context, state: dict[str, Any]) -> Step:
        state["step"] = "frequency"
        keys = [Button(label(ctx, "frequency", f), f"{self.key}:q.{f}") for f in FREQUENCIES]
        return Step([ctx.say("sr_ask_frequency", rows_of(keys))], state)

    def _on_frequency(self, ctx: Context, state: dict[str, Any], value: str | None, text: str) -> Step:
        frequency = value or text.lower()
        if frequency not in FREQUENCIES:
            return self._ask_frequency(ctx, state)
        state["frequency"] = frequency
        return self._ask_time(ctx, state) if frequency == "daily" else self._ask_day(ctx, state)

    def _ask_day(self, ctx: Context, state: dict[str, Any]) -> Step:
        state["step"] = "day"
        if state["frequency"] == "weekly":
            keys = [Button(label(ctx, "weekday", str(d)), f"{self.key}:x.{d}") for d in range(7)]
            return Step([ctx.say("sr_ask_weekday", rows_of(keys, 4))], state)
        keys = [Button(label(ctx, "month_day", str(d)), f"{self.key}:m.{d}") for d in MONTH_DAYS]
        return Step([ctx.say("sr_ask_day", rows_of(keys))], state)

    def _on_day(self, ctx: Context, state: dict[str, Any], value: str | None, text: str) -> Step:
        day = value if value is not None else text
        limit = 6 if state["frequency"] == "weekly" else 31
        low = 0 if state["frequency"] == "weekly" else 1
        if not day.isdigit() or not low <= int(day) <= limit:
            return self._ask_day(ctx, state)
        state["day"] = int(day)
        return self._ask_time(ctx, state)

    def _ask_time(self, ctx: Context, state: dict[str, Any]) -> Step:
        state["step"] = "time"
        keys = [Button(t, f"{self.key}:t.{t}") for t in TIMES]
        return Step([ctx.say("sr_ask_time", rows_of(keys, 4))], state)

    def _on_time(self, ctx: Context, state: dict[str, Any], value: str | None, text: str) -> Step:
        at = (value or text).replace("：", ":")
        if not _TIME.match(at):
            return self._ask_time(ctx, state)
        state["time"] = at.zfill(5)
        return self._ask_format(ctx, state)

    def _ask_format(self, ctx: Context, state: dict[str, Any]) -> Step:
        state["step"] = "format"
        keys = [Button(label(ctx, "format", f), f"{self.key}:o.{f}") for f in FORMATS]
        return Step([ctx.say("sr_ask_format", rows_of(keys))], state)

    def _on_format(self, ctx: Context, state: dict[str, Any], value: str | None, text: str) -> Step:
        fmt = value or text.lower()
        if fmt not in FORMATS:
            return self._ask_format(ctx, state)
        weekly = state["frequency"] == "weekly"
        try:
            done = schedule_report(ctx.uow, ctx.actor, state["report"], state["who"], state["frequency"],
                                   state["time"], weekday=state.get("day") if weekly else None,
                                   day_of_month=None if weekly else state.get("day"), fmt=fmt)
        except DomainError as error:
            if error.params.get("field") == "at_time":
                return Step([refusal(ctx, error), *self._ask_time(ctx, state).replies], state)
            return Step([refusal(ctx, error)])
        return Step([ctx.say("sr_scheduled", name=state["name"], schedules=[timing(ctx, d) for d in done])])

    def _unschedule(self, ctx: Context, report_id: int) -> Step:
        try:
            saved = get_report(ctx.uow, ctx.actor, report_id)
            stopped = unschedule(ctx.uow, ctx.actor, report_id)
        except DomainError as error:
            return Step([refusal(ctx, error)])
        return Step([Reply(ctx.text("sr_unscheduled", name=saved.name, count=stopped))])
