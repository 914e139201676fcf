"""Delivering webhooks: tail the books into the integrators' outbox, claim due deliveries, POST them signed.

A delivery goes: pending -> (claim, one transaction) sending under a lease and a claim token -> POST ->
(mark, a second transaction) sent after a 2xx | pending again with backoff (429 honours Retry-After; 408, 5xx,
timeouts and connection errors back off exponentially) | dead after `max_attempts` or an answer that will not
change (3xx, other 4xx), with one alert to the admins. Nothing is marked sent before the 2xx, so a process that
dies mid-POST leaves the row to be sent again when its lease runs out: receivers dedupe on X-Jxc-Delivery.

Signature: X-Jxc-Signature = "sha256=" + hex(HMAC-SHA256(secret, X-Jxc-Timestamp + "." + body)).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import secrets
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
from sqlalchemy import select, update

from bot import claims
from bot.delivery import MAX_BACKOFF, backoff
from core.integration.outbox import Note, employees_with_role, write_notes
from core.integration.webhooks import EVENTS, SETTLE, dead_alert, has_endpoints, purge_sent, tail
from core.models import WebhookDelivery, WebhookEndpoint
from core.people.employees import SYSTEM_NAME
from core.uow import Tx, UnitOfWork

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 16  # with backoff from 2 s doubling to an hour: about six hours of trying
LEASE = timedelta(seconds=60)
TIMEOUT = 10.0
RETRIED_STATUSES = frozenset({408, 425, 429})
USER_AGENT = "jxc-webhooks/1"
KEEP_SENT = timedelta(days=7)
PURGE_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class Due:
    """A delivery claimed for sending, with where it goes and the secret it is signed with."""

    id: int
    endpoint: str
    url: str
    secret: str
    event_type: str
    payload: dict[str, Any]
    created_at: datetime
    attempts: int


class Failed(Exception):
    """One attempt failed: retried (after `retry_after` seconds when the receiver said so) unless `permanent`."""

    def __init__(self, message: str, *, retry_after: float | None = None, permanent: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


# ---- signing --------------------------------------------------------------------------------------------------------

def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Jxc-Signature value for a body sent at `timestamp` (Unix seconds, as sent)."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does: recompute the signature and compare in constant time."""
    return hmac.compare_digest(sign(secret, timestamp, body).encode(), signature.encode("utf-8", "replace"))


def body_of(due: Due) -> bytes:
    """The JSON sent: the delivery id, the event, when it happened and its data."""
    return json.dumps({"id": due.id, "event": due.event_type, "created_at": due.created_at.isoformat(),
                       "data": due.payload}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds (a number or an HTTP date), at most an hour; None when absent or unreadable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - now).total_seconds()
        except (TypeError, ValueError, IndexError):
            return None
    return min(max(seconds, 0.0), MAX_BACKOFF.total_seconds())


# ---- the database side ----------------------------------------------------------------------------------------------

def claim(uow: UnitOfWork, token: str, now: datetime, *, limit: int = 50, lease: timedelta = LEASE) -> list[Due]:
    """Take up to `limit` due deliveries of active endpoints (pending and due, or 'sending' whose lease ran out),
    oldest first, skipping rows another process holds; each becomes 'sending' under `token` until now + lease."""

    def work(tx: Tx) -> list[Due]:
        rows = tx.session.execute(
            select(WebhookDelivery.id, WebhookDelivery.event_type, WebhookDelivery.payload,
                   WebhookDelivery.created_at, WebhookDelivery.attempts, WebhookEndpoint.name, WebhookEndpoint.url,
                   WebhookEndpoint.secret)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(WebhookDelivery.status.in_(("pending", "sending")), WebhookDelivery.next_attempt_at <= now,
                   WebhookEndpoint.active)
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit)
            .with_for_update(skip_locked=True, of=WebhookDelivery)
        ).all()
        if rows:
            tx.session.execute(
                update(WebhookDelivery).where(WebhookDelivery.id.in_([r.id for r in rows]))
                .values(status="sending", claim_token=token, attempts=WebhookDelivery.attempts + 1,
                        next_attempt_at=now + lease))
        return [Due(r.id, r.name, r.url, r.secret, r.event_type, r.payload, r.created_at, r.attempts + 1)
                for r in rows]

    return uow.run(work)


def mark_sent(uow: UnitOfWork, token: str, ids: Sequence[int], now: datetime) -> int:
    """'sent' for the rows still held under `token`; returns how many."""
    return claims.mark_sent(uow, WebhookDelivery, token, ids, now)


def release(uow: UnitOfWork, token: str, ids: Sequence[int], now: datetime) -> int:
    """Give rows back untried (the attempt is not counted): too little of the lease was left to POST them."""
    return claims.release(uow, WebhookDelivery, token, ids, now)


def mark_failed(uow: UnitOfWork, token: str, due: Due, error: str, now: datetime, *,
                retry_after: float | None = None, permanent: bool = False, max_attempts: int = MAX_ATTEMPTS,
                backoff_of: Callable[[int], timedelta] = backoff) -> str:
    """Pending again after `retry_after` (else backoff), or 'dead' after `max_attempts` or a permanent refusal with
    one alert to every admin; returns the status left ('' when the row is no longer ours)."""

    def work(tx: Tx) -> str:
        dead = permanent or due.attempts >= max_attempts
        delay = timedelta(seconds=retry_after) if retry_after is not None else backoff_of(due.attempts)
        result = tx.session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == due.id, WebhookDelivery.status == "sending",
                   WebhookDelivery.claim_token == token)
            .values(status="dead" if dead else "pending", claim_token="", last_error=error[:500],
                    next_attempt_at=now + min(delay, MAX_BACKOFF)))
        if not getattr(result, "rowcount", 0):
            return ""
        if dead:
            alert = dead_alert(due.endpoint, due.id, due.event_type, due.attempts, error)
            write_notes(tx, [Note("webhook_dead", admin, alert, f"webhook_dead:{due.id}:{admin}")
                             for admin in employees_with_role(tx, "admin")])
        return "dead" if dead else "pending"

    return uow.run(work)


# ---- the dispatcher -----------------------------------------------------------------------------------------------

def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class WebhookStats:
    enqueued: int = 0
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0


class WebhookDispatcher:
    """Tails the books into the webhook outbox and POSTs what is due; several may run at once (rows are claimed)."""

    def __init__(self, uow: UnitOfWork, *, batch: int = 50, lease: timedelta = LEASE, timeout: float = TIMEOUT,
                 max_attempts: int = MAX_ATTEMPTS, concurrency: int = 16, settle: timedelta = SETTLE,
                 clock: Callable[[], datetime] = _utcnow, keep_sent: timedelta = KEEP_SENT, mark_every: float = 0.02,
                 backoff_of: Callable[[int], timedelta] = backoff) -> None:
        self.uow = uow
        self.batch = batch
        self.lease = lease
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.concurrency = concurrency
        self.settle = settle
        self.clock = clock
        self.backoff_of = backoff_of
        self.keep_sent = keep_sent
        self.mark_every = mark_every
        self._purged_at: datetime | None = None
        self.stats = WebhookStats()
        self._http: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def run_once(self) -> int:
        """Tail the books, then claim one batch and POST it; returns how many deliveries were claimed."""
        if not await asyncio.to_thread(has_endpoints, self.uow):
            return 0
        enqueued = await asyncio.to_thread(tail, self.uow, self.clock(), settle=self.settle)
        self.stats.enqueued += enqueued
        token = secrets.token_hex(16)
        started = self.clock()
        claimed = await asyncio.to_thread(claim, self.uow, token, started, limit=self.batch, lease=self.lease)
        if not claimed:
            return 0
        self.stats.claimed += len(claimed)
        if self._http is None:
            self._http = aiohttp.ClientSession(headers={"User-Agent": USER_AGENT})
        gate = asyncio.Semaphore(self.concurrency)
        done: list[int] = []  # answered 2xx, to be marked sent (every few milliseconds, in one statement)
        finished = asyncio.Event()

        async def flush() -> None:
            if done:
                ids = list(done)
                done.clear()
                marked = await asyncio.to_thread(mark_sent, self.uow, token, ids, self.clock())
                self.stats.sent += marked

        async def marker() -> None:
            while not finished.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(finished.wait(), self.mark_every)
                await flush()

        deadline = started + self.lease - timedelta(seconds=self.timeout)

        async def one(due: Due) -> None:
            async with gate:
                if self.clock() > deadline:  # the lease could run out mid-POST: another process may take it
                    await asyncio.to_thread(release, self.uow, token, [due.id], self.clock())
                elif await self._deliver(token, due):
                    done.append(due.id)

        marking = asyncio.create_task(marker())
        try:
            await asyncio.gather(*(one(d) for d in claimed))
        finally:
            finished.set()
            await marking
            await flush()
        return len(claimed)

    async def purge(self) -> int:
        """Forget sent deliveries older than `keep_sent`, at most once every PURGE_EVERY; returns rows deleted."""
        now = self.clock()
        if self._purged_at is not None and now - self._purged_at < PURGE_EVERY:
            return 0
        self._purged_at = now
        return await asyncio.to_thread(purge_sent, self.uow, now - self.keep_sent)

    async def drain(self) -> int:
        """Deliver until nothing more is due now; returns deliveries claimed."""
        total = 0
        while (claimed := await self.run_once()) > 0:
            total += claimed
        return total

    async def run(self, stop: asyncio.Event, idle: float = 2.0) -> None:
        """Deliver until `stop` is set, looking again every `idle` seconds when nothing is due."""
        while not stop.is_set():
            try:
                await self.purge()
                claimed = await self.run_once()
            except Exception:  # a database or network hiccup must not end delivery
                log.exception("webhooks: a delivery round failed")
                claimed = 0
            if not claimed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), idle)

    async def _deliver(self, token: str, due: Due) -> bool:
        """POST once; true on a 2xx, else the failure is recorded (retry or dead) and false."""
        try:
            await self._post(due)
        except Failed as failure:
            status = await asyncio.to_thread(
                mark_failed, self.uow, token, due, str(failure), self.clock(), retry_after=failure.retry_after,
                permanent=failure.permanent, max_attempts=self.max_attempts, backoff_of=self.backoff_of)
            if status == "dead":
                self.stats.dead += 1
                log.warning("webhooks: delivery %s to %s dead after %s attempt(s): %s", due.id, due.endpoint,
                            due.attempts, failure)
            elif status:
                self.stats.retried += 1
            return False
        return True

    async def _post(self, due: Due) -> None:
        assert self._http is not None
        body = body_of(due)
        timestamp = str(int(self.clock().timestamp()))
        headers = {"Content-Type": "application/json", "X-Jxc-Event": due.event_type, "X-Jxc-Delivery": str(due.id),
                   "X-Jxc-Timestamp": timestamp, "X-Jxc-Signature": sign(due.secret, timestamp, body)}
        try:
            async with self._http.post(due.url, data=body, headers=headers, allow_redirects=False,
                                       timeout=aiohttp.ClientTimeout(total=self.timeout)) as response:
                status = response.status
                retry_after = retry_after_seconds(response.headers.get("Retry-After"), self.clock())
                await response.read()
        except TimeoutError as error:
            raise Failed(f"timed out after {self.timeout:g} s") from error
        except aiohttp.ClientError as error:
            raise Failed(f"{type(error).__name__}: {error}") from error
        if 200 <= status < 300:
            return
        if status >= 500 or status in RETRIED_STATUSES:
            raise Failed(f"HTTP {status}", retry_after=retry_after if status in (429, 503) else None)
        raise Failed(f"HTTP {status}", permanent=True)


@contextlib.asynccontextmanager
async def running(dispatcher: WebhookDispatcher, idle: float) -> AsyncIterator[WebhookDispatcher]:
    """The dispatcher running in the background while the block runs; stopped and closed after it."""
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop, idle), name="webhooks")
    try:
        yield dispatcher
    finally:
        stop.set()
        await task
        await dispatcher.close()


def build_webhooks(uow: UnitOfWork, config: Any = None) -> WebhookDispatcher:
    """A dispatcher from [webhooks]: batch, timeout_seconds, max_attempts, lease_seconds, settle_seconds,
    keep_sent_days."""

    def setting(key: str, default: Any) -> Any:
        return config.get("webhooks", key, default) if config is not None else default

    return WebhookDispatcher(
        uow, batch=int(setting("batch", 50)), timeout=float(setting("timeout_seconds", TIMEOUT)),
        max_attempts=int(setting("max_attempts", MAX_ATTEMPTS)),
        lease=timedelta(seconds=float(setting("lease_seconds", LEASE.total_seconds()))),
        settle=timedelta(seconds=float(setting("settle_seconds", SETTLE.total_seconds()))),
        keep_sent=timedelta(days=float(setting("keep_sent_days", KEEP_SENT.days))))


def webhooks_context(uow: UnitOfWork, config: Any) -> Callable[[Any], AsyncIterator[None]]:
    """For aiohttp's `app.cleanup_ctx`: webhooks delivered while the server runs ([webhooks] enabled, poll_seconds)."""

    async def context(_app: Any) -> AsyncIterator[None]:
        if not bool(config.get("webhooks", "enabled", True)):
            yield
            return
        async with running(build_webhooks(uow, config), float(config.get("webhooks", "poll_seconds", 2.0))):
            yield

    return context


# ---- the command line: jxc webhook add|list|remove ---------------------------------------------------------------

def cmd_webhook(books: Any, args: argparse.Namespace) -> int:
    """Webhook endpoints: add (the signing secret is printed once), list, remove."""
    from core.integration.webhooks import add_endpoint, list_endpoints, remove_endpoint
    from core.people.employees import load_actor

    actor = load_actor(books.uow, args.actor)
    if args.action == "add":
        issued = add_endpoint(books.uow, actor, args.name, args.url, args.events.split(","))
        print(issued.secret)
        print(f"webhook {issued.name!r} -> {issued.url} for {', '.join(issued.events)}: the secret above is shown "
              "once, store it now", file=sys.stderr)
    elif args.action == "list":
        for hook in list_endpoints(books.uow, actor):
            state = "active" if hook.active else "inactive"
            print(f"{hook.name}  {hook.url}  {','.join(hook.events)}  {state}  waiting {hook.pending}"
                  f"  dead {hook.dead}")
    else:
        print(f"webhook {remove_endpoint(books.uow, actor, args.name)!r} removed")
    return 0


def add_webhook_command(sub: Any) -> None:
    """`jxc webhook add NAME URL --events a,b | list | remove NAME` on the main parser's subcommands."""
    hook = sub.add_parser("webhook", help="outbound webhooks for integrators").add_subparsers(
        dest="action", required=True)
    add = hook.add_parser("add", help="a new endpoint (its signing secret is printed once)")
    add.add_argument("name", help="integration name, e.g. online-shop")
    add.add_argument("url", help="http:// or https:// URL that receives the POSTs")
    add.add_argument("--events", required=True, help=f"comma-separated: {','.join(EVENTS)}")
    hook.add_parser("list", help="every endpoint with its waiting and dead deliveries, without secrets")
    remove = hook.add_parser("remove", help="delete an endpoint and its waiting deliveries")
    remove.add_argument("name")
    for command in hook.choices.values():
        command.add_argument("--as", dest="actor", default=SYSTEM_NAME, help="admin to act as")
        command.set_defaults(run=cmd_webhook)


__all__ = ["Due", "WebhookDispatcher", "add_webhook_command", "body_of", "build_webhooks", "claim", "mark_failed",
           "mark_sent", "release", "retry_after_seconds", "running", "sign", "verify", "webhooks_context"]
