"""The engine: record each update once, then move the chat's flow in one transaction with the service it calls."""

from __future__ import annotations

import copy
import logging
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm.attributes import flag_modified

from bot.engine.flow import Command, Context, Event, Flow, Step
from bot.engine.inbound import LEGACY_CONTENT, Fetched, Inbound, PendingFile, PictureReading
from bot.engine.picks import PENDING, PICK, pending_pick, picked_text, refusal_reply
from bot.engine.replies import Button, Reply
from bot.engine.suggest import command_description, suggestion_reply
from bot.engine.texts import DEFAULT_LANGUAGE, Texts
from core.errors import DomainError
from core.integration.outbox import employees_with_role, notify
from core.models import Conversation, InboundFile, InboxMessage
from core.partners.choices import paper_partner
from core.people.accounts import actor_for_account, redeem_invite
from core.permissions import Actor, Permission
from core.reading.notes import PictureRefused, read_note
from core.text_input import readable, unreadable
from core.uow import Tx, UnitOfWork

log = logging.getLogger(__name__)
CANCEL_WORDS = frozenset({"cancel", "取消", "退出"})
BIND_WORDS = frozenset({"start", "bind", "绑定"})
DEEP_LINKS = ("item_", "itemid_")  # /start payloads of a label's link: they open the item card
GO = "go:"  # a button that starts a command ("go:count"): the next thing to do from a card
MAX_CARDS = 5
MAX_TEXT = 4000
LEASE = timedelta(seconds=30)
RECOVERY_PAGE = 500
UNAVAILABLE = (OperationalError, InterfaceError)  # the database itself: the update stays to be retried


@dataclass(frozen=True)
class Undelivered:
    inbox_id: int
    channel: str
    chat_id: str
    replies: list[Reply]


@dataclass(frozen=True)
class Exchange:
    """One handled update of a chat: what the person sent (the inbound payload) and the replies to it."""

    inbox_id: int
    payload: dict[str, Any]
    replies: list[Reply]


class Engine:
    """Routes updates to flows; every channel shares one engine per process."""

    def __init__(
        self,
        uow: UnitOfWork,
        texts: Texts,
        flows: Sequence[Flow],
        commands: Sequence[Command],
        *,
        timeout: timedelta = timedelta(minutes=30),
        default_language: str = DEFAULT_LANGUAGE,
        fallback_flow: str | None = None,
        notices: Callable[[Tx, int, Texts], list[Reply]] | None = None,
        lease: timedelta = LEASE,
        scan_flow: str = "item",
        picture_flows: Sequence[str] = ("receive", "sales"),
        reader: PictureReading | None = None,
    ) -> None:
        self.uow = uow
        self.texts = texts
        self.flows = {f.name: f for f in flows}
        self.commands = list(commands)
        self.words = {w.lower(): c for c in commands for w in c.words}
        self.prefixes = {f.key: f for f in self.flows.values()}  # a flow given again by name replaces the first
        if len(self.prefixes) < len(self.flows):  # two flows on one button prefix: one would never get its presses
            raise ValueError(f"flows share a button prefix: {sorted(f.key for f in self.flows.values())}")
        self.timeout = timeout
        self.default_language = default_language
        self.fallback_flow = fallback_flow
        self.notices = notices  # bot.delivery.pending_for_employee: notes for people the dispatcher cannot reach
        self.lease = lease  # how long an update stays this process's after its last renewal (see `renew`)
        self._held: set[int] = set()  # updates this process recorded or claimed and has not yet answered
        self.scan_flow = self.flows.get(scan_flow)  # shows the card of a code scanned outside an item step
        # read a picture of paper sent outside such a step: the first the person may use (a delivery note to
        # receive, else a customer's list to sell from)
        self.picture_flows = [self.flows[name] for name in picture_flows if name in self.flows]
        self.reader = reader  # bot.reading.PictureReader: the channels read a photo with no code through it

    def record(self, inbound: Inbound) -> int | None:
        """Commit the update to the inbox, leased to this process, with the bytes it came with (in inbound_file);
        None when this (channel, external id) was recorded before."""

        def work(tx: Tx) -> int | None:
            dialect_insert = postgresql.insert if tx.dialect == "postgresql" else sqlite.insert
            statement = dialect_insert(InboxMessage).values(
                channel=inbound.channel, external_id=inbound.external_id, chat_id=inbound.chat_id,
                user_id=inbound.user_id, payload=inbound.to_json(), status="received", attempts=0,
                received_at=tx.now, lease_until=tx.now + self.lease,
            ).on_conflict_do_nothing(index_elements=["channel", "external_id"]).returning(InboxMessage.id)
            inbox_id = tx.session.execute(statement).scalar_one_or_none()
            if inbox_id is not None and inbound.file_content is not None:
                tx.session.add(InboundFile(inbox_id=inbox_id, content=inbound.file_content, stored_at=tx.now))
            return inbox_id

        inbox_id = self.uow.run(work)
        if inbox_id is not None:
            self._held.add(inbox_id)
        return inbox_id

    def renew(self) -> int:
        """Extend the lease of every update this process holds (one statement); a process that dies stops
        renewing, and the scheduler leader's sweep answers its updates once their leases run out."""
        held = list(self._held)
        if not held:
            return 0
        return self.uow.run(lambda tx: int(getattr(tx.session.execute(
            update(InboxMessage).where(InboxMessage.id.in_(held), InboxMessage.status != "replied")
            .values(lease_until=tx.now + self.lease).execution_options(synchronize_session=False)), "rowcount", 0)))

    def release(self, *inbox_ids: int) -> None:
        """Stop renewing these updates (their replies could not be sent): the sweep takes them when the lease ends."""
        self._held.difference_update(inbox_ids)

    def process(self, inbox_id: int, fetched: Fetched | None = None) -> list[Reply]:
        """Handle a recorded update exactly once; a second call returns the replies stored the first time. An
        update whose handling fails unexpectedly is finished as failed (nothing it did is kept): see `_failed`.
        `fetched` is what the channel downloaded for the update's file reference; an update with a reference
        and nothing (or a failure) fetched is answered that its file could not be downloaded."""
        try:
            return self.uow.run(lambda tx: self._process(tx, inbox_id, fetched))
        except UNAVAILABLE:
            self.release(inbox_id)  # the database is away: the sweep tries again when the lease has run out
            raise
        except Exception as error:  # any input, however it breaks a flow or a service, ends its update
            failure = error
            return self.uow.run(lambda tx: self._failed(tx, inbox_id, failure))

    def unprocessed(self, channel: str | None = None) -> list[int]:
        """Updates recorded but not handled (the process died): handle them after a restart."""
        statement = select(InboxMessage.id).where(InboxMessage.status == "received").order_by(InboxMessage.id)
        if channel:
            statement = statement.where(InboxMessage.channel == channel)
        return self.uow.read(lambda tx: list(tx.session.scalars(statement)))

    def undelivered(self, channel: str) -> list[Undelivered]:
        """Handled updates whose replies were not confirmed sent."""
        statement = (select(InboxMessage).where(InboxMessage.status == "processed", InboxMessage.channel == channel)
                     .order_by(InboxMessage.id).limit(500))
        return self.uow.read(lambda tx: [
            Undelivered(m.id, m.channel, m.chat_id, [Reply.from_json(r) for r in m.replies or []])
            for m in tx.session.scalars(statement)
        ])

    def abandoned(self, channel: str, after: int = 0) -> list[int]:
        """Updates not handled whose lease has run out: the process that recorded them died. One page, oldest
        first, of those with an id above `after`."""
        return self.uow.read(lambda tx: list(tx.session.scalars(
            select(InboxMessage.id).where(InboxMessage.status == "received", InboxMessage.channel == channel,
                                          InboxMessage.id > after, InboxMessage.lease_until <= tx.now)
            .order_by(InboxMessage.id).limit(RECOVERY_PAGE))))

    def pending_file(self, inbox_id: int) -> PendingFile | None:
        """The file an unprocessed update refers to and that is still to be downloaded; None for any other."""
        row = self.uow.read(lambda tx: tx.session.execute(
            select(InboxMessage.user_id, InboxMessage.payload)
            .where(InboxMessage.id == inbox_id, InboxMessage.status == "received")).one_or_none())
        if row is None or not row.payload.get("file_ref"):
            return None
        return PendingFile(inbox_id, row.user_id, str(row.payload["file_ref"]), row.payload.get("file_size"),
                           row.payload.get("codes") is not None)

    def purge_files(self) -> int:
        """Drop the bytes kept for updates that are finished (processing drops its own; this takes leftovers)."""
        finished = select(InboxMessage.id).where(InboxMessage.status != "received")
        return self.uow.run(lambda tx: int(getattr(tx.session.execute(
            delete(InboundFile).where(InboundFile.inbox_id.in_(finished))
            .execution_options(synchronize_session=False)), "rowcount", 0)))

    def process_abandoned(self, inbox_id: int, fetched: Fetched | None = None) -> Undelivered | None:
        """Handle an abandoned update and lease its replies to this process for sending; None when it is not
        abandoned (any more): handled or renewed meanwhile, or locked by another process at this moment
        (PostgreSQL: SKIP LOCKED)."""

        def work(tx: Tx, handle: Callable[[Tx], list[Reply]]) -> Undelivered | None:
            row = tx.session.execute(select(InboxMessage).where(
                InboxMessage.id == inbox_id, InboxMessage.status == "received", InboxMessage.lease_until <= tx.now
            ).with_for_update(skip_locked=True)).scalar_one_or_none()
            if row is None:
                return None
            row.lease_until = tx.now + self.lease
            return Undelivered(row.id, row.channel, row.chat_id, handle(tx))

        try:
            found = self.uow.run(lambda tx: work(tx, lambda t: self._process(t, inbox_id, fetched)))
        except UNAVAILABLE:
            raise
        except Exception as error:  # the same end as in `process`: a poison update is finished, not retried
            failure = error
            found = self.uow.run(lambda tx: work(tx, lambda t: self._failed(t, inbox_id, failure)))
        if found is not None:
            self._held.add(found.inbox_id)
        return found

    def claim_undelivered(self, channel: str, after: int = 0) -> list[Undelivered]:
        """Handled updates whose replies were not confirmed sent and whose lease has run out (their sender died),
        leased to this process, which renews them until it has sent them. Rows another process is claiming at
        this moment are skipped. One page, oldest first, of those with an id above `after`."""

        def work(tx: Tx) -> list[Undelivered]:
            rows = list(tx.session.scalars(
                select(InboxMessage).where(InboxMessage.status == "processed", InboxMessage.channel == channel,
                                           InboxMessage.id > after, InboxMessage.lease_until <= tx.now)
                .order_by(InboxMessage.id).limit(RECOVERY_PAGE).with_for_update(skip_locked=True)))
            if not rows:
                return []
            tx.session.execute(update(InboxMessage).where(InboxMessage.id.in_([m.id for m in rows]))
                               .values(lease_until=tx.now + self.lease).execution_options(synchronize_session=False))
            return [Undelivered(m.id, m.channel, m.chat_id, [Reply.from_json(r) for r in m.replies or []])
                    for m in rows]

        claimed = self.uow.run(work)
        self._held.update(u.inbox_id for u in claimed)
        return claimed

    def recorded(self, channel: str, external_id: str) -> int | None:
        """The inbox id of an update recorded before under this (channel, external id)."""
        return self.uow.read(lambda tx: tx.session.scalar(select(InboxMessage.id).where(
            InboxMessage.channel == channel, InboxMessage.external_id == external_id)))

    def stored_replies(self, inbox_id: int, channel: str, chat_id: str) -> list[Reply] | None:
        """The replies stored for an update of this chat; None when there is no such update in it."""
        stored = self.uow.read(lambda tx: tx.session.scalar(select(InboxMessage.replies).where(
            InboxMessage.id == inbox_id, InboxMessage.channel == channel, InboxMessage.chat_id == chat_id)))
        return None if stored is None else [Reply.from_json(r) for r in stored]

    def history(self, channel: str, chat_id: str, limit: int) -> list[Exchange]:
        """The last `limit` handled updates of a chat with their replies, oldest first."""
        statement = (select(InboxMessage.id, InboxMessage.payload, InboxMessage.replies)
                     .where(InboxMessage.channel == channel, InboxMessage.chat_id == chat_id,
                            InboxMessage.status != "received")
                     .order_by(InboxMessage.id.desc()).limit(limit))
        rows = self.uow.read(lambda tx: tx.session.execute(statement).all())
        return [Exchange(r.id, r.payload, [Reply.from_json(x) for x in r.replies or []]) for r in reversed(rows)]

    def delivered(self, *inbox_ids: int) -> None:
        """Mark the replies of updates as sent (one statement for any number of them); their leases end."""
        self.uow.run(lambda tx: tx.session.execute(
            update(InboxMessage).where(InboxMessage.id.in_(inbox_ids)).values(status="replied")))
        self.release(*inbox_ids)

    def _process(self, tx: Tx, inbox_id: int, fetched: Fetched | None) -> list[Reply]:
        row = tx.session.execute(
            select(InboxMessage).where(InboxMessage.id == inbox_id).with_for_update()).scalar_one()
        if row.status != "received":
            return [Reply.from_json(r) for r in row.replies or []]
        kept = tx.session.scalar(select(InboundFile.content).where(InboundFile.inbox_id == inbox_id))
        inbound = Inbound.from_row(row.channel, row.external_id, row.chat_id, row.user_id, row.payload, kept)
        if fetched is not None and not fetched.failed:
            inbound = replace(inbound, file_content=fetched.content,
                              codes=inbound.codes if fetched.codes is None else fetched.codes,
                              reading=fetched.reading or inbound.reading)
        missing = inbound.file_ref is not None and (fetched is None or fetched.failed)
        conversation = self._conversation(tx, inbound)
        actor = actor_for_account(tx, inbound.channel, inbound.user_id, inbound.external_id)
        replies = self._handle(tx, inbound, conversation, actor, missing)
        _drop_file(tx, row, kept is not None)
        row.status, row.processed_at = "processed", tx.now
        row.replies = [r.to_json() for r in replies]
        row.attempts = row.attempts + 1
        return replies

    def _failed(self, tx: Tx, inbox_id: int, error: Exception) -> list[Reply]:
        """Finish an update whose handling raised: logged with its id, the person told in their language that
        nothing was changed, admins alerted once a day per kind of failure; its replies are sent as any others."""
        row = tx.session.execute(
            select(InboxMessage).where(InboxMessage.id == inbox_id).with_for_update()).scalar_one()
        if row.status != "received":
            return [Reply.from_json(r) for r in row.replies or []]
        kind = failure_kind(error)
        log.error("update %d (%s) failed: %s", inbox_id, row.channel, kind, exc_info=error)
        actor = actor_for_account(tx, row.channel, row.user_id)
        lang = actor.language if actor is not None else self.default_language
        replies = [Reply(self.texts.render(lang, "update_failed"))]
        _drop_file(tx, row)
        row.status, row.processed_at, row.failure = "processed", tx.now, kind
        row.replies = [r.to_json() for r in replies]
        row.attempts = row.attempts + 1
        notify(tx, "update_failed", employees_with_role(tx, "admin"),
               {"kind": kind, "inbox_id": inbox_id, "channel": row.channel},
               f"update_failed:{kind}:{tx.now.date().isoformat()}")
        return replies

    def _handle(self, tx: Tx, inbound: Inbound, conversation: Conversation, actor: Actor | None,
                missing: bool = False) -> list[Reply]:
        if unreadable(inbound.text or "") or unreadable(inbound.button or ""):
            lang = actor.language if actor is not None else self.default_language
            return [Reply(self.texts.render(lang, "unreadable_text"))]  # nothing moves: the flow waits as it was
        text = (inbound.text or "").strip()
        word, args = split_command(text)
        if actor is None:
            return self._bind(tx, inbound, word, args, conversation)
        if missing:  # the file never arrived: nothing moves, and the person knows to send it again
            name = None if inbound.file_name is None else readable(inbound.file_name)
            return [Reply(self.texts.render(actor.language, "file_not_downloaded", name=name))]
        conversation.employee_id = actor.employee_id
        ctx = Context(self.uow, tx, actor, self.texts, tx.now)
        event = _event(inbound)
        if len(text) > MAX_TEXT:
            return [ctx.say("too_long", limit=MAX_TEXT)]
        if event.codes is not None and not event.codes and event.picture is None:
            return [ctx.say("scan_none")]  # a picture with no readable code: the conversation stays as it was
        try:
            flow_name, step = self._route(ctx, conversation, word, args, event)
        except DomainError as error:
            log.info("refused %s for %s: %s", error.code, actor.name, error.params)
            replies = [refusal_reply(ctx, error)]
            waiting = pending_pick(replies, text) if event.text else None
            if waiting is not None:  # a command's item to pick: the message waits for the press
                self._keep(tx, conversation, None, Step(replies), waiting)
            return replies
        self._keep(tx, conversation, flow_name, step, pending_pick(step.replies, text) if event.text else None)
        if self.notices is None:
            return step.replies
        return step.replies + self.notices(tx, actor.employee_id, self.texts)  # waiting notes, shown once

    def _route(
        self, ctx: Context, conversation: Conversation, word: str, args: str, event: Event
    ) -> tuple[str | None, Step]:
        if word in CANCEL_WORDS:
            return None, Step([ctx.say("cancelled" if conversation.flow else "nothing_to_cancel")])
        if event.codes:
            return self._scanned(ctx, conversation, event.codes)
        if event.picture is not None:
            return self._pictured(ctx, conversation, event)
        if word in BIND_WORDS and args.startswith(DEEP_LINKS) and self.scan_flow is not None:
            return None, Step(self.scan_flow.start(ctx, args).replies)
        if event.button and event.button.startswith(PICK):
            return self._picked(ctx, conversation, event.button.removeprefix(PICK))
        if event.button and event.button.startswith(GO):
            word, args = split_command(event.button.removeprefix(GO))
            event = Event()
        command = self.words.get(word)
        if command is not None and event.button is None:
            flow = self.flows[command.flow]
            if not flow.permitted(ctx.actor):  # a command of another role: say whose it is, and what help offers
                keys = ((Button(ctx.text("unknown_help_button"), f"{GO}help"),),)
                return None, Step([ctx.say("not_your_command", keys, what=command_description(command, ctx.lang))])
            step = flow.start(ctx, args)
            if event.file_name is not None and step.state is not None and flow.takes_files:
                # "导入 products" as the caption of the file: the flow waits for a file, and here it is
                return command.flow, self._step(ctx, flow, step.state,
                                                Event(file_name=event.file_name, file_content=event.file_content))
            return command.flow, step
        expired = conversation.expires_at is not None and conversation.expires_at <= ctx.now
        if event.button and ":" in event.button:
            key, payload = event.button.split(":", 1)
            pressed = self.prefixes.get(key)
            if pressed is not None and (conversation.flow != pressed.name or expired):
                return pressed.name, pressed.button(ctx, payload)
            if pressed is not None:
                return pressed.name, self._step(ctx, pressed, conversation.state, Event(button=payload))
        if conversation.flow and not expired:
            return conversation.flow, self._step(ctx, self.flows[conversation.flow], conversation.state, event)
        if conversation.flow and expired:
            return None, Step([ctx.say("timed_out")])
        if event.text and self.fallback_flow:
            guessed = self.flows[self.fallback_flow].fallback(ctx, event.text)
            if guessed is not None:
                return self.fallback_flow, guessed
        if event.text:
            usable = [c for c in self.commands if self.flows[c.flow].permitted(ctx.actor)]
            return None, Step([suggestion_reply(ctx, usable, event.text)])
        return None, Step([ctx.say("help_hint")])

    def _picked(self, ctx: Context, conversation: Conversation, sku: str) -> tuple[str | None, Step]:
        """A product picked for the item of the waiting message: the message entered again with its SKU (in the
        same step of the same flow, or the same command); with no message waiting, the product's card."""
        expired = conversation.expires_at is not None and conversation.expires_at <= ctx.now
        text = None if expired else picked_text(conversation.state, sku)
        if text is None:
            flow = None if expired else conversation.flow
            return flow, Step(self._card(ctx, sku), conversation.state if flow else None)
        conversation.state = {k: v for k, v in conversation.state.items() if k != PENDING}
        word, args = split_command(text)
        return self._route(ctx, conversation, word, args, Event(text=text))

    def _scanned(self, ctx: Context, conversation: Conversation, codes: tuple[str, ...]) -> tuple[str | None, Step]:
        """A photo's codes: entered as typed lines in a step that asks for an item; else each code's card, and the
        conversation (if any) goes on where it was."""
        expired = conversation.expires_at is not None and conversation.expires_at <= ctx.now
        flow = self.flows.get(conversation.flow or "") if not expired else None
        if flow is not None and flow.takes_scan(conversation.state):
            return flow.name, self._entered(ctx, flow, conversation.state, codes)
        cards = [reply for code in list(dict.fromkeys(codes))[:MAX_CARDS] for reply in self._card(ctx, code)]
        if flow is not None:
            return flow.name, Step(cards, conversation.state)
        return None, Step(cards)

    def _pictured(self, ctx: Context, conversation: Conversation, event: Event) -> tuple[str | None, Step]:
        """A photo with no code: read by the flow whose step takes a picture of paper; else, when it shows a table
        (or could not be read), by the picture flow, which asks what the paper is for; else it is a photo whose
        code could not be read. A refusal leaves the conversation where it was."""
        expired = conversation.expires_at is not None and conversation.expires_at <= ctx.now
        flow = self.flows.get(conversation.flow or "") if not expired else None
        if flow is not None and flow.takes_picture(conversation.state):
            return flow.name, self._step(ctx, flow, conversation.state, event)
        readers = [f for f in self.picture_flows if f.permitted(ctx.actor)]
        picture = event.picture
        here, kept = (flow.name if flow else None), (conversation.state if flow else None)
        if picture is not None and picture.refused:
            return here, Step([refusal_reply(ctx, PictureRefused(reason=picture.refused))], kept)
        note = read_note(picture.boxes) if picture is not None else None
        if not readers or note is None or not note.header:
            return here, Step([ctx.say("scan_none")], kept)
        reader = _paper_reader(ctx, readers, note.supplier)
        try:
            step = reader.resume(ctx, {"step": "picture"}, event)
        except DomainError as error:
            return here, Step([refusal_reply(ctx, error)], kept)
        if step.state is None:  # nothing to ask: the conversation (if any) goes on where it was
            return here, Step(step.replies, kept)
        return reader.name, step

    def _entered(self, ctx: Context, flow: Flow, state: dict[str, Any], codes: tuple[str, ...]) -> Step:
        """Each line the codes stand for, entered one after the other as if typed."""
        replies: list[Reply] = []
        for line in flow.scanned_lines(copy.deepcopy(state), codes):
            step = self._step(ctx, flow, state, Event(text=line))
            replies.extend(step.replies)
            if step.state is None:
                return Step(replies)
            state = step.state
        return Step(replies, state)

    def _card(self, ctx: Context, code: str) -> list[Reply]:
        if self.scan_flow is None:
            return [ctx.say("help_hint")]
        try:
            return self.scan_flow.start(ctx, code).replies
        except DomainError as error:
            return [refusal_reply(ctx, error)]

    def _step(self, ctx: Context, flow: Flow, state: dict[str, Any], event: Event) -> Step:
        """One step of a flow on its own copy of `state`; a refused step keeps `state` as it was and answers with
        the refusal in the reader's words, then what the flow asks again."""
        state = {k: v for k, v in state.items() if k != PENDING}
        try:
            return flow.resume(ctx, copy.deepcopy(state), event)
        except DomainError as error:
            log.info("refused %s for %s in %s: %s", error.code, ctx.actor.name, flow.name, error.params)
            refusal = refusal_reply(ctx, error)
            if refusal.buttons:  # products to pick: the press is what comes next
                return Step([refusal], state)
            return Step([refusal, *flow.hint(ctx, copy.deepcopy(state), error)], state)

    def _keep(self, tx: Tx, conversation: Conversation, flow_name: str | None, step: Step,
              pending: dict[str, str] | None = None) -> None:
        """Save the flow's state (or end it); a message waiting for a pick is kept with it, even after a command."""
        waiting = {PENDING: pending} if pending else {}
        if step.state is None or flow_name is None:
            conversation.flow, conversation.state = None, waiting
            conversation.expires_at = tx.now + self.timeout if waiting else None
        else:
            conversation.flow, conversation.state = flow_name, {**step.state, **waiting}
            flag_modified(conversation, "state")  # flows change their own copy of the state: save it every time
            conversation.expires_at = tx.now + self.timeout
        conversation.updated_at = tx.now

    def _bind(self, tx: Tx, inbound: Inbound, word: str, args: str, conversation: Conversation) -> list[Reply]:
        lang = self.default_language
        if word not in BIND_WORDS or not args or args.startswith(DEEP_LINKS):
            return [Reply(self.texts.render(lang, "bind_prompt"))]
        try:
            actor = redeem_invite(self.uow, inbound.channel, inbound.user_id, inbound.chat_id, args.split()[0])
        except DomainError as error:
            return [Reply(self.texts.error(lang, error))]
        conversation.employee_id = actor.employee_id
        return [Reply(self.texts.render(actor.language, "bound", name=actor.name, roles=sorted(actor.roles)))]

    def _conversation(self, tx: Tx, inbound: Inbound) -> Conversation:
        dialect_insert = postgresql.insert if tx.dialect == "postgresql" else sqlite.insert
        tx.session.execute(dialect_insert(Conversation).values(
            channel=inbound.channel, chat_id=inbound.chat_id, state={}, updated_at=tx.now,
        ).on_conflict_do_nothing(index_elements=["channel", "chat_id"]))
        return tx.session.execute(
            select(Conversation).where(Conversation.channel == inbound.channel,
                                       Conversation.chat_id == inbound.chat_id).with_for_update()
        ).scalar_one()


def _paper_reader(ctx: Context, readers: Sequence[Flow], printed: str) -> Flow:
    """Of the picture flows the person may use, the one for whose paper it is (the company printed on it names a
    supplier or a customer); the first when it names neither or there is only one."""
    if len(readers) < 2 or not ctx.actor.can(Permission.PARTNER_VIEW):
        return readers[0]
    kind = paper_partner(ctx.uow, ctx.actor, printed)
    return next((f for f in readers if kind and f.paper_of == kind), readers[0])


def split_command(text: str) -> tuple[str, str]:
    """The command word (lower case, without '/' or '@botname') and the rest: '/in@jxc_bot PO-1 A 3'."""
    if not text:
        return "", ""
    head, _, rest = text.partition(" ")
    word = head.lstrip("/").split("@", 1)[0].lower()
    return word, rest.strip()


def failure_kind(error: BaseException) -> str:
    """What kind of failure this is, for alerts: the error's type and where in jxc it was raised."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if "/site-packages/" not in f.filename]
    where = f" at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].name}" if frames else ""
    return f"{type(error).__name__}{where}"[:120]


def _drop_file(tx: Tx, row: InboxMessage, kept: bool = True) -> None:
    """A finished update keeps no bytes: its inbound_file row goes (when it has one), and so does what an older
    version left in the row itself."""
    if kept:
        tx.session.execute(delete(InboundFile).where(InboundFile.inbox_id == row.id))
    if LEGACY_CONTENT in row.payload:
        row.payload = {k: v for k, v in row.payload.items() if k != LEGACY_CONTENT}


def _event(inbound: Inbound) -> Event:
    content = inbound.file_content
    codes = None if inbound.codes is None else tuple(c for c in inbound.codes if "\x00" not in c)
    return Event(text=inbound.text, button=inbound.button, file_content=content, codes=codes, picture=inbound.reading,
                 file_name=None if inbound.file_name is None else readable(inbound.file_name))


def describe(commands: Sequence[Command]) -> list[dict[str, Any]]:
    """The command menu (setMyCommands and help): the first ASCII word of each command with its description."""
    menu = []
    for c in commands:
        ascii_words = [w for w in c.words if w.isascii()]
        if c.menu and ascii_words:
            menu.append({"command": ascii_words[0], "description": c.describe})
    return menu
