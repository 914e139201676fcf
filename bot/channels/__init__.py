"""Channels: adapters that turn a messenger's updates into Inbound and Replies into its messages."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from aiohttp import web

from bot.engine.engine import Engine, Undelivered
from bot.engine.inbound import Fetched, PictureReading
from bot.engine.replies import Reply
from core.codes.scanning import read_codes
from core.permissions import Actor, Permission
from core.reading.text import Reading
from core.text_input import unreadable, unreadable_in

log = logging.getLogger(__name__)


class ChatTurns:
    """Updates of one chat are handled in the order they arrived (asyncio.Lock is first come, first served);
    a chat's lock lives only while someone holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def turn(self, chat_id: str) -> AsyncIterator[None]:
        """Wait for this chat's turn, then hold it for the block."""
        lock, users = self._locks.get(chat_id) or (asyncio.Lock(), 0)
        self._locks[chat_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[chat_id]
            if users <= 1:
                del self._locks[chat_id]
            else:
                self._locks[chat_id] = (lock, users - 1)


class InFlight:
    """Background work started by request handlers, awaited on shutdown so that nothing accepted is dropped."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, work: Coroutine[Any, Any, Any], name: str = "") -> asyncio.Task[Any]:
        task = asyncio.create_task(work, name=name or None)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def __len__(self) -> int:
        return len(self._tasks)

    async def wait(self, timeout: float | None = None) -> None:
        """Wait for every task, including tasks spawned meanwhile; cancel what is left after `timeout`."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self._tasks:
            remaining = None if deadline is None else max(0.0, deadline - loop.time())
            _, pending = await asyncio.wait(set(self._tasks), timeout=remaining)
            if pending and deadline is not None and loop.time() >= deadline:
                log.warning("shutdown: cancelling %d unfinished task(s)", len(pending))
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
                return

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())


class Channel(Protocol):
    """What the server needs of a channel: routes to mount, and start/stop around serving."""

    name: str

    def mount(self, app: web.Application) -> None:
        """Add this channel's routes (webhooks) to the server."""
        ...

    async def start(self) -> None:
        """Connect (set the webhook or start polling) and finish what a previous process left undone."""
        ...

    async def drain(self) -> None:
        """Stop taking new updates (polling) and finish the ones in flight."""
        ...

    async def sweep(self) -> int:
        """Answer the updates of this channel that dead processes left (their leases ran out)."""
        ...

    async def stop(self) -> None:
        """Release connections; called after `drain`."""
        ...


def header_text(request: web.Request, name: str) -> str:
    """A header as text, "" when missing or when it holds bytes that are not UTF-8 or control characters (aiohttp
    keeps those as lone surrogates): such a value is never a credential, and must not reach an encode()."""
    value = request.headers.get(name, "")
    return "" if unreadable(value) else value


def cookie_text(request: web.Request, name: str) -> str:
    """A cookie's value as text, "" when missing or not clean UTF-8 (as header_text)."""
    value = request.cookies.get(name, "")
    return "" if unreadable(value) else value


async def read_capped(request: web.Request, limit: int) -> bytes | None:
    """The whole request body, or None when it is over `limit` bytes (declared or as it arrives, chunk by chunk)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    body = bytearray()
    while chunk := await request.content.read(limit + 1 - len(body)):  # read() may return only a part
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def json_object(raw: bytes) -> dict[str, Any] | None:
    """A request body as a JSON object; None when it is not one: malformed, nested too deep, not an object, or
    holding control characters."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return body if isinstance(body, dict) and not unreadable_in(body) else None


async def photo_codes(content: bytes) -> tuple[str, ...]:
    """The codes in a photo, read off the event loop (decoding takes tens of milliseconds)."""
    return tuple(code.text for code in await asyncio.to_thread(read_codes, content))


def reader_for(actor: Actor, reader: PictureReading | None) -> PictureReading | None:
    """The OCR reader for people who may use what it reads (a supplier's delivery note to receive, a customer's
    list to sell); None for the rest: their photos without a code cost no seconds of CPU."""
    reads_paper = actor.can(Permission.PURCHASE_RECEIVE) or actor.can(Permission.SALES_CREATE)
    return reader if reads_paper else None


async def photo_contents(content: bytes | None, reader: PictureReading | None) -> Fetched:
    """A photo's codes; with none, the text on it (a delivery note: seconds, off the event loop); a picture too
    large for the download cap (None) is read as refused."""
    if content is None:
        return Fetched(codes=(), reading=None if reader is None else Reading("", refused="too_large"))
    codes = await photo_codes(content)
    if codes or reader is None:
        return Fetched(codes=codes)
    return Fetched(content=content, codes=(), reading=await reader.read(content))  # kept if a receipt is posted


Turn = Callable[[str], AbstractAsyncContextManager[Any]]
Deliver = Callable[[int, str, Sequence[Reply]], Coroutine[Any, Any, None]]
Fetch = Callable[[int], Coroutine[Any, Any, Fetched | None]]  # the file an update refers to, downloaded


async def no_fetch(inbox_id: int) -> Fetched | None:
    """For channels whose updates carry no file references."""
    return None


async def recover(engine: Engine, channel: str, turn: Turn, deliver: Deliver, fetch: Fetch = no_fetch) -> int:
    """Finish what a dead process left: updates it recorded but did not handle, replies it did not send, each
    once its lease has run out (a live process renews the leases of what it holds, however long it takes). Each is
    claimed in a transaction before it is sent, so two processes recovering at once send it once. Called when a
    channel starts and by the scheduler leader's sweep. Returns how many updates were sent."""
    pending, claimed = await left_over(engine, channel)
    if pending or claimed:
        log.info("%s: %d update(s) to process and %d to resend, left by a dead process", channel, len(pending),
                 len(claimed))
    return await answer(engine, channel, pending, claimed, turn, deliver, fetch)


async def start_recovery(engine: Engine, channel: str, in_flight: InFlight, turn: Turn, deliver: Deliver,
                         fetch: Fetch = no_fetch) -> None:
    """At a channel's start, before it accepts updates: look up (and claim) what dead processes left and answer
    it in the background; the scheduler leader's sweep takes whatever is left later."""
    pending, claimed = await left_over(engine, channel)
    if pending or claimed:
        log.info("%s: %d update(s) to process and %d to resend, left by a dead process", channel, len(pending),
                 len(claimed))
        in_flight.spawn(answer(engine, channel, pending, claimed, turn, deliver, fetch), f"{channel}-recover")


async def left_over(engine: Engine, channel: str) -> tuple[list[int], list[Undelivered]]:
    """Abandoned updates to handle (each is claimed when handled) and abandoned replies, claimed now: every page,
    oldest first, so that no number of rows ahead of a real update keeps it waiting."""
    pending: list[int] = []
    while page := await asyncio.to_thread(engine.abandoned, channel, pending[-1] if pending else 0):
        pending += page
    claimed: list[Undelivered] = []
    while page_claimed := await asyncio.to_thread(engine.claim_undelivered, channel,
                                                  claimed[-1].inbox_id if claimed else 0):
        claimed += page_claimed
    return pending, claimed


async def answer(engine: Engine, channel: str, pending: list[int], claimed: list[Undelivered], turn: Turn,
                 deliver: Deliver, fetch: Fetch = no_fetch) -> int:
    """Send the claimed replies, then handle and answer each pending update this process manages to claim (its
    file, if it refers to one, downloaded first)."""
    sent = 0
    for item in claimed:
        async with turn(item.chat_id):
            await deliver(item.inbox_id, item.chat_id, item.replies)
        sent += 1
    for inbox_id in pending:
        try:
            found = await asyncio.to_thread(engine.process_abandoned, inbox_id, await fetch(inbox_id))
        except Exception:
            log.exception("%s: update %d could not be processed after a restart", channel, inbox_id)
            continue
        if found is not None:
            async with turn(found.chat_id):
                await deliver(found.inbox_id, found.chat_id, found.replies)
            sent += 1
    return sent


async def keep_leases(engine: Engine, every: float) -> None:
    """Renew the leases of the updates this process holds every `every` seconds, for as long as it runs."""
    while True:
        await asyncio.sleep(every)
        try:
            await asyncio.to_thread(engine.renew)
        except Exception:  # the database is away for a moment: the next round tries again
            log.exception("inbox leases not renewed")


async def sweep_inboxes(channels: Sequence[Channel], engine: Engine | None = None) -> int:
    """The scheduler leader's sweep: every channel answers what dead processes left, then the bytes kept for
    finished updates are dropped; how many updates were answered."""
    answered = sum(await asyncio.gather(*(c.sweep() for c in channels)))
    if engine is not None and (purged := await asyncio.to_thread(engine.purge_files)):
        log.info("inbox: bytes of %d finished update(s) dropped", purged)
    return answered
