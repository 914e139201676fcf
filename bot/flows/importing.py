"""导入 / import KIND, then send the .xlsx or .csv file: admins import products, customers, suppliers, opening
stock or reorder rules from chat; the whole file is checked first and every bad row is named."""

from __future__ import annotations

from typing import Any

from bot.engine.flow import Context, Event, Flow, Step
from bot.engine.replies import Reply
from bot.importing import kind_of, read_rows
from core.errors import DomainError
from core.integration.import_columns import KINDS
from core.integration.imports import import_rows
from core.permissions import Permission

SHOWN_PROBLEMS = 30


class ImportFlow(Flow):
    """导入 / import [KIND]: ask for the file, import it, reply with the count or the bad rows."""

    name = "import"
    permission = Permission.PEOPLE_ADMIN
    key = "im"
    takes_files = True  # a file sent with "导入 products" as its caption goes straight to resume

    def start(self, ctx: Context, args: str) -> Step:
        """Remember the kind (products when none is given) and ask for the file."""
        ctx.actor.require(Permission.PEOPLE_ADMIN)
        try:
            kind = kind_of(args.split()[0]) if args.strip() else "products"
        except DomainError:
            return Step([ctx.say("import_ask", kinds=KINDS, kind=None)])
        return Step([ctx.say("import_ask", kinds=KINDS, kind=kind)], {"kind": kind})

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """A file: import it; anything else: ask again."""
        if event.file_name and event.file_content is None:  # the channel refused it: over its size cap
            return Step([ctx.say("import_too_large", name=event.file_name),
                         ctx.say("import_ask", kinds=KINDS, kind=state["kind"])], state)
        if event.file_content is None or not event.file_name:
            return Step([ctx.say("import_ask", kinds=KINDS, kind=state["kind"])], state)
        rows = read_rows(state["kind"], event.file_name, event.file_content)
        result = import_rows(ctx.uow, ctx.actor, state["kind"], rows)
        if not result.ok:
            return Step([ctx.say("import_refused", result=result, shown=result.problems[:SHOWN_PROBLEMS],
                                 hidden=len(result.problems) - SHOWN_PROBLEMS + result.more_problems)], state)
        return Step([ctx.say("import_done", result=result)])

    def button(self, ctx: Context, payload: str) -> Step:
        """No buttons: start over."""
        return self.start(ctx, "")

    def hint(self, ctx: Context, state: dict[str, Any], error: DomainError) -> list[Reply]:
        """A file refused: ask for a file again."""
        return [ctx.say("import_ask", kinds=KINDS, kind=state["kind"])]
