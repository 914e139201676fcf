"""Delivering the notification outbox: claim due rows, send them to each recipient's chats, paced, at least once.

A row goes through: pending -> (claim, one transaction) sending with a lease and a claim token -> (send) ->
(mark, a second transaction) sent | pending again with backoff | dead (with one alert to the admins).
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
import logging
import random
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from jinja2 import TemplateNotFound
from sqlalchemy import exists, select, update

from bot import claims
from bot.engine.replies import Reply, buttons
from bot.engine.texts import DEFAULT_LANGUAGE, Texts
from bot.report_delivery import report_attachments
from core.integration.outbox import Note, employees_with_role, write_notes
from core.models import ChatAccount, Employee, Notification
from core.uow import Tx, UnitOfWork

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
BASE_BACKOFF = timedelta(seconds=2)
MAX_BACKOFF = timedelta(hours=1)
LEASE = timedelta(seconds=60)
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


@dataclass
class DrainStats:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    released: int = 0


# ---- the database side -------------------------------------------------------------------------------------------

def claim(uow: UnitOfWork, channels: Sequence[str], token: str, now: datetime, *, limit: int = 100,
          lease: timedelta = LEASE) -> list[Claimed]:
    """Take up to `limit` due notes (pending and due, or 'sending' whose lease ran out) of recipients bound to one
    of `channels`, oldest first, skipping rows another process has locked; each is 'sending' under `token`."""

    reachable = exists().where(ChatAccount.employee_id == Notification.recipient_id,
                               ChatAccount.channel.in_(list(channels)))

    def work(tx: Tx) -> list[Claimed]:
        rows = tx.session.execute(
            select(Notification.id, Notification.event_type, Notification.recipient_id, Notification.payload,
                   Notification.attempts)
            .where(Notification.status.in_(("pending", "sending")), Notification.next_attempt_at <= now, reachable)
            .order_by(Notification.next_attempt_at, Notification.id).limit(limit)
            .with_for_update(skip_locked=True, of=Notification)
        ).all()
        if not rows:
            return []
        ids = [r.id for r in rows]
        tx.session.execute(
            update(Notification).where(Notification.id.in_(ids))
            .values(status="sending", claim_token=token, attempts=Notification.attempts + 1,
                    next_attempt_at=now + lease)
        )
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
        return [Claimed(r.id, r.event_type, r.recipient_id, r.payload, r.attempts + 1,
                        languages.get(r.recipient_id) or DEFAULT_LANGUAGE, tuple(chats.get(r.recipient_id, ())))
                for r in rows]

    return uow.run(work)


def mark_sent(uow: UnitOfWork, token: str, ids: Sequence[int], now: datetime) -> int:
    """'sent' for the rows still held under `token` (one statement); returns how many."""
    return claims.mark_sent(uow, Notification, token, ids, now)


def release(uow: UnitOfWork, token: str, ids: Sequence[int], now: datetime) -> int:
    """Give rows back untried (not counted as an attempt): the lease was too short to send them safely."""
    return claims.release(uow, Notification, token, ids, now)


def backoff(attempts: int, rng: Callable[[], float] = random.random) -> timedelta:
    """Exponential backoff with jitter: 2 s, 4 s, 8 s ... (each between half and all of it), at most an hour."""
    full = min(BASE_BACKOFF * 2 ** max(attempts - 1, 0), MAX_BACKOFF)
    jittered: timedelta = full * (0.5 + 0.5 * rng())
    return jittered


def mark_failed(uow: UnitOfWork, token: str, message: Claimed, error: str, now: datetime, *,
                retry_after: float | None = None, permanent: bool = False,
                max_attempts: int = MAX_ATTEMPTS) -> str:
    """Retry later (after `retry_after`, else backoff) or, after `max_attempts` or a permanent refusal, 'dead' with
    one alert to the admins (dedupe key per note); returns the status the row is left in ('' if not ours)."""

    def work(tx: Tx) -> str:
        dead = permanent or message.attempts >= max_attempts
        delay = timedelta(seconds=retry_after) if retry_after is not None else backoff(message.attempts)
        result = tx.session.execute(
            update(Notification)
            .where(Notification.id == message.id, Notification.status == "sending",
                   Notification.claim_token == token)
            .values(status="dead" if dead else "pending", claim_token="", last_error=error[:500],
                    next_attempt_at=now + delay)
        )
        if not getattr(result, "rowcount", 0):
            return ""
        if dead and message.event_type != "delivery_dead":
            write_notes(tx, [
                Note("delivery_dead", admin, {"notification_id": message.id, "event_type": message.event_type,
                                              "recipient_id": message.recipient_id, "error": error[:200],
                                              "attempts": message.attempts},
                     f"delivery_dead:{message.id}:{admin}")
                for admin in employees_with_role(tx, "admin")
            ])
        return "dead" if dead else "pending"

    return uow.run(work)


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
        .where(Notification.recipient_id == employee_id, Notification.status == "pending")
        .order_by(Notification.id).limit(20)
        .with_for_update(skip_locked=True)
    ).all()
    if not rows:
        return []
    lang = language or tx.session.scalar(select(Employee.language).where(Employee.id == employee_id)) \
        or DEFAULT_LANGUAGE
    tx.session.execute(
        update(Notification).where(Notification.id.in_([r.id for r in rows]), Notification.status == "pending")
        .values(status="sent", sent_at=tx.now, last_error="", claim_token="")
    )
    return [render(texts, lang, r.event_type, r.payload) for r in rows]


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
    image, file = report_attachments(payload) if event_type == "saved_report" else (None, None)  # its chart, xlsx
    return Reply(text, keys, image=image, file=file)


# ---- the dispatcher -------------------------------------------------------------------------------------------------

def _utcnow() -> datetime:
    return datetime.now(UTC)


class Dispatcher:
    """Drains the outbox to the channels it has senders for; several may run at once (rows are claimed)."""

    def __init__(
        self, uow: UnitOfWork, texts: Texts, senders: Mapping[str, Sender], *,
        paces: Mapping[str, Pace] | None = None, batch: int = 100, lease: timedelta = LEASE,
        send_timeout: float = 15.0, max_attempts: int = MAX_ATTEMPTS, concurrency: int = 16,
        clock: Callable[[], datetime] = _utcnow, mark_every: float = 0.02,
    ) -> None:
        self.uow = uow
        self.texts = texts
        self.senders = dict(senders)
        self.paces = dict(paces or {})
        for channel in self.senders:
            self.paces.setdefault(channel, wecom_pace() if channel == "wecom" else telegram_pace())
        self.batch = batch
        self.lease = lease
        self.send_timeout = send_timeout
        self.max_attempts = max_attempts
        self.concurrency = concurrency
        self.clock = clock
        self.mark_every = mark_every
        self.stats = DrainStats()
        self._sending: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None

    def _gate(self) -> asyncio.Semaphore:
        """At most `concurrency` sends in flight across all batches (of this event loop): the pace decides when a
        send may start, the gate only keeps the HTTP client's connection pool small (httpcore's pool does work per
        request in proportion to its connections)."""
        loop = asyncio.get_running_loop()
        if self._sending is None or self._sending[0] is not loop:
            self._sending = (loop, asyncio.Semaphore(self.concurrency))
        return self._sending[1]

    async def run_once(self) -> int:
        """Claim one batch and deliver it; returns how many rows were claimed (0: nothing due)."""
        token = secrets.token_hex(16)
        started = self.clock()
        claimed = await asyncio.to_thread(claim, self.uow, list(self.senders), token, started,
                                          limit=self.batch, lease=self.lease)
        if not claimed:
            return 0
        self.stats.claimed += len(claimed)
        deadline = started + self.lease - timedelta(seconds=self.send_timeout)
        done: list[int] = []
        flushed = asyncio.Event()

        async def marker() -> None:
            while True:
                await asyncio.sleep(self.mark_every)
                await flush()
                if flushed.is_set():
                    return

        async def flush() -> None:
            if done:
                ids = list(done)
                done.clear()
                marked = await asyncio.to_thread(mark_sent, self.uow, token, ids, self.clock())
                self.stats.sent += marked

        marking = asyncio.create_task(marker())
        try:
            await asyncio.gather(*(self._deliver(token, m, deadline, done) for m in claimed))
        finally:
            flushed.set()
            await marking
            await flush()
        return len(claimed)

    async def drain(self, parallel: int = 1) -> int:
        """Deliver until nothing is due (`parallel` batches in flight at once); returns rows claimed."""
        return await self._pump(None, parallel, 0.0)

    async def run(self, stop: asyncio.Event, idle: float = 1.0, parallel: int = 4) -> None:
        """Deliver until `stop` is set, with `parallel` batches in flight, looking again every `idle` seconds when
        nothing is due."""
        await self._pump(stop, parallel, idle)

    async def _pump(self, stop: asyncio.Event | None, parallel: int, idle: float) -> int:
        total = 0
        running: set[asyncio.Task[int]] = set()
        empty = False
        try:
            while True:
                while not empty and len(running) < parallel and not (stop and stop.is_set()):
                    running.add(asyncio.create_task(self._round()))
                    if parallel > 1:
                        await asyncio.sleep(0)  # let it claim before the next one looks
                if not running:
                    if stop is None or stop.is_set():
                        return total
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), idle)
                    empty = False
                    continue
                finished, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                claimed = [t.result() for t in finished]
                total += sum(claimed)
                empty = empty or 0 in claimed
        finally:
            if running:
                await asyncio.gather(*running, return_exceptions=True)

    async def _round(self) -> int:
        try:
            return await self.run_once()
        except Exception:  # a database hiccup must not end delivery
            log.exception("outbox: a delivery round failed")
            return 0

    async def _deliver(self, token: str, message: Claimed, deadline: datetime, done: list[int]) -> None:
        replies = [render(self.texts, message.language, message.event_type, message.payload)]
        try:
            for channel, chat_id in message.chats:
                pace = self.paces[channel]
                await pace.wait(chat_id)  # every claimed note reserves its turn at once; they go in claim order
                async with self._gate():
                    if self.clock() > deadline:  # the lease may run out while sending: give it back untried
                        released = await asyncio.to_thread(release, self.uow, token, [message.id], self.clock())
                        self.stats.released += released
                        return
                    try:
                        await asyncio.wait_for(self.senders[channel].send(chat_id, replies), self.send_timeout)
                    except RetryLater as error:
                        pace.block(error.seconds)
                        raise
                    except TimeoutError as error:
                        raise TransientError(f"{channel}: timed out") from error
        except RetryLater as error:
            await self._failed(token, message, f"429 {error}", retry_after=error.seconds)
        except TransientError as error:
            await self._failed(token, message, str(error) or type(error).__name__)
        except Exception as error:  # PermanentError and anything unexpected: do not hammer the platform
            await self._failed(token, message, f"{type(error).__name__}: {error}",
                               permanent=isinstance(error, PermanentError))
        else:
            done.append(message.id)

    async def _failed(self, token: str, message: Claimed, error: str, *, retry_after: float | None = None,
                      permanent: bool = False) -> None:
        status = await asyncio.to_thread(mark_failed, self.uow, token, message, error, self.clock(),
                                         retry_after=retry_after, permanent=permanent,
                                         max_attempts=self.max_attempts)
        if status == "dead":
            self.stats.dead += 1
            log.warning("outbox: note %s dead after %s attempts: %s", message.id, message.attempts, error)
        else:
            self.stats.retried += 1


# ---- channel adapters ---------------------------------------------------------------------------------------------

class TelegramSender:
    """Adapts bot.channels.telegram.TelegramChannel (its `send(chat_id, reply)`) to the Sender protocol, turning
    python-telegram-bot's errors into ours: RetryAfter -> RetryLater, TimedOut/NetworkError -> TransientError,
    Forbidden/BadRequest/others -> PermanentError."""

    def __init__(self, channel: Any) -> None:
        self.channel = channel

    async def send(self, chat_id: str, replies: list[Reply]) -> None:
        from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

        try:
            for reply in replies:
                await self.channel.send(chat_id, reply)
        except RetryAfter as error:
            after = error.retry_after
            raise RetryLater(after.total_seconds() if isinstance(after, timedelta) else float(after)) from error
        except (Forbidden, BadRequest) as error:
            raise PermanentError(str(error)) from error
        except (TimedOut, NetworkError) as error:  # NetworkError covers 5xx answers too
            raise TransientError(str(error)) from error
        except TelegramError as error:
            raise PermanentError(str(error)) from error


def build_dispatcher(uow: UnitOfWork, texts: Texts, channels: Sequence[Any], config: Any = None,
                     extra: Mapping[str, tuple[Sender, Pace]] | None = None) -> Dispatcher:
    """A dispatcher for the server's channels (by their `name`): Telegram wrapped in TelegramSender, paced by
    [delivery] telegram_per_second (30) and 1 a second per chat; WeCom as it is, 30 a minute per member; any other
    senders in `extra`."""

    def setting(key: str, default: Any) -> Any:
        return config.get("delivery", key, default) if config is not None else default

    senders: dict[str, Sender] = {}
    paces: dict[str, Pace] = {}
    for channel in channels:
        name = getattr(channel, "name", "")
        if name == "telegram":
            senders[name] = TelegramSender(channel)
            paces[name] = telegram_pace(float(setting("telegram_per_second", 30)))
        elif name == "wecom":  # bot.channels.wecom.WecomChannel is a Sender itself
            senders[name] = channel
            paces[name] = wecom_pace()
    for name, (sender, pace) in (extra or {}).items():
        senders[name], paces[name] = sender, pace
    return Dispatcher(uow, texts, senders, paces=paces, batch=int(setting("batch", 100)),
                      max_attempts=int(setting("max_attempts", MAX_ATTEMPTS)),
                      lease=timedelta(seconds=float(setting("lease_seconds", LEASE.total_seconds()))))


__all__ = [
    "Claimed", "DeliveryError", "Dispatcher", "Pace", "PermanentError", "RetryLater", "Sender", "TelegramSender",
    "TransientError", "backoff", "build_dispatcher", "claim", "mark_failed", "mark_sent", "pending_for_employee",
    "release", "render",
]
