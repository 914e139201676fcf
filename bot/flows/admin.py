"""Admin in chat: invite a person (one-time code and Telegram deep link) and browser sign-in links."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.engine.flow import Context, Event, Flow, Step, StepHandler
from bot.engine.replies import buttons
from bot.flows.entry import refusal
from core.errors import DomainError
from core.people.accounts import create_invite, create_login_link
from core.permissions import ROLES, Permission

MAX_NAME = 100


class InviteFlow(Flow):
    """邀请 / invite NAME ROLE: a one-time code for a (new) employee; admins only."""

    name = "invite"
    permission = Permission.PEOPLE_ADMIN
    key = "iv"

    def __init__(self, bot_username: str = "") -> None:
        self.bot_username = bot_username.strip().lstrip("@")

    def start(self, ctx: Context, args: str) -> Step:
        """Invite the person named (creating them with the role given), or ask who."""
        ctx.actor.require(Permission.PEOPLE_ADMIN)
        if not args.strip():
            return Step([ctx.say("invite_ask")], {"step": "name"})
        return self._invite(ctx, args)

    def steps(self) -> Mapping[str, StepHandler]:
        """'NAME ROLE' typed, or a role button for the name given before."""
        return {"name": self._typed, "role": self._role}

    def lost(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """A state of no known step: as if asked for the name."""
        return self._typed(ctx, state, event)

    def _role(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        if event.button and event.button.startswith("r") and state.get("name"):
            return self._invite(ctx, f"{state['name']} {event.button[1:]}")
        return self._typed(ctx, state, event)

    def _typed(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        if event.text and event.text.strip():
            return self._invite(ctx, event.text)
        return Step([ctx.say("invite_ask")], state)

    def button(self, ctx: Context, payload: str) -> Step:
        """A role button of an invite conversation that ended."""
        return Step([ctx.say("invite_ask")], {"step": "name"})

    def _invite(self, ctx: Context, text: str) -> Step:
        parts = text.split()
        name, role = parts[0][:MAX_NAME], (parts[1].lower() if len(parts) > 1 else "")
        if len(parts) > 2:
            return Step([ctx.say("invite_ask")], {"step": "name"})
        if role and role not in ROLES:
            return Step([ctx.say("invite_bad_role", role=role[:20], roles=sorted(ROLES))], {"step": "name"})
        try:
            issued = create_invite(ctx.uow, ctx.actor, name, roles=(role,) if role else ())
        except DomainError as error:
            if error.code == "unknown_employee" and not role:
                keys = tuple(buttons([(r, f"{self.key}:r{r}")])[0] for r in sorted(ROLES))
                return Step([ctx.say("invite_pick_role", keys, name=name)], {"step": "role", "name": name})
            return Step([refusal(ctx, error), ctx.say("invite_ask")], {"step": "name"})
        link = f"https://t.me/{self.bot_username}?start={issued.code}" if self.bot_username else None
        return Step([ctx.say("invite_done", issued=issued, link=link)])


class LoginLinkFlow(Flow):
    """登录链接 / loginlink NAME: a one-time browser sign-in link; admins only."""

    name = "loginlink"
    permission = Permission.PEOPLE_ADMIN
    key = "ll"

    def __init__(self, public_url: str = "http://127.0.0.1:8080") -> None:
        self.public_url = public_url.rstrip("/")

    def start(self, ctx: Context, args: str) -> Step:
        """A link for the person named, or ask who."""
        ctx.actor.require(Permission.PEOPLE_ADMIN)
        if not args.strip():
            return Step([ctx.say("loginlink_ask")], {"step": "name"})
        return self._link(ctx, args.split()[0][:MAX_NAME])

    def resume(self, ctx: Context, state: dict[str, Any], event: Event) -> Step:
        """The name typed after the question."""
        if event.text and event.text.strip():
            return self._link(ctx, event.text.split()[0][:MAX_NAME])
        return Step([ctx.say("loginlink_ask")], state)

    def button(self, ctx: Context, payload: str) -> Step:
        """Login links have no buttons."""
        return Step([ctx.say("loginlink_ask")], {"step": "name"})

    def _link(self, ctx: Context, name: str) -> Step:
        try:
            issued = create_login_link(ctx.uow, ctx.actor, name)
        except DomainError as error:
            return Step([refusal(ctx, error), ctx.say("loginlink_ask")], {"step": "name"})
        return Step([ctx.say("loginlink_done", issued=issued,
                             link=f"{self.public_url}/chat/login?token={issued.code}")])
