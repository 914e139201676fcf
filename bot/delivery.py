"""Delivering the notification outbox: claim due rows, send them to each recipient's chats, paced, at least once.

The queue is core.integration.queue (a row is leased to one dispatcher's claim token, then sent | pending again
with backoff | dead, with one alert to the admins); the loop is bot.pump; this module adds whom a note goes to, what
it says, and how fast each channel may take it.
The at-least-once window: a message the platform accepted but whose 'sent' mark was not committed (the process
died between the two, or its lease ran out while it was still sending) is sent again once the lease expires.
Marks are committed right after each send (batched over a few milliseconds), and a send is not started when
less than `send_timeout` of the lease is left, so the window is the in-flight sends of a process that died.
Recipients with no chat this dispatcher can reach are not claimed: their notes wait for `pending_for_employee`,
called by the engine when they next write (in the transaction that stores the reply, so they are shown once).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from jinja2 import TemplateNotFound
from sqlalchemy import exists, select, update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.engine.replies import Reply, buttons
from bot.engine.texts import DEFAULT_LANGUAGE, Texts
from bot.pump import Failed, Pump, TooLate, Turn, utcnow
from bot.push_topics import LOW_STOCK, fold_low_stock, topic_of
from bot.quiet_hours import QuietHours
from bot.report_delivery import report_attachments, report_table_of
from core.integration.queue import NOTIFICATION_QUEUE, Alert
from core.integration.sent_messages import keep_sent, last_sent
from core.integration.settled import drop_settled, settled_notes
from core.models import ChatAccount, Employee, Notification
from core.uow import Tx, UnitOfWork

MAX_ATTEMPTS = 8
LEASE = timedelta(seconds=60)
REPLACE_WITHIN = timedelta(hours=6)  # a newer warning edits a message first sent this recently, else goes anew
REPLACED = frozenset({"low_stock", "approval_decided"})  # a newer note edits the message of the topic in place
PUSH_CHANNELS = ("telegram", "wecom")  # channels a dispatcher sends to; the browser chat only answers


class DeliveryError(Exception):
    """A channel could not deliver a message."""


class RetryLater(DeliveryError):
    """The platform asked us to slow down (HTTP 429 with retry_after): retry after `seconds`, not counted as broken."""

    def __init__(self, seconds: float, message: str = "") -> None:
        super().__init__(message or f"retry after {seconds}s")
        self.seconds = float(seconds)


class TransientError(DeliveryError):
    """5xx, a timeout or a network error: retried with backoff."""


class PermanentError(DeliveryError):
    """The platform refused the message for good (blocked bot, unknown chat, bad request): dead at once."""


class Sender(Protocol):
    """One channel's way to send replies to a chat."""

    async def send(self, chat_id: str, replies: list[Reply]) -> None: ...


@runtime_checkable
class Replacing(Protocol):
    """A sender that can replace the message it pushed before on a topic (edit it, or update its card)."""

    async def replace(self, chat_id: str, reply: Reply, message_id: str | None, *,
                      or_send: bool = True) -> str | None: ...


class Bucket:
    """A token bucket kept as one "theoretical arrival time" (GCRA): `rate` tokens a second, at most `burst` at once.
    A caller reserves the next free moment and sleeps exactly until then, so concurrent callers queue in order and
    nobody sleeps longer than needed, nor polls."""

    __slots__ = ("interval", "tat", "tolerance")

    def __init__(self, rate: float, burst: float = 1.0) -> None:
        self.interval = 1.0 / rate
        self.tolerance = max(burst - 1.0, 0.0) * self.interval
        self.tat = 0.0

    def reserve(self, now: float) -> float:
        """Take the next token: how many seconds from `now` it may be used (0: at once)."""
        tat = max(self.tat, now)
        self.tat = tat + self.interval
        return max(tat - self.tolerance - now, 0.0)

    def idle(self, now: float) -> bool:
        """Full again: forgetting this bucket changes nothing."""
        return self.tat <= now


@dataclass
class Pace:
    """How fast one channel may send: overall per second (at most `overall_burst` at once) and `chat_rate` per chat
    every `chat_period` seconds (that many at once)."""

    overall_per_second: float = 30.0
    chat_rate: float = 1.0
    chat_period: float = 1.0
    overall_burst: float = 1.0
    _overall: Bucket | None = field(default=None, repr=False)
    _chats: dict[str, Bucket] = field(default_factory=dict, repr=False)
    _blocked_until: float = field(default=0.0, repr=False)

    async def wait(self, chat_id: str) -> None:
        """Wait for the chat's turn, then for a 429 block to pass and the channel's turn."""
        loop = asyncio.get_running_loop()
        if self.chat_rate > 0:
            chat = self._chats.get(chat_id)
            if chat is None:
                if len(self._chats) >= 10_000:
                    now = loop.time()
                    self._chats = {k: b for k, b in self._chats.items() if not b.idle(now)}
                chat = self._chats[chat_id] = Bucket(self.chat_rate / self.chat_period, self.chat_rate)
            if delay := chat.reserve(loop.time()):
                await asyncio.sleep(delay)
        while True:
            if (left := self._blocked_until - loop.time()) > 0:
                await asyncio.sleep(left)
                continue
            if self.overall_per_second <= 0:
                return
            if self._overall is None:
                self._overall = Bucket(self.overall_per_second, self.overall_burst)
            if delay := self._overall.reserve(loop.time()):
                await asyncio.sleep(delay)
                if self._blocked_until > loop.time():  # a 429 came meanwhile: take a new turn after it
                    continue
            return

    def block(self, seconds: float) -> None:
        """A 429 stops every send of the channel for `seconds`."""
        loop = asyncio.get_running_loop()
        self._blocked_until = max(self._blocked_until, loop.time() + seconds)
        if self._overall is not None:
            self._overall.tat = max(self._overall.tat, self._blocked_until)


def telegram_pace(per_second: float = 30.0) -> Pace:
    """About 30 messages a second overall and one a second per chat."""
    return Pace(per_second, 1.0, 1.0)


def wecom_pace() -> Pace:
    """30 messages a minute per member."""
    return Pace(0, 30.0, 60.0)


@dataclass(frozen=True)
class Claimed:
    """A notification taken for delivery, with where and in which language it goes."""

    id: int
    event_type: str
    recipient_id: int
    payload: dict[str, Any]
    attempts: int
    language: str
    chats: tuple[tuple[str, str], ...]
    topic: str = ""
    folded: tuple[int, ...] = ()  # the ids of the other notes this one says too (low-stock warnings of a sweep)

    @property
    def ids(self) -> tuple[int, ...]:
        return (self.id, *self.folded)


# ---- the database side -------------------------------------------------------------------------------------------

def claim(uow: UnitOfWork, channels: Sequence[str], token: str, now: datetime, *, limit: int = 100,
          lease: timedelta = LEASE, quiet: QuietHours | None = None) -> list[Claimed]:
    """Take up to `limit` due notes of recipients bound to one of `channels`, oldest first, skipping rows another
    process has locked; each is leased to `token` (core.integration.queue), with its reader's language and chats.
    Notes whose subject is already done are closed unsent; during `quiet` hours the notes it does not let through
    wait until the hours end; the low-stock warnings of one recipient become one note."""

    reachable = exists().where(ChatAccount.employee_id == Notification.recipient_id,
                               ChatAccount.channel.in_(list(channels)))

    def work(tx: Tx) -> list[Claimed]:
        due = NOTIFICATION_QUEUE.due(now, limit, Notification.recipient_id).where(reachable)
        rows = NOTIFICATION_QUEUE.take(tx, due, token, now, lease)
        if not rows:
            return []
        settled = settled_notes(tx, rows)
        drop_settled(tx, settled)
        rows = [r for r in rows if r.id not in settled]
        hold_until = quiet.until(now) if quiet is not None else None
        if hold_until is not None and quiet is not None:
            held = [r.id for r in rows if not quiet.lets_through(r.event_type, r.payload)]
            hold(tx, held, hold_until)
            rows = [r for r in rows if r.id not in set(held)]
        if not rows:
            return []
        recipients = sorted({r.recipient_id for r in rows})
        languages = dict(tx.session.execute(
            select(Employee.id, Employee.language).where(Employee.id.in_(recipients))).all())
        chats: dict[int, list[tuple[str, str]]] = {}
        for employee_id, channel, chat_id in tx.session.execute(
            select(ChatAccount.employee_id, ChatAccount.channel, ChatAccount.chat_id)
            .where(ChatAccount.employee_id.in_(recipients), ChatAccount.channel.in_(list(channels)))
            .order_by(ChatAccount.id)
        ):
            chats.setdefault(employee_id, []).append((channel, chat_id))
        return fold([Claimed(r.id, r.event_type, r.recipient_id, r.payload, r.attempts,
                             languages.get(r.recipient_id) or DEFAULT_LANGUAGE, tuple(chats.get(r.recipient_id, ())),
                             topic_of(r.event_type, r.payload))
                     for r in rows])

    return uow.run(work)


def hold(tx: Tx, ids: Sequence[int], until: datetime) -> None:
    """Claimed notes due again at `until`, untried (quiet hours); one statement."""
    if ids:
        tx.session.execute(update(Notification).where(Notification.id.in_(list(ids)))
                           .values(next_attempt_at=until, claim_token="", attempts=Notification.attempts - 1))


def fold(claimed: Sequence[Claimed]) -> list[Claimed]:
    """The low-stock warnings of each recipient as one note (in the place of the first), the others as they are."""
    warnings: dict[int, list[Claimed]] = {}
    for item in claimed:
        if item.event_type == LOW_STOCK:
            warnings.setdefault(item.recipient_id, []).append(item)
    out = []
    for item in claimed:
        if item.event_type != LOW_STOCK:
            out.append(item)
        elif (group := warnings[item.recipient_id])[0] is item:
            out.append(replace(item, payload=fold_low_stock([g.payload for g in group]),
                               folded=tuple(g.id for g in group[1:]),
                               attempts=max(g.attempts for g in group)))
    return out


def pending_for_employee(tx: Tx, employee_id: int, texts: Texts, language: str | None = None,
                         push_channels: Sequence[str] = PUSH_CHANNELS) -> list[Reply]:
    """Notes waiting for someone who just wrote and has no chat the dispatcher pushes to (`push_channels`; the
    browser chat cannot be pushed to): rendered for them and marked sent in the caller's transaction, so they are
    shown once, with the reply. People with such a chat get theirs from the dispatcher."""
    pushed = tx.session.scalar(select(ChatAccount.id).where(ChatAccount.employee_id == employee_id,
                                                            ChatAccount.channel.in_(list(push_channels))).limit(1))
    if pushed is not None:
        return []
    rows = tx.session.execute(
        select(Notification.id, Notification.event_type, Notification.payload)
        .where(Notification.recipient_id == employee_id, Notification.status == "pending",
               Notification.claim_token == "")  # not leased to a dispatcher
        .order_by(Notification.id).limit(20)
        .with_for_update(skip_locked=True)
    ).all()
    if not rows:
        return []
    lang = language or tx.session.scalar(select(Employee.language).where(Employee.id == employee_id)) \
        or DEFAULT_LANGUAGE
    settled = settled_notes(tx, rows)
    drop_settled(tx, settled)
    own = {r.id for r in rows if own_decision(r.event_type, r.payload, employee_id)} - settled
    live = [r for r in rows if r.id not in settled | own]
    tx.session.execute(
        update(Notification).where(Notification.id.in_([r.id for r in live]), Notification.status == "pending")
        .values(status="sent", sent_at=tx.now, last_error="", claim_token="")
    )
    tx.session.execute(
        update(Notification).where(Notification.id.in_(sorted(own)), Notification.status == "pending")
        .values(status="sent", sent_at=tx.now, last_error="the reader's own decision: said in the reply"))
    claimed = [Claimed(r.id, r.event_type, employee_id, r.payload, 1, lang, (), topic_of(r.event_type, r.payload))
               for r in live]
    return [render(texts, lang, c.event_type, c.payload) for c in fold(claimed)]


def own_decision(event_type: str, payload: Mapping[str, Any], reader: int) -> bool:
    """A decided approval told to the one who decided it: the browser chat's reply to the press said it already."""
    return event_type == "approval_decided" and payload.get("decided_by_id") == reader


# ---- what a note says ----------------------------------------------------------------------------------------------

def render(texts: Texts, lang: str, event_type: str, payload: dict[str, Any]) -> Reply:
    """The note as a reply in the reader's language: templates notify_<event type>.j2, with its buttons."""
    try:
        text = texts.render(lang, f"notify_{event_type}", p=payload)
    except TemplateNotFound:
        text = texts.render(lang, "notify_generic", event_type=event_type, p=payload)
    keys: tuple[Any, ...] = ()
    if event_type in ("approval_requested", "approval_reminder", "approval_escalated") and "request_id" in payload:
        request = payload["request_id"]
        keys = buttons([(texts.render(lang, "sales_button_approve"), f"ap:{request}:y"),
                        (texts.render(lang, "sales_button_reject"), f"ap:{request}:n")])
    elif event_type in ("low_stock", "low_stock_digest"):
        keys = buttons([(texts.render(lang, "notify_button_low_stock"), "ls:list")])
    elif event_type == "lot_expiry" and "lot_id" in payload:
        held = f"{payload['lot_id']}:{payload['warehouse_id']}"
        keys = buttons([(texts.render(lang, "notify_button_write_off"), f"ex:w:{held}"),
                        (texts.render(lang, "notify_button_quarantine"), f"ex:q:{held}")])
    elif event_type == "deposit_held" and "number" in payload:
        number = str(payload["number"])
        keys = buttons([(texts.render(lang, "notify_button_deposit_refund"), f"dp:r:{number}"),
                        (texts.render(lang, "notify_button_deposit_forfeit"), f"dp:f:{number}")])
    image, file = report_attachments(payload) if event_type == "saved_report" else (None, None)  # its chart, xlsx
    table = report_table_of(payload) if event_type == "saved_report" else None
    extra: dict[str, Any] = {"topic": topic} if (topic := topic_of(event_type, payload)) else {}
    if event_type == "approval_decided":
        extra["card_label"] = texts.render(lang, "wecom_card_decided", name=payload.get("decided_by", ""),
                                           decision=payload.get("decision", ""))
    return Reply(text, keys, image=image, file=file, extra=extra, table=table)


# ---- the dispatcher -------------------------------------------------------------------------------------------------

class Dispatcher(Pump[Claimed]):
    """Drains the outbox to the channels it has senders for; several may run at once (rows are claimed)."""

    name = "outbox"

    def __init__(
        self, uow: UnitOfWork, texts: Texts, senders: Mapping[str, Sender], *,
        paces: Mapping[str, Pace] | None = None, batch: int = 100, lease: timedelta = LEASE,
        send_timeout: float = 15.0, max_attempts: int = MAX_ATTEMPTS, concurrency: int = 16,
        clock: Callable[[], datetime] = utcnow, mark_every: float = 0.02, quiet: QuietHours | None = None,
        replace_within: timedelta = REPLACE_WITHIN,
    ) -> None:
        super().__init__(uow, NOTIFICATION_QUEUE, batch=batch, lease=lease, send_timeout=send_timeout,
                         max_attempts=max_attempts, concurrency=concurrency, clock=clock, mark_every=mark_every)
        self.texts = texts
        self.quiet = quiet
        self.replace_within = replace_within
        self.senders = dict(senders)
        self.paces = dict(paces or {})
        for channel in self.senders:
            self.paces.setdefault(channel, wecom_pace() if channel == "wecom" else telegram_pace())

    async def run(self, stop: asyncio.Event, idle: float = 1.0, parallel: int = 4) -> None:
        """Deliver until `stop` is set, with `parallel` batches in flight, looking again every `idle` seconds when
        nothing is due."""
        await super().run(stop, idle, parallel)

    def take_batch(self, token: str, now: datetime) -> list[Claimed]:
        """Due notes of recipients this dispatcher can reach."""
        return claim(self.uow, list(self.senders), token, now, limit=self.batch, lease=self.lease, quiet=self.quiet)

    def members(self, item: Claimed) -> Sequence[int]:
        """The note and the warnings folded into it."""
        return item.ids

    async def send(self, item: Claimed, turn: Turn) -> None:
        """The note to each of the recipient's chats: every claimed note reserves its pace turn at once, so they go
        in claim order; 429 blocks the channel, a timeout or 5xx is retried, anything else is permanent."""
        reply = render(self.texts, item.language, item.event_type, item.payload)
        try:
            for channel, chat_id in item.chats:
                pace = self.paces[channel]
                await pace.wait(chat_id)
                async with turn:
                    try:
                        await asyncio.wait_for(self.push(item, channel, chat_id, reply), self.send_timeout)
                    except RetryLater as error:
                        pace.block(error.seconds)
                        raise
                    except TimeoutError as error:
                        raise TransientError(f"{channel}: timed out") from error
        except TooLate:
            raise
        except RetryLater as error:
            raise Failed(f"429 {error}", retry_after=error.seconds) from error
        except TransientError as error:
            raise Failed(str(error) or type(error).__name__) from error
        except Exception as error:  # PermanentError and anything unexpected: do not hammer the platform
            raise Failed(f"{type(error).__name__}: {error}", permanent=isinstance(error, PermanentError)) from error

    async def push(self, item: Claimed, channel: str, chat_id: str, reply: Reply) -> None:
        """One chat's message: a note on a topic replaces the one pushed there before where the channel can (a
        newer low-stock warning, a decided approval's card), and is remembered for the next; a decided approval
        whose card this chat never got, or whose channel cannot update it, sends nothing."""
        sender = self.senders[channel]
        decided = item.event_type == "approval_decided"
        if not item.topic or not isinstance(sender, Replacing):
            if not decided:
                await sender.send(chat_id, [reply])
            return
        if decided and getattr(sender, "updates_clicked_card", False) and item.payload.get("decided_on") == channel \
                and item.payload.get("decided_by_id") == item.recipient_id:
            return  # the decider clicked this very card: the channel updated it with the click's own code
        since = None if decided else self.clock() - self.replace_within  # an older message is out of sight
        previous = await asyncio.to_thread(last_sent, self.uow, channel, chat_id, item.topic, since)
        if decided and previous is None:
            return
        replacing = previous if item.event_type in REPLACED else None
        shown = await sender.replace(chat_id, reply, replacing, or_send=not decided)
        if shown and shown != replacing:
            await asyncio.to_thread(keep_sent, self.uow, item.recipient_id, channel, chat_id, item.topic, shown,
                                    self.clock())

    def alert(self, item: Claimed, error: str) -> Alert | None:
        """One 'delivery_dead' note to each admin (none about an alert that could not be delivered)."""
        if item.event_type == "delivery_dead":
            return None
        return Alert("delivery_dead", {"notification_id": item.id, "event_type": item.event_type,
                                       "recipient_id": item.recipient_id, "error": error[:200],
                                       "attempts": item.attempts})

    def label(self, item: Claimed) -> str:
        """"note 12"."""
        return f"note {item.id}"


# ---- channel adapters ---------------------------------------------------------------------------------------------

class TelegramSender:
    """Adapts bot.channels.telegram.TelegramChannel (its `send(chat_id, reply)`) to the Sender protocol, turning
    python-telegram-bot's errors into ours: RetryAfter -> RetryLater, TimedOut/NetworkError -> TransientError,
    Forbidden/BadRequest/others -> PermanentError."""

    def __init__(self, channel: Any) -> None:
        self.channel = channel

    async def send(self, chat_id: str, replies: list[Reply]) -> None:
        with telegram_errors():
            for reply in replies:
                await self.channel.send(chat_id, reply, retries=0)  # a 429 comes back here at once: RetryLater

    async def replace(self, chat_id: str, reply: Reply, message_id: str | None, *,
                      or_send: bool = True) -> str | None:
        """editMessageText of `message_id` (else a new message, with `or_send`); the id of the message shown."""
        with telegram_errors():
            shown: str | None = await self.channel.replace(chat_id, reply, message_id, or_send=or_send)
            return shown


@contextlib.contextmanager
def telegram_errors() -> Iterator[None]:
    """python-telegram-bot's errors as ours."""
    try:
        yield
    except RetryAfter as error:
        after = error.retry_after
        raise RetryLater(after.total_seconds() if isinstance(after, timedelta) else float(after)) from error
    except (Forbidden, BadRequest) as error:
        raise PermanentError(str(error)) from error
    except (TimedOut, NetworkError) as error:  # NetworkError covers 5xx answers too
        raise TransientError(str(error)) from error
    except TelegramError as error:
        raise PermanentError(str(error)) from error


__all__ = [
    "Claimed", "DeliveryError", "Dispatcher", "Pace", "PermanentError", "RetryLater", "Sender", "TelegramSender",
    "TransientError", "claim", "pending_for_employee", "render", "telegram_pace", "wecom_pace",
]
