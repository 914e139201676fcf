"""The contract of a conversation flow: start with arguments, resume with text or a button, return replies."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bot.engine.replies import Button, Reply
from bot.engine.texts import Texts
from core.catalog.examples import Example, example_codes
from core.errors import DomainError
from core.permissions import Actor, Permission
from core.reading.text import Reading
from core.uow import Tx, UnitOfWork


@dataclass(frozen=True)
class Event:
    """What the person did: typed text, pressed a button, sent a file, or sent a photo (the codes read from it)."""

    text: str | None = None
    button: str | None = None
    file_name: str | None = None
    file_content: bytes | None = None
    codes: tuple[str, ...] | None = None
    picture: Reading | None = None  # a photo with no code: the text read on it


class Examples:
    """The company's own codes for the examples in prompts (`{{ ex.sku }}`, `{{ ex.warehouse }}`, `{{ ex.unit }}`),
    read in the update's transaction the first time a template asks for one."""

    def __init__(self, tx: Tx, actor: Actor) -> None:
        self._tx, self._actor = tx, actor
        self._found: Example | None = None

    def _codes(self) -> Example:
        if self._found is None:
            self._found = example_codes(self._tx, self._actor)
        return self._found

    @property
    def sku(self) -> str:
        return self._codes().sku

    @property
    def unit(self) -> str:
        return self._codes().unit

    @property
    def warehouse(self) -> str:
        return self._codes().warehouse


@dataclass
class Context:
    """What a flow step may use: services through `uow` (joining the update's transaction), words through `say`."""

    uow: UnitOfWork
    tx: Tx
    actor: Actor
    texts: Texts
    now: datetime
    settings: dict[str, Any] = field(default_factory=dict)
    examples: Examples | None = None

    @property
    def lang(self) -> str:
        return self.actor.language

    def text(self, template: str, **values: Any) -> str:
        """Render a template in the reader's language; `ex` gives it the company's own codes for examples."""
        if self.examples is None:
            self.examples = Examples(self.tx, self.actor)
        return self.texts.render(self.lang, template, **{"ex": self.examples, **values})

    def unit(self, unit: str) -> str:
        """A unit in the reader's words where it is a standard one."""
        return self.texts.unit(self.lang, unit)

    def with_language(self, language: str) -> Context:
        """The same context speaking another language (right after the person switched)."""
        actor = replace(self.actor, language=language)
        return Context(self.uow, self.tx, actor, self.texts, self.now, self.settings, self.examples)

    def say(self, template: str, buttons: tuple[tuple[Button, ...], ...] = (), **values: Any) -> Reply:
        """One reply rendered from a template, with optional buttons."""
        return Reply(self.text(template, **values), buttons)


@dataclass(frozen=True)
class Step:
    """The replies of one step and the state to keep; `state=None` ends the flow."""

    replies: list[Reply]
    state: dict[str, Any] | None = None


StepHandler = Callable[[Context, dict[str, Any], Event], Step]


class Flow(ABC):
    """A conversation written once for every channel: `start`, then one step at a time by `state["step"]`."""

    name: str
    takes_files: bool = False  # a file sent with the command word as its caption goes straight to `resume`
    scan_steps: frozenset[str] = frozenset()  # steps asking for an item: a scanned code is entered as typed
    permission: Permission | None = None  # what starting it needs: a command the reader cannot use is never offered
    paper_of: str = ""  # whose paper a photo outside a step is when it reads one: "supplier" or "customer"

    def permitted(self, actor: Actor) -> bool:
        """True when `actor` may start this flow (the services it calls still check every step)."""
        return self.permission is None or actor.can(self.permission)

    @property
    def key(self) -> str:
        """The prefix of this flow's buttons ("key:payload"); the flow's name unless it declares a shorter one."""
        return self.name

    @abstractmethod
    def start(self, ctx: Context, args: str) -> Step:
        """Begin, with whatever followed the command word."""

    def steps(self) -> Mapping[str, StepHandler]:
        """Each step of the conversation (`state["step"]`) and the method that handles it."""
        return {}

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """Continue from `state` with what the person just did: the handler of the step in `state`."""
        handler = self.steps().get(str(state.get("step")))
        if handler is None:
            return self.lost(ctx, state, event)
        return handler(ctx, state, event)

    def lost(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """A state whose step this flow has no handler for: begin again."""
        return self.start(ctx, "")

    def fallback(self, ctx: Context, text: str) -> Step | None:
        """Text that is no command, given to the engine's fallback flow: a step, or None when this flow has nothing
        for it (the engine then suggests the commands it resembles)."""
        return self.start(ctx, text)

    def button(self, ctx: Context, payload: str) -> Step:
        """A button of a conversation of this flow that already ended."""
        return Step([ctx.say("help_hint")])

    def takes_scan(self, state: dict[str, Any]) -> bool:
        """Whether the step in `state` asks for an item or a line, so that a scanned code is entered there."""
        return str(state.get("step")) in self.scan_steps

    def takes_picture(self, state: dict[str, Any]) -> bool:
        """Whether the step in `state` reads a picture of paper (a delivery note) sent now."""
        return False

    def scanned_lines(self, state: dict[str, Any], codes: tuple[str, ...]) -> list[str]:
        """The typed lines a photo's codes stand for: one per code, with how many times it was read."""
        return [f"{code} {count}" for code, count in Counter(codes).items()]

    def hint(self, ctx: Context, state: dict[str, Any], error: DomainError) -> list[Reply]:
        """What to ask again after the engine refused a step of `state` with `error` (shown after the refusal)."""
        return []


@dataclass(frozen=True)
class Command:
    """Words (any language) that start a flow; `admin_only` hides it from the menu of others."""

    flow: str
    words: tuple[str, ...]
    describe: str
    menu: bool = True

