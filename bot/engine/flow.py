"""The contract of a conversation flow: start with arguments, resume with text or a button, return replies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from bot.engine.replies import Button, Reply
from bot.engine.texts import Texts
from core.permissions import Actor
from core.uow import Tx, UnitOfWork


@dataclass(frozen=True)
class Event:
    """What the person did: typed text, pressed a button, or sent a file."""

    text: str | None = None
    button: str | None = None
    file_name: str | None = None
    file_content: bytes | None = None


@dataclass
class Context:
    """What a flow step may use: services through `uow` (joining the update's transaction), words through `say`."""

    uow: UnitOfWork
    tx: Tx
    actor: Actor
    texts: Texts
    now: datetime
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def lang(self) -> str:
        return self.actor.language

    def text(self, template: str, **values: Any) -> str:
        """Render a template in the reader's language."""
        return self.texts.render(self.lang, template, **values)

    def with_language(self, language: str) -> Context:
        """The same context speaking another language (right after the person switched)."""
        actor = replace(self.actor, language=language)
        return Context(self.uow, self.tx, actor, self.texts, self.now, self.settings)

    def say(self, template: str, buttons: tuple[tuple[Button, ...], ...] = (), **values: Any) -> Reply:
        """One reply rendered from a template, with optional buttons."""
        return Reply(self.text(template, **values), buttons)


@dataclass(frozen=True)
class Step:
    """The replies of one step and the state to keep; `state=None` ends the flow."""

    replies: list[Reply]
    state: dict[str, Any] | None = None


class Flow(Protocol):
    """A conversation written once for every channel."""

    name: str

    def start(self, ctx: Context, args: str) -> Step:
        """Begin, with whatever followed the command word."""
        ...

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """Continue from `state` with what the person just did."""
        ...


@dataclass(frozen=True)
class Command:
    """Words (any language) that start a flow; `admin_only` hides it from the menu of others."""

    flow: str
    words: tuple[str, ...]
    describe: str
    menu: bool = True


FlowFactory = Callable[[], Flow]
